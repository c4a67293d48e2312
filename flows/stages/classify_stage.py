"""The refresh flow's classify stage: batches decided on the task runner, stored as they come.

Every crawled repository lacking a decision at the current classifier version (all of
them with ``--reclassify`` or ``--full``), plus those whose evidence a crawl just
changed. Batches are read from the warehouse when submitted (``evidence_batches``), so
memory holds only the batches in flight, at any number of repositories.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from prefect import get_run_logger
from prefect.futures import PrefectFuture, as_completed

from flows.stages.classify import evidence_batches
from flows.stages.progress import stage_bar
from flows.stopping import pause_point
from flows.store.warehouse import Warehouse


def classify_stage(wh: Warehouse, recrawled: list[str], p: dict[str, Any], batch_task: Any) -> dict[str, Any]:
    """Decide repositories lacking a current decision, plus those whose evidence just changed
    (``p``: the flow's parameters; ``batch_task``: the flow's ``classify_batch`` task)."""
    from flows.stages.classify import decision_pool, default_processes, repos_to_classify

    keys = sorted(set(repos_to_classify(wh, force=p["reclassify"] or p["full"])) | set(recrawled))
    n_batches = -(-len(keys) // p["classify_batch_size"])
    totals: dict[str, Any] = {"classified": 0, "batches": n_batches, "failed_batches": 0}
    processes = p["classify_processes"] or default_processes()
    started = time.monotonic()
    # Decided on this machine, one batch waiting per process keeps them all busy; more would
    # only hold evidence in memory (40 MB a batch). A Dask cluster gets max_in_flight.
    in_flight = min(p["max_in_flight"], processes + 1) if _runs_here() else p["max_in_flight"]
    # a pool costs a second or two to start: worth it only for more than one batch
    with decision_pool(processes if n_batches > 1 else 1):
        _classify_batches(wh, keys, totals, {**p, "max_in_flight": in_flight}, batch_task)
    totals["seconds"] = round(time.monotonic() - started, 1)
    return totals


def _runs_here() -> bool:
    """Whether the flow's tasks run in this process's threads (not on a Dask cluster)."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    context = FlowRunContext.get()
    return context is not None and isinstance(context.task_runner, ThreadPoolTaskRunner)


def _classify_batches(wh: Warehouse, keys: list[str], totals: dict[str, Any], p: dict[str, Any],
                      batch_task: Any) -> None:  # fmt: skip
    """Evidence loaded per batch as it is submitted (at most ``max_in_flight`` out); decisions stored on arrival."""
    with stage_bar("classify", len(keys), p["progress"]) as bar:

        def store(rows: list[dict[str, Any]]) -> None:
            wh.upsert("classifications", rows)
            totals["classified"] += len(rows)
            for row in rows:
                label = f"label_{row['framework']}"
                totals[label] = totals.get(label, 0) + 1
            bar.update(len(rows))
            pause_point("classify:batch-stored")

        submits = ({"batch": batch} for batch in evidence_batches(wh, keys, p["classify_batch_size"]))
        totals["failed_batches"] = _run_batches(batch_task, submits, p["max_in_flight"], store)


def _run_batches(batch_task: Any, submits: Iterable[dict[str, Any]], max_in_flight: int,
                 store: Callable[[Any], Any]) -> int:  # fmt: skip
    """Submit batches with at most ``max_in_flight`` running; store each result in completion order.

    Bounding the in-flight batches bounds memory (results wait here until stored)
    while keeping every runner slot busy. A batch that fails after its retries is
    logged and counted; the others still get stored. Returns the number that failed.
    """
    logger = get_run_logger()
    inflight: list[PrefectFuture[Any]] = []
    failed = stored = 0

    def collect(future: PrefectFuture[Any]) -> None:
        nonlocal failed, stored
        inflight.remove(future)
        try:
            result = future.result()
        except Exception as exc:  # the batch's retries are spent; the run goes on
            failed += 1
            logger.error("%s failed for good: %s", batch_task.name, exc)
            return
        store(result)
        stored += 1
        logger.info("%s: batch %d stored (%d item(s))", batch_task.name, stored, len(result))

    for kwargs in submits:
        inflight.append(batch_task.submit(**kwargs))
        if len(inflight) >= max_in_flight:
            collect(next(as_completed(list(inflight))))
    for future in as_completed(list(inflight)):
        collect(future)
    return failed
