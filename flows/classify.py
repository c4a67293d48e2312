"""Classify crawled repositories from their stored evidence.

The decision is a pure function of evidence and classifier version, so this step
needs no network: it re-runs over the warehouse whenever the rules change.

Reclassifying 200,000 repositories (about 285 evidence rows each) must run at the speed
of the rules, so a batch's evidence is one columnar Arrow load (no per-row Python tuples
from DuckDB), turned into ``Evidence`` objects in one pass, and its decisions are written
in one statement. Batches cross to Dask workers as Arrow tables, which pickle compactly.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from analysis.frameworks import CLASSIFIER_VERSION, Decision, classify_evidence
from analysis.imports import Evidence
from flows.interrupts import check_stop
from flows.store import Warehouse, utcnow

BATCH_REPOS = 2_000


def repos_to_classify(wh: Warehouse, *, force: bool = False, repo_keys: list[str] | None = None) -> list[str]:
    """Crawled repositories without a decision at the current classifier version."""
    sql = "SELECT repo_key FROM repos r WHERE status = 'ok'"
    params: list[Any] = []
    if not force:
        sql += (" AND NOT EXISTS (SELECT 1 FROM classifications c"
                " WHERE c.repo_key = r.repo_key AND c.classifier_version = ?)")
        params.append(CLASSIFIER_VERSION)
    if repo_keys:
        sql += " AND repo_key IN (SELECT unnest(?))"
        params.append(repo_keys)
    return [row[0] for row in wh.con.execute(sql + " ORDER BY repo_key", params).fetchall()]


_EVIDENCE_COLUMNS = ("repo_key", "path", "module", "kind", "is_weak")


def evidence_of(wh: Warehouse, keys: Sequence[str]) -> dict[str, Any]:
    """A classify batch: its keys and their stored evidence as one Arrow table (every key
    is decided, those without evidence too)."""
    table = wh.con.sql(
        f"SELECT {', '.join(_EVIDENCE_COLUMNS)} FROM repo_evidence WHERE repo_key IN (SELECT unnest($1))",
        params=[list(keys)],
    ).to_arrow_table()
    return {"keys": list(keys), "evidence": table}


def group_evidence(keys: Sequence[str], table: pa.Table) -> dict[str, list[Evidence]]:
    """Evidence objects per key, built column-wise in one pass (the decision ignores row order)."""
    grouped: dict[str, list[Evidence]] = {k: [] for k in keys}
    columns = [table.column(name).to_pylist() for name in _EVIDENCE_COLUMNS]
    for key, path, module, kind, is_weak in zip(*columns, strict=True):
        grouped[key].append(Evidence(path, module, kind, bool(is_weak)))
    return grouped


def classify_batch_rows(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``classifications`` row per key of an ``evidence_of`` batch (no I/O).

    An interrupted run stops between repositories rather than after the whole batch:
    a Ctrl-C must not wait for thousands of decisions nobody will store.
    """
    now = utcnow()
    rows = []
    for key, ev in group_evidence(batch["keys"], batch["evidence"]).items():
        check_stop()
        rows.append(decision_row(key, classify_evidence(ev), now))
    return rows


def default_processes() -> int:
    """Processes that decide classify batches in the flow's own process: one per CPU it may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_POOL: list[Executor] = []  # the open decision pool of this process, if any


@contextmanager
def decision_pool(processes: int) -> Iterator[None]:
    """While open, ``decide_batch`` in this process runs on ``processes`` worker processes.

    The rules are pure Python: threads share one core (the GIL), processes use them
    all. Spawned, not forked: the flow's process runs threads (Prefect, DuckDB) that a
    fork would copy mid-lock. The pool lives for one classify stage and is shut down
    with it. A Dask worker process has no pool open: it decides in itself.
    """
    if processes <= 1:
        yield
        return
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
    _POOL.append(pool)
    try:
        yield
    except BaseException:
        _POOL.remove(pool)
        pool.shutdown(wait=False, cancel_futures=True)  # an interrupted run does not wait for a batch
        raise
    _POOL.remove(pool)
    pool.shutdown(cancel_futures=True)


def decide_batch(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """``classify_batch_rows`` on the open decision pool, else in this thread."""
    if _POOL:
        return _POOL[0].submit(classify_batch_rows, batch).result()
    return classify_batch_rows(batch)


def decision_row(repo_key: str, decision: Decision, classified_at: Any = None) -> dict[str, Any]:
    return {
        "repo_key": repo_key,
        "classifier_version": decision.classifier_version,
        "framework": decision.framework,
        "confidence": decision.confidence,
        "scores": json.dumps(decision.scores, sort_keys=True),
        "reason": decision.reason,
        "evidence": json.dumps([[e.path, e.module, e.kind, e.is_weak] for e in decision.evidence]),
        "classified_at": classified_at or utcnow(),
    }


def classify_stored(wh: Warehouse, *, force: bool = False, repo_keys: list[str] | None = None,
                    progress: Callable[[int], None] | None = None) -> dict[str, int]:  # fmt: skip
    """Decide every crawled repository lacking a current decision; commits per batch."""
    keys = repos_to_classify(wh, force=force, repo_keys=repo_keys)
    by_label: dict[str, int] = {}
    for start in range(0, len(keys), BATCH_REPOS):
        batch = keys[start : start + BATCH_REPOS]
        rows = classify_batch_rows(evidence_of(wh, batch))
        wh.upsert("classifications", rows)
        for row in rows:
            by_label[row["framework"]] = by_label.get(row["framework"], 0) + 1
        if progress:
            progress(len(batch))
    return {"classified": len(keys), **{f"label_{k}": v for k, v in sorted(by_label.items())}}
