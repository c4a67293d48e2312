"""report.html sections about what is counted: the counting rule, the plausibility check, later ports.

Kept apart from the page's layout (flows/report/page.py) so each stays small; every
value from data is HTML-escaped by pandas' ``to_html(escape=True)`` or ``html.escape``.
"""

from __future__ import annotations

import html

import pandas as pd

from analysis.attribution.releases import framework_releases
from analysis.shares.selection import COUNTING_SENTENCE


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, na_rep="", float_format=lambda v: f"{v:g}")


def counting_section(include_ports: bool) -> str:
    """One sentence saying what the charts count."""
    return f"<p id='what-is-counted'><b>{_e(COUNTING_SENTENCE[include_ports])}</b></p>"


def defects_section(defects: pd.DataFrame, relabelled: pd.DataFrame | None = None) -> str:
    """The plausibility check: papers counted under a framework before its first public release."""
    head = ("<h2 id='plausibility'>Plausibility check: frameworks before their release</h2>"
            "<p class='note'>A paper counted under a framework in a period that ends before that framework's first "
            "public release is a data defect (release dates with sources below).</p>")  # fmt: skip
    if defects.empty:
        body = "<p id='defects-none'>No defects: no paper is counted under a framework before its release.</p>"
    else:
        table = defects.assign(released=defects["released"].astype(str),
                               conference_end=defects["conference_end"].astype(str))
        body = (f"<p id='defects-found'><b>{len(defects)} counted link(s) use a framework released after the "
                f"conference</b>: these are "
                f"the links behind them.</p>" + _table(table))  # fmt: skip
    if relabelled is not None and not relabelled.empty:
        body += ("<p id='relabelled'>Labels replaced because the framework was first released after the paper's "
                 "conference ended: the repository holds the paper's code and a later port, and is counted under its "
                 "best-scoring framework that had been released by then.</p>" + _table(relabelled.assign(
                     released=relabelled["released"].astype(str))))  # fmt: skip
    releases = framework_releases()[["framework", "release_date", "precision", "source"]]
    return head + body + "<details><summary>First public releases</summary>" + _table(releases) + "</details>"


def ports_section(ports: pd.DataFrame, flow: pd.DataFrame) -> str:
    """Later ports by paper period and port framework (its chart is with the others), and the port flow."""
    head = ("<h2 id='ports'>Later ports</h2><p class='note'>Links whose code starts after the window around the "
            "paper: re-implementations, not the paper's own code. Not counted in the shares above.</p>")  # fmt: skip
    if ports.empty:
        return head + "<p class='note'>No later ports among the conference papers' links.</p>"
    parts = [head, "<p class='note'>Chart: 'ports' above.</p>", _table(ports)]
    if flow.empty:
        parts.append("<p class='note'>Port flow: no paper has both its own code with a framework and a later port "
                     "with one, so there is no paper framework -> port framework pair to show.</p>")  # fmt: skip
    else:
        parts.append("<h3>Port flow: the paper's framework -> the port's</h3>" + _table(flow))
    return "".join(parts)
