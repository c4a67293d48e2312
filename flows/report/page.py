"""report.html: one self-contained page (inline CSS, script and data; static charts as base64 PNG).

It must open in a browser with no network, so nothing is fetched: no external CSS,
fonts, scripts or images. The interactive chart is plain SVG drawn by a small script
(flows/report/assets/explorer.js) from a JSON payload embedded in the page, gzipped and
base64-encoded (the browser unpacks it). Every value that came from data is
HTML-escaped, or travels inside that payload and is set as text by the script.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.classifier.frameworks import CLASSIFIER_VERSION, UNCERTAIN_BELOW
from analysis.classifier.taxonomy import agreement_rate
from analysis.shares.papers import CROSSOVER_RULE, MIN_VENUE_PAPERS, format_count
from analysis.shares.series import MIN_COUNT
from flows.report.published import published_section

ASSETS = Path(__file__).resolve().parent / "assets"

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
#papers td, #papers th { text-align: left; }
figure { margin: 1em 0; } img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .note { font-size: 0.85em; color: #555; }
.controls label { margin-right: 1.2em; font-size: 0.9em; }
#chart { width: 100%; height: auto; border: 1px solid #eee; background: #fff; }
#chart text { font-size: 11px; fill: #333; } #chart .tick { font-size: 10px; fill: #666; }
#chart .chart-title { font-size: 13px; font-weight: bold; fill: #222; }
#chart .axis-label { font-size: 11px; fill: #444; }
#chart .note { font-size: 10px; fill: #222; } #chart .note-box { fill: #fff; opacity: 0.85; }
#chart .period { cursor: pointer; text-decoration: underline dotted; }
#chart .segment, #chart .point { cursor: pointer; stroke: #fff; stroke-width: 0.5; }
#chart .segment:hover, #chart .point:hover { stroke: #000; stroke-width: 1.5; }
#chart .thin { fill: #bbb; opacity: 0.25; }
#legend .key { margin-right: 1em; font-size: 0.85em; white-space: nowrap; }
#legend svg { width: 2.2em; height: 1em; margin-right: 0.3em; vertical-align: -0.15em; }
#tip { display: none; position: absolute; background: #fff; border: 1px solid #888; padding: 4px 8px;
       font-size: 0.85em; box-shadow: 0 2px 6px rgba(0,0,0,.2); pointer-events: none; }
#tip .tip-head { font-weight: bold; } #tip .tip-hint, #tip .tip-thin { color: #777; }
"""

CHART_CAPTIONS = {
    "share": "Share of each framework per period (100% stacked). Shaded, starred periods are thin.",
    "lines": "Share per framework with Wilson 95% intervals; arrows mark crossovers that matter (rule below).",
    "venues": "The same lines, one panel per venue with enough papers, shared axes.",
    "counts": "Absolute counts per period, including papers whose code uses no DL framework and unclassified ones.",
    "ports": "Later ports (not counted above) per period of the paper, coloured by the port's framework.",
}

COUNTING_NOTES = [
    "A paper counts once (which link: the bold sentence at the top); ties split the paper's weight equally "
    "(so counts can be fractional).",
    "Only conference papers (a known venue) count. Shares are among papers whose code uses a deep-learning "
    "framework unless the chart says 'all'.",
    f"Intervals are Wilson 95% score intervals; periods with fewer than {MIN_COUNT} counted items are thin.",
    "For the bundled sample (drawn stratified by cells: venue and year, and in 2014-2017 source list and title, in "
    "different fractions), the venue-year shares, all venues and per venue, are design-based estimates of the "
    "venue-years' papers with code (the lists are taken as a random part of them, so no finite-population "
    "correction), each cell weighted by the links the lists hold for it; papers whose links are all excluded count "
    "as zeros, papers whose code was not read as non-response "
    "(response_rate in the series); Wilson interval at the design's effective size (analysis/shares/weights.py). "
    "Their counts stay the sample's.",
    f"Framework labels come from the code's imports (classifier {CLASSIFIER_VERSION}); wrappers fold into their base.",
    "series/papers.csv (and .parquet) lists every paper counted; each series is a sum of its weight column.",
    f"A label with confidence below {UNCERTAIN_BELOW} is uncertain (on the hand-labelled corpora such labels are "
    "right less often; 'repos classified uncertain' counts them): they are counted like the rest.",
]


