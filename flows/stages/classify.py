"""Classify crawled repositories from their stored evidence.

The decision is a pure function of evidence and classifier version, so this step
needs no network: it re-runs over the warehouse whenever the rules change.

Reclassifying 200,000 repositories (about 285 evidence rows each) must run at the speed
of the rules, so a batch's evidence is one columnar Arrow load (no per-row Python tuples
from DuckDB), turned into ``Evidence`` objects in one pass, and its decisions are written
in one statement. Batches cross to Dask workers as Arrow tables, which pickle compactly.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import groupby, repeat
from operator import itemgetter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from analysis.classifier.frameworks import CLASSIFIER_VERSION, Decision, classify_evidence
from analysis.classifier.imports import Evidence
from flows.clock import utcnow
from flows.stopping import check_stop
from flows.store import evidence as store
from flows.store.evidence import EVIDENCE_COLUMNS
from flows.store.warehouse import Warehouse

BATCH_REPOS = 2_000


def repos_to_classify(wh: Warehouse, *, force: bool = False, repo_keys: list[str] | None = None) -> list[str]:
    """Crawled repositories without a decision at the current classifier version (all of them with ``force``)."""
    return store.undecided_repos(wh, CLASSIFIER_VERSION, force=force, repo_keys=repo_keys)


def evidence_of(wh: Warehouse, keys: Sequence[str], rowids: tuple[int, int] | None = None) -> dict[str, Any]:
    """A classify batch: its keys and their stored evidence as one Arrow table (every key
    is decided, those without evidence too). ``rowids``: the span of row ids that holds
    the keys' evidence, so that only that part of the table is read."""
    return {"keys": list(keys), "evidence": store.evidence_table(wh, keys, rowids)}


def evidence_batches(wh: Warehouse, keys: Sequence[str], size: int) -> Iterator[dict[str, Any]]:
    """``keys`` in classify batches of ``size`` with their evidence, each read when asked for.

    A crawl writes a repository's evidence rows together, so keys taken in the order their
    rows are stored make each batch one narrow span of row ids, which DuckDB reads without
    touching the rest of the table; a filter by key alone scans the whole table for every
    batch (42 million rows at 200,000 repositories, seconds a batch). The span only narrows
    the read: the key filter decides, and a batch whose row count differs from the plan's
    (rows moved since) is read again by key alone.
    """
    spans = store.evidence_spans(wh, keys)
    with_evidence = {key for key, *_ in spans}
    plan = [*spans, *((key, None, None, 0) for key in keys if key not in with_evidence)]
    del spans, with_evidence
    for start in range(0, len(plan), size):
        chunk = plan[start : start + size]
        chunk_keys = [key for key, *_ in chunk]
        lows = [low for _, low, _, _ in chunk if low is not None]
        if not lows:
            yield evidence_of(wh, chunk_keys)
            continue
        batch = evidence_of(wh, chunk_keys, (min(lows), max(high for _, _, high, n in chunk if n)))
        if batch["evidence"].num_rows != sum(n for *_, n in chunk):
            batch = evidence_of(wh, chunk_keys)
        yield batch


def group_evidence(keys: Sequence[str], table: pa.Table) -> dict[str, list[Evidence]]:
    """Evidence objects per key, every key (those without evidence too); any row order.

    Built in C end to end (about 0.2 s for 2,000 repositories, where a Python loop took
    1.3 s): each column's distinct strings become Python strings once, rows become
    ``Evidence`` tuples by ``map``, and runs of one key are cut by ``groupby`` (a
    repository's rows are stored together, so there is about one run per key). The
    collector is paused meanwhile: 400,000 new tuples would set it off hundreds of times
    to find no cycle.
    """
    grouped: dict[str, list[Evidence]] = {k: [] for k in keys}
    with _collector_paused():
        repo_keys, paths, modules, kinds = (_strings(table.column(name)) for name in EVIDENCE_COLUMNS[:4])
        weak = table.column("is_weak").to_pylist()
        rows = map(tuple.__new__, repeat(Evidence), zip(paths, modules, kinds, weak, strict=True))
        for key, run in groupby(zip(repo_keys, rows, strict=True), key=itemgetter(0)):
            grouped[key].extend(map(itemgetter(1), run))
    return grouped


def _strings(column: pa.ChunkedArray) -> list[str]:
    """A string column as Python strings, one object per distinct value (modules, kinds and
    paths repeat: fewer objects to make, and less memory)."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    return list(map(encoded.dictionary.to_pylist().__getitem__, encoded.indices.to_pylist()))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a while (objects without cycles are still freed)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def classify_batch_rows(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``classifications`` row per key of an ``evidence_of`` batch (no I/O).

    An interrupted run stops between repositories rather than after the whole batch:
    a Ctrl-C must not wait for thousands of decisions nobody will store. The rules make
    no reference cycles, so the cyclic collector is paused meanwhile (about 5% faster).
    """
    now = utcnow()
    rows = []
    with _collector_paused():
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
    for batch in evidence_batches(wh, keys, BATCH_REPOS):
        rows = classify_batch_rows(batch)
        wh.upsert("classifications", rows)
        for row in rows:
            by_label[row["framework"]] = by_label.get(row["framework"], 0) + 1
        if progress:
            progress(len(rows))
    return {"classified": len(keys), **{f"label_{k}": v for k, v in sorted(by_label.items())}}
