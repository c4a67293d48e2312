"""The Papers with Code archive: links and papers files -> warehouse rows.

The final public dumps live on Hugging Face (``pwc-archive/*``) as Parquet, and in
their original form as gzipped JSON (one array per file). Both are read as streams:
Parquet by row batches with only the columns we use (the papers file is 580 MB,
mostly abstracts we never read), JSON by an incremental decoder, so the whole
archive ingests in bounded memory. Files are local paths or URLs, downloaded once into
the cache beside the warehouse: the Hub's through ``huggingface_hub``, others through our
own resumable downloader (see :func:`local_copy`).

The ingest stage stores what :meth:`ArchiveFiles.batches` yields in one transaction:
a truncated or corrupt file stops it with a clear error and leaves the warehouse
exactly as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.settings import Settings
from flows.sources.download import download_cached
from flows.sources.hf_download import download_from_hub, hub_file
from flows.sources.http import HttpClient
from flows.sources.rows import (
    SourceBatch,
    link_row,
    paper_from_link,
    paper_row,
    why_link_skipped,
    why_paper_skipped,
)
from flows.store.ingest import JsonFileError, read_json_array

SOURCE = "pwc_archive"
CHUNK_ROWS = 50_000
# Columns read from each file (others, like the abstracts, are never loaded).
LINK_COLUMNS = ("paper_url", "paper_title", "paper_arxiv_id", "repo_url", "is_official",
                "mentioned_in_paper", "mentioned_in_github", "framework")  # fmt: skip
PAPER_COLUMNS = ("paper_url", "arxiv_id", "title", "proceeding", "conference", "date")
REQUIRED = {"links": ("paper_url", "repo_url"), "papers": ("paper_url",)}
# The archive on Hugging Face: dataset -> files (docs/architecture.md, "Outside sources").
HF_FILES = {
    "links": ("pwc-archive/links-between-paper-and-code", ("data/train-00000-of-00001.parquet",)),
    "papers": ("pwc-archive/papers-with-abstracts", tuple(f"data/train-0000{i}-of-00004.parquet" for i in range(4))),
}


class ArchiveError(RuntimeError):
    """An archive file that cannot be read (truncated, corrupt, wrong columns); nothing was stored."""


def hf_archive_urls(settings: Settings) -> dict[str, list[str]]:
    """The ``/resolve/`` URLs of the archive's Parquet files on Hugging Face (or its stand-in)."""
    return {
        kind: [f"{settings.hf_url}/datasets/{dataset}/resolve/main/{path}" for path in paths]
        for kind, (dataset, paths) in HF_FILES.items()
    }


# --- reading files ------------------------------------------------------------------


def local_copy(spec: str, settings: Settings, client: HttpClient | None, progress: bool) -> Path:
    """A local path for ``spec``: itself if it is a file, else a download into the cache.

    A file on the Hugging Face Hub (a ``/resolve/`` URL under ``PAPERTRENDS_HF_URL``) comes
    through ``huggingface_hub`` (flows/sources/hf_download.py); any other URL through our own
    resumable downloader (flows/sources/download.py), which speaks plain HTTP to any host.
    """
    if spec.startswith(("http://", "https://")):
        on_hub = hub_file(spec, settings.hf_url)
        if on_hub is not None:
            return download_from_hub(on_hub, settings, progress=progress)
        return download_cached(spec, settings.cache_dir, client, progress=progress).path
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ArchiveError(f"no such file: {spec}")
    return path


def file_format(path: Path) -> str:
    """``parquet``, ``json.gz`` or ``json``, from the file's first bytes (URLs may lack a suffix)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return "parquet"
    if head[:2] == b"\x1f\x8b":
        return "json.gz"
    if not head:
        raise ArchiveError(f"{path.name}: empty file; nothing was stored")
    if head.lstrip()[:1] in (b"[", b""):
        return "json"
    raise ArchiveError(f"{path.name}: neither Parquet nor a (gzipped) JSON array")


def iter_records(path: Path, columns: Sequence[str], batch_rows: int = CHUNK_ROWS) -> Iterator[dict[str, Any]]:
    """Records of one archive file, streamed, with only ``columns``; a broken file raises :class:`ArchiveError`.

    Parquet through pyarrow (column projection), JSON through DuckDB's ``read_json``
    (:func:`flows.store.ingest.read_json_array`): both leave the abstracts unread.
    """
    kind = file_format(path)
    try:
        if kind == "parquet":
            yield from _iter_parquet(path, columns, batch_rows)
        else:
            for batch in read_json_array(path, columns, gzipped=kind == "json.gz", batch_rows=batch_rows):
                yield from batch.to_pylist()
    except JsonFileError as exc:
        what = "truncated or corrupt gzip" if exc.kind == "gzip" else "malformed or truncated JSON"
        detail = str(exc).replace(str(path), path.name)
        raise ArchiveError(f"{path.name}: {what} ({detail}); nothing was stored") from None
    except OSError as exc:  # pyarrow's ArrowInvalid is an OSError subclass too
        raise ArchiveError(f"{path.name}: cannot be read ({exc}); nothing was stored") from None


def _iter_parquet(path: Path, columns: Sequence[str], batch_rows: int) -> Iterator[dict[str, Any]]:
    """Row batches of only the wanted columns that exist (column projection: abstracts stay on disk)."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as pf:
        present = [c for c in columns if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=batch_rows, columns=present):
            yield from batch.to_pylist()


