"""Population-weighted shares for a sample stratified by cells of (venue, year, source, title).

Why this exists: the bundled sample draws a different fraction of each venue-year
(80 of CVPR 2018's 379 links, 27 of a whole small year), so a plain count over all
venues would estimate a population that has the sample's venue mix, not the lists'.
Each stratum h is a cell (venue, year, source stratum, title stratum) and a simple
random sample of n_h of its N_h links (N_h: the links the source lists hold for it,
recorded with the sample). The source stratum says which kind of list a link comes
from (``conference``-wide lists or ``topic`` lists of deep-learning work), the title
stratum whether the title reads like deep learning (:mod:`analysis.shares.title_strata`,
2014-2017 only; ``all`` otherwise). Items carry their cell key in a ``stratum``
column (``venue|year|source|title``); items without one, and strata tables of the
older (venue, year) form, fall back to the conference-list cell of every title. A share
among papers whose code uses a framework is a ratio of two stratum totals:

    R = sum_h N_h * ybar_h / sum_h N_h * xbar_h

with y = 1 for an item of the framework and x = 1 for an item that counts in the
base (for base ``frameworks``: any framework; none and unclassified count in n_h but
are x = 0). Its variance is the linearised ratio variance of a stratified design
with the finite population correction:

    V(R) = sum_h N_h^2 (1 - n_h / N_h) s_h^2(d) / n_h / X^2,   d = y - R x

and the 95% interval is Wilson's score interval at the effective sample size
n_eff = R (1 - R) / V(R) (the Korn-Graubard idea without its degrees-of-freedom
adjustment), so it stays inside [0, 1] and is not degenerate at R = 0 or 1 (there
n_eff is the number of base items); a census of every stratum has no interval
width. A stratum with no recorded N_h is taken as a census (N_h = n_h). Per-venue
series need none of this: on the venue-year axis each of their periods is one
stratum, whose simple random sample estimates it unweighted.

Pure: DataFrames in, DataFrames out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.classifier.taxonomy import NONE, UNCLASSIFIED, fold_labels

STRATA_COLUMNS = ["venue", "year", "source_stratum", "title_stratum", "n_population"]
DEFAULT_CELL = {"source_stratum": "conference", "title_stratum": "all"}


def stratum_key(venue: object, year: object, source_stratum: object, title_stratum: object) -> str:
    """The cell key ``venue|year|source|title`` that strata and items share."""
    return f"{venue}|{int(float(str(year)))}|{source_stratum}|{title_stratum}"
ESTIMATE_COLUMNS = ["share", "share_low", "share_high", "n_effective"]


def wilson(p: float, n: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score bounds for a proportion ``p`` observed on ``n`` (possibly fractional) items."""
    if n <= 0:
        return 0.0, 1.0
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / denom
    return min(max(centre - half, 0.0), p), max(min(centre + half, 1.0), p)


def stratified_ratio(units: pd.DataFrame, population: dict[str, float], z: float = 1.96) -> tuple[float, ...]:
    """(R, low, high, n_eff) of sum(y)/sum(x) over strata; ``units`` has columns stratum, y, x, w.

    ``w`` is each unit's weight within its paper (ties split a paper), so a stratum's
    n_h is the sum of ``w``; ``population`` maps a stratum to N_h. Vectorised with
    ``np.bincount`` over stratum codes (the coverage test calls it hundreds of times).
    """
    names, codes = np.unique(units["stratum"].to_numpy(dtype=str), return_inverse=True)
    w, y, x = (units[c].to_numpy(float) for c in ("w", "y", "x"))
    n = np.bincount(codes, weights=w, minlength=len(names))
    big_n = np.maximum([population.get(str(h), n_h) for h, n_h in zip(names, n, strict=True)], n)
    total_y = float((big_n * np.bincount(codes, weights=w * y, minlength=len(names)) / n).sum())
    total_x = float((big_n * np.bincount(codes, weights=w * x, minlength=len(names)) / n).sum())
    if total_x <= 0:
        return float("nan"), 0.0, 1.0, 0.0
    ratio = total_y / total_x
    d = y - ratio * x
    mean_d = np.bincount(codes, weights=w * d, minlength=len(names)) / n
    squares = np.bincount(codes, weights=w * (d - mean_d[codes]) ** 2, minlength=len(names))
    s2 = np.where(n > 1, squares / np.maximum(n - 1, 1e-12), 0.0)
    variance = float((big_n**2 * (1 - n / big_n) * s2 / n).sum()) / total_x**2
    if bool((n >= big_n).all()):  # a census of every stratum: no sampling error at all
        return ratio, ratio, ratio, float("inf")
    n_base = float((w * x).sum())
    n_eff = ratio * (1 - ratio) / variance if variance > 0 else n_base
    low, high = wilson(ratio, n_eff, z)
    return ratio, float(low), float(high), float(n_eff)


