"""report.html: one self-contained page (inline CSS, charts as base64 PNG, no scripts).

It must open in a browser with no network, so nothing is linked: no external CSS,
fonts, scripts or images. Every value that came from data is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import pandas as pd

from analysis.frameworks import CLASSIFIER_VERSION
from analysis.shares import MIN_COUNT
from analysis.taxonomy import PUBLISHED_SOURCE, agreement_rate

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .note { font-size: 0.85em; color: #555; }
"""

CHART_CAPTIONS = {
    "share": "Share of each framework per period (100% stacked). Shaded, starred periods are thin.",
    "lines": "Share per framework with Wilson 95% intervals; arrows mark when one framework first passed another.",
    "venues": "The same lines, one panel per venue, shared axes.",
    "counts": "Absolute counts per period, including papers whose code uses no DL framework and unclassified ones.",
}

COUNTING_NOTES = [
    "A paper counts once: its official implementation if it has one, else the one with a classifier decision, "
    "else the most-starred; remaining ties split the paper's weight equally (so counts can be fractional).",
    "Only conference papers (a known venue) count. Shares are among papers whose code uses a deep-learning "
    "framework unless the chart says 'all'.",
    f"Intervals are Wilson 95% score intervals; periods with fewer than {MIN_COUNT} counted items are thin.",
    f"Framework labels come from the code's imports (classifier {CLASSIFIER_VERSION}); wrappers fold into their base.",
]


def render_report(series: dict[str, pd.DataFrame], pngs: dict[str, bytes], counts: dict[str, int], axis: str,
                  freq: str, venues: Sequence[str] | None) -> str:  # fmt: skip
    """The whole page as a string."""
    scope = f"axis {axis}, frequency {freq}" + (f", venues {', '.join(venues)}" if venues else ", all venues")
    parts = [
        f"<h1>Deep-learning frameworks in conference-paper code</h1><p class='note'>{_e(scope)}</p>",
        "<h2>Coverage</h2>" + _coverage_table(counts),
        "<h2>Latest period</h2>" + _latest_table(series["shares"]),
        *[_figure(name, png) for name, png in pngs.items()],
        "<h2>Crossovers</h2>" + _crossovers(series["crossovers"], series["crossovers_by_venue"]),
        "<h2>Compared with published numbers</h2>" + _published(series["published"]),
        "<h2>Our label against Papers with Code's</h2>" + _agreement(series["agreement"]),
        "<h2>How things are counted</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in COUNTING_NOTES) + "</ul>",
    ]
    if not pngs:
        parts.insert(2, "<p class='note'>No classified conference papers yet: no charts to draw.</p>")
    body = "\n".join(parts)
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>papertrends report</title>"
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")  # fmt: skip


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(frame: pd.DataFrame, floats: str = "{:.3f}", index: bool = False) -> str:
    if frame.empty:
        return "<p class='note'>Nothing to show.</p>"
    return frame.to_html(index=index, escape=True, border=0, na_rep="",
                         float_format=lambda v: floats.format(v))  # fmt: skip


def _coverage_table(counts: dict[str, int]) -> str:
    frame = pd.DataFrame({"what": [k.replace("_", " ") for k in counts], "count": [f"{v:,}" for v in counts.values()]})
    return _table(frame)


def _latest_table(shares: pd.DataFrame) -> str:
    """The last period that is not thin (else the last period), as percentages with intervals."""
    if shares.empty:
        return _table(shares)
    solid = shares[~shares["is_thin"]]
    period = (solid if len(solid) else shares)["period"].max()
    rows = shares[shares["period"] == period]
    frame = pd.DataFrame({
        "framework": rows["framework"], "papers": rows["n_items"].map(lambda v: f"{v:.1f}"),
        "share": rows["share"].map(lambda v: f"{v:.1%}"),
        "95% interval": [f"{lo:.1%} – {hi:.1%}" for lo, hi in zip(rows["share_low"], rows["share_high"], strict=True)],
    })  # fmt: skip
    thin = " (thin)" if bool(rows["is_thin"].any()) else ""
    return f"<p>Period <b>{_e(period)}</b>{thin}, {rows['n_total'].iloc[0]:.0f} papers counted.</p>" + _table(frame)


def _figure(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    caption = CHART_CAPTIONS.get(name, name)
    return (f"<figure id='chart-{_e(name)}'><img class='chart' alt='{_e(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{_e(caption)}</figcaption></figure>")  # fmt: skip


def _crossovers(overall: pd.DataFrame, by_venue: pd.DataFrame) -> str:
    return ("<p>All venues (thin periods skipped):</p>" + _table(overall)
            + "<p>PyTorch passing TensorFlow, per venue:</p>" + _table(by_venue))  # fmt: skip


def _published(published: pd.DataFrame) -> str:
    note = (f"<p class='note'>PyTorch / (PyTorch + TensorFlow) per main-conference paper, Keras counted as "
            f"TensorFlow, beside {_e(PUBLISHED_SOURCE)}. That study counted framework mentions in PDFs; code and "
            f"text differ, so we expect to land near, not on, these numbers.</p>")  # fmt: skip
    if published.empty:
        return note + "<p class='note'>The warehouse holds none of the venue-years the study covered.</p>"
    return note + _table(published)


def _agreement(matrix: pd.DataFrame) -> str:
    if matrix.empty or int(matrix.to_numpy().sum()) == 0:
        return "<p class='note'>No repository has both our label and a Papers with Code label.</p>"
    rate = agreement_rate(matrix)
    return (f"<p>Rows: our label in PWC's vocabulary; columns: PWC's label. Agreement on "
            f"{int(matrix.to_numpy().sum()):,} repositories: <b>{rate:.1%}</b>.</p>"
            + matrix.to_html(escape=True, border=0))  # fmt: skip
