"""The hand-written streaming JSON reader the archive used before DuckDB's ``read_json``, kept
as the ingest bench's baseline (bench/ingest_bench.py, modes ``*-handwritten``).

It decoded one record at a time with the stdlib's ``raw_decode`` over a sliding window of
text, in bounded memory. flows/sources/pwc_archive.py now reads ``.json.gz`` through
:func:`flows.store.ingest.read_json_array`; the numbers that decided it are in
bench/BENCHMARKS.md ("Ingest"). Not used by the product.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from flows.sources.pwc_archive import ArchiveError, _iter_parquet, file_format

MAX_JSON_RECORD_CHARS = 16 << 20


def iter_records(path: Path, columns: Sequence[str], batch_rows: int = 50_000) -> Iterator[dict[str, Any]]:
    """``pwc_archive.iter_records`` as it was: Parquet by pyarrow, JSON by :func:`iter_json_array`."""
    kind = file_format(path)
    try:
        if kind == "parquet":
            yield from _iter_parquet(path, columns, batch_rows)
        else:
            opener = gzip.open if kind == "json.gz" else open
            with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
                yield from iter_json_array(fh)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ArchiveError(f"{path.name}: truncated or corrupt gzip ({exc}); nothing was stored") from None


def iter_json_array(fh: IO[str], chunk_chars: int = 1 << 20) -> Iterator[Any]:
    """The elements of one top-level JSON array, decoded one at a time from a text stream.

    The stdlib decoder needs a whole value in memory, not the whole file: we keep a
    window of text, decode the next value with ``raw_decode`` and read more when a
    value runs past the window's end. A value larger than ``MAX_JSON_RECORD_CHARS``
    or text that ends early is an error, never a silent stop.
    """
    reader = _JsonWindow(fh, chunk_chars)
    if reader.next_char() != "[":
        raise ArchiveError("not a JSON array")
    if reader.peek_char() == "]":
        reader.next_char()
        return reader.expect_end()
    while True:
        yield reader.decode_value()
        sep = reader.next_char()
        if sep == "]":
            return reader.expect_end()
        if sep != ",":
            raise ArchiveError(f"malformed JSON array: expected ',' or ']' near character {reader.offset:,}")


class _JsonWindow:
    """A sliding window over a text stream for :func:`iter_json_array`."""

    def __init__(self, fh: IO[str], chunk_chars: int) -> None:
        self.fh, self.chunk_chars = fh, chunk_chars
        self.buf, self.pos, self.consumed, self.eof = "", 0, 0, False
        self.decoder = json.JSONDecoder()

    @property
    def offset(self) -> int:
        return self.consumed + self.pos

    def _fill(self) -> bool:
        """Read more text (dropping what was consumed); False at end of stream."""
        if self.eof:
            return False
        more = self.fh.read(self.chunk_chars)
        self.consumed += self.pos
        self.buf, self.pos = self.buf[self.pos :] + more, 0
        self.eof = not more
        return bool(more)

    def peek_char(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf) or not self._fill():
                return self.buf[self.pos : self.pos + 1]

    def next_char(self) -> str:
        char = self.peek_char()
        if not char:
            raise ArchiveError(f"JSON ends early near character {self.offset:,} (truncated file?)")
        self.pos += 1
        return char

    def decode_value(self) -> Any:
        self.peek_char()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > MAX_JSON_RECORD_CHARS or not self._fill():
                    where = f"near character {self.offset:,}"
                    raise ArchiveError(f"malformed or truncated JSON {where}: {exc.msg}") from None
                continue
            if not isinstance(value, dict | list | str) and not self._delimited(end) and self._fill():
                continue  # a number may go on in the next chunk ("-1" of "-1.5"): decode again with it
            self.pos = end
            return value

    def _delimited(self, end: int) -> bool:
        """True when a scalar ending at ``end`` is followed by something that ends a value."""
        return end < len(self.buf) and self.buf[end] in " \t\r\n,]}"

    def expect_end(self) -> None:
        if self.peek_char():
            raise ArchiveError(f"unexpected text after the JSON array near character {self.offset:,}")
