"""First public releases of the frameworks: a paper cannot use a framework that did not exist.

A share series that counts a paper under PyTorch in 2014 has a data defect (a later
port or an unrelated link counted as the paper's code), and an expert stops reading at
the first anachronism. The release dates are data with a source per row
(``analysis/data/framework_releases.csv``), not code. Every comparison is at day
precision against the paper's **conference end** (its last day from
``analysis/data/conference_dates.csv``, else the end of its venue year, else its own
date): :func:`paper_deadlines`. Three uses:

- :func:`labels_at_paper_time`: a repository that holds the paper's code *and* a later
  port of it (``GazeCapture``: Caffe models, later a ``pytorch/`` folder) is labelled by
  what it holds today. For the paper, a framework released after the conference ended
  is replaced by the repository's best-scoring framework that existed by then, when its
  classification scored one; the report lists every replacement;
- :func:`late_links`: code in a framework first released after the conference ended,
  with no earlier framework to fall back on, cannot be the paper's original code: the
  link is a ``later-port``, or a ``later-rewrite`` when its source marks it official
  (the authors' own later code), and is not counted for the paper;
- :func:`anachronisms`: the report's plausibility check lists counted papers whose
  framework was released after their conference ended, whatever the axis and period
  (:mod:`analysis.shares.plausibility`): with ports included it finds the ports.

Pure: reads the packaged tables.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from analysis.attribution.paper_dates import conference_span

RELABEL_COLUMNS = ["paper_id", "repo_key", "year", "conference_end", "framework", "released", "counted_as"]
DEFECT_COLUMNS = ["period", "framework", "released", "conference_end", "paper_id", "title", "venue", "repo_key",
                  "attribution", "attribution_reason", "weight"]  # fmt: skip


@lru_cache(maxsize=1)
def framework_releases() -> pd.DataFrame:
    """framework, release_date, precision (day/month/year), source, note: one row per framework."""
    text = resources.files("analysis").joinpath("data/framework_releases.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    frame = pd.DataFrame(rows, columns=["framework", "release_date", "precision", "source", "note"])
    frame["release_date"] = [date.fromisoformat(d) for d in frame["release_date"]]
    return frame


def release_dates() -> dict[str, date]:
    return dict(zip(framework_releases()["framework"], framework_releases()["release_date"], strict=True))


def period_end(period: str) -> date | None:
    """The last day of a period label (``2019``, ``2019Q3``, ``2019-07``); None for anything else."""
    text = str(period)
    try:
        if len(text) == 4:
            return date(int(text), 12, 31)
        if len(text) == 6 and text[4] == "Q":
            year, quarter = int(text[:4]), int(text[5])
            return (pd.Timestamp(year=year, month=quarter * 3, day=1) + pd.offsets.MonthEnd(0)).date()
        if len(text) == 7 and text[4] == "-":
            return (pd.Timestamp(year=int(text[:4]), month=int(text[5:]), day=1) + pd.offsets.MonthEnd(0)).date()
    except ValueError:
        return None
    return None


def paper_deadlines(frame: pd.DataFrame) -> pd.Series:
    """Per row the last day the paper's original code could have been written in: the conference's last day.

    From ``venue`` and ``year`` through the conference table, else the venue year's last
    day, else the row's ``paper_date`` / ``published_date``; None where nothing is known.
    Each (venue, year) is looked up once.
    """
    venue = frame["venue"] if "venue" in frame else pd.Series(None, index=frame.index, dtype=object)
    year = pd.to_numeric(frame["year"], errors="coerce") if "year" in frame else pd.Series(np.nan, index=frame.index)
    ends: dict[tuple[object, float], date | None] = {}
    for key in set(zip(venue.where(venue.notna(), None), year.where(year.notna(), np.nan), strict=True)):
        v, y = key
        span = conference_span(v, int(y)) if y == y and isinstance(v, str) else None
        ends[key] = span[1] if span else (date(int(y), 12, 31) if y == y else None)
    deadline = pd.Series([ends[k] for k in zip(venue.where(venue.notna(), None), year.where(year.notna(), np.nan),
                                               strict=True)], index=frame.index, dtype=object)  # fmt: skip
    own_date = frame["paper_date"] if "paper_date" in frame else frame.get("published_date")
    if own_date is not None:
        fallback = pd.to_datetime(own_date, errors="coerce").dt.date
        deadline = deadline.where(deadline.notna(), fallback.where(fallback.notna(), None))
    return deadline


def released_after(labels: pd.Series, deadlines: pd.Series) -> np.ndarray:
    """Per row: is ``labels``' framework first released after its deadline (a date; anything else: no)?"""
    released = release_dates()
    return np.array([isinstance(lab, str) and lab in released and isinstance(end, date) and released[lab] > end
                     for lab, end in zip(labels, deadlines, strict=True)], dtype=bool)  # fmt: skip


