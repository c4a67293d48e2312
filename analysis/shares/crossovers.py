"""When one framework first passes another in a share series (overall and per venue)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def find_crossovers(shares: pd.DataFrame, labels: Sequence[str] | None = None, top: int = 4) -> pd.DataFrame:
    """When one framework first passes another: the first non-thin period it leads after trailing.

    Checks every ordered pair among ``labels`` (default: the ``top`` frameworks by
    count). Thin periods are skipped: a lead built on a handful of papers is noise.
    Columns: period, framework, passed, share, passed_share (one row per pass).
    """
    solid = shares[~shares["is_thin"]]
    if solid.empty:
        return pd.DataFrame(columns=["period", "framework", "passed", "share", "passed_share"])
    wide = solid.set_index(["period", "framework"])["share"].unstack(fill_value=0.0).sort_index()
    if labels is None:
        labels = solid.groupby("framework")["n_items"].sum().nlargest(top).index.tolist()
    found = [row for a in labels for b in labels if a != b and (row := _first_pass(wide, a, b))]
    columns = ["period", "framework", "passed", "share", "passed_share"]
    return pd.DataFrame(found, columns=columns).sort_values(["period", "framework"]).reset_index(drop=True)


def _first_pass(wide: pd.DataFrame, leader: str, other: str) -> tuple[str, str, str, float, float] | None:
    if leader not in wide or other not in wide:
        return None
    was_behind = False
    for period, a, b in zip(wide.index, wide[leader], wide[other], strict=True):
        if a > b and was_behind:
            return str(period), leader, other, float(a), float(b)
        was_behind = was_behind or (a < b)
    return None


def crossovers_by_venue(shares_by_venue: pd.DataFrame, leader: str = "pytorch",
                        other: str = "tensorflow") -> pd.DataFrame:  # fmt: skip
    """When ``leader`` first passed ``other`` at each venue (venues where it did); thin periods skipped."""
    columns = ["venue", "period", "framework", "passed", "share", "passed_share"]
    solid = shares_by_venue[~shares_by_venue["is_thin"] & shares_by_venue["framework"].isin([leader, other])]
    if solid.empty:
        return pd.DataFrame(columns=columns)
    wide = solid.set_index(["venue", "period", "framework"])["share"].unstack(fill_value=0.0).sort_index()
    found = []
    for venue, group in wide.groupby(level="venue", sort=True):
        row = _first_pass(group.droplevel("venue"), leader, other)
        if row:
            found.append((str(venue), *row))
    return pd.DataFrame(found, columns=columns)
