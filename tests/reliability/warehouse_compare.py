"""Compare two warehouses by content, leaving out what differs between honest runs.

Timestamps of the run (``*_at`` bookkeeping columns), run ids, attempt counters,
ETags and failure reasons of earlier attempts are not facts about the data; every
other column is. Rows are compared as sorted lists, so a duplicate shows up as a
difference too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

# Columns that record how and when a run did its work, not what it found.
VOLATILE = {
    "papers": {"ingested_at"},
    "links": {"ingested_at", "attributed_at"},  # when the link was attributed, not what it was found to be
    "repos": {"crawled_at", "n_attempts", "etag", "tree_etag", "status_reason", "checked_at", "next_check_at"},
    "repo_files": set(),
    "repo_evidence": set(),
    "classifications": {"classified_at"},
}


def table_rows(db: Path, table: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall() if r[0] not in VOLATILE[table]]  # fmt: skip
        select = ", ".join(f'"{c}"' for c in cols)
        return con.execute(f"SELECT {select} FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


def warehouse_differences(a: Path, b: Path, tables: tuple[str, ...] = tuple(VOLATILE)) -> dict[str, dict[str, Any]]:
    """Per differing table: row counts and a few rows only in one side (empty when equal)."""
    out = {}
    for table in tables:
        rows_a, rows_b = table_rows(a, table), table_rows(b, table)
        if rows_a != rows_b:
            only_a = sorted(set(rows_a) - set(rows_b), key=repr)[:3]
            only_b = sorted(set(rows_b) - set(rows_a), key=repr)[:3]
            out[table] = {"n": (len(rows_a), len(rows_b)), "only_first": only_a, "only_second": only_b}
    return out
