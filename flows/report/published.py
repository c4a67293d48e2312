"""The report's "Compared with published numbers" section: verdicts, a chart, the table.

Split from flows/report/page.py so the page module stays small; it renders the
``published`` series (analysis.shares.published.COMPARISON_COLUMNS) and its chart.
"""

from __future__ import annotations

import base64
import html

import pandas as pd

from analysis.shares.papers import format_count
from analysis.shares.published import CODE_VS_TEXT, SOURCE

NOTE = (f"PyTorch / (PyTorch + TensorFlow) per main-conference paper, Keras counted as TensorFlow, beside "
        f"{SOURCE}, who counted framework mentions in the papers' PDFs and dropped papers naming both. "
        "Ours counts the code each paper links to, so we expect to land near, not on, his numbers. Our interval "
        "is a Wilson 95% interval with the finite-population correction of the sample's stratum; his share "
        "rests on n papers that named one of the two.")  # fmt: skip


def published_section(published: pd.DataFrame, png: bytes | None) -> str:
    """The section's HTML: a one-line verdict, the chart (inline PNG), and the table with reasons."""
    note = f"<p class='note'>{html.escape(NOTE)}</p>"
    if published.empty:
        return note + "<p class='note'>The warehouse holds none of the venue-years the study covered.</p>"
    judged = published[~published["is_thin"].astype(bool)]
    inside = int((judged["verdict"] == "inside").sum())
    mean_gap = 100 * judged["difference"].mean() if len(judged) else float("nan")
    summary = (f"<p id='published-summary'><b>{inside} of {len(judged)}</b> venue-years with enough papers have "
               f"the published value inside our 95% interval; on average ours is {mean_gap:+.0f} points "
               f"from his. {len(published) - len(judged)} venue-year(s) are too thin to judge.</p>")  # fmt: skip
    figure = ""
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        figure = (f"<figure><img alt='published comparison' src='data:image/png;base64,{data}'><figcaption>Ours "
                  "as points with 95% intervals (hollow grey: thin), his as black diamonds.</figcaption></figure>")
    reasons = (f"<p class='note'>Why a published value can lie outside our interval: {html.escape(CODE_VS_TEXT)}."
               "</p>")  # fmt: skip
    return note + summary + figure + _table(published) + reasons


def _table(published: pd.DataFrame) -> str:
    head = ("<tr><th>venue</th><th>year</th><th>ours</th><th>95% interval</th><th>n (ours)</th>"
            "<th>published</th><th>n (his)</th><th>difference</th><th>verdict</th></tr>")  # fmt: skip
    rows = []
    for r in published.itertuples(index=False):
        n_ours = format_count(r.n_pytorch + r.n_tensorflow)
        rows.append(f"<tr><td>{html.escape(str(r.venue))}</td><td>{int(r.year)}</td><td>{r.pytorch_share:.0%}</td>"
                    f"<td>{r.share_low:.0%}–{r.share_high:.0%}</td><td>{n_ours}</td>"
                    f"<td>{r.published_share:.0%}</td><td>{int(r.n_published)}</td>"
                    f"<td>{100 * r.difference:+.0f} pts</td><td>{html.escape(str(r.verdict))}</td></tr>")  # fmt: skip
    return f"<table id='published'>{head}{''.join(rows)}</table>"