def anachronisms(counted: pd.DataFrame) -> pd.DataFrame:
    """Counted items whose framework was first released after the paper's conference ended.

    ``counted`` has one row per counted item: ``period``, ``framework`` (fine label),
    ``conference_end`` (:func:`paper_deadlines`) and the link's details (``paper_id``,
    ``title``, ``venue``, ``repo_key``, ``attribution``, ``attribution_reason``,
    ``weight``). Day precision, whatever the period's length. Returns the impossible rows
    with the release date beside them (columns ``DEFECT_COLUMNS``).
    """
    if counted.empty:
        return pd.DataFrame(columns=DEFECT_COLUMNS)
    bad = released_after(counted["framework"], counted["conference_end"])
    found = counted[bad].assign(released=counted["framework"][bad].map(release_dates()))
    for column in DEFECT_COLUMNS:
        if column not in found:
            found[column] = None
    return found[DEFECT_COLUMNS].sort_values(["period", "framework", "paper_id"]).reset_index(drop=True)


def labels_at_paper_time(frame: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """(label per row for counting, the rows whose label was replaced: RELABEL_COLUMNS).

    Needs ``framework`` and, to replace anything, ``scores`` (the classification's JSON
    ``{label: score}``) and the paper's venue and year (:func:`paper_deadlines`). A label
    released after the conference ended becomes the best-scoring label released by then;
    with no such label it stays (and :func:`late_links` says the link is not the paper's code).
    """
    labels = frame["framework"].copy()
    if "scores" not in frame or frame.empty:
        return labels, pd.DataFrame(columns=RELABEL_COLUMNS)
    released = release_dates()
    deadlines = paper_deadlines(frame)
    replaced = []
    for pos in np.flatnonzero(released_after(labels, deadlines)):
        cutoff = deadlines.iloc[pos]
        scores = json.loads(frame["scores"].iloc[pos] or "{}")
        usable = {k: v for k, v in scores.items() if k in released and released[k] <= cutoff and v > 0}
        if usable:
            best = max(sorted(usable), key=lambda k: usable[k])
            original = labels.iloc[pos]
            labels.iloc[pos] = best
            year = pd.to_numeric(pd.Series([frame["year"].iloc[pos]]), errors="coerce").iloc[0]
            replaced.append((frame["paper_id"].iloc[pos], frame["repo_key"].iloc[pos],
                             int(year) if year == year else None, cutoff, original, released[original], best))
    return labels, pd.DataFrame(replaced, columns=RELABEL_COLUMNS)


LATE_WORDS = {False: "later-port", True: "later-rewrite"}
"""The attribution of a link whose code is in a framework released after the conference (by official mark)."""


def late_links(frame: pd.DataFrame, labels: pd.Series) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """(mask, attribution, reason): links whose counting label was first released after the conference ended.

    ``labels``: those of :func:`labels_at_paper_time` (a replaced label existed in time).
    Such code cannot be the paper's original code: ``later-port``, or ``later-rewrite``
    when the source marks the link official. Other rows, and links already ``suspect`` or
    ``later-port``, keep their attribution.
    """
    deadlines = paper_deadlines(frame)
    words = frame["attribution"].copy() if "attribution" in frame else pd.Series(None, index=frame.index, dtype=object)
    # a link already judged not the paper's code keeps its word (suspect says more than later-port)
    late = released_after(labels, deadlines) & ~words.isin(["suspect", "later-port"]).to_numpy(bool)
    reasons = frame["attribution_reason"].copy() if "attribution_reason" in frame else words.copy()
    if not late.any():
        return late, words, reasons
    official = frame["is_official"].astype("boolean").fillna(False).to_numpy(bool) if "is_official" in frame \
        else np.zeros(len(frame), bool)  # fmt: skip
    released = release_dates()
    words, reasons = words.astype(object), reasons.astype(object)
    for pos in np.flatnonzero(late):
        label, end = labels.iloc[pos], deadlines.iloc[pos]
        words.iloc[pos] = LATE_WORDS[bool(official[pos])]
        who = "the authors' later rewrite" if official[pos] else "a later port"
        reasons.iloc[pos] = (f"its code is in {label}, first released {released[label]:%Y-%m-%d}, after the "
                             f"conference ended {end:%Y-%m-%d}: not the paper's original code ({who})")
    return late, words, reasons
