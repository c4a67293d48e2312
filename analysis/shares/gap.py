"""Why our PyTorch share differs from Horace He's: the gap split by what we can measure, per venue-year.

A comparison that cannot disprove anything explains nothing, so each venue-year's gap
(ours - his) is split by four factors we measure for each counted paper, each a
contrast of two groups of papers:

- ``source``: the list that linked the paper, machine-extracted complete lists
  (papercopilot, from the papers' PDFs) against hand-curated ones;
- ``stars``: the repository's popularity, top against bottom tercile of its stars
  within the venue-year (where star counts are known);
- ``code_start``: code started after the conference's last day against by then;
- ``mixing``: repositories whose classification scores a second framework at
  :data:`MIXED_SHARE` or more of their framework evidence, against single-framework ones.

For each, the PyTorch share of both groups, their difference and its 95% interval
(Newcombe's hybrid score interval). A factor **moves the gap** when that interval
excludes 0: our share depends on it, so a population that differs from ours in it
lands elsewhere. It **does not** when both groups are measured and the interval holds
0, and it is **not measured** when a group has fewer than :data:`MIN_GROUP` papers.
The sentences are built from these numbers only, so they change when the data do.
Pure: DataFrames in, DataFrames out.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analysis.attribution.releases import paper_deadlines
from analysis.shares.intervals import wilson_bounds

FACTORS: dict[str, tuple[str, str, str]] = {
    "source": ("source list", "machine-extracted lists", "hand-curated lists"),
    "stars": ("popularity", "top star tercile", "bottom star tercile"),
    "code_start": ("code start", "code started after the conference", "code started by its end"),
    "mixing": ("mixing", "repositories mixing frameworks", "single-framework repositories"),
}
"""factor -> (name, group a, group b); differences are a - b."""
MIN_GROUP = 5
"""Papers a group needs before its share is compared."""
MIXED_SHARE = 0.2
"""A repository mixes frameworks when its runner-up framework holds at least this share of its scores."""
MACHINE_LISTS = ("papercopilot/",)
"""List sources extracted by machine from every paper of a venue (the rest are hand-curated)."""
CALIBRATION_LISTS = ("Chillee/pytorch-vs-tensorflow",)
"""Horace He's own lists: a venue-year drawn mostly from them has his population."""
FACTOR_COLUMNS = [f"{f}_{part}" for f in FACTORS for part in ("groups", "difference", "low", "high")]


def paper_factors(rows: pd.DataFrame, code_start: np.ndarray) -> pd.DataFrame:
    """Each counted paper's group under each factor (``a``, ``b`` or None).

    ``rows``: one row per counted item with ``venue``, ``year``, ``weight``, ``is_pytorch``
    and, when known, ``source_list``, ``n_stars``, ``scores``; ``code_start``
    the matching code start days.
    """
    out = rows[["venue", "year", "weight", "is_pytorch"]].copy()
    sources = rows["source_list"].astype("string") if "source_list" in rows else pd.Series(pd.NA, index=rows.index)
    known = sources.notna() & (sources.str.len() > 0)
    machine = sources.str.startswith(MACHINE_LISTS[0]).fillna(False)
    out["source"] = np.where(known, np.where(machine, "a", "b"), None)
    out["is_his_list"] = sources.str.startswith(CALIBRATION_LISTS[0]).fillna(False).to_numpy(bool)
    out["code_start"] = _code_start_groups(rows, code_start)
    out["mixing"] = [_mixing(s) for s in (rows["scores"] if "scores" in rows else [None] * len(rows))]
    out["stars"] = _star_terciles(out, pd.to_numeric(rows.get("n_stars"), errors="coerce"))
    return out


def _code_start_groups(rows: pd.DataFrame, code_start: np.ndarray) -> np.ndarray:
    end = pd.to_datetime(paper_deadlines(rows), errors="coerce")  # the conference's last day
    start = pd.to_datetime(pd.Series(code_start, index=rows.index), errors="coerce")
    return np.where(start.isna(), None, np.where(start > end, "a", "b"))


def _mixing(scores: object) -> str | None:
    if not isinstance(scores, str) or not scores:
        return None
    values = sorted((float(v) for v in json.loads(scores).values() if float(v) > 0), reverse=True)
    if not values:
        return None
    return "a" if len(values) > 1 and values[1] >= MIXED_SHARE * sum(values) else "b"


def _star_terciles(papers: pd.DataFrame, stars: pd.Series | None) -> np.ndarray:
    groups = np.full(len(papers), None, dtype=object)
    if stars is None:
        return groups
    stars = stars.reindex(papers.index)
    for _, index in papers.groupby(["venue", "year"]).groups.items():
        known = stars.loc[index].dropna()
        known = known[known >= 0]
        if len(known) < 3 * MIN_GROUP:
            continue
        low, high = known.quantile([1 / 3, 2 / 3])
        positions = papers.index.get_indexer(known.index)
        groups[positions] = np.where(known > high, "a", np.where(known <= low, "b", None))
    return groups


