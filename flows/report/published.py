"""The report's "Compared with published numbers" section: verdicts, the calibration, the gap's factors, the table.

Split from flows/report/page.py so the page module stays small; it renders the
``published`` series (analysis.shares.published.COMPARISON_COLUMNS) and its chart. Every
sentence about a gap is built from that series' numbers (analysis.shares.gap), so it
changes when the data do.
"""

from __future__ import annotations

import base64
import html

import pandas as pd

from analysis.shares.gap import MIN_GROUP, pooled_effects
from analysis.shares.papers import format_count
from analysis.shares.published import CODE_VS_TEXT, SOURCE

NOTE = (f"PyTorch / (PyTorch + TensorFlow) per main-conference paper, Keras counted as TensorFlow, beside "
        f"{SOURCE}, who counted framework mentions in the papers' PDFs and dropped papers naming both. "
        "Ours counts the code each paper links to. Our interval is the sample design's 95% interval for the "
        "venue-year's papers with code (for the bundled sample, whose lists are a part of each venue's papers, "
        "without a finite-population correction); 'read' is the share of drawn papers whose code was read. His "
        "share rests on n papers that named one of the two.")  # fmt: skip


def published_section(published: pd.DataFrame, png: bytes | None) -> str:
    """The section's HTML: verdicts, the calibration, the chart, what moves the gaps, and the table with reasons."""
    note = f"<p class='note'>{html.escape(NOTE)}</p>"
    if published.empty:
        return note + "<p class='note'>The warehouse holds none of the venue-years the study covered.</p>"
    judged = published[~published["is_thin"].astype(bool)]
    inside = int((judged["verdict"] == "inside").sum())
    mean_gap = 100 * judged["difference"].mean() if len(judged) else float("nan")
    higher = int((judged["difference"] > 0).sum())
    summary = (f"<p id='published-summary'><b>{inside} of {len(judged)}</b> venue-years with enough papers have "
               f"the published value inside our 95% interval; ours is higher in {higher} of {len(judged)}, on "
               f"average by {mean_gap:+.0f} points. {len(published) - len(judged)} venue-year(s) are too thin to "
               f"judge.</p>")  # fmt: skip
    figure = ""
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        figure = (f"<figure><img alt='published comparison' src='data:image/png;base64,{data}'><figcaption>Ours "
                  "as points with 95% intervals (hollow grey: thin), his as black diamonds.</figcaption></figure>")
    caveat = (f"<p class='note'>What no factor here can measure: {html.escape(CODE_VS_TEXT)}. A gap that none of "
              "the measured factors moves is not explained by them.</p>")  # fmt: skip
    return note + summary + _calibration(published) + figure + _factors(judged) + _table(published) + caveat


def _calibration(published: pd.DataFrame) -> str:
    rows = published[published["is_calibration"].astype(bool)]
    if rows.empty:
        return ("<p id='calibration' class='note'>Calibration: no venue-year here was drawn from his own lists, "
                "so no point shares his population.</p>")  # fmt: skip
    said = "; ".join(f"{html.escape(str(r.venue))} {int(r.year)}: ours {r.pytorch_share:.0%} "
                     f"({r.share_low:.0%}–{r.share_high:.0%}) against his {r.published_share:.0%}, "
                     f"{100 * r.difference:+.0f} points, {html.escape(str(r.verdict))}"
                     for r in rows.itertuples(index=False))  # fmt: skip
    return (f"<p id='calibration'><b>Calibration</b> (drawn from his own list of the venue-year's papers with code, "
            f"the one population the two counts share): {said}.</p>")  # fmt: skip


def _factors(judged: pd.DataFrame) -> str:
    """Each factor's difference pooled over the venue-years that measure it, and where it moves the gap."""
    if judged.empty:
        return ""
    pooled = pooled_effects(judged)
    rows = []
    for r in pooled.itertuples(index=False):
        moves = int(judged["moves_gap"].fillna("").str.split(", ").map(lambda names, f=r.factor: f in names).sum())
        if r.n_venue_years:
            effect = (f"{100 * r.difference:+.0f} pts ({100 * r.low:+.0f} to {100 * r.high:+.0f})")
            verdict = "moves it" if r.low > 0 or r.high < 0 else "does not move it"
        else:
            effect, verdict = "not measured", "not measured"
        rows.append(f"<tr><td>{html.escape(r.name)}</td><td>{html.escape(r.group_a)} − {html.escape(r.group_b)}</td>"
                    f"<td>{int(r.n_venue_years)}</td><td>{effect}</td><td>{verdict}</td>"
                    f"<td>{moves}</td></tr>")  # fmt: skip
    head = ("<tr><th>factor</th><th>PyTorch share difference</th><th>venue-years measured</th><th>pooled (95% CI)"
            "</th><th>overall</th><th>moves the gap in</th></tr>")  # fmt: skip
    return (f"<h3>What moves the gap</h3><p class='note'>For each factor, the PyTorch share of two groups of our "
            f"papers in the same venue-year; a factor moves a venue-year's gap when the difference's 95% interval "
            f"excludes 0, and is not measured there when a group has fewer than {MIN_GROUP} papers. Pooled: "
            f"inverse-variance mean over the venue-years that measure it.</p>"
            f"<table id='published-factors'>{head}{''.join(rows)}</table>")  # fmt: skip


def _table(published: pd.DataFrame) -> str:
    head = ("<tr><th>venue</th><th>year</th><th>ours</th><th>95% interval</th><th>n (ours)</th><th>read</th>"
            "<th>published</th><th>n (his)</th><th>difference</th><th>verdict</th><th>why (measured)</th></tr>")
    rows = []
    for r in published.itertuples(index=False):
        n_ours = format_count(r.n_pytorch + r.n_tensorflow)
        read = f"{r.response_rate:.0%}" if r.response_rate == r.response_rate else ""
        mark = " (calibration)" if bool(r.is_calibration) else ""
        rows.append(f"<tr><td>{html.escape(str(r.venue))}</td><td>{int(r.year)}{mark}</td>"
                    f"<td>{r.pytorch_share:.0%}</td><td>{r.share_low:.0%}–{r.share_high:.0%}</td><td>{n_ours}</td>"
                    f"<td>{read}</td><td>{r.published_share:.0%}</td><td>{int(r.n_published)}</td>"
                    f"<td>{100 * r.difference:+.0f} pts</td><td>{html.escape(str(r.verdict))}</td>"
                    f"<td class='reason'>{html.escape(str(r.reason))}</td></tr>")  # fmt: skip
    return f"<table id='published'>{head}{''.join(rows)}</table>"

