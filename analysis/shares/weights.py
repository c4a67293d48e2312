"""Design-based shares: which population each number describes, and an interval that covers it.

A sample's share is an estimate of a population's, and which population depends on how
the papers were drawn (:class:`SampleDesign`):

- **superpopulation** (``finite=False``, the bundled sample): the source lists are a
  convenience subset of each venue-year's papers with code (58 ICLR 2019 links of about
  500 papers), so a venue-year's numbers describe its papers with code, of which the
  list is taken as a random part, and the all-venue numbers weight each stratum by the
  links the lists hold for it (N_h). The variance is the with-replacement one: no
  finite-population correction, which would describe the lists, not the venues.
- **finite population** (``finite=True``): a draw from a source that enumerates a
  venue-year's papers with code (the archive, the catalog; the budgeted refresh): the
  numbers describe those N_h papers, and the correction 1 - r_h/N_h applies.

The unit is the paper, and each stratum h is a simple random sample of n_h of its N_h
papers (its key: any columns of the strata table besides ``n_population`` and
``n_drawn``). The bundled sample's strata are **cells** (venue, year, source_stratum,
title_stratum; issue 25): which kind of list a link comes from (``conference``-wide or
``topic`` lists of deep-learning work) and, in 2014-2017, whether its title reads like
deep learning (``dl``/``other``, :mod:`analysis.shares.title_strata`; ``all`` otherwise),
each cell drawn at its own rate. Papers carry their cell in ``sample_source_stratum`` /
``sample_title_stratum`` columns (``flows.store.queries.with_sample_cells``), so every
estimate stratifies by the full cell; a key column the units lack is summed over in the
strata table (:func:`stratum_codes`). Of the n_h
drawn, r_h *responded*: their code was read (classified), or every link was excluded as
not the paper's code (later-port, suspect): those are **zeros** (y = x = 0), not dropped.
The rest are **non-response** (repository missing, never fetched, failed), missing at
random within the stratum: respondents carry weight W_h = N_h / r_h, and the response
rate is reported beside each number. A share of framework f in group g (a year, or a
venue-year) among papers whose code uses a framework is the ratio

    R = sum_h W_h sum_i y_i / sum_h W_h sum_i x_i      (i: respondents of h in g)

with y_i the paper's weight under f (1, or a tie's fraction) and x_i its weight in the
base. Its linearised variance, d_i = y_i - R x_i (0 outside g), is

    V = sum_h N_h^2 (1 - f_h) s_h^2(d) / r_h / X^2,   f_h = r_h / N_h (finite) or 0

and a stratum with one respondent (no s_h^2) contributes N_h^2 d_i^2, its deviation from
the overall mean of d (which is 0): conservative, as R survey's ``lonely.psu="adjust"``.
The 95% interval is Wilson's at the effective size n_eff = R (1 - R) / V, never above
the base items' count n_x / (1 - f) (the design does not beat a simple random sample of
its own base), times Korn and Graubard's degrees-of-freedom ratio (t_{n_x-1} / t_{n_x-H})^2
for H strata; at R = 0 or 1, where no variance can be estimated, Kish's effective size
of the base items. A coverage simulation checks the result (tests/analysis/shares/test_coverage.py).

Pure: arrays and DataFrames in, the same out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.shares.intervals import Z95, t_quantile, wilson_at

COUNT_COLUMNS = ("n_population", "n_drawn")
ESTIMATE_COLUMNS = ["share", "share_low", "share_high", "n_effective", "response_rate"]
UNIT_COLUMNS = ["paper", "group", "label", "weight", "is_zero"]
"""What :func:`design_estimates` reads per unit, besides the design's key columns."""


@dataclass(frozen=True)
class SampleDesign:
    """How the papers were drawn: one row per stratum (key columns, ``n_population``, ``n_drawn``).

    ``finite``: the source enumerates each stratum's N_h papers (correction applied);
    otherwise the strata's papers with code are a superpopulation (see the module docstring).
    A strata table without ``n_drawn`` counts the papers present as drawn.
    """

    strata: pd.DataFrame
    finite: bool = False

    @property
    def key_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.strata.columns if c not in COUNT_COLUMNS)

    def describe(self) -> str:
        """Which population the numbers describe, in one sentence."""
        if self.finite:
            return ("the source's papers with code in each stratum (finite population: N of the source's M papers, "
                    "finite-population correction applied)")  # fmt: skip
        return ("each venue-year's papers with code, of which the source lists are taken as a random part "
                "(superpopulation: no finite-population correction); each stratum (a venue-year, or a cell of one) "
                "weighs by the links the lists hold for it")  # fmt: skip


def as_design(strata: SampleDesign | pd.DataFrame | None) -> SampleDesign | None:
    """A design from a strata table (the bundled sample's: superpopulation) or as given; None stays None."""
    if strata is None or isinstance(strata, SampleDesign):
        return strata
    return SampleDesign(strata) if len(strata) else None


# --- the estimator on stratum sums ------------------------------------------------


