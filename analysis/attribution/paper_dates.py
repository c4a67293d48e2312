"""A date for every paper that has a venue-year or an arXiv id, and the conference table.

Sources often give only the conference year (the paper lists behind the sample give
nothing else), which leaves the ``paper-date`` axis empty and the attribution window
coarse. Two public facts fill the gap, in this order after the source's own date:

1. the arXiv identifier: ``1802.05074`` was submitted in 2018-02 (new-style ids
   ``YYMM.NNNNN`` since 2007; old-style ``cs/0601001`` carry ``YYMM`` after the slash);
2. the conference's first day, from ``analysis/data/conference_dates.csv`` (one row per
   venue-year with the page that states the dates).

Pure: reads the packaged table, no network.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from functools import lru_cache
from importlib import resources

import pandas as pd

_NEW_ARXIV = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}(v\d+)?$")
_OLD_ARXIV = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?/(\d{2})(\d{2})\d{3}(v\d+)?$")
DATE_SOURCES = ("source", "arxiv-id", "conference-dates")


@lru_cache(maxsize=1)
def conference_dates() -> dict[tuple[str, int], tuple[date, date]]:
    """(venue lower-case, year) -> (first day, last day) from the packaged table."""
    text = resources.files("analysis").joinpath("data/conference_dates.csv").read_text(encoding="utf-8")
    table = {}
    for row in csv.DictReader(text.splitlines()):
        table[(row["venue"].lower(), int(row["year"]))] = (
            date.fromisoformat(row["start_date"]), date.fromisoformat(row["end_date"]))  # fmt: skip
    return table


def conference_span(venue: str | None, year: int | None) -> tuple[date, date] | None:
    """The conference's first and last day, when the table has that venue-year."""
    if not venue or year is None:
        return None
    return conference_dates().get((venue.lower(), int(year)))


def arxiv_date(arxiv_id: str | None) -> date | None:
    """First day of the month an arXiv id was submitted in; None when it is not an arXiv id."""
    if not arxiv_id:
        return None
    text = arxiv_id.strip().removeprefix("arXiv:").removeprefix("arxiv:")
    match = _NEW_ARXIV.match(text)
    yy, mm = (match.group(1), match.group(2)) if match else (None, None)
    if not match and (old := _OLD_ARXIV.match(text)):
        yy, mm = old.group(2), old.group(3)
    if yy is None or mm is None or not 1 <= int(mm) <= 12:
        return None
    year = 2000 + int(yy) if int(yy) < 91 else 1900 + int(yy)  # arXiv began in 1991
    return date(year, int(mm), 1)


def paper_date(published: date | None, arxiv_id: str | None, venue: str | None,
               year: int | None) -> tuple[date | None, str | None]:  # fmt: skip
    """(date, where it came from): the source's date, else the arXiv month, else the conference's first day."""
    if published is not None:
        return published, "source"
    if (from_arxiv := arxiv_date(arxiv_id)) is not None:
        return from_arxiv, "arxiv-id"
    if (span := conference_span(venue, year)) is not None:
        return span[0], "conference-dates"
    return None, None


def _as_date(value: object) -> date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value if isinstance(value, date) else None


def _as_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _as_year(value: object) -> int | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return int(value)  # type: ignore[call-overload]


def fill_paper_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus ``paper_date``, ``paper_date_from`` and ``venue_end`` (the conference's last day).

    Needs columns ``published_date``, ``venue``, ``year`` and, when present, ``arxiv_id``.
    Each distinct combination is worked out once (300,000 links have far fewer).
    """
    keys = ["published_date", "arxiv_id", "venue", "year"]
    present = [k for k in keys if k in frame.columns]
    out = frame.copy()
    if out.empty:
        return out.assign(paper_date=pd.Series(dtype="datetime64[s]"), paper_date_from=pd.Series(dtype=object),
                          venue_end=pd.Series(dtype="datetime64[s]"))  # fmt: skip
    combos = out[present].drop_duplicates()
    found = []
    for row in combos.itertuples(index=False):
        facts = dict(zip(present, row, strict=True))
        venue, year = _as_text(facts.get("venue")), _as_year(facts.get("year"))
        when, source = paper_date(_as_date(facts.get("published_date")), _as_text(facts.get("arxiv_id")), venue, year)
        span = conference_span(venue, year)
        found.append((when, source, span[1] if span else None))
    combos = combos.assign(
        paper_date=pd.to_datetime([f[0] for f in found]), paper_date_from=[f[1] for f in found],
        venue_end=pd.to_datetime([f[2] for f in found]))  # fmt: skip
    return out.merge(combos, on=present, how="left")