# --- ingest ---------------------------------------------------------------------------


@dataclass
class ArchiveFiles:
    """The archive's files on this machine (downloaded first), read as :class:`SourceBatch` es."""

    paper_paths: list[Path]
    link_paths: list[Path]
    tally: ArchiveTally = field(default_factory=lambda: ArchiveTally())

    def batches(self) -> Iterator[SourceBatch]:
        """Papers first, then links with their placeholder papers, ``CHUNK_ROWS`` at a time.

        Raises :class:`ArchiveError` at the first unreadable file: the caller's transaction
        then leaves the warehouse as it was.
        """
        for path in self.paper_paths:
            for rows in _chunks(_paper_rows(_checked(path, "papers", PAPER_COLUMNS), self.tally), CHUNK_ROWS):
                yield SourceBatch(papers=rows)
        for path in self.link_paths:
            for pairs in _chunks(_link_rows(_checked(path, "links", LINK_COLUMNS), self.tally), CHUNK_ROWS):
                yield SourceBatch(links=[row for row, _ in pairs], link_papers=[p for _, p in pairs if p])


def open_archive(links: str | Sequence[str], papers: str | Sequence[str], settings: Settings,
                 client: HttpClient | None = None, progress: bool = True) -> ArchiveFiles:  # fmt: skip
    """Local copies of the archive's files (paths or URLs; one or several each), ready to read."""
    paper_paths = [local_copy(s, settings, client, progress) for s in _as_list(papers)]
    link_paths = [local_copy(s, settings, client, progress) for s in _as_list(links)]
    return ArchiveFiles(paper_paths, link_paths)


@dataclass
class ArchiveTally:
    """What an ingest stored and skipped; keys seen so far make duplicates countable."""

    paper_ids: set[str] = field(default_factory=set)
    link_keys: set[tuple[str, str]] = field(default_factory=set)
    skipped: Counter[str] = field(default_factory=Counter)
    not_crawlable: Counter[str] = field(default_factory=Counter)
    papers_from_links: int = 0
    repos_pending_added: int = 0
    catalog_papers_merged: int = 0

    def add_stored(self, stored: dict[str, int]) -> None:
        self.papers_from_links += stored["papers_from_links"]
        self.repos_pending_added += stored["repos_pending_added"]

    def counts(self) -> dict[str, Any]:
        return {
            "papers": len(self.paper_ids), "links": len(self.link_keys),
            "skipped": dict(sorted(self.skipped.items())),
            "links_not_crawlable": dict(sorted(self.not_crawlable.items())),
            "papers_from_links": self.papers_from_links, "repos_pending_added": self.repos_pending_added,
            "catalog_papers_merged": self.catalog_papers_merged,
        }  # fmt: skip


def _as_list(specs: str | Sequence[str]) -> list[str]:
    return [specs] if isinstance(specs, str) else list(specs)


def _checked(path: Path, kind: str, columns: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Records of ``path``; at the end, fail if a required column never carried a value."""
    required = REQUIRED[kind]
    filled: Counter[str] = Counter()
    n_records = 0
    for record in iter_records(path, columns):
        n_records += 1
        for name in required:
            if record.get(name) not in (None, ""):
                filled[name] += 1
        yield record
    missing = [c for c in required if n_records and not filled[c]]
    if missing:
        raise ArchiveError(
            f"{path.name} does not look like the {kind} file: no values in column(s) {', '.join(missing)}; "
            "nothing was stored"
        )


def _paper_rows(records: Iterable[dict[str, Any]], tally: ArchiveTally) -> Iterator[dict[str, Any]]:
    """Rows converted one record at a time, so a JSON record's abstract is dropped at once."""
    for record in records:
        row = paper_row(record, SOURCE)
        if row is None:
            tally.skipped[f"papers:{why_paper_skipped(record)}"] += 1
            continue
        if row["paper_id"] in tally.paper_ids:
            tally.skipped["papers:duplicate"] += 1  # stored once; the later record wins
        tally.paper_ids.add(row["paper_id"])
        yield row


def _link_rows(records: Iterable[dict[str, Any]], tally: ArchiveTally) -> Iterator[tuple[dict[str, Any], Any]]:
    """(link row, placeholder paper row) per usable record; the rest counted by reason."""
    for record in records:
        row = link_row(record, SOURCE)
        if row is None:
            tally.skipped[f"links:{why_link_skipped(record)}"] += 1
            continue
        key = (row["paper_id"], row["repo_url"])
        if key in tally.link_keys:
            tally.skipped["links:duplicate"] += 1  # same paper, same repository (in any spelling)
        else:
            tally.link_keys.add(key)
            if row["skip_reason"]:
                tally.not_crawlable[row["skip_reason"]] += 1
        yield row, paper_from_link(record, SOURCE)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
