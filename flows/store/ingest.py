"""Named writes and reads for the ingest stage: what sources yield, stored in one shape.

Sources never touch the warehouse: they yield ``papers``/``links`` rows (and, for the
bundled sample, repositories with their evidence); the ingest stage hands them here.
Placeholders (a paper known only from a link, a repository not crawled yet) are
inserted only where no row exists, so they never overwrite what another source or a
crawl stored.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from flows.clock import utcnow
from flows.store.warehouse import Warehouse

Rows = Sequence[Mapping[str, Any]]


def store_source_rows(wh: Warehouse, *, papers: Rows = (), links: Rows = (), link_papers: Rows = (),
                      pending_repos: Rows = ()) -> dict[str, int]:  # fmt: skip
    """Upsert papers and links; insert placeholder papers and pending repositories where none is stored."""
    return {
        "papers": wh.upsert("papers", papers) if papers else 0,
        "links": wh.upsert("links", links) if links else 0,
        "papers_from_links": wh.insert_new("papers", link_papers) if link_papers else 0,
        "repos_pending_added": wh.insert_new("repos", pending_repos) if pending_repos else 0,
    }


def known_paper_ids(wh: Warehouse, arxiv_ids: Iterable[str]) -> dict[str, str]:
    """arXiv id -> paper_id for papers already stored, from any source, so reruns keep one key."""
    wanted = sorted(set(arxiv_ids))
    if not wanted:
        return {}
    with wh.registered("_known_arxiv", pa.table({"arxiv_id": wanted})):
        rows = wh.con.execute(
            "SELECT p.arxiv_id, min(p.paper_id) FROM papers p JOIN _known_arxiv a USING (arxiv_id) GROUP BY 1"
        ).fetchall()
    return dict(rows)


def merge_catalog_duplicates(wh: Warehouse, archive_source: str, catalog_source: str) -> int:
    """Fold papers the live catalog stored first (``arxiv:<id>``) into the archive's row for that paper.

    The catalog reuses an archive key it finds, but when the catalog ran first the same
    paper arrives from the archive under its Papers with Code URL: two rows, counted twice.
    The archive's key wins (it is the stable one); the catalog's links move over, except
    those the archive already has, and the catalog's paper row goes. Returns papers merged.
    """
    pairs = wh.con.execute(
        "SELECT c.paper_id, min(a.paper_id) FROM papers c JOIN papers a ON a.arxiv_id = c.arxiv_id AND a.source = ? "
        "WHERE c.source = ? AND c.arxiv_id IS NOT NULL GROUP BY 1", [archive_source, catalog_source],
    ).fetchall()  # fmt: skip
    for catalog_id, archive_id in pairs:
        wh.con.execute(
            "DELETE FROM links WHERE paper_id = ? AND repo_url IN (SELECT repo_url FROM links WHERE paper_id = ?)",
            [catalog_id, archive_id],
        )
        wh.con.execute("UPDATE links SET paper_id = ? WHERE paper_id = ?", [archive_id, catalog_id])
        wh.con.execute("DELETE FROM papers WHERE paper_id = ?", [catalog_id])
    return len(pairs)


def loaded_digests(wh: Warehouse, source: str) -> dict[str, str]:
    """The sha256 of each file a file-based source last loaded (``source_files``)."""
    return dict(wh.con.execute("SELECT path, sha256 FROM source_files WHERE source = ?", [source]).fetchall())


def record_loaded_files(wh: Warehouse, source: str, digests: Mapping[str, str]) -> None:
    wh.upsert("source_files", [{"source": source, "path": name, "sha256": digest, "loaded_at": utcnow()}
                               for name, digest in digests.items()])  # fmt: skip


def replace_files_and_evidence(wh: Warehouse, keys: Sequence[str], files: Rows, evidence: Rows) -> None:
    """Swap the file lists and evidence of ``keys`` for these, in bulk (inside the caller's transaction)."""
    with wh.registered("_replaced_keys", pa.table({"repo_key": list(keys)})):
        for table in ("repo_evidence", "repo_files"):
            wh.con.execute(f"DELETE FROM {table} WHERE repo_key IN (SELECT repo_key FROM _replaced_keys)")
    wh.upsert("repo_files", files)
    wh.upsert("repo_evidence", evidence)


def replace_sample_design(wh: Warehouse, strata: Rows, paper_cells: Rows) -> None:
    """The bundled sample's cells (``sample_strata``) and each paper's cell (``sample_papers``), whole:
    a cell or paper no longer in the files must not stay behind."""
    wh.con.execute("DELETE FROM sample_strata")
    wh.upsert("sample_strata", strata)
    wh.con.execute("DELETE FROM sample_papers")
    wh.upsert("sample_papers", paper_cells)


JSON_READER_MEMORY = "128MB"
"""The private connection's memory limit: it only streams, and it runs beside the warehouse's."""


class JsonFileError(ValueError):
    """A JSON file DuckDB could not read to its end (malformed, truncated, not an array); ``kind``
    says which: ``gzip`` (the compressed stream broke off), ``json`` (the text), ``io`` (the file)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def read_json_array(path: Path, columns: Sequence[str], *, gzipped: bool, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The elements of a file holding one JSON array, as Arrow batches of ``columns`` (all VARCHAR).

    DuckDB's ``read_json`` on a private in-memory connection (no warehouse involved) streams
    the (gzipped) file and materialises only ``columns``: the abstracts never reach Python
    (the measured gain over decoding each record with the stdlib is in bench/BENCHMARKS.md,
    "Ingest"). Every column is read as text, as the JSON spells it (``true``, ``1``,
    ``2018-06-01``), for the source to convert like any other record; a key a record lacks is
    NULL. An error, which may come after batches were yielded, is a :class:`JsonFileError`.

    DuckDB accepts an array that ends right after a ``,`` (``[{...},``) as complete: a file cut
    at a record boundary before it was compressed would pass unnoticed. So the end of the text
    is checked too, for a gzipped file by a second decompression on a thread beside DuckDB's.
    """
    import duckdb

    spec = "{" + ", ".join(f"'{_quote(c)}': 'VARCHAR'" for c in columns) + "}"
    sql = (f"SELECT * FROM read_json($path, format = 'array', compression = '{'gzip' if gzipped else 'none'}', "
           f"columns = {spec})")  # fmt: skip
    ending = _EndOfText(path, gzipped)
    con = duckdb.connect(":memory:", config={"memory_limit": JSON_READER_MEMORY, "threads": 1})
    read_to_the_end = False
    try:
        yield from con.sql(sql, params={"path": str(path)}).to_arrow_reader(batch_rows)
        read_to_the_end = True
    except (duckdb.Error, pa.ArrowException, OSError) as exc:  # while streaming, through Arrow, as OSError
        message = _first_line(exc)
        raise JsonFileError(message, "gzip" if "GZIP" in message else "json") from None
    finally:
        con.close()
        if not read_to_the_end:  # an error, or a consumer that stopped early: the end no longer matters
            ending.cancel()
    last = ending.result()
    if last != b"]":
        raise JsonFileError(f"the JSON array is not closed: the text ends with {last!r} (cut short?)", "json")


class _EndOfText:
    """The last non-blank byte of a file's text, found on a thread for a gzipped file."""

    def __init__(self, path: Path, gzipped: bool) -> None:
        self._last: list[bytes | BaseException] = []
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._find, args=(path, gzipped), daemon=True, name="json-end")
        self._thread.start()

    def cancel(self) -> None:
        self._cancelled.set()

    def result(self) -> bytes:
        self._thread.join()
        if isinstance(self._last[0], BaseException):
            raise JsonFileError(f"cannot be read to its end ({_first_line(self._last[0])})", "gzip")
        return self._last[0]

    def _find(self, path: Path, gzipped: bool) -> None:
        try:
            self._last.append(_last_byte(path, gzipped, self._cancelled))
        except (OSError, EOFError, zlib.error) as exc:
            self._last.append(exc)


def _last_byte(path: Path, gzipped: bool, cancelled: threading.Event) -> bytes:
    tail = b""
    with open(path, "rb") as fh:
        if not gzipped:
            fh.seek(max(0, fh.seek(0, 2) - 4096))
            return fh.read().rstrip()[-1:]
        inflate = zlib.decompressobj(wbits=31)  # gzip; zlib lets other threads run while it inflates
        while (block := fh.read(1 << 20)) and not cancelled.is_set():
            out = inflate.decompress(block)
            while inflate.unused_data:  # a multi-member gzip: go on with the next member
                rest = inflate.unused_data
                inflate = zlib.decompressobj(wbits=31)
                out += inflate.decompress(rest)
            if out.strip():
                tail = out.rstrip()[-1:]
    return tail


def _quote(name: str) -> str:
    return name.replace("'", "''")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
