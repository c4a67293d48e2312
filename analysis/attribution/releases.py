"""First public releases of the frameworks: a paper cannot use a framework that did not exist.

A share series that counts a paper under PyTorch in 2014 has a data defect (a later
port or an unrelated link counted as the paper's code), and an expert stops reading at
the first anachronism. The release dates are data with a source per row
(``analysis/data/framework_releases.csv``), not code. Two uses:

- :func:`anachronisms`: the report's plausibility check lists counted papers whose
  period ends before their framework's release (:mod:`analysis.shares.plausibility`);
- :func:`labels_at_paper_time`: a repository that holds the paper's code *and* a later
  port of it (``GazeCapture``: Caffe models, later a ``pytorch/`` folder) is labelled by
  what it holds today. For the paper, a framework released after the paper's year is
  replaced by the repository's best-scoring framework that existed by then, when its
  classification scored one; the report lists every replacement;
- :func:`written_after_release`: code in a framework released after the paper's
  conference, started after that release, cannot be the paper's code as published: the
  counting treats the link as a later port (issue 25).

Pure: reads the packaged table.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

RELABEL_COLUMNS = ["paper_id", "repo_key", "year", "framework", "released", "counted_as"]
DEFECT_COLUMNS = ["period", "framework", "released", "paper_id", "title", "venue", "repo_key", "attribution",
                  "attribution_reason", "weight"]  # fmt: skip


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


def anachronisms(counted: pd.DataFrame) -> pd.DataFrame:
    """Counted papers whose period ends before their framework's first public release.

    ``counted`` has one row per counted item: ``period``, ``framework`` (fine label)
    and the link's details (``paper_id``, ``title``, ``venue``, ``repo_key``,
    ``attribution``, ``attribution_reason``, ``weight``). Returns those rows that are
    impossible, with the release date beside them (columns ``DEFECT_COLUMNS``).
    """
    released = release_dates()
    if counted.empty:
        return pd.DataFrame(columns=DEFECT_COLUMNS)
    ends = counted["period"].astype(str).map(period_end)
    first = counted["framework"].map(released)
    bad = [bool(e is not None and f is not None and f == f and e < f) for e, f in zip(ends, first, strict=True)]
    found = counted[bad].assign(released=first[bad])
    for column in DEFECT_COLUMNS:
        if column not in found:
            found[column] = None
    return found[DEFECT_COLUMNS].sort_values(["period", "framework", "paper_id"]).reset_index(drop=True)



def labels_at_paper_time(frame: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """(label per row for counting, the rows whose label was replaced: RELABEL_COLUMNS).

    Needs ``framework`` and, to replace anything, ``scores`` (the classification's JSON
    ``{label: score}``) and ``year`` (else the year of ``paper_date``). A label released
    after the end of the paper's year becomes the best-scoring label released by then;
    with no such label it stays (and the plausibility check lists the paper).
    """
    labels = frame["framework"].copy()
    if "scores" not in frame or frame.empty:
        return labels, pd.DataFrame(columns=RELABEL_COLUMNS)
    released = release_dates()
    year = pd.to_numeric(frame["year"], errors="coerce")
    if "paper_date" in frame:
        year = year.fillna(pd.to_datetime(frame["paper_date"], errors="coerce").dt.year)
    late = [bool(isinstance(lab, str) and lab in released and y == y and released[lab] > date(int(y), 12, 31))
            for lab, y in zip(labels, year, strict=True)]  # fmt: skip
    replaced = []
    for pos in [i for i, flag in enumerate(late) if flag]:
        cutoff = date(int(year.iloc[pos]), 12, 31)
        scores = json.loads(frame["scores"].iloc[pos] or "{}")
        usable = {k: v for k, v in scores.items() if k in released and released[k] <= cutoff and v > 0}
        if usable:
            best = max(sorted(usable), key=lambda k: usable[k])
            original = labels.iloc[pos]
            labels.iloc[pos] = best
            replaced.append((frame["paper_id"].iloc[pos], frame["repo_key"].iloc[pos], int(year.iloc[pos]),
                             original, released[original], best))  # fmt: skip
    return labels, pd.DataFrame(replaced, columns=RELABEL_COLUMNS)


def written_after_release(frame: pd.DataFrame, labels: pd.Series) -> np.ndarray:
    """Per row: code in a framework released after the paper's conference, started once that framework existed.

    Such a repository was written after the paper was presented, in a framework the
    paper could not have used: a port, whatever the attribution window says (a
    third-party PyTorch port of a 2016 paper started in mid-2017 is "contemporaneous"
    by dates). The conference's last day comes from the conference table
    (``analysis.attribution.paper_dates.conference_span``), else the end of the paper's year.
    ``labels`` are those of :func:`labels_at_paper_time`; the code's start is
    ``code_start_at`` (else ``repo_created_at``). A late label on code that started
    *before* its framework existed is a contradiction, not a port: it stays, and the
    plausibility check lists it. Rows without a year, a start or a release date are never
    flagged.
    """
    from analysis.attribution.paper_dates import conference_span

    released = release_dates()
    year = pd.to_numeric(frame["year"], errors="coerce") if "year" in frame else pd.Series(np.nan, index=frame.index)
    if "paper_date" in frame:
        year = year.fillna(pd.to_datetime(frame["paper_date"], errors="coerce").dt.year)
    venues = frame["venue"] if "venue" in frame else pd.Series(None, index=frame.index, dtype=object)
    column = "code_start_at" if "code_start_at" in frame else "repo_created_at"
    starts = pd.to_datetime(frame[column], errors="coerce") if column in frame else pd.Series(pd.NaT, index=frame.index)
    flags = []
    for lab, y, venue, start in zip(labels, year, venues, starts, strict=True):
        day = released.get(lab) if isinstance(lab, str) else None
        if day is None or y != y or start is pd.NaT or start != start:
            flags.append(False)
            continue
        span = conference_span(venue, int(y)) if isinstance(venue, str) else None
        presented = span[1] if span else date(int(y), 12, 31)
        flags.append(bool(day > presented and start.date() >= day))
    return np.array(flags, dtype=bool)
