"""The papers behind the numbers: one row per paper counted, and how to read the series.

Every share series of a report is a sum of :func:`counted_papers` (the tests check it
for every period and framework), so a reader can go from "38% PyTorch in CVPR 2019"
to the papers and repositories that make it. Pure: DataFrames in, DataFrames out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.classifier.taxonomy import NONE, UNCLASSIFIED
from analysis.shares.implementations import prepare_implementations
from analysis.shares.series import MIN_COUNT, ShareSpec, select_items

Frame = pd.DataFrame

PAPER_COLUMNS = ["period", "venue", "year", "published_date", "paper_id", "title", "repo_key", "attribution",
                 "framework", "confidence", "has_dl_framework", "weight"]  # fmt: skip

MIN_VENUE_PAPERS = 2 * MIN_COUNT
"""A venue gets its own panel and its own entry in the page's selector from this many counted papers."""

NOTABLE_SUM = 0.20
NOTABLE_EACH = 0.05
CROSSOVER_RULE = (f"a crossover is marked only when the two frameworks together hold at least {NOTABLE_SUM:.0%} of "
                  f"the period's papers and each held at least {NOTABLE_EACH:.0%} in that period or the one before; "
                  f"thin periods are skipped")  # fmt: skip


DEFAULT_SPEC = ShareSpec()


def counted_papers(frame: Frame | object, spec: ShareSpec = DEFAULT_SPEC,
                   venues: Sequence[str] | None = None) -> Frame:  # fmt: skip
    """One row per paper counted (per implementation where a paper's weight is split by a tie).

    ``framework`` is the fine label (``none`` and ``unclassified`` included: the "all"
    series counts them); ``has_dl_framework`` says whether the row is in the headline
    shares' denominator. ``attribution`` is the link's attribution where the warehouse
    has one, else empty. ``weight`` is 1 unless ties split the paper.
    """
    data = prepare_implementations(frame)  # type: ignore[arg-type]
    items = select_items(data, spec, venues)
    detail = data.frame.iloc[items["row"].to_numpy()].reset_index(drop=True)
    label = items["label"].astype(object).to_numpy()
    attribution = detail["attribution"] if "attribution" in detail else pd.Series([None] * len(detail), dtype=object)
    table = pd.DataFrame({
        "period": items["period"].astype(str).to_numpy(), "venue": items["venue"].astype(object).to_numpy(),
        "year": pd.array(detail["year"], dtype="Int64"), "published_date": detail["published_date"],
        "paper_id": detail["paper_id"], "title": detail["title"], "repo_key": detail["repo_key"],
        "attribution": attribution.to_numpy(dtype=object), "framework": label,
        "confidence": pd.to_numeric(detail["confidence"], errors="coerce"),
        "has_dl_framework": ~np.isin(label, [NONE, UNCLASSIFIED]), "weight": items["weight"].to_numpy(),
    })  # fmt: skip
    return table.sort_values(["period", "venue", "paper_id", "repo_key"], kind="stable").reset_index(drop=True)


def venues_with_enough(shares_by_venue: Frame,
                       min_papers: int = MIN_VENUE_PAPERS) -> tuple[list[str], dict[str, float]]:  # fmt: skip
    """(venues with at least ``min_papers`` counted papers, the others with their counts), largest first."""
    if shares_by_venue.empty:
        return [], {}
    totals = shares_by_venue.groupby(["venue", "period"], observed=True)["n_total"].first().groupby(level=0).sum()
    totals = totals.sort_values(ascending=False, kind="stable")
    kept = [str(v) for v, n in totals.items() if n >= min_papers]
    return kept, {str(v): float(n) for v, n in totals.items() if n < min_papers}


def mark_notable_crossovers(crossovers: Frame, shares: Frame, keys: Sequence[str] = ()) -> Frame:
    """``crossovers`` with ``is_notable`` (rule: :data:`CROSSOVER_RULE`), so trivia stays off the charts.

    ``keys`` are extra grouping columns shared by both frames (``venue`` for the per-venue table).
    """
    out = crossovers.copy()
    if out.empty:
        out["is_notable"] = pd.Series(dtype=bool)
        return out
    solid = shares[~shares["is_thin"]]
    wide = solid.set_index([*keys, "period", "framework"])["share"].unstack(fill_value=0.0)
    out["is_notable"] = [_is_notable(wide, row, keys) for row in out.to_dict("records")]
    return out


def _is_notable(wide: Frame, row: dict, keys: Sequence[str]) -> bool:
    table = wide.xs(tuple(row[k] for k in keys), level=tuple(keys)) if keys else wide
    periods = [str(p) for p in table.index]
    at = periods.index(str(row["period"]))
    window = table.iloc[max(0, at - 1): at + 1]
    a, b = window.get(row["framework"]), window.get(row["passed"])
    if a is None or b is None:
        return False
    together = float(table.iloc[at][row["framework"]] + table.iloc[at][row["passed"]])
    return together >= NOTABLE_SUM and float(a.max()) >= NOTABLE_EACH and float(b.max()) >= NOTABLE_EACH


def format_count(value: float) -> str:
    """A count as people write it: ``3`` for whole numbers, ``2.5`` where a tie split a paper."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


AXIS_FIELDS = {"venue-year": "a venue year (papers.year)",
               "paper-date": "a publication date (papers.published_date, an arXiv id, or its venue-year in "
                             "analysis/data/conference_dates.csv)",
               "repo-created": "a repository creation or first-commit date (repos.created_at)"}  # fmt: skip


def explain_empty(frame: Frame | object, spec: ShareSpec = DEFAULT_SPEC, venues: Sequence[str] | None = None) -> str:
    """One line saying why a selection has nothing to chart: no papers, none on this axis, or none classified."""
    data = prepare_implementations(frame)  # type: ignore[arg-type]
    where = f" at {', '.join(venues)}" if venues else ""
    conference = select_items(data, spec.with_(axis="venue-year"), venues)
    n_papers = len(np.unique(data.paper[data.venue >= 0])) if not venues else int(conference["paper_code"].nunique())
    if n_papers == 0:
        return f"No conference papers with a code link{where} in the warehouse yet: nothing to count."
    on_axis = select_items(data, spec, venues)
    if on_axis.empty:
        return (f"None of the {n_papers:,} conference papers{where} has {AXIS_FIELDS[spec.axis]}, "
                f"which the {spec.axis} axis needs; the venue-year axis works without it.")  # fmt: skip
    decided = on_axis[~on_axis["label"].isin([NONE, UNCLASSIFIED])]
    if decided.empty:
        return (f"None of the {on_axis['paper_code'].nunique():,} papers{where} on the {spec.axis} axis has code "
                f"classified as using a deep-learning framework yet (crawl and classify first).")  # fmt: skip
    return ""
