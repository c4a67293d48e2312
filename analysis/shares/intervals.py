"""Wilson score intervals for shares, fractional counts allowed."""

from __future__ import annotations

import numpy as np


def wilson_interval(successes: float, total: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there is no data."""
    low, high = wilson_bounds(np.array([successes], float), np.array([total], float), z)
    return float(low[0]), float(high[0])


def wilson_bounds(successes: np.ndarray, totals: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson 95% bounds; fractional counts (fractional papers) are allowed."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(totals > 0, successes / totals, 0.0)
        n = np.where(totals > 0, totals, 1.0)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(np.maximum(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / denom
    low = np.where(totals > 0, np.clip(centre - half, 0.0, None), 0.0)
    high = np.where(totals > 0, np.clip(centre + half, None, 1.0), 1.0)
    # Rounding can leave the bound a hair inside the point estimate at p = 0 or 1.
    return np.minimum(low, p), np.maximum(high, p)
