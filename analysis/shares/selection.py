"""Which link of each paper is counted: the paper's own code, one per paper.

By default only links attributed ``official`` or ``contemporaneous``
(:mod:`analysis.attribution.attribute`) are the paper's code, and each paper counts once: its
official link, else its earliest contemporaneous one (the code released with the
paper; the most-starred would favour popular later ports), else an ``unknown`` link
whose repository was never decided (missing): ``unclassified`` in the "all" series. Ties (same start day)
share the paper's weight. ``include_ports`` restores Papers with Code's "all
implementations" view: every link may be chosen, official first, then those with a
decision, then the most-starred.

A frame without an ``attribution`` column (an export from before attributions
existed) cannot tell own code from ports: every link is then eligible, as with
``include_ports``. Pure numpy over the encoded frame (:class:`analysis.shares.series.Implementations`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.shares.implementations import Implementations, prepare_implementations

COUNTING_SENTENCE = {
    False: "Counted: each paper's own code, one link per paper: the link its source marks official, else the "
           "earliest repository whose code starts within a year of the paper (later ports and links that look "
           "unrelated are left out).",
    True: "Counted: all linked implementations, later ports and suspect links included (Papers with Code's "
          "\"all implementations\" view); each paper once: its official link, else the classified, most-starred one.",
}  # fmt: skip


def counts_ports(data: Implementations, include_ports: bool) -> bool:
    """Ports count when asked for, or when the frame has no attributions to tell them apart."""
    return include_ports or not data.has_attribution


def eligible_rows(data: Implementations, rows: np.ndarray, include_ports: bool) -> np.ndarray:
    """The rows that may be counted at all: own code only, unless ports are included.

    A fork linked to a paper beside its own parent is not the paper's code when the
    parent may count (the parent is; the fork's history is borrowed), unless the source
    marks the fork official.
    """
    if counts_ports(data, include_ports):
        return rows
    rows = rows[data.is_own[rows]]
    parent = data.fork_parent[rows]
    forks = (parent >= 0) & ~data.is_official[rows]
    if forks.any():
        width = int(data.repo.max()) + 1
        linked = data.paper[rows].astype(np.int64) * width + data.repo[rows]
        beside_parent = np.isin(data.paper[rows].astype(np.int64) * width + np.maximum(parent, 0), linked)
        rows = rows[~(forks & beside_parent)]
    return rows


def choose_per_paper(data: Implementations, rows: np.ndarray, include_ports: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each paper's counted link(s) among ``rows`` and weights summing to 1 per paper."""
    rows = eligible_rows(data, rows, include_ports)
    if len(rows) == 0:
        return rows, np.ones(0)
    # One number orders the preferences lexicographically (larger is preferred).
    if counts_ports(data, include_ports):
        rank = data.is_official[rows] * 4e9 + data.has_decision[rows] * 2e9 + np.clip(data.stars[rows], -1, 1e9)
    else:
        start = data.code_start[rows].astype("datetime64[D]").astype(np.int64).astype(float)
        start = np.where(np.isnat(data.code_start[rows]), 1e6, start)  # an unknown start ranks last
        rank = data.is_official[rows] * 4e9 + data.has_decision[rows] * 2e9 - start  # unknown-undecided last
    papers = data.paper[rows]
    best = np.full(papers.max() + 1, -np.inf)
    np.maximum.at(best, papers, rank)
    chosen = rank == best[papers]
    ties = np.bincount(papers[chosen])
    return rows[chosen], 1.0 / ties[papers[chosen]]


def first_per_repo(data: Implementations, rows: np.ndarray, weight: np.ndarray,
                   period: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Each repository once, at the earliest period of its papers (ties: first row)."""
    order = np.lexsort((rows, period))
    _, first = np.unique(data.repo[rows[order]], return_index=True)
    pick = np.sort(order[first])
    return rows[pick], weight[pick], period[pick]


def select_counted_links(frame: pd.DataFrame, include_ports: bool = False) -> pd.DataFrame:
    """Per paper the link(s) counted, with attribution and weight: the rows of ``frame`` chosen.

    Whatever the axis, venue or period, this is the choice every paper-unit series
    makes; reports list it (``series/papers.csv``) and ``papertrends explain`` shows it.
    """
    data = prepare_implementations(frame)
    rows, weight = choose_per_paper(data, np.arange(len(data.paper)), include_ports)
    chosen = data.frame.iloc[rows].reset_index(drop=True)
    if "attribution" not in chosen.columns:
        chosen = chosen.assign(attribution=None, attribution_reason=None)
    return chosen.assign(weight=weight)
