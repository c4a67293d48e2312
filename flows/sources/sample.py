"""The bundled sample in data/sample/: real papers, links and evidence, offline.

The sample is a source like the others: its papers and links use the Papers with
Code archive's column names and enter through ``flows.ingest``; its repositories
arrive already crawled (evidence extracted from public snapshots by
scripts/sample/build_sample.py), so the demo needs no network.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flows.ingest import link_row, paper_row, pending_repo_rows, rows_of
from flows.settings import SAMPLE_DIR
from flows.store import Warehouse, utcnow

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


def load_sample(wh: Warehouse, sample_dir: Path = SAMPLE_DIR) -> dict[str, int]:
    """Store the sample's papers, links, repositories and evidence; idempotent."""
    check_sample_dir(sample_dir)
    papers, skipped_papers = rows_of(read_csv(sample_dir / "papers.csv"), paper_row, SOURCE)
    links, skipped_links = rows_of(read_csv(sample_dir / "links.csv"), link_row, SOURCE)
    repos = [_repo_row(r) for r in read_csv(sample_dir / "repos.csv")]
    with wh.transaction():
        wh.upsert("papers", papers)
        wh.upsert("links", links)
        wh.insert_new("repos", pending_repo_rows(links, SOURCE))
        wh.upsert("repos", repos)
        # whole tables: a cell or paper no longer in the files must not stay behind
        wh.con.execute("DELETE FROM sample_strata")
        wh.upsert("sample_strata", _strata_rows(sample_dir / "strata.csv"))
        wh.con.execute("DELETE FROM sample_papers")
        wh.upsert("sample_papers", _paper_cells(sample_dir / "papers.csv"))
        digests = _digests(sample_dir, _EVIDENCE_FILES)
        if digests != _loaded_digests(wh):  # 120k evidence rows: replace them only when they changed
            _replace_evidence(wh, sorted({r["repo_key"] for r in repos}), sample_dir)
            wh.upsert("source_files", [{"source": SOURCE, "path": name, "sha256": digest, "loaded_at": utcnow()}
                                       for name, digest in digests.items()])  # fmt: skip
    return {
        "papers": len(papers), "links": len(links), "repos": len(repos),
        "skipped_papers": skipped_papers, "skipped_links": skipped_links,
    }  # fmt: skip


_EVIDENCE_FILES = ("repos.csv", "files.csv.gz", "evidence.csv.gz")


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


def _digests(sample_dir: Path, names: tuple[str, ...]) -> dict[str, str]:
    return {name: hashlib.sha256((sample_dir / name).read_bytes()).hexdigest() for name in names}


def _loaded_digests(wh: Warehouse) -> dict[str, str]:
    rows = wh.con.execute("SELECT path, sha256 FROM source_files WHERE source = ?", [SOURCE]).fetchall()
    return dict(rows)


def _repo_row(record: dict[str, str]) -> dict[str, Any]:
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


def _replace_evidence(wh: Warehouse, keys: list[str], sample_dir: Path) -> None:
    """Replace the sample repositories' files and evidence in bulk (inside the caller's transaction)."""
    import pyarrow as pa

    key_table = pa.table({"repo_key": keys})
    wh.con.register("_sample_keys", key_table)
    try:
        for table in ("repo_evidence", "repo_files"):
            wh.con.execute(f"DELETE FROM {table} WHERE repo_key IN (SELECT repo_key FROM _sample_keys)")
    finally:
        wh.con.unregister("_sample_keys")
    files = [
        {"repo_key": r["repo_key"], "path": r["path"], "kind": r["kind"] or None,
         "n_bytes": int(r["n_bytes"]) if r.get("n_bytes") else None, "problem": r.get("problem") or None}
        for r in read_csv(sample_dir / "files.csv.gz")
    ]  # fmt: skip
    evidence = [
        {"repo_key": r["repo_key"], "path": r["path"], "module": r["module"], "kind": r["kind"],
         "is_weak": r.get("is_weak", "").lower() in {"true", "1"}}
        for r in read_csv(sample_dir / "evidence.csv.gz")
    ]  # fmt: skip
    wh.upsert("repo_files", files)
    wh.upsert("repo_evidence", evidence)
