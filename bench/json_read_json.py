"""The challenger the ingest bench measures against the product's hand-written JSON parser:
the archive's ``.json.gz`` through DuckDB's ``read_json`` (bench/ingest_bench.py, modes
``ingest-json`` and ``read-json``).

Issue 21 asked for ``read_json`` in place of the hand-written streaming parser if the bench
showed it faster within 1.3 GB peak on the full-size archive. It did not (ingest 1.38x the
median wall, 1.08x the peak; the reader alone 0.96x the wall for 8.4x the memory; bench/BENCHMARKS.md,
"Ingest"), so the product keeps :func:`flows.sources.pwc_archive.iter_json_array` and this
reader lives here, complete (column projection, the same errors), so the comparison can be
run again when DuckDB changes. Not used by the product.

A private in-memory connection streams the (gzipped) file and materialises only the wanted
columns as text, as the JSON spells them (``true``, ``1``). DuckDB accepts an array that ends
right after a ``,`` (``[{...},``) as complete, so the end of the text is checked too, for a
gzipped file by a second decompression on a thread beside DuckDB's.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from flows.sources.pwc_archive import ArchiveError, _iter_parquet, file_format


def iter_records(path: Path, columns: Sequence[str], batch_rows: int = 50_000) -> Iterator[dict[str, Any]]:
    """``pwc_archive.iter_records`` with JSON read by :func:`read_json_array` (Parquet as the product)."""
    kind = file_format(path)
    try:
        if kind == "parquet":
            yield from _iter_parquet(path, columns, batch_rows)
        else:
            for batch in read_json_array(path, columns, gzipped=kind == "json.gz", batch_rows=batch_rows):
                yield from batch.to_pylist()
    except JsonFileError as exc:
        what = "truncated or corrupt gzip" if exc.kind == "gzip" else "malformed or truncated JSON"
        raise ArchiveError(f"{path.name}: {what} ({exc}); nothing was stored") from None


JSON_READER_MEMORY = "128MB"
"""The private connection's memory limit: it only streams, and it would run beside the warehouse's."""


class JsonFileError(ValueError):
    """A JSON file DuckDB could not read to its end (malformed, truncated, not an array); ``kind``
    says which: ``gzip`` (the compressed stream broke off), ``json`` (the text), ``io`` (the file)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def read_json_array(path: Path, columns: Sequence[str], *, gzipped: bool, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The elements of a file holding one JSON array, as Arrow batches of ``columns`` (all VARCHAR).

    DuckDB's ``read_json`` on a private in-memory connection (no warehouse involved) streams
    the (gzipped) file and materialises only ``columns``: the abstracts never reach Python.
    Every column is read as text, as the JSON spells it (``true``, ``1``, ``2018-06-01``), for
    the source to convert like any other record; a key a record lacks is NULL. An error, which
    may come after batches were yielded, is a :class:`JsonFileError`. The end of the text is
    checked as the module's docstring says.
    """
    import duckdb  # the bench may; the product opens DuckDB only in flows/store

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