@dataclass(frozen=True)
class StratumSums:
    """Respondents' sums per (group, stratum), any leading shape (frameworks, simulated draws).

    ``big_n``, ``responded``: (..., H); ``sy``, ``sx``, ``syy``, ``sxx``, ``sxy``: (..., G, H),
    the sums of y, x, y^2, x^2 and x*y over the respondents of stratum h in group g.
    """

    big_n: np.ndarray
    responded: np.ndarray
    sy: np.ndarray
    sx: np.ndarray
    syy: np.ndarray
    sxx: np.ndarray
    sxy: np.ndarray


@dataclass(frozen=True)
class Estimates:
    """Per group (..., G): the share, its 95% bounds, the effective size and the variance."""

    share: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_effective: np.ndarray
    variance: np.ndarray


def ratio_estimates(sums: StratumSums, finite: bool = False, z: float = Z95) -> Estimates:
    """The stratified ratio estimate, its variance and Wilson interval (module docstring)."""
    big_n = np.asarray(sums.big_n, float)[..., None, :]
    r = np.asarray(sums.responded, float)[..., None, :]
    weight = np.divide(big_n, r, out=np.zeros(np.broadcast(big_n, r).shape), where=r > 0)
    total_x = (weight * sums.sx).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total_x > 0, (weight * sums.sy).sum(-1) / total_x, np.nan)
        ratio = np.nan_to_num(share)[..., None]
        sum_d = sums.sy - ratio * sums.sx
        sum_dd = np.maximum(sums.syy - 2 * ratio * sums.sxy + ratio**2 * sums.sxx, 0.0)
        s2 = np.where(r > 1, np.maximum(sum_dd - sum_d**2 / np.maximum(r, 1), 0.0) / np.maximum(r - 1, 1), 0.0)
        per_unit = np.where(r > 1, s2 / np.maximum(r, 1), np.where(r == 1, sum_dd, 0.0))
        fraction = np.minimum(r / np.where(big_n > 0, big_n, np.inf), 1.0) if finite else np.zeros_like(r)
        variance = (big_n**2 * (1 - fraction) * per_unit).sum(-1) / total_x**2
    n_effective = _effective_size(share, variance, sums, weight, fraction)
    low, high = wilson_at(share, n_effective, z)
    return Estimates(share, low, high, n_effective, variance)


def _effective_size(share: np.ndarray, variance: np.ndarray, sums: StratumSums, weight: np.ndarray,
                    fraction: np.ndarray) -> np.ndarray:  # fmt: skip
    """Wilson's n: R(1-R)/V capped at the base count (over 1 - f), with the df ratio; Kish's at R = 0 or 1."""
    in_group = sums.sx > 0
    n_x = sums.sx.sum(-1)
    n_strata = in_group.sum(-1)
    r_in = np.where(in_group, np.asarray(sums.responded, float)[..., None, :], 0.0).sum(-1)
    big_n_in = np.where(in_group, np.asarray(sums.big_n, float)[..., None, :], 0.0).sum(-1)
    f_group = np.divide(r_in, big_n_in, out=np.zeros_like(r_in), where=big_n_in > 0) if fraction.any() \
        else np.zeros_like(r_in)  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = 1 / np.maximum(1 - np.minimum(f_group, 1.0), 0.0)  # inf for a complete census
        kish = (weight * sums.sx).sum(-1) ** 2 / (weight**2 * sums.sxx).sum(-1) * spread
        estimated = (variance > 0) & (share > 0) & (share < 1)
        design = np.minimum(share * (1 - share) / np.where(estimated, variance, 1.0), n_x * spread)
        df_ratio = (t_quantile(np.maximum(n_x - 1, 0)) / t_quantile(np.maximum(n_x - n_strata, 0))) ** 2
        n_eff = np.where(estimated, design * df_ratio, np.where(variance > 0, np.minimum(kish, n_x * spread),
                                                                  np.where(np.isfinite(spread), kish, np.inf)))
    return np.where(np.isnan(share) | (n_x <= 0), 0.0, np.nan_to_num(n_eff, nan=0.0, posinf=np.inf))


# --- from units (one row per paper and group) to estimates ----------------------------


