"""Market share of each framework per period, with counts, denominators and intervals.

Input is one row per (paper, repository) with the repository's framework; output
is one row per (period, framework). Pure: DataFrames in, DataFrames out.
"""

from __future__ import annotations

import math

import pandas as pd

MIN_COUNT = 10
"""Periods with fewer classified items than this are flagged ``is_thin``."""


def wilson_interval(successes: float, total: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there is no data."""
    if total <= 0:
        return 0.0, 1.0
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def period_of(frame: pd.DataFrame, axis: str = "venue-year", freq: str = "year") -> pd.Series:
    """The period label of each row for the chosen time axis and frequency."""
    if axis == "venue-year":
        return frame["year"].astype("Int64").astype("string")
    column = {"paper-date": "published_date", "repo-created": "repo_created_at"}[axis]
    dates = pd.to_datetime(frame[column], errors="coerce")
    code = {"month": "M", "quarter": "Q", "year": "Y"}[freq]
    return dates.dt.to_period(code).astype("string")


def framework_shares(links: pd.DataFrame, axis: str = "venue-year", freq: str = "year",
                     min_count: int = MIN_COUNT) -> pd.DataFrame:  # fmt: skip
    """Share of each framework per period among classified paper implementations.

    A paper with several implementations counts once: each of its k repositories
    carries weight 1/k, so every paper weighs the same.
    """
    frame = links.dropna(subset=["framework"]).copy()
    frame["period"] = period_of(frame, axis, freq)
    frame = frame.dropna(subset=["period"])
    frame["weight"] = 1.0 / frame.groupby("paper_id")["repo_key"].transform("count")
    counts = frame.groupby(["period", "framework"], as_index=False)["weight"].sum()
    counts = counts.rename(columns={"weight": "n"})
    totals = counts.groupby("period")["n"].transform("sum")
    counts["n_total"] = totals
    counts["share"] = counts["n"] / totals
    bounds = [wilson_interval(n, t) for n, t in zip(counts["n"], counts["n_total"], strict=True)]
    counts["ci_low"] = [b[0] for b in bounds]
    counts["ci_high"] = [b[1] for b in bounds]
    counts["is_thin"] = counts["n_total"] < min_count
    return counts.sort_values(["period", "framework"]).reset_index(drop=True)
