"""Find a secret anywhere a run may have left it: raw bytes and decoded stores.

A raw byte search is not enough: DuckDB compresses strings (FSST, dictionaries), Parquet
pages are snappy/zstd-compressed and logs may be gzipped, so a stored token need not
appear literally in the file. Each of those formats is therefore also opened and its
text values searched: DuckDB files read-only through duckdb, Parquet through pyarrow,
SQLite (Prefect's database) through sqlite3, ``.gz`` by decompressing.

And a raw token is not the only form: git sends ``Authorization: Basic`` with the base64
of ``x-access-token:TOKEN`` (or ``user:TOKEN``), where the token's bytes never appear.
:func:`secret_forms` gives every form searched for: the token, and its base64 at each of
the three alignments a prefix can give it (which finds it inside the base64 of
``anything:TOKEN``), and its URL-encoded form.
"""

from __future__ import annotations

import base64
import gzip
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Hit:
    """Where the secret was found and in which representation."""

    path: str
    how: str  # raw | base64 | duckdb:<table>.<column> | parquet:<column> | sqlite:<table>.<column> | gzip


def secret_forms(secret: str) -> list[tuple[str, str]]:
    """(text, how) of every form the secret is searched in: raw, URL-encoded, base64 at each alignment.

    Base64 encodes 3 bytes as 4 characters, so ``prefix + secret`` encodes the secret one
    of three ways depending on ``len(prefix) % 3``; the characters wholly inside the
    secret's span are the same whatever the prefix, and that run is the needle.
    """
    raw = secret.encode()
    forms = [(secret, "raw"), (urllib.parse.quote(secret, safe=""), "url-encoded")]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        start = (shift * 4 + 2) // 3  # the first character that depends on the secret's bytes only
        stop = ((shift + len(raw)) // 3) * 4  # the last whole group of the secret's bytes
        forms.append((encoded[start:stop], f"base64@{shift}"))
    first: dict[str, str] = {}
    for text, how in forms:
        first.setdefault(text, how)  # a token with nothing to URL-encode is searched once
    return list(first.items())


def holds_secret(data: bytes, secret: str) -> list[str]:
    """The forms of ``secret`` that ``data`` holds (empty: none)."""
    return [how for text, how in secret_forms(secret) if text.encode() in data]


def find_secret(roots: list[Path], secret: str) -> list[Hit]:
    """Every place under ``roots`` holding ``secret`` in any form (symlinks are not followed)."""
    needles = [(text.encode(), how) for text, how in secret_forms(secret)]
    hits: list[Hit] = []
    for path in _regular_files(roots):
        hits += _raw_hits(path, needles)
        for text, how in secret_forms(secret):
            hits += [Hit(h.path, f"{h.how}:{how}") for h in _decoded_hits(path, text)]
    return hits


def count_files(roots: list[Path]) -> int:
    """How many files a search covered (so a test can say it searched something)."""
    return sum(1 for _ in _regular_files(roots))


def _regular_files(roots: list[Path]) -> list[Path]:
    files = []
    for root in roots:
        if root.is_file():
            files.append(root)
            continue
        for dirpath, _dirs, names in os.walk(root, followlinks=False):
            for name in names:
                path = Path(dirpath) / name
                if path.is_file() and not path.is_symlink():
                    files.append(path)
    return sorted(files)


def _raw_hits(path: Path, needles: list[tuple[bytes, str]]) -> list[Hit]:
    """Chunked search with an overlap, so a needle across a chunk border is still found."""
    longest = max(len(n) for n, _ in needles)
    found: set[str] = set()
    tail = b""
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                window = tail + chunk
                found.update(how for needle, how in needles if needle in window)
                tail = window[-longest:]
    except OSError:
        return []
    return [Hit(str(path), how) for how in sorted(found)]


def _decoded_hits(path: Path, secret: str) -> list[Hit]:
    name = path.name.lower()
    if name.endswith((".duckdb", ".db.duckdb")):
        return _duckdb_hits(path, secret)
    if name.endswith(".parquet"):
        return _parquet_hits(path, secret)
    if name.endswith((".db", ".sqlite", ".sqlite3")):
        return _sqlite_hits(path, secret)
    if name.endswith(".gz"):
        return _gzip_hits(path, secret)
    return []


def _duckdb_hits(path: Path, secret: str) -> list[Hit]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
        ).fetchall()
        hits = []
        for table, column in cols:
            n = con.execute(f'SELECT count(*) FROM "{table}" WHERE contains("{column}", ?)', [secret]).fetchall()
            if n[0][0]:
                hits.append(Hit(str(path), f"duckdb:{table}.{column}"))
        return hits
    finally:
        con.close()


def _parquet_hits(path: Path, secret: str) -> list[Hit]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    hits = []
    for column in table.column_names:
        values = table[column].to_pylist()
        if any(secret in str(v) for v in values if v is not None):
            hits.append(Hit(str(path), f"parquet:{column}"))
    return hits


def _sqlite_hits(path: Path, secret: str) -> list[Hit]:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    except sqlite3.DatabaseError:
        return []  # not a SQLite file after all
    hits = []
    try:
        for table in tables:
            for column in [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]:
                query = f'SELECT count(*) FROM "{table}" WHERE instr(CAST("{column}" AS TEXT), ?) > 0'
                if con.execute(query, [secret]).fetchall()[0][0]:
                    hits.append(Hit(str(path), f"sqlite:{table}.{column}"))
    finally:
        con.close()
    return hits


def _gzip_hits(path: Path, secret: str) -> list[Hit]:
    try:
        with gzip.open(path, "rb") as fh:
            found = secret.encode() in fh.read()
    except (OSError, EOFError):
        return []
    return [Hit(str(path), "gzip")] if found else []
