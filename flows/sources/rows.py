"""Rows in the Papers with Code archive's column names -> the warehouse's row shapes.

Every source of papers and links (the archive, the live catalog, the bundled
sample) meets here, so venues and repository keys are cleaned one way only, and
each yields :class:`SourceBatch` es for the ingest stage to store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from analysis.catalog.urls import normalise_repo_url
from analysis.catalog.venues import parse_venue
from flows.clock import utcnow


@dataclass
class SourceBatch:
    """One batch a source yields: ``papers`` and ``links`` rows, and placeholder papers known
    only from a link (stored only where no fuller row exists)."""

    papers: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    link_papers: list[dict[str, Any]] = field(default_factory=list)


def _text(value: Any) -> str | None:
    """A clean string, or None for missing values (None, NaN, empty)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _bool(value: Any) -> bool | None:
    text = _text(value)
    if text is None:
        return None
    if isinstance(value, bool):
        return value
    return text.lower() in {"true", "1", "yes", "t"}


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def paper_row(record: Mapping[str, Any], source: str) -> dict[str, Any] | None:
    """One PWC papers record -> a ``papers`` row; None when it has no paper_url (no key)."""
    paper_id = _text(record.get("paper_url"))
    if paper_id is None:
        return None
    proceeding = _text(record.get("proceeding"))
    venue = parse_venue(proceeding)
    published = _date(record.get("date"))
    return {
        "paper_id": paper_id,
        "title": _text(record.get("title")),
        "arxiv_id": _text(record.get("arxiv_id")),
        "venue": venue.venue,
        "year": venue.year if venue.venue else (published.year if published else None),
        "is_workshop": venue.is_workshop if venue.venue else None,
        "proceeding": proceeding,
        "conference": _text(record.get("conference")),
        "published_date": published,
        "source": source,
        "ingested_at": utcnow(),
    }


def link_row(record: Mapping[str, Any], source: str) -> dict[str, Any] | None:
    """One PWC links record -> a ``links`` row; None when paper or repository is missing."""
    paper_id = _text(record.get("paper_url"))
    raw_url = _text(record.get("repo_url"))
    if paper_id is None or raw_url is None:
        return None
    ref = normalise_repo_url(raw_url)
    return {
        "paper_id": paper_id,
        "repo_url": ref.url or raw_url,
        "repo_url_raw": raw_url,
        "repo_key": ref.key,
        "host": ref.host,
        "scope": ref.scope,
        "is_official": _bool(record.get("is_official")),
        "mentioned_in_paper": _bool(record.get("mentioned_in_paper")),
        "mentioned_in_github": _bool(record.get("mentioned_in_github")),
        "pwc_framework": _text(record.get("framework")),
        "skip_reason": ref.skip_reason,
        "source": source,
        "ingested_at": utcnow(),
    }


def rows_of(records: Iterable[Mapping[str, Any]], convert: Any, source: str) -> tuple[list[dict[str, Any]], int]:
    """Convert records, counting the ones that could not be (no key): they are skipped, not lost silently."""
    rows, skipped = [], 0
    for record in records:
        row = convert(record, source)
        if row is None:
            skipped += 1
        else:
            rows.append(row)
    return rows, skipped


def why_paper_skipped(record: Mapping[str, Any]) -> str:
    """The reason :func:`paper_row` returned None, for the skipped-rows counts."""
    return "no-paper-url"


def why_link_skipped(record: Mapping[str, Any]) -> str:
    """The reason :func:`link_row` returned None, for the skipped-rows counts."""
    return "no-paper-url" if _text(record.get("paper_url")) is None else "no-repo-url"


def paper_from_link(record: Mapping[str, Any], source: str) -> dict[str, Any] | None:
    """A minimal ``papers`` row from a links record (its ``paper_*`` columns).

    The links file names papers the papers file may lack; such a paper is stored
    from what the link says (title, arXiv id, no venue) and only where no fuller
    row exists, so the join from links to papers never loses a link.
    """
    paper_id = _text(record.get("paper_url"))
    if paper_id is None:
        return None
    return {
        "paper_id": paper_id, "title": _text(record.get("paper_title")),
        "arxiv_id": _text(record.get("paper_arxiv_id")),
        "venue": None, "year": None, "is_workshop": None, "proceeding": None, "conference": None,
        "published_date": None, "source": source, "ingested_at": utcnow(),
    }  # fmt: skip


def pending_repo_rows(links: Iterable[Mapping[str, Any]], source: str) -> list[dict[str, Any]]:
    """A ``pending`` repos row for each crawlable repository a batch of links names."""
    seen: dict[str, dict[str, Any]] = {}
    for link in links:
        key = link.get("repo_key")
        if key and not link.get("skip_reason") and key not in seen:
            # the canonical URL is lower-case; the raw link keeps the case its authors used
            full = normalise_repo_url(link.get("repo_url_raw") or link["repo_url"]).full_name or key
            seen[key] = {"repo_key": key, "full_name": full, "status": "pending", "source": source}
    return list(seen.values())
