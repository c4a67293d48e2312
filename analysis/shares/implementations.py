"""The implementations frame, encoded once: one row per (paper, crawlable repository) as numpy arrays.

Input is :func:`flows.store.queries.implementation_rows`' frame (with current attributions
and paper dates); every share series, the paper table, ports and the plausibility check
start from this encoding (:func:`prepare_implementations`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.attribution.attribute import COUNTED
from analysis.attribution.releases import labels_at_paper_time, late_links
from analysis.classifier.taxonomy import UNCLASSIFIED


@dataclass(frozen=True, eq=False)
class Implementations:
    """The implementations frame encoded once as numpy arrays (codes, flags, dates).

    Every series of a report starts from the same rows; hashing the string keys once
    and then counting with ``np.bincount`` is what keeps a full report over 300,000
    links well under two seconds. ``frame`` is kept for drilling down to titles.
    """

    frame: pd.DataFrame
    paper: np.ndarray
    repo: np.ndarray
    venue: np.ndarray  # codes into venue_names, -1 for none
    venue_names: tuple[str, ...]
    year: np.ndarray  # float, NaN when unknown
    published: np.ndarray  # datetime64[D]: the paper's date (filled from arXiv ids / conference dates)
    created: np.ndarray  # datetime64[D]
    code_start: np.ndarray  # datetime64[D]: earliest of creation and first commit
    is_own: np.ndarray  # the link is the paper's own code (official or contemporaneous)
    has_attribution: bool  # False: the frame cannot tell own code from ports (every link counts)
    is_official: np.ndarray
    is_workshop: np.ndarray
    stars: np.ndarray  # float, -1 when unknown
    label: np.ndarray  # codes into label_names; unclassified is a label too
    label_names: tuple[str, ...]
    has_decision: np.ndarray
    fork_parent: np.ndarray  # repo code of the fork's parent when that repository is in the frame, else -1


def prepare_implementations(frame: pd.DataFrame | Implementations) -> Implementations:
    """Encode ``implementation_rows`` once; encoded input is returned as is."""
    if isinstance(frame, Implementations):
        return frame
    venue, venue_names = pd.factorize(frame["venue"])
    # A framework released after the conference is replaced by one that existed (analysis.attribution.releases);
    # with none, the link is not the paper's original code: a later port (or rewrite), so it is not counted.
    at_paper_time = labels_at_paper_time(frame)[0]
    late, words, reasons = late_links(frame, at_paper_time)
    if late.any() and "attribution" in frame:
        frame = frame.assign(attribution=words, attribution_reason=reasons)
    label, names = pd.factorize(at_paper_time)  # NULL -> -1, which becomes "unclassified"
    label_names = [*names, UNCLASSIFIED] if UNCLASSIFIED not in set(names) else list(names)
    label = np.where(label < 0, label_names.index(UNCLASSIFIED), label)
    repo, repo_names = pd.factorize(frame["repo_key"])
    parents = frame["fork_parent"] if "fork_parent" in frame else pd.Series(None, index=frame.index, dtype=object)
    return Implementations(
        frame=frame,
        paper=pd.factorize(frame["paper_id"])[0],
        repo=repo,
        venue=venue, venue_names=tuple(str(v) for v in venue_names),
        year=pd.to_numeric(frame["year"], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        published=_days(frame["paper_date"] if "paper_date" in frame else frame["published_date"]),
        created=_days(frame["repo_created_at"]),
        code_start=_days(frame["code_start_at"] if "code_start_at" in frame else frame["repo_created_at"]),
        # code in a framework first released after the conference ended is never the paper's own (late_links)
        is_own=own_code_flags(frame) & ~late,
        has_attribution="attribution" in frame.columns,
        is_official=_official(frame), is_workshop=_flag(frame["is_workshop"]),
        stars=pd.to_numeric(frame["n_stars"], errors="coerce").to_numpy(dtype=float, na_value=-1.0),
        label=label, label_names=tuple(str(v) for v in label_names),
        has_decision=frame["framework"].notna().to_numpy(dtype=bool),
        fork_parent=pd.Index(repo_names).get_indexer(parents.astype(object).where(parents.notna(), None).str.lower()),
    )  # fmt: skip


def own_code_flags(frame: pd.DataFrame) -> np.ndarray:
    """Per row: may the link count as the paper's own code? All True without attributions.

    Official and contemporaneous links may. So may an ``unknown`` link whose repository
    has no decision (missing, never crawled): it can only ever be ``unclassified``, and
    keeping it keeps the paper in the "all" series' denominator; it never adds to a framework.
    """
    if "attribution" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    undecided_unknown = frame["attribution"].isin(["unknown"]) & frame["framework"].isna()
    return (frame["attribution"].isin(COUNTED) | undecided_unknown).to_numpy(dtype=bool)


def _days(column: pd.Series) -> np.ndarray:
    return pd.to_datetime(column, errors="coerce").to_numpy(dtype="datetime64[D]")


def _official(frame: pd.DataFrame) -> np.ndarray:
    """Marked official by the source (``is_official``) or attributed ``official``."""
    marked = _flag(frame["is_official"])
    return marked | frame["attribution"].isin(["official"]).to_numpy(dtype=bool) if "attribution" in frame else marked


def _flag(column: pd.Series) -> np.ndarray:
    """A nullable boolean column as plain booleans: unknown counts as False (not official, not a workshop)."""
    return column.astype("boolean").fillna(False).to_numpy(dtype=bool)
