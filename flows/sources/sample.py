"""The bundled sample in data/sample/: real papers, links and evidence, offline.

The sample is a source like the others: its papers and links use the Papers with
Code archive's column names and become rows through :mod:`flows.sources.rows`; its
repositories arrive already crawled (evidence extracted from public snapshots by
scripts/sample/build_sample.py), so the demo needs no network. The ingest stage
stores what :func:`read_sample` yields (flows/stages/ingest.py).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.clock import utcnow
from flows.settings import SAMPLE_DIR
from flows.sources.rows import link_row, paper_row, rows_of

SOURCE = "sample"
REQUIRED_FILES = ("papers.csv", "links.csv", "repos.csv", "evidence.csv.gz", "files.csv.gz")
# Snapshot outcomes -> repos.status; a snapshot over the size limit is a failed crawl, and
# a drawn repository whose fetch was never tried is still to be crawled.
_STATUS = {"ok": "ok", "missing": "missing", "too-large": "failed", "error": "failed", "not-fetched": "pending"}
# The cell of a row that does not say (a sample built before issue 25): a conference list, no title split.
DEFAULT_SOURCE_STRATUM, DEFAULT_TITLE_STRATUM = "conference", "all"


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a (possibly gzipped) UTF-8 CSV as dicts of strings."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        yield from csv.DictReader(fh)


def check_sample_dir(sample_dir: Path) -> None:
    missing = [name for name in REQUIRED_FILES if not (sample_dir / name).exists()]
    if missing:
        raise FileNotFoundError(f"sample in {sample_dir} lacks {', '.join(missing)}")


@dataclass
class SampleRows:
    """The sample as rows in the warehouse's shapes; files and evidence are read when asked for."""

    folder: Path
    papers: list[dict[str, Any]]
    links: list[dict[str, Any]]
    repos: list[dict[str, Any]]
    strata: list[dict[str, Any]]
    paper_cells: list[dict[str, Any]]
    digests: dict[str, str]
    skipped_papers: int = 0
    skipped_links: int = 0

    def files(self) -> list[dict[str, Any]]:
        return [
            {"repo_key": r["repo_key"], "path": r["path"], "kind": r["kind"] or None,
             "n_bytes": int(r["n_bytes"]) if r.get("n_bytes") else None, "problem": r.get("problem") or None}
            for r in read_csv(self.folder / "files.csv.gz")
        ]  # fmt: skip

    def evidence(self) -> list[dict[str, Any]]:
        return [
            {"repo_key": r["repo_key"], "path": r["path"], "module": r["module"], "kind": r["kind"],
             "is_weak": r.get("is_weak", "").lower() in {"true", "1"}}
            for r in read_csv(self.folder / "evidence.csv.gz")
        ]  # fmt: skip


def read_sample(sample_dir: Path = SAMPLE_DIR) -> SampleRows:
    """The sample's papers, links, repositories (already crawled) and strata; nothing is stored here."""
    check_sample_dir(sample_dir)
    papers, skipped_papers = rows_of(read_csv(sample_dir / "papers.csv"), _paper_row, SOURCE)
    links, skipped_links = rows_of(read_csv(sample_dir / "links.csv"), link_row, SOURCE)
    return SampleRows(
        sample_dir, papers, links, [repo_row(r) for r in read_csv(sample_dir / "repos.csv")],
        _strata_rows(sample_dir / "strata.csv"), _paper_cells(sample_dir / "papers.csv"),
        _digests(sample_dir, EVIDENCE_FILES), skipped_papers, skipped_links,
    )


def _paper_row(record: dict[str, str], source: str) -> dict[str, Any] | None:
    """A papers row plus the list it came from (papers.csv ``source``: ``owner/repo/path@commit``)."""
    row = paper_row(record, source)
    return None if row is None else {**row, "source_list": record.get("source") or None}


EVIDENCE_FILES = ("repos.csv", "files.csv.gz", "evidence.csv.gz")
"""The files behind the sample's evidence: their digests decide whether it is loaded again."""


def _strata_rows(path: Path) -> list[dict[str, Any]]:
    """The sample's strata: population and draw per cell (venue, year, source stratum, title stratum).

    None for a sample without the file. A file of the older format (one row per
    venue-year, no stratum columns) reads as conference-list cells of every title.
    """
    if not path.exists():
        return []
    return [{"venue": r["venue"], "year": int(r["year"]),
             "source_stratum": r.get("source_stratum") or DEFAULT_SOURCE_STRATUM,
             "title_stratum": r.get("title_stratum") or DEFAULT_TITLE_STRATUM,
             "n_population": int(r["n_population"]), "n_drawn": int(r["n_drawn"])}
            for r in read_csv(path)]  # fmt: skip


def _paper_cells(path: Path) -> list[dict[str, Any]]:
    """Each sample paper's source and title stratum (papers.csv columns; defaults for older samples)."""
    return [{"paper_id": r["paper_url"], "source_stratum": r.get("source_stratum") or DEFAULT_SOURCE_STRATUM,
             "title_stratum": r.get("title_stratum") or DEFAULT_TITLE_STRATUM}
            for r in read_csv(path) if r.get("paper_url")]  # fmt: skip


LOADER_VERSION = "2026.12.7"
"""Bump when what the loader makes of the files changes (a new column read, a new table filled)."""


def sample_digests(sample_dir: Path) -> dict[str, str]:
    """The sha256 of every file of the sample, and the loader's version: equal to what a warehouse
    last loaded, there is nothing to load again."""
    names = tuple(sorted({*REQUIRED_FILES, "strata.csv"} & {p.name for p in sample_dir.iterdir()}))
    return {**_digests(sample_dir, names), "(loader)": LOADER_VERSION}


def _digests(sample_dir: Path, names: tuple[str, ...]) -> dict[str, str]:
    return {name: hashlib.sha256((sample_dir / name).read_bytes()).hexdigest() for name in names}


def repo_row(record: dict[str, str]) -> dict[str, Any]:
    status = record.get("status") or "missing"
    full_name = record.get("full_name") or record["repo_url"].removeprefix("https://github.com/")
    return {
        "repo_key": full_name.lower(),
        "full_name": full_name,
        "status": _STATUS.get(status, "failed"),
        "status_reason": None if status == "ok" else f"snapshot: {status}",
        "head_commit": record.get("head_commit") or None,
        "first_commit_at": record.get("first_commit_at") or None,
        "last_commit_at": record.get("last_commit_at") or None,
        "dates_from": record.get("dates_from") or None,
        # optional columns (newer sample rows): what the repository says it is
        "description": record.get("description") or None,
        "readme_title": record.get("readme_title") or None,
        "language": record.get("language") or None,
        "n_files": int(record["n_files"]) if record.get("n_files") else None,
        "n_evidence_files": int(record["n_evidence_files"]) if record.get("n_evidence_files") else None,
        "crawled_at": utcnow(),
        "source": SOURCE,
    }
