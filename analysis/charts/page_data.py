"""The data behind report.html's interactive chart, as plain JSON-able lists.

One payload holds, for each axis/frequency the page offers, the share series of the
report's whole selection and of each venue in it with enough papers (the same tables
the CSVs hold, rounded as the CSVs are), the notable crossovers, every period from the
first to the last (time evenly spaced), the frameworks' styles, and the per-paper table
the page lists when a period is clicked. It is built from the report's own selection
(its venues, and own code only or every implementation), so each report variant carries
its own numbers. Columns are sent as parallel arrays with repeated strings as codes,
which keeps the page small. Pure: DataFrames in, dicts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.charts.style import full_periods, page_styles
from analysis.classifier.taxonomy import order_labels
from analysis.shares.crossovers import find_crossovers
from analysis.shares.estimates import design_share_table
from analysis.shares.implementations import prepare_implementations
from analysis.shares.papers import MIN_VENUE_PAPERS, mark_notable_crossovers, venues_with_enough
from analysis.shares.series import MIN_COUNT, ShareSpec, select_items, share_table

VIEWS: tuple[tuple[str, str], ...] = (
    ("venue-year", "year"), ("paper-date", "year"), ("paper-date", "quarter"), ("paper-date", "month"),
    ("repo-created", "year"), ("repo-created", "quarter"),
)  # fmt: skip
VIEW_LABELS = {"venue-year": "conference year", "paper-date": "paper date", "repo-created": "repository creation"}


def explorer_payload(frame: pd.DataFrame | object, axis: str, freq: str, venues: Sequence[str] | None = None,
                     min_count: int = MIN_COUNT, strata: pd.DataFrame | None = None,
                     include_ports: bool = False) -> dict[str, Any]:  # fmt: skip
    """Everything the page's script draws from; the report's own axis/frequency comes first.

    ``venues`` and ``include_ports`` are the report's selection: the payload holds that
    selection's numbers and papers only. ``strata``: a stratified sample's, so the
    venue-year shares of the whole selection are the same population estimates as the
    report's series (analysis.shares.weights); the payload says which tables are weighted.
    """
    data = prepare_implementations(frame)  # type: ignore[arg-type]
    own = ShareSpec(axis=axis, freq=freq, min_count=min_count, include_ports=include_ports)
    kept, others = venues_with_enough(share_table(select_items(data, own, venues), own, by_venue=True))
    if venues and len(venues) == 1:
        kept = []  # a one-venue report: its whole selection is that venue, offered once
    wanted = [(axis, freq), *[v for v in VIEWS if v != (axis, freq)]]
    views = [_view(data, own.with_(axis=a, freq=f), venues, kept, strata) for a, f in wanted]
    papers = _papers(data, venues, include_ports)
    frameworks = order_labels({*papers.pop("_labels"), *[fw for v in views for fw in v.pop("_labels")]})
    for view in views:
        view["shares"] = {k: _encode_rows(t, frameworks) for k, t in view["shares"].items()}
        view["all"] = {k: _encode_rows(t, frameworks) for k, t in view["all"].items()}
    papers["label"] = [frameworks.index(x) for x in papers["label"]]
    scope = " + ".join(venues) if venues else "All venues"
    return {"frameworks": frameworks, "styles": page_styles(frameworks), "scope": scope,
            "include_ports": include_ports, "venues": kept, "other_venues": others if not venues else {},
            "min_count": min_count, "min_venue_papers": MIN_VENUE_PAPERS, "views": views, "papers": papers}  # fmt: skip


def _view(data: Any, spec: ShareSpec, venues: Sequence[str] | None, kept: list[str],
          strata: pd.DataFrame | None = None) -> dict[str, Any]:  # fmt: skip
    items = select_items(data, spec, venues)
    label = VIEW_LABELS[spec.axis] + ("" if spec.axis == "venue-year" else f", by {spec.freq}")
    weighted = spec.axis == "venue-year" and strata is not None and not strata.empty
    view: dict[str, Any] = {"axis": spec.axis, "freq": spec.freq, "label": label, "weighted": weighted,
                            "periods": full_periods(str(p) for p in items["period"].cat.categories),
                            "shares": {}, "all": {}, "crossovers": []}  # fmt: skip
    # One by-venue table per base, split afterwards: far cheaper than a table per venue.
    for key, base in (("shares", "frameworks"), ("all", "all")):
        variant = spec.with_(base=base)
        view[key][""] = design_share_table(data, items, variant, strata, venues=venues)
        if key == "shares" and len(view[key][""]):
            passes = mark_notable_crossovers(find_crossovers(view[key][""]), view[key][""])
            view["crossovers"] = [[str(r.period), str(r.framework), str(r.passed), _g(r.share)]
                                  for r in passes[passes["is_notable"].astype(bool)].itertuples(index=False)]
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


def _papers(data: Any, venues: Sequence[str] | None, include_ports: bool = False) -> dict[str, Any]:
    """Counted papers with what the page needs to place them on any axis: year, paper date, repository date.

    Which implementation a paper counts does not depend on the axis (it is chosen before
    periods are assigned), so the union over the three axes has one entry per counted row.
    """
    specs = [ShareSpec(axis=a, include_ports=include_ports) for a in ("venue-year", "paper-date", "repo-created")]
    chosen = pd.concat([select_items(data, s, venues) for s in specs]).drop_duplicates("row").sort_values("row")
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