def stratum_codes(units: pd.DataFrame, design: SampleDesign) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each unit's stratum code, N_h, n_h drawn) for the design's key columns the units carry.

    Key columns the units lack are summed over in the strata table (a design by cells,
    units by venue-year: the venue-year's cells together). A stratum the table lacks is
    self-weighting: N_h = n_h = the papers present.
    """
    keys = [c for c in design.key_columns if c in units.columns]
    table = design.strata.assign(n_drawn=design.strata.get("n_drawn", np.nan))
    table = table.groupby(keys, as_index=False, dropna=False)[list(COUNT_COLUMNS)].sum(min_count=1)
    unit_keys = units[keys].astype(str)
    codes, uniques = pd.MultiIndex.from_frame(unit_keys).factorize()
    index = pd.MultiIndex.from_frame(table[keys].astype(str))
    found = index.get_indexer(uniques)
    present = pd.Series(units["paper"].to_numpy()).groupby(codes).nunique().reindex(range(len(uniques)), fill_value=0)
    present = present.to_numpy(float)
    big_n = np.where(found >= 0, table["n_population"].to_numpy(float)[found], np.nan)
    drawn = np.where(found >= 0, table["n_drawn"].to_numpy(float)[found], np.nan)
    drawn = np.fmax(np.where(np.isnan(drawn), present, drawn), present)
    return codes, np.where(np.isnan(big_n), drawn, np.maximum(big_n, drawn)), drawn


def design_estimates(units: pd.DataFrame, design: SampleDesign, frameworks: list[str], base_labels: list[str],
                     unread: str) -> pd.DataFrame:  # fmt: skip
    """One row per (group, framework) with ``ESTIMATE_COLUMNS``; ``group`` as the units carry it.

    ``units``: ``UNIT_COLUMNS`` plus the design's key columns. A paper responded when it is
    a zero (``is_zero``: every link excluded) or has a label other than ``unread`` (the
    label of code not read; pass one no unit has to count every unit as read).
    """
    codes, big_n, drawn = stratum_codes(units, design)
    paper = units["paper"].to_numpy()
    read = units["is_zero"].to_numpy(bool) | (units["label"].astype(str).to_numpy() != unread)
    responded = pd.Series(read).groupby(paper).transform("any").to_numpy(bool)
    n_strata = len(big_n)
    r_h = pd.Series(paper[responded]).groupby(codes[responded]).nunique().reindex(range(n_strata), fill_value=0)
    groups, group_names = pd.factorize(units["group"], sort=True)
    live = responded & ~units["is_zero"].to_numpy(bool) & (groups >= 0)
    sums, names = _moments(units[live], codes[live], groups[live], len(group_names), n_strata, frameworks,
                           base_labels)  # fmt: skip
    estimates = ratio_estimates(StratumSums(big_n, r_h.to_numpy(float), *sums), design.finite)
    rate = _response_rate(paper, groups, codes, responded, drawn, len(group_names))
    rows = [(group_names[g], names[k], estimates.share[k, g], estimates.low[k, g], estimates.high[k, g],
             estimates.n_effective[k, g], rate[g])
            for k in range(len(names)) for g in range(len(group_names)) if sums[1][g].sum() > 0]  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "framework", *ESTIMATE_COLUMNS])


def _moments(units: pd.DataFrame, codes: np.ndarray, groups: np.ndarray, n_groups: int, n_strata: int,
             frameworks: list[str], base_labels: list[str]) -> tuple[tuple[np.ndarray, ...], list[str]]:  # fmt: skip
    """(sy, sx, syy, sxx, sxy) per (framework, group, stratum) over the respondents, each unit aggregated per
    (paper, group) first: a paper split by a tie is one unit with fractional y."""
    labels = units["label"].astype(str).to_numpy()
    names = list(frameworks)
    pieces, piece_keys = pd.factorize(pd.MultiIndex.from_arrays([units["paper"].to_numpy(), groups]))
    cell = np.zeros(len(piece_keys), dtype=np.int64)
    cell[pieces] = groups * n_strata + codes
    w = units["weight"].to_numpy(float)
    x = np.bincount(pieces, weights=w * np.isin(labels, base_labels), minlength=len(piece_keys))
    y = np.stack([np.bincount(pieces, weights=w * (labels == f), minlength=len(piece_keys)) for f in names]) \
        if names else np.zeros((0, len(piece_keys)))  # fmt: skip
    size = n_groups * n_strata

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(cell, weights=values, minlength=size).reshape(n_groups, n_strata)

    sx, sxx = total(x), total(x * x)
    sy = np.stack([total(v) for v in y]) if names else np.zeros((0, n_groups, n_strata))
    syy = np.stack([total(v * v) for v in y]) if names else sy
    sxy = np.stack([total(v * x) for v in y]) if names else sy
    return (sy, sx, syy, sxx, sxy), names


def _response_rate(paper: np.ndarray, groups: np.ndarray, codes: np.ndarray, responded: np.ndarray,
                   drawn: np.ndarray, n_groups: int) -> np.ndarray:  # fmt: skip
    """Per group: papers read / papers drawn, counting a stratum's drawn-but-absent papers in its group."""
    first = pd.DataFrame({"paper": paper, "group": groups, "code": codes, "read": responded}).drop_duplicates("paper")
    first = first[first["group"] >= 0]
    present = first.groupby("code")["paper"].size()
    absent = pd.Series(drawn).sub(present.reindex(range(len(drawn)), fill_value=0), fill_value=0).clip(lower=0)
    home = first.groupby("code")["group"].first()
    missing = np.bincount(home.to_numpy(), weights=absent.reindex(home.index).to_numpy(), minlength=n_groups)
    read = np.bincount(first["group"], weights=first["read"].astype(float), minlength=n_groups)
    seen = np.bincount(first["group"], minlength=n_groups) + missing
    return np.divide(read, seen, out=np.ones(n_groups), where=seen > 0)
