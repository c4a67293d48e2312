"""Share tables whose shares and intervals come from the sample's design (:mod:`analysis.shares.weights`).

A share table (:func:`analysis.shares.tables.share_table`) counts the papers chosen; with
a design, its ``share``, ``share_low`` and ``share_high`` become the design-based estimate
of the population the design names, and ``response_rate`` says how many drawn papers'
code was read. ``n_items`` / ``n_total`` stay the sample's counts. The design applies on
the venue-year axis, where each period is a set of whole strata; the other axes count
the papers as they are (plain Wilson intervals). Every report series and the page's
payload call :func:`design_share_table`, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.classifier.taxonomy import NONE, UNCLASSIFIED, fold_labels
from analysis.shares.implementations import Implementations
from analysis.shares.tables import ShareSpec, keep_rows, share_table
from analysis.shares.weights import SampleDesign, as_design, design_estimates

NO_LABEL = "\x00"
"""The label of a zero (a drawn paper none of whose links is its own code): no framework, never unread."""


def design_share_table(data: Implementations, items: pd.DataFrame, spec: ShareSpec,
                       design: SampleDesign | pd.DataFrame | None, by_venue: bool = False,
                       venues: Sequence[str] | None = None, main_only: bool = False) -> pd.DataFrame:  # fmt: skip
    """:func:`share_table` of ``items`` (from ``select_items(data, spec, venues)``), design-based where it applies.

    ``main_only``: the items were restricted to main-conference papers, so workshop
    papers are not zeros either.
    """
    table = share_table(items, spec, by_venue=by_venue)
    design = as_design(design)
    if design is None or spec.axis != "venue-year" or table.empty:
        return table
    keys = ["period", "venue"] if by_venue else ["period"]
    units = design_units(data, items, spec, venues, by_venue, main_only)
    base = _base_labels(units["label"], spec.base)
    unread = UNCLASSIFIED if spec.base == "frameworks" else NO_LABEL
    estimates = design_estimates(units, design, sorted(table["framework"].unique()), base, unread)
    parts = estimates["group"].astype(str).str.split("|", expand=True) if len(estimates) else None
    for i, key in enumerate(keys):
        estimates[key] = parts[i].to_numpy() if parts is not None else pd.Series(dtype=object)
    merged = table.drop(columns=["share", "share_low", "share_high"]).merge(
        estimates[[*keys, "framework", "share", "share_low", "share_high", "response_rate"]],
        on=[*keys, "framework"], how="left")  # fmt: skip
    return merged[[*table.columns, "response_rate"]].reset_index(drop=True)


def design_units(data: Implementations, items: pd.DataFrame, spec: ShareSpec, venues: Sequence[str] | None,
                 by_venue: bool, main_only: bool = False,
                 allowed: np.ndarray | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per counted item and one per zero: ``UNIT_COLUMNS`` plus the stratum keys (venue, year, and any
    ``sample_*`` stratum columns the frame carries). Labels are folded to the spec's view.

    ``allowed``: a mask over the frame's rows; papers outside it are not zeros either (the
    items were restricted the same way, e.g. the comparison's conference-list papers).
    """
    rows = items["row"].to_numpy()
    labels = fold_labels(items["label"], spec.view).astype(str).to_numpy()
    counted = _unit_frame(data, rows, items["paper_code"].to_numpy(), labels, items["weight"].to_numpy(float), by_venue)
    candidates = keep_rows(data, spec.with_(include_ports=True, scope="all"), venues)
    if main_only:
        candidates = candidates[~data.is_workshop[candidates]]
    if allowed is not None:
        candidates = candidates[allowed[candidates]]
    candidates = candidates[~np.isnan(data.year[candidates])]
    zero_papers, first = np.unique(data.paper[candidates], return_index=True)
    missing = ~np.isin(zero_papers, items["paper_code"].to_numpy())
    zero_rows = candidates[first[missing]]
    zeros = _unit_frame(data, zero_rows, zero_papers[missing], np.full(len(zero_rows), NO_LABEL, dtype=object),
                        np.zeros(len(zero_rows)), by_venue).assign(is_zero=True)  # fmt: skip
    return pd.concat([counted, zeros], ignore_index=True)


STRATUM_PREFIX = "sample_"
"""Columns of the implementations frame named ``sample_<key>`` carry a sample's further stratum keys."""


def _unit_frame(data: Implementations, rows: np.ndarray, papers: np.ndarray, labels: np.ndarray,
                weights: np.ndarray, by_venue: bool) -> pd.DataFrame:  # fmt: skip
    venue = np.asarray(data.venue_names + ("",), dtype=object)[data.venue[rows]]
    year = data.year[rows].astype(np.int64).astype(str) if len(rows) else np.zeros(0, dtype=object)
    frame = pd.DataFrame({"paper": papers, "group": year + ("|" + venue if by_venue else ""), "label": labels,
                          "weight": weights, "is_zero": False, "venue": venue, "year": year})  # fmt: skip
    for column in data.frame.columns:
        if column.startswith(STRATUM_PREFIX):
            frame[column.removeprefix(STRATUM_PREFIX)] = data.frame[column].to_numpy(dtype=object)[rows]
    return frame


def _base_labels(labels: pd.Series, base: str) -> list[str]:
    names = set(labels.astype(str)) - {NO_LABEL}
    return sorted(names if base == "all" else names - {NONE, UNCLASSIFIED})
