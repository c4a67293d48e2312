"""The one Wilson score interval of the codebase, and the Student t quantile its design-based use needs.

Every interval a report shows is a Wilson interval: of the plain counts where no sample
design is known, at the design's effective sample size where one is
(:mod:`analysis.shares.weights`). Fractional counts (papers split by a tie) are allowed.
"""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054
"""The standard normal's 97.5% quantile: two-sided 95% intervals."""


def wilson_interval(successes: float, total: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there is no data."""
    low, high = wilson_bounds(np.array([successes], float), np.array([total], float), z)
    return float(low[0]), float(high[0])


def wilson_bounds(successes: np.ndarray, totals: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson 95% bounds of ``successes / totals``; (0, 1) where the total is 0."""
    totals = np.asarray(totals, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(totals > 0, np.asarray(successes, float) / totals, 0.0)
    return wilson_at(p, totals, z)


def wilson_at(p: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson bounds for proportions ``p`` observed on (effective) sizes ``n``; any shape.

    ``n`` may be fractional or infinite (a census: the bounds are ``p``); ``n <= 0``
    gives (0, 1). The bounds always hold ``p`` (rounding could leave one a hair inside it).
    """
    p = np.clip(np.nan_to_num(np.asarray(p, float)), 0.0, 1.0)
    n = np.asarray(n, float)
    known = n > 0
    size = np.where(known & np.isfinite(n), n, 1.0)
    denom = 1 + z * z / size
    centre = (p + z * z / (2 * size)) / denom
    half = z * np.sqrt(np.maximum(p * (1 - p) / size + z * z / (4 * size * size), 0.0)) / denom
    census = known & ~np.isfinite(n)
    low = np.where(census, p, np.where(known, np.clip(centre - half, 0.0, None), 0.0))
    high = np.where(census, p, np.where(known, np.clip(centre + half, None, 1.0), 1.0))
    return np.minimum(low, p), np.maximum(high, p)


_T_EXACT = {1: 12.706204736174698, 2: 4.302652729749464, 3: 3.182446305284263}
"""t quantiles (97.5%) where the expansion below is not accurate enough."""


def t_quantile(df: np.ndarray) -> np.ndarray:
    """Student t's 97.5% quantile for ``df`` degrees of freedom (any shape; inf gives the normal's).

    Cornish-Fisher expansion in 1/df to the fourth term (Abramowitz and Stegun 26.7.5):
    within 1e-4 of the exact value from df = 4 on; df 1-3 are tabulated. Kept here so
    the core needs no scipy.
    """
    z = Z95
    df = np.asarray(df, float)
    terms = ((z**3 + z) / 4, (5 * z**5 + 16 * z**3 + 3 * z) / 96,
             (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
             (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160)  # fmt: skip
    safe = np.where(np.isfinite(df) & (df >= 1), df, np.inf)
    t = z + sum(g / safe ** (k + 1) for k, g in enumerate(terms))
    for exact_df, value in _T_EXACT.items():
        t = np.where(np.floor(df) == exact_df, value, t)
    return np.where(df < 1, _T_EXACT[1], t)