def render_report(series: dict[str, pd.DataFrame], pngs: dict[str, bytes], counts: dict[str, int],
                  selection: dict[str, Any], payload: dict[str, Any] | None, empty_reason: str = "",
                  chart_files: Sequence[str] = ()) -> str:  # fmt: skip
    """The whole page as a string. ``selection`` has ``axis``, ``freq``, ``venues``, ``index`` (a relative link)
    and ``include_ports``."""
    from flows.report.findings import counting_section, defects_section, ports_section

    venues = selection.get("venues")
    scope = f"axis {selection['axis']}, frequency {selection['freq']}" + (
        f", venues {', '.join(venues)}" if venues else ", all venues")  # fmt: skip
    where = " + ".join(venues) if venues else "all venues"
    parts = [
        "<h1>Deep-learning frameworks in conference-paper code</h1>"
        f"<p class='note' id='report-title'>{_e(selection.get('title', ''))}</p>"
        f"<p class='note'>{_e(scope)} · <a href='{_e(selection['index'])}'>all reports</a></p>",
        counting_section(bool(selection.get("include_ports"))),
        f"<h2>Coverage: {_e(where)}</h2>" + _coverage_table(counts),
    ]
    if empty_reason:
        parts.append(f"<p class='note' id='empty-reason'><b>Nothing to chart:</b> {_e(empty_reason)}</p>")
    if "defects" in series:
        parts.append(defects_section(series["defects"], series.get("relabelled")))
    if payload is not None and not empty_reason:
        parts.append("<h2>Explore</h2>" + _explorer(payload))
    parts += [
        "<h2>Latest period</h2>" + _latest_table(series["shares"], bool(selection.get("weighted"))),
        *[_figure(name, png) for name, png in pngs.items() if name != "published"],
        _other_venues(payload),
        _chart_links(chart_files),
        "<h2>Crossovers</h2>" + _crossovers(series["crossovers"], series["crossovers_by_venue"]),
        "<h2 id='compared'>Compared with published numbers</h2>"
        + published_section(series["published"], pngs.get("published")),
        ports_section(series["ports"], series["port_flow"]) if "ports" in series else "",
        "<h2>Our label against Papers with Code's</h2>" + _agreement(series["agreement"]),
        "<h2>How things are counted</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in COUNTING_NOTES) + "</ul>",
    ]
    body = "\n".join(p for p in parts if p)
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>papertrends report</title>"
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")  # fmt: skip


def _explorer(payload: dict[str, Any]) -> str:
    """Controls, the SVG the script draws into, the tooltip, the paper list; then the data and the script."""
    # Packed: gzip then base64 (the characters of base64 cannot close the script element).
    data = base64.b64encode(gzip.compress(json.dumps(payload, separators=(",", ":")).encode(), mtime=0)).decode()
    script = (ASSETS / "explorer.js").read_text(encoding="utf-8")
    alone = (f" Venues with fewer than {payload['min_venue_papers']} counted papers are not offered on their own "
             f"(they are in '{payload['scope']}')." if payload["venues"] or payload["scope"] == "All venues" else "")
    return (
        "<p class='note'>Hover a bar or point for its numbers; click it (or a period under the axis) to list the "
        f"papers behind it.{_e(alone)}</p>"
        "<div class='controls'><label>Venue <select id='pick-venue'></select></label>"
        "<label>Axis <select id='pick-view'></select></label>"
        "<label>Chart <select id='pick-mode'><option value='share'>share (100% stacked)</option>"
        "<option value='lines'>share with 95% intervals</option>"
        "<option value='counts'>counts, incl. none and unclassified</option></select></label></div>"
        "<svg id='chart' viewBox='0 0 960 470' role='img' aria-label='framework share per period'></svg>"
        "<p class='note' id='chart-empty'></p><div id='legend'></div><div id='tip' role='status'></div>"
        "<div id='papers'><p class='note'>Click a bar, a point or a period to list its papers here.</p></div>"
        f"<script type='application/octet-stream' id='explorer-data' data-encoding='gzip+base64'>{data}</script>"
        f"<script>{script}</script>"
    )  # fmt: skip


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(frame: pd.DataFrame, why_empty: str, floats: str = "{:.3f}", index: bool = False) -> str:
    if frame.empty:
        return f"<p class='note'>{_e(why_empty)}</p>"
    return frame.to_html(index=index, escape=True, border=0, na_rep="",
                         float_format=lambda v: floats.format(v))  # fmt: skip


