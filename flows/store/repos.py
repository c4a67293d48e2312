"""Named reads and writes of repositories for the crawl: which are due, their stored state, a batch's results.

The crawl's rules (what is due, backoffs, renames) live in flows/crawl/; here is only
how they meet the tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from flows.store.warehouse import Warehouse

Rows = Sequence[Mapping[str, Any]]


def add_pending_repos(wh: Warehouse, full_names: Sequence[str], source: str) -> list[str]:
    """Pending rows for repositories named by a person; existing rows are left alone. Returns their keys."""
    rows = [{"repo_key": n.strip("/").lower(), "full_name": n.strip("/"), "status": "pending", "source": source}
            for n in full_names]  # fmt: skip
    wh.insert_new("repos", rows)
    return [r["repo_key"] for r in rows]


def stored_repo_keys(wh: Warehouse, keys: Sequence[str]) -> list[str]:
    """Those of ``keys`` the warehouse holds a row for, sorted."""
    rows = wh.con.execute("SELECT repo_key FROM repos WHERE repo_key IN (SELECT unnest(?)) ORDER BY repo_key",
                          [sorted({k.lower() for k in keys})]).fetchall()  # fmt: skip
    return [r[0] for r in rows]


def due_repo_keys(wh: Warehouse, now: datetime, *, with_ok: bool = False, limit: int | None = None) -> list[str]:
    """Crawlable repositories whose ``next_check_at`` has passed or is unset (plus every ``ok`` one with
    ``with_ok``), least recently checked first. The sample's repositories and renamed keys are never due."""
    due = "(next_check_at IS NULL OR next_check_at <= ?)" + (" OR status = 'ok'" if with_ok else "")
    sql = (f"SELECT repo_key FROM repos WHERE coalesce(source, '') <> 'sample' AND status <> 'renamed' AND ({due}) "
           "ORDER BY crawled_at NULLS FIRST, repo_key")  # fmt: skip
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [row[0] for row in wh.con.execute(sql, [now]).fetchall()]


def repo_rows(wh: Warehouse, keys: Sequence[str]) -> list[dict[str, Any]]:
    """The stored ``repos`` rows of ``keys``, every column (upserts keep what other steps wrote)."""
    return wh.query("SELECT * FROM repos WHERE repo_key IN (SELECT unnest(?))", [list(keys)])


def link_scopes(wh: Warehouse, keys: Sequence[str]) -> dict[str, list[str]]:
    """The sub-folders the links of each repository point into; empty where any link takes the whole repository."""
    return dict(wh.con.execute(
        "SELECT repo_key, CASE WHEN bool_or(scope IS NULL) THEN [] ELSE list(DISTINCT scope ORDER BY scope) END "
        "FROM links WHERE repo_key IN (SELECT unnest(?)) AND skip_reason IS NULL GROUP BY repo_key", [list(keys)],
    ).fetchall())  # fmt: skip


def store_crawl_batch(wh: Warehouse, rows: Rows, replaced_keys: Sequence[str], moves: Sequence[tuple[str, str]],
                      files: Rows, evidence: Rows) -> None:  # fmt: skip
    """Commit a batch of finished repositories in one transaction.

    ``rows`` are full ``repos`` rows; the files and evidence of ``replaced_keys`` are
    swapped for ``files``/``evidence``; each ``(old, new)`` of ``moves`` (a renamed
    repository whose head did not change) re-keys its stored files and evidence instead
    of fetching them again.
    """
    with wh.transaction():
        if rows:
            wh.upsert("repos", rows)
        if not replaced_keys:
            return
        for table in ("repo_evidence", "repo_files"):
            wh.con.execute(f"DELETE FROM {table} WHERE repo_key IN (SELECT unnest(?))", [list(replaced_keys)])
            for old, new in moves:
                wh.con.execute(f"INSERT INTO {table} BY NAME SELECT * REPLACE (?::VARCHAR AS repo_key) "
                               f"FROM {table} WHERE repo_key = ?", [new, old])  # fmt: skip
                wh.con.execute(f"DELETE FROM {table} WHERE repo_key = ?", [old])
        wh.upsert("repo_files", files)
        wh.upsert("repo_evidence", evidence)
