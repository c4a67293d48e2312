"""Periods of the share series: conference year, or the paper's / repository's date by year, quarter, month."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis.shares.implementations import Implementations, prepare_implementations


def period_codes(data: Implementations, rows: np.ndarray, axis: str, freq: str) -> tuple[np.ndarray, list[str]]:
    """Each row's period as a code into sorted labels (``2019``, ``2019Q3``, ``2019-07``); -1 if unknown.

    ``venue-year`` is the conference year whatever ``freq`` says: a venue has one
    edition a year. Labels sort as text in time order.
    """
    if axis == "venue-year":
        year = data.year[rows]
        known = ~np.isnan(year)
        return _codes_to_labels(np.where(known, year, 0).astype(np.int64), known, str)
    dates = (data.published if axis == "paper-date" else data.created)[rows]
    known = ~np.isnat(dates)
    months = dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    year, month = months // 12 + 1970, months % 12 + 1
    if freq == "year":
        return _codes_to_labels(year, known, str)
    if freq == "quarter":
        return _codes_to_labels(year * 10 + (month - 1) // 3 + 1, known, lambda c: f"{c // 10}Q{c % 10}")
    return _codes_to_labels(year * 100 + month, known, lambda c: f"{c // 100}-{c % 100:02d}")


def _codes_to_labels(values: np.ndarray, known: np.ndarray,
                     label: Callable[[int], str]) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    uniques = np.unique(values[known])
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[known] = np.searchsorted(uniques, values[known])
    return codes, [label(int(v)) for v in uniques]


def period_labels(frame: pd.DataFrame, axis: str = "venue-year", freq: str = "year") -> pd.Series:
    """The period label of each row of a raw implementations frame (None where unknown)."""
    data = prepare_implementations(frame)
    codes, labels = period_codes(data, np.arange(len(data.paper)), axis, freq)
    return pd.Series(np.array([*labels, None], dtype=object)[codes], index=frame.index)