def _coverage_table(counts: dict[str, int]) -> str:
    frame = pd.DataFrame({"what": [k.replace("_", " ") for k in counts],
                          "how many (a count)": [f"{v:,}" for v in counts.values()]})  # fmt: skip
    return _table(frame, "The warehouse is empty.")


def _latest_table(shares: pd.DataFrame, weighted: bool = False) -> str:
    """The last period that is not thin (else the last period), as percentages with intervals.

    Says what each number is: the papers column is a count (n), the share a weighted
    population estimate where the sample's strata weight it, else the counted fraction.
    """
    if shares.empty:
        return "<p class='note'>No period has a paper whose code uses a deep-learning framework.</p>"
    solid = shares[~shares["is_thin"]]
    period = (solid if len(solid) else shares)["period"].max()
    rows = shares[shares["period"] == period]
    share_head = "share (weighted estimate)" if weighted else "share (of papers counted)"
    frame = pd.DataFrame({
        "framework": rows["framework"], "papers counted (count)": rows["n_items"].map(format_count),
        share_head: rows["share"].map(lambda v: f"{v:.1%}"),
        "95% interval": [f"{lo:.1%} – {hi:.1%}" for lo, hi in zip(rows["share_low"], rows["share_high"], strict=True)],
    })  # fmt: skip
    thin = " (thin)" if bool(rows["is_thin"].any()) else ""
    total = format_count(float(rows["n_total"].iloc[0]))
    how = ("Shares are population estimates: each cell of the sample weighted by the links the source lists hold "
           "for it; the counts are the sample's." if weighted else "Shares are the counted papers' fractions.")
    return (f"<p>Period <b>{_e(period)}</b>{thin}: n = {total} papers counted (using a DL framework). {how}</p>"
            + _table(frame, ""))  # fmt: skip


def _figure(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    caption = CHART_CAPTIONS.get(name, name)
    return (f"<figure id='chart-{_e(name)}'><img class='chart' alt='{_e(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{_e(caption)}</figcaption></figure>")  # fmt: skip


def _other_venues(payload: dict[str, Any] | None) -> str:
    others = (payload or {}).get("other_venues") or {}
    if not others:
        return ""
    listed = ", ".join(f"{v} {format_count(n)}" for v, n in others.items())
    return (f"<p class='note' id='other-venues'>Venues with fewer than {MIN_VENUE_PAPERS} counted papers, "
            f"not drawn on their own: {_e(listed)}.</p>")  # fmt: skip


def _chart_links(files: Sequence[str]) -> str:
    if not files:
        return ""
    links = " · ".join(f"<a href='charts/{_e(f)}'>{_e(f)}</a>" for f in files)
    return f"<p class='note'>Static charts for papers and slides (PNG and SVG, in charts/): {links}</p>"


def _crossovers(overall: pd.DataFrame, by_venue: pd.DataFrame) -> str:
    rule = f"<p class='note'>Rule: {_e(CROSSOVER_RULE)}.</p>"
    return (rule + "<p>All venues:</p>" + _notable(overall, "No two frameworks crossed in a way that matters")
            + "<p>PyTorch passing TensorFlow, per venue:</p>"
            + _notable(by_venue, "No venue saw PyTorch pass TensorFlow in a way that matters"))  # fmt: skip


def _notable(crossovers: pd.DataFrame, why_empty: str) -> str:
    if crossovers.empty:
        return f"<p class='note'>{_e(why_empty)}: no pass at all in the non-thin periods.</p>"
    shown = crossovers[crossovers["is_notable"]].drop(columns="is_notable")
    left = len(crossovers) - len(shown)
    tail = f"<p class='note'>{left} other pass(es) left out by the rule (see the crossovers CSV).</p>" if left else ""
    return _table(shown, f"{why_empty}: {left} pass(es), all under the rule's thresholds.", floats="{:.1%}") + tail


def _agreement(matrix: pd.DataFrame) -> str:
    if matrix.empty or int(matrix.to_numpy().sum()) == 0:
        return ("<p class='note'>Nothing to compare: no repository here has both our label and a Papers with Code "
                "label (the sample and the live catalog carry none; the archive does).</p>")  # fmt: skip
    rate = agreement_rate(matrix)
    return (f"<p>Rows: our label in PWC's vocabulary; columns: PWC's label. Agreement on "
            f"{int(matrix.to_numpy().sum()):,} repositories: <b>{rate:.1%}</b>.</p>"
            + matrix.to_html(escape=True, border=0))  # fmt: skip