def strata_population(strata: pd.DataFrame) -> dict[str, float]:
    """``{"venue|year|source|title": N_h}`` from a strata table (columns ``STRATA_COLUMNS``).

    A table without the stratum columns (one row per venue-year) gets the default cell.
    """
    full = strata.assign(**{c: v for c, v in DEFAULT_CELL.items() if c not in strata.columns})
    return {stratum_key(v, y, s, t): float(n) for v, y, s, t, n in full[STRATA_COLUMNS].itertuples(index=False)}


def item_strata(items: pd.DataFrame) -> np.ndarray:
    """Each item's cell key: its ``stratum`` column where set, else the venue-year's default cell."""
    default = (items["venue"].astype(str) + "|" + items["period"].astype(str) + "|"
               + DEFAULT_CELL["source_stratum"] + "|" + DEFAULT_CELL["title_stratum"]).to_numpy()  # fmt: skip
    if "stratum" not in items.columns:
        return default
    given = items["stratum"].astype(object).to_numpy()
    return np.where(pd.isna(given), default, given).astype(str)


def weighted_shares(items: pd.DataFrame, base_labels: list[str], strata: pd.DataFrame,
                    frameworks: list[str]) -> pd.DataFrame:  # fmt: skip
    """The stratified estimate of each framework's share per period, on the venue-year axis.

    ``items``: columns period, venue, label (folded), weight, optionally stratum. ``base_labels``: the
    labels that count in the base. Returns period, framework and ``ESTIMATE_COLUMNS``.
    """
    population = strata_population(strata)
    units = pd.DataFrame({
        "period": items["period"].astype(str).to_numpy(),
        "stratum": item_strata(items),
        "label": items["label"].astype(str).to_numpy(), "w": items["weight"].to_numpy(float),
    })  # fmt: skip
    units["x"] = units["label"].isin(base_labels).astype(float)
    rows = []
    for period, group in units.groupby("period", sort=True):
        for framework in frameworks:
            if not (group["label"] == framework).any():
                continue
            one = group.assign(y=(group["label"] == framework).astype(float))
            rows.append((period, framework, *stratified_ratio(one, population)))
    return pd.DataFrame(rows, columns=["period", "framework", *ESTIMATE_COLUMNS])


def apply_weights(table: pd.DataFrame, items: pd.DataFrame, base_labels: list[str],
                  strata: pd.DataFrame | None) -> pd.DataFrame:  # fmt: skip
    """Replace an all-venue share table's share and bounds by the stratified estimates.

    ``n_items``/``n_total`` stay the sample's counts (what the estimate rests on);
    ``share`` is no longer their ratio but the population estimate. Without strata
    the table is returned unchanged.
    """
    if strata is None or strata.empty or table.empty:
        return table
    estimates = weighted_shares(items, base_labels, strata, sorted(table["framework"].unique()))
    merged = table.drop(columns=["share", "share_low", "share_high"]).merge(
        estimates.drop(columns="n_effective"), on=["period", "framework"], how="left")
    return merged[table.columns].reset_index(drop=True)


def weight_share_table(table: pd.DataFrame, items: pd.DataFrame, view: str, base: str,
                       strata: pd.DataFrame | None) -> pd.DataFrame:  # fmt: skip
    """An all-venue venue-year share table (``analysis.shares.series.share_table``) with population weights.

    Folds labels as the table did (``view``) and counts in the base what it did
    (``base``: ``frameworks`` leaves none and unclassified out of the denominator).
    """
    if strata is None or strata.empty:
        return table
    labels = fold_labels(items["label"], view)
    names = [str(x) for x in labels.cat.categories]
    base_labels = [x for x in names if base == "all" or x not in (NONE, UNCLASSIFIED)]
    return apply_weights(table, items.assign(label=labels.astype(str)), base_labels, strata)