def factor_table(papers: pd.DataFrame) -> pd.DataFrame:
    """Per venue-year: each factor's groups in words, the difference a - b and its 95% interval (NaN: not measured)."""
    rows = []
    for (venue, year), group in papers.groupby(["venue", "year"], sort=True):
        row: dict[str, object] = {"venue": venue, "year": int(year),
                                  "is_calibration": bool(group["is_his_list"].mean() >= 0.5)}  # fmt: skip
        for factor in FACTORS:
            row.update(_contrast(group, factor))
        rows.append(row)
    return pd.DataFrame(rows, columns=["venue", "year", "is_calibration", *FACTOR_COLUMNS])


def _contrast(papers: pd.DataFrame, factor: str) -> dict[str, object]:
    _, name_a, name_b = FACTORS[factor]
    counts = {g: (float((part["weight"] * part["is_pytorch"]).sum()), float(part["weight"].sum()))
              for g, part in papers.groupby(factor)}  # fmt: skip
    (pt_a, n_a), (pt_b, n_b) = counts.get("a", (0.0, 0.0)), counts.get("b", (0.0, 0.0))
    words = "; ".join(f"{name} {pt / n:.0%} of {n:g}" for name, (pt, n) in ((name_a, (pt_a, n_a)),
                                                                             (name_b, (pt_b, n_b))) if n)  # fmt: skip
    out = {f"{factor}_groups": words, f"{factor}_difference": np.nan, f"{factor}_low": np.nan,
           f"{factor}_high": np.nan}  # fmt: skip
    if min(n_a, n_b) >= MIN_GROUP:
        low, high = newcombe(pt_a, n_a, pt_b, n_b)
        out.update({f"{factor}_difference": pt_a / n_a - pt_b / n_b, f"{factor}_low": low, f"{factor}_high": high})
    return out


def newcombe(successes_a: float, n_a: float, successes_b: float, n_b: float) -> tuple[float, float]:
    """Newcombe's hybrid score 95% interval for p_a - p_b (his method 10), from two Wilson intervals."""
    (low_a,), (high_a,) = wilson_bounds(np.array([successes_a]), np.array([n_a]))
    (low_b,), (high_b,) = wilson_bounds(np.array([successes_b]), np.array([n_b]))
    p_a, p_b = successes_a / n_a, successes_b / n_b
    return (p_a - p_b - float(np.hypot(p_a - low_a, high_b - p_b)),
            p_a - p_b + float(np.hypot(high_a - p_a, p_b - low_b)))  # fmt: skip


def moving_factors(row: pd.Series | dict) -> tuple[list[str], list[str], list[str]]:
    """(factors that move the gap, those that do not, those not measured) for one venue-year row."""
    moves, still, unknown = [], [], []
    for factor in FACTORS:
        low, high = row[f"{factor}_low"], row[f"{factor}_high"]
        if low != low or high != high:  # NaN: a group too small
            unknown.append(factor)
        elif low > 0 or high < 0:
            moves.append(factor)
        else:
            still.append(factor)
    return moves, still, unknown


def explain_gap(row: pd.Series | dict) -> str:
    """One sentence per venue-year naming the measured factors behind its gap, from its numbers."""
    moves, still, unknown = moving_factors(row)

    def said(factor: str) -> str:
        name = FACTORS[factor][0]
        difference = row[f"{factor}_difference"]
        if difference != difference:
            groups = row[f"{factor}_groups"]
            return f"{name} ({groups or 'no data'})"
        return (f"{name} ({row[f'{factor}_groups']}: {100 * difference:+.0f} pts, 95% CI "
                f"{100 * row[f'{factor}_low']:+.0f} to {100 * row[f'{factor}_high']:+.0f})")

    parts = [f"moves the gap: {'; '.join(map(said, moves))}" if moves else
             "no measured factor moves the gap"]  # fmt: skip
    if still:
        parts.append(f"does not: {'; '.join(map(said, still))}")
    if unknown:
        parts.append(f"not measured (a group under {MIN_GROUP} papers): {'; '.join(map(said, unknown))}")
    return ". ".join(parts)


def pooled_effects(table: pd.DataFrame) -> pd.DataFrame:
    """Each factor's difference pooled over the venue-years where it was measured (inverse-variance), with a 95% CI."""
    rows = []
    for factor, (name, group_a, group_b) in FACTORS.items():
        part = table.dropna(subset=[f"{factor}_difference"])
        if part.empty:
            rows.append((factor, name, group_a, group_b, 0, np.nan, np.nan, np.nan))
            continue
        se = ((part[f"{factor}_high"] - part[f"{factor}_low"]) / (2 * 1.96)).clip(lower=1e-6)
        weight = 1 / se**2
        effect = float((weight * part[f"{factor}_difference"]).sum() / weight.sum())
        half = 1.96 / float(np.sqrt(weight.sum()))
        rows.append((factor, name, group_a, group_b, len(part), effect, effect - half, effect + half))
    return pd.DataFrame(rows, columns=["factor", "name", "group_a", "group_b", "n_venue_years", "difference", "low",
                                       "high"])  # fmt: skip
