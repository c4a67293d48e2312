"""Named reads of stored evidence for the classify stage: which repositories to decide, and their rows.

Reclassifying 200,000 repositories (about 285 evidence rows each) must run at the speed
of the rules, so a batch's evidence is one columnar Arrow load (no per-row Python tuples).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from flows.store.warehouse import Warehouse

EVIDENCE_COLUMNS = ("repo_key", "path", "module", "kind", "is_weak")


def undecided_repos(wh: Warehouse, classifier_version: str, *, force: bool = False,
                    repo_keys: list[str] | None = None) -> list[str]:  # fmt: skip
    """Crawled (``ok``) repositories without a decision at ``classifier_version`` (every one with ``force``),
    among ``repo_keys`` when given, in key order."""
    sql = "SELECT repo_key FROM repos r WHERE status = 'ok'"
    params: list[Any] = []
    if not force:
        sql += (" AND NOT EXISTS (SELECT 1 FROM classifications c"
                " WHERE c.repo_key = r.repo_key AND c.classifier_version = ?)")
        params.append(classifier_version)
    if repo_keys:
        sql += " AND repo_key IN (SELECT unnest(?))"
        params.append(repo_keys)
    return [row[0] for row in wh.con.execute(sql + " ORDER BY repo_key", params).fetchall()]


def evidence_table(wh: Warehouse, keys: Sequence[str], rowids: tuple[int, int] | None = None) -> pa.Table:
    """The evidence rows of ``keys`` as one Arrow table; ``rowids`` narrows the scan to a span of row ids."""
    sql = f"SELECT {', '.join(EVIDENCE_COLUMNS)} FROM repo_evidence WHERE repo_key IN (SELECT unnest($1))"
    params: list[Any] = [list(keys)]
    if rowids is not None:
        sql += " AND rowid BETWEEN $2 AND $3"
        params += rowids
    return wh.con.sql(sql, params=params).to_arrow_table()


def evidence_spans(wh: Warehouse, keys: Sequence[str]) -> list[tuple[str, int, int, int]]:
    """(key, first row id, last row id, rows) of each key that has evidence, in storage order."""
    return wh.con.execute(
        "SELECT repo_key, min(rowid), max(rowid), count(*) FROM repo_evidence"
        " WHERE repo_key IN (SELECT unnest($1)) GROUP BY repo_key ORDER BY 2", [list(keys)]).fetchall()  # fmt: skip
