"""The data behind report.html's interactive chart, as plain JSON-able lists.

One payload holds, for each axis/frequency the page offers, the share series of all
venues and of each venue with enough papers (the same tables the CSVs hold, rounded
as the CSVs are), plus the per-paper table the page lists when a period is clicked.
Columns are sent as parallel arrays with repeated strings as codes, which keeps the
page small. Pure: DataFrames in, dicts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.classifier.taxonomy import order_labels
from analysis.shares.estimates import design_share_table
from analysis.shares.implementations import prepare_implementations
from analysis.shares.papers import MIN_VENUE_PAPERS, venues_with_enough
from analysis.shares.series import MIN_COUNT, ShareSpec, select_items, share_table

VIEWS: tuple[tuple[str, str], ...] = (
    ("venue-year", "year"), ("paper-date", "year"), ("paper-date", "quarter"), ("paper-date", "month"),
    ("repo-created", "year"), ("repo-created", "quarter"),
)  # fmt: skip
VIEW_LABELS = {"venue-year": "conference year", "paper-date": "paper date", "repo-created": "repository creation"}


def explorer_payload(frame: pd.DataFrame | object, axis: str, freq: str, venues: Sequence[str] | None = None,
                     min_count: int = MIN_COUNT, colours: dict[str, str] | None = None,
                     strata: pd.DataFrame | None = None) -> dict[str, Any]:  # fmt: skip
    """Everything the page's script draws from; the report's own axis/frequency comes first.

    ``strata``: a stratified sample's, so the all-venue venue-year shares are the same
    population estimates as the report's series (analysis.shares.weights).
    """
    data = prepare_implementations(frame)  # type: ignore[arg-type]
    own = ShareSpec(axis=axis, freq=freq, min_count=min_count)
    kept, others = venues_with_enough(share_table(select_items(data, own, venues), own, by_venue=True))
    wanted = [(axis, freq), *[v for v in VIEWS if v != (axis, freq)]]
    views = [_view(data, ShareSpec(axis=a, freq=f, min_count=min_count), venues, kept, strata) for a, f in wanted]
    papers = _papers(data, venues)
    frameworks = order_labels({*papers.pop("_labels"), *[fw for v in views for fw in v.pop("_labels")]})
    for view in views:
        view["shares"] = {k: _encode_rows(t, frameworks) for k, t in view["shares"].items()}
        view["all"] = {k: _encode_rows(t, frameworks) for k, t in view["all"].items()}
    papers["label"] = [frameworks.index(x) for x in papers["label"]]
    return {"frameworks": frameworks, "colours": {f: (colours or {}).get(f, "#8d99ae") for f in frameworks},
            "venues": kept, "other_venues": others, "min_count": min_count, "min_venue_papers": MIN_VENUE_PAPERS,
            "views": views, "papers": papers}  # fmt: skip


def _view(data: Any, spec: ShareSpec, venues: Sequence[str] | None, kept: list[str],
          strata: pd.DataFrame | None = None) -> dict[str, Any]:  # fmt: skip
    items = select_items(data, spec, venues)
    label = VIEW_LABELS[spec.axis] + ("" if spec.axis == "venue-year" else f", by {spec.freq}")
    view: dict[str, Any] = {"axis": spec.axis, "freq": spec.freq, "label": label,
                            "periods": [str(p) for p in items["period"].cat.categories], "shares": {}, "all": {}}
    # One by-venue table per base, split afterwards: far cheaper than a table per venue.
    for key, base in (("shares", "frameworks"), ("all", "all")):
        variant = spec.with_(base=base)
        view[key][""] = design_share_table(data, items, variant, strata, venues=venues)
        if kept:
            by_venue = design_share_table(data, items, variant, strata, by_venue=True, venues=venues)
            groups = dict(iter(by_venue.groupby("venue", sort=False)))
            for venue in kept:
                view[key][venue] = groups.get(venue, by_venue.iloc[:0]).drop(columns="venue")
    view["_labels"] = {str(x) for t in view["all"].values() for x in t["framework"]}
    return view


def _encode_rows(table: pd.DataFrame, frameworks: list[str]) -> list[list[Any]]:
    """[period, framework code, n_items, n_total, share, low, high, is_thin] per row, rounded as the CSVs are."""
    if table.empty:
        return []
    code = {f: i for i, f in enumerate(frameworks)}
    columns = [table["period"].astype(str).tolist(), [code[str(f)] for f in table["framework"]],
               *[[_g(v) for v in table[c].to_numpy(float)] for c in ("n_items", "n_total", "share", "share_low",
                                                                     "share_high")],
               table["is_thin"].to_numpy(int).tolist()]  # fmt: skip
    return [list(row) for row in zip(*columns, strict=True)]


def _g(value: float) -> float | int:
    """Six significant digits, exactly what the series CSVs hold (``float_format="%.6g"``)."""
    rounded = float(f"{float(value):.6g}")
    return int(rounded) if rounded.is_integer() else rounded


def _papers(data: Any, venues: Sequence[str] | None) -> dict[str, Any]:
    """Counted papers with what the page needs to place them on any axis: year, paper date, repository date.

    Which implementation a paper counts does not depend on the axis (it is chosen before
    periods are assigned), so the union over the three axes has one entry per counted row.
    """
    chosen = pd.concat([select_items(data, ShareSpec(axis=a), venues) for a in ("venue-year", "paper-date",
                        "repo-created")]).drop_duplicates("row").sort_values("row")  # fmt: skip
    rows = chosen["row"].to_numpy()
    detail = data.frame.iloc[rows]
    venue_names = sorted({str(v) for v in chosen["venue"].astype(object)})
    attribution = detail["attribution"].astype(object) if "attribution" in detail else pd.Series([None] * len(rows))
    attr_names = sorted({str(a) for a in attribution if isinstance(a, str)})
    labels = [str(x) for x in chosen["label"].astype(object)]
    return {
        "id": [str(x) for x in detail["paper_id"]], "title": [str(x) for x in detail["title"].fillna("")],
        "repo": [str(x) for x in detail["repo_key"]],
        "venue_names": venue_names, "venue": [venue_names.index(str(v)) for v in chosen["venue"].astype(object)],
        "attribution_names": attr_names,
        "attribution": [attr_names.index(a) if isinstance(a, str) else -1 for a in attribution],
        "weight": [_g(w) for w in chosen["weight"]], "label": labels, "_labels": set(labels),
        "year": [int(y) if y == y else None for y in data.year[rows]],
        "date": _iso_days(data.published[rows]), "created": _iso_days(data.created[rows]),
    }  # fmt: skip


def _iso_days(days: np.ndarray) -> list[str]:
    """datetime64[D] as 'YYYY-MM-DD', '' when unknown: the page derives quarters and months from it."""
    text = np.datetime_as_string(days, unit="D")
    return ["" if np.isnat(d) else t for d, t in zip(days, text, strict=True)]
