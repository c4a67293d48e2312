"""The report of a drawn warehouse (``refresh --budget``): what its numbers describe, and how far the draw got.

A drawn sample's numbers are estimates of the archive's papers (a finite population);
the report counts the drawn papers only, weighted by the archive's own counts per
stratum (flows/stages/budget.py), says beside each number that it is a sample of the
archive (n of N papers) or its census, and lists per year the papers drawn, crawled,
classified and the PyTorch interval's width.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from analysis.shares.allocation import FRAMEWORK
from flows.stages.budget import drawn_view
from flows.store.budget import year_progress
from flows.store.warehouse import Warehouse


def counted_population(wh: Warehouse, frame: pd.DataFrame, strata: Any) -> tuple[pd.DataFrame, Any, str]:
    """(the frame to count, the design or strata, the label every number carries; '' without a draw)."""
    view = drawn_view(wh, frame)
    if view is None:
        return frame, strata, ""
    return view.frame, view.design, view.label


def drawn_years(wh: Warehouse, shares: pd.DataFrame) -> list[dict[str, Any]]:
    """Per year: archive papers, drawn, crawled, classified, and the PyTorch share with its interval."""
    progress = year_progress(wh)
    rows = shares[shares["framework"] == FRAMEWORK][["period", "share", "share_low", "share_high"]]
    rows = rows.assign(year=rows["period"].astype(int)).drop(columns="period")
    merged = progress.merge(rows, on="year", how="left")
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in merged.to_dict("records")]


def budget_html(selection: dict[str, Any]) -> str:
    """The page's section for a drawn warehouse; '' for any other."""
    population = selection.get("population")
    if not population:
        return ""
    head = ("<h2 id='drawn'>Sample of the archive</h2>"
            f"<p class='note'><b>Every share on this page is from a {escape(population)}</b>: the drawn papers "
            "weighted by the archive's own papers per stratum (venue, year, and in 2014-2017 title), finite-"
            "population correction applied; a refresh without --budget completes it into a census.</p>")  # fmt: skip
    years = selection.get("years") or []
    if not years:
        return head
    cells = "".join(
        f"<tr><td>{r['year']}</td><td>{r['n_population']:,}</td><td>{r['n_drawn']:,}</td><td>{r['n_crawled']:,}</td>"
        f"<td>{r['n_classified']:,}</td><td>{_share(r)}</td><td>{_width(r)}</td></tr>" for r in years)  # fmt: skip
    return (head + "<table><thead><tr><th>year</th><th>archive papers</th><th>drawn</th><th>crawled</th>"
            f"<th>classified</th><th>PyTorch share ({escape(population)})</th><th>interval width</th></tr></thead>"
            f"<tbody>{cells}</tbody></table>")  # fmt: skip


def _share(row: dict[str, Any]) -> str:
    if row.get("share") is None:
        return "–"
    return f"{row['share']:.1%} [{row['share_low']:.1%} – {row['share_high']:.1%}]"


def _width(row: dict[str, Any]) -> str:
    return "–" if row.get("share") is None else f"{row['share_high'] - row['share_low']:.3f}"
