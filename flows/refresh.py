"""The refresh flow: ingest -> crawl -> classify -> attribute -> export -> report.

One process (the flow's) is the warehouse's only writer: DuckDB allows one. The
crawl and classify stages cut their work into batches that are submitted to the
task runner (threads, or a Dask cluster) as plain rows, and the flow stores each
batch's result as soon as it completes, so a crash loses at most the batches in
flight and a rerun resumes where it stopped. Ingest, export and report run in the
flow's process, one after another.

Parameters are switches and paths only, validated from the type hints: the GitHub
token is read from the environment by whoever makes the requests and never becomes
a parameter, a result or a log line.
"""


import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from flows.settings import Settings, quiet_prefect_defaults

quiet_prefect_defaults()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.futures import PrefectFuture, as_completed  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402
from prefect.tasks import exponential_backoff  # noqa: E402

from flows.report.run_summary import publish_artifacts  # noqa: E402
from flows.service.run_logs import logs_to_flow_run  # noqa: E402
from flows.service.signals import is_interrupt, stop_on_signals  # noqa: E402
from flows.sources.http import SourceUnreachable, check_reachable  # noqa: E402
from flows.sources.reachability import (  # noqa: E402
    archive_hosts,
    catalog_host,
    check_github_reachable,
    wants_catalog,
)
from flows.stages import ingest  # noqa: E402
from flows.stages.classify import BATCH_REPOS as CLASSIFY_BATCH  # noqa: E402
from flows.stages.export import is_remote  # noqa: E402
from flows.stages.progress import stage_bar  # noqa: E402
from flows.stopping import (  # noqa: E402
    STOP,
    StopRequested,
    check_stop,
    first_signal,
    forget_work_done,
    mark_work_done,
    pause_point,
    request_stop,
    signal_received,
)
from flows.store.parquet import export_tables  # noqa: E402
from flows.store.runs import completed_runs  # noqa: E402
from flows.store.status import warehouse_status  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402

Axis = Literal["venue-year", "paper-date", "repo-created"]
Freq = Literal["year", "quarter", "month"]
PositiveInt = Annotated[int, Field(ge=1)]


def is_worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """A Prefect ``retry_condition_fn``: retries are for faults of a reachable service.

    Not for a source that is not there at all, and not once the run is stopping.
    """
    try:
        state.result()
    except (SourceUnreachable, StopRequested):
        return False
    except Exception:  # noqa: BLE001 - any other failure is what retries are for
        pass
    return not STOP.is_set()


# Network stages retry a failed batch after 10, 20, 40 s (+-50%): the HTTP client
# already retries single requests, so a task retry means something bigger broke
# (a dropped connection pool, a worker lost) and deserves a longer pause.
NETWORK_RETRIES = dict(retries=3, retry_delay_seconds=exponential_backoff(backoff_factor=10), retry_jitter_factor=0.5,
                       retry_condition_fn=is_worth_retrying)  # fmt: skip


class RefreshIncomplete(RuntimeError):
    """Some batches failed for good; everything else was stored and the run is recorded."""


@contextmanager
def global_limit(name: str | None) -> Iterator[None]:
    """Hold one slot of a Prefect global concurrency limit, when a name is given.

    For budgets shared between processes (several flows, several Dask workers)
    against one token or host; create it first: ``prefect gcl create github-api
    --limit 4``. ``strict`` makes a misspelt name an error instead of no limit.
    """
    if not name:
        yield
        return
    from prefect.concurrency.sync import concurrency

    with concurrency(name, occupy=1, strict=True):
        yield


# --- tasks: ingest (flow process; they write through the run's one connection) ---------


@task(name="ingest_sample", cache_policy=NO_CACHE, persist_result=False)
def ingest_sample(wh: Warehouse, sample_dir: str) -> dict[str, int]:
    """The bundled sample: papers, links and already-extracted evidence, no network."""
    return ingest.ingest_sample(wh, Path(sample_dir))


@task(name="ingest_archive", cache_policy=NO_CACHE, persist_result=False, **NETWORK_RETRIES)
def ingest_archive(wh: Warehouse, settings: Settings, links: str, papers: str, progress: bool) -> dict[str, Any]:
    """The Papers with Code archive files; the source module skips unchanged downloads by ETag."""
    return ingest.ingest_archive(wh, links, papers, settings, progress=progress)


@task(name="ingest_catalog", cache_policy=NO_CACHE, persist_result=False, **NETWORK_RETRIES)
def ingest_catalog(wh: Warehouse, settings: Settings, venues: list[str] | None, since: date | None,
                   limit_name: str | None) -> dict[str, Any]:  # fmt: skip
    """New papers from the live catalog; one task, as the catalog wants one polite client."""
    with global_limit(limit_name):
        return ingest.ingest_catalog(wh, settings, venues, since)


# --- tasks: batches (anywhere: threads or Dask workers; no warehouse) -------------------


@task(name="crawl_batch", cache_policy=NO_CACHE, persist_result=False, **NETWORK_RETRIES)
def crawl_batch(states: list[Any], limit_name: str | None, via: str = "api") -> dict[str, Any]:
    """One batch of repositories fetched and extracted; the outcomes come back to the flow to store."""
    from flows.crawl.transport import crawl_batch_outcomes

    check_stop()  # a batch still queued when the run is interrupted is not started
    with global_limit(limit_name):
        return crawl_batch_outcomes(states, via)


# Not cached: each batch's decisions are stored as it completes, so a rerun never selects
# them again; fingerprinting a batch's evidence to cache it cost about as much as deciding again.
@task(name="classify_batch", cache_policy=NO_CACHE, persist_result=False)
def classify_batch(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """Decisions for one batch of repositories (keys + an Arrow table of their evidence); pure CPU work."""
    from flows.stages.classify import decide_batch

    check_stop()  # a batch still queued when the run is interrupted is not started
    return decide_batch(batch)


@task(name="attribute_links", cache_policy=NO_CACHE, persist_result=False)
def attribute_links(wh: Warehouse, force: bool) -> dict[str, Any]:
    """Attribute links from stored facts: new, changed, or decided under older rules (no network)."""
    from flows.stages.attribute import attribute_links as attribute

    return attribute(wh, force=force)


# --- tasks: outputs (flow process) --------------------------------------------------------


@task(name="export_parquet", cache_policy=NO_CACHE, persist_result=False)
def export_parquet(wh: Warehouse, local_dir: str, target: str | None) -> list[str]:
    """Parquet exports in ``local_dir``, then uploaded to ``target`` when it is an fsspec URL."""
    from flows.stages.export import publish_exports

    written = sorted(str(p) for p in export_tables(wh, local_dir).values())
    return publish_exports(local_dir, target) if target else written


@task(name="write_report", cache_policy=NO_CACHE, persist_result=False)
def write_report(wh: Warehouse, out_dir: str, axis: str, freq: str, include_ports: bool = False) -> dict[str, Any]:
    from flows.report.write import write_report as write

    written = write(wh, out_dir, axis=axis, freq=freq, include_ports=include_ports)
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in written.items()}


# --- the flow ----------------------------------------------------------------------------------


@flow(name="refresh", validate_parameters=True, persist_result=False)
def refresh(
    sample: bool = False,
    sample_dir: str | None = None,
    links: str | None = None,
    papers: str | None = None,
    catalog: bool = False,
    venues: list[str] | None = None,
    since: date | None = None,
    limit: Annotated[int, Field(ge=0)] | None = None,
    full: bool = False,
    reclassify: bool = False,
    axis: Axis = "venue-year",
    freq: Freq = "year",
    include_ports: bool = False,
    db: str | None = None,
    parquet_dir: str | None = None,
    reports_dir: str | None = None,
    crawl_batch_size: PositiveInt | None = None,
    classify_batch_size: PositiveInt = CLASSIFY_BATCH,
    max_in_flight: PositiveInt = 8,
    classify_processes: PositiveInt | None = None,
    github_limit: str | None = None,
    catalog_limit: str | None = None,
    progress: bool = False,
    via: Literal["git", "api"] | None = None,
) -> dict[str, Any]:
    """Bring the warehouse up to date and redraw the report; incremental unless ``full``.

    Incremental: new papers (the catalog since the last run) and the repositories the
    crawl driver finds due (flows/crawl/driver.py: new, failed with tries left, ``ok``
    ones unchecked for 30 days, gone ones whose backoff ran out). ``full`` asks about
    every ``ok`` repository again (still conditionally: an unchanged head is not re-read,
    its content is the same by definition), reads the catalog from the start and
    re-decides every repository.

    Sources: ``sample`` (bundled, offline; ``sample_dir`` for another folder in its
    format), ``links``+``papers`` (archive files, path or URL), ``catalog`` or
    ``venues``/``since`` (live catalog; ``since`` defaults to the last completed
    catalog refresh). ``parquet_dir`` may be an fsspec URL
    (``s3://bucket/papertrends``). ``github_limit``/``catalog_limit`` name Prefect
    global concurrency limits shared between processes. ``reclassify`` re-decides
    every crawled repository from stored evidence, with no network.
    ``classify_processes`` (default: one per CPU) decide the classify batches that run in
    this process; batches on Dask workers are decided by the workers. ``via``: how
    repositories are fetched (git, or the API and raw host; None: git when installed).
    ``include_ports`` makes the report count every linked implementation, not only
    each paper's own code.
    """
    params = dict(locals())  # first statement: exactly the flow's parameters
    # Our handlers for the whole body: Prefect's SIGTERM handler raises an exception that a
    # running DuckDB statement turns into a plain RuntimeError, and the signal would be lost.
    with stop_on_signals():
        settings = Settings.for_db(db)
        run_id = str(flow_run.get_id())
        # The run's one writer connection: every stage stores through it, so a reader that
        # comes and goes between stages can never make a later stage fail to open the file.
        with logs_to_flow_run(run_id), Warehouse.open_writer(settings.db_path) as wh:
            counts = _run_recorded(wh, run_id, settings, params)
    failed = _failed_batches(counts)
    if failed:
        raise RefreshIncomplete(f"{failed} batch(es) failed after retries; the rest is stored (see the log)")
    return counts


def _run_recorded(wh: Warehouse, run_id: str, settings: Settings, params: dict[str, Any]) -> dict[str, Any]:
    """The stages between a ``runs`` row's start and its end: completed, partial, failed or interrupted.

    The row is written and closed under our own signal handlers (Prefect's SIGTERM handler
    raises an exception that a running DuckDB query turns into a plain RuntimeError, and the
    signal would be lost), so a signal at any moment before the row says ``completed`` leaves
    it ``interrupted``; one after it leaves it ``completed`` and the command says so.
    """
    counts: dict[str, Any] = {}
    forget_work_done()
    recorded = False
    try:
        with stop_on_signals():
            wh.start_run(run_id, "refresh", params)
            pause_point("refresh:run-started")
            _run_stages(counts, settings, wh, params)
            status = "partial" if _failed_batches(counts) else "completed"
            wh.finish_run(run_id, status, counts, None)
            recorded = True
            mark_work_done(f"the refresh run, recorded {status}")
    except BaseException as exc:
        if recorded:  # the row is final; whatever surfaced afterwards changes nothing stored
            raise
        if is_interrupt(exc):
            request_stop()  # batches on other threads stop at their next request instead of finishing
        wh.abort_transaction()  # a signal can land between BEGIN and the try that would roll back
        wh.finish_run(run_id, "interrupted" if is_interrupt(exc) else "failed", counts, _why_it_ended(exc))
        raise
    publish_artifacts(warehouse_status(wh), counts)
    return counts


def _failed_batches(counts: dict[str, Any]) -> int:
    return int(counts.get("crawl", {}).get("failed_batches", 0) + counts.get("classify", {}).get("failed_batches", 0))


def _why_it_ended(exc: BaseException) -> str:
    """The run row's error: the signal that stopped it (not whatever exception it surfaced as), else the error."""
    if signal_received():
        return f"stopped by {signal.Signals(first_signal()).name}"
    return f"{type(exc).__name__}: {exc}".strip(": ")


def _run_stages(counts: dict[str, Any], settings: Settings, wh: Warehouse, p: dict[str, Any]) -> None:
    """The stages in order, each adding its counts as soon as it is done."""
    from flows.stages.classify_stage import classify_stage

    counts["ingest"] = _ingest_stage(wh, settings, p)
    recrawled: list[str] = []
    if not p["sample"] and not p["reclassify"]:
        counts["crawl"], recrawled = _crawl_stage(wh, p)
    counts["classify"] = classify_stage(wh, recrawled, p, classify_batch)
    with stage_bar("attribute", 1, p["progress"]) as bar:
        counts["attribute"] = attribute_links(wh, p["full"])
        bar.update(1)
    target = p["parquet_dir"] or str(settings.parquet_dir)
    # An fsspec URL is exported to the local folder first, then uploaded.
    remote = target if is_remote(target) else None
    local_parquet = str(settings.parquet_dir) if remote else target
    with stage_bar("export", 1, p["progress"]) as bar:
        counts["export"] = export_parquet(wh, local_parquet, remote)
        bar.update(1)
    with stage_bar("report", 1, p["progress"]) as bar:
        counts["report"] = write_report(wh, p["reports_dir"] or str(settings.reports_dir), p["axis"], p["freq"],
                                        p["include_ports"])
        bar.update(1)


def _ingest_stage(wh: Warehouse, settings: Settings, p: dict[str, Any]) -> dict[str, Any]:
    """Every source asked for, in order; nothing asked for means crawl and classify what is stored."""
    logger = get_run_logger()
    done: dict[str, Any] = {}
    if p["sample"]:
        with stage_bar("sample", 1, p["progress"]) as bar:
            done["sample"] = ingest_sample(wh, p["sample_dir"] or str(settings.sample_dir))
            bar.update(1)
    if p["links"] or p["papers"]:
        for url, what in archive_hosts(p):
            check_reachable(url, what)
        done["archive"] = ingest_archive(wh, settings, p["links"], p["papers"], p["progress"])
    if wants_catalog(p):
        since = p["since"] or (None if p["full"] else _last_catalog_date(wh))
        check_reachable(*catalog_host(settings))
        with stage_bar("catalog", None, p["progress"]):
            done["catalog"] = ingest_catalog(wh, settings, p["venues"], since, p["catalog_limit"])
    logger.info("ingested: %s", done)
    return done


def _last_catalog_date(wh: Warehouse) -> date | None:
    """The day the last completed catalog refresh started, minus one for papers dated late."""
    for row in completed_runs(wh, "refresh"):
        params = json.loads(row["parameters"] or "{}")
        if params.get("catalog") or params.get("venues") or params.get("since"):
            return row["started_at"].date() - timedelta(days=1)
    return None


def _crawl_stage(wh: Warehouse, p: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Crawl the chosen repositories through the crawl driver, each batch a task on the runner."""
    from flows.crawl.driver import drive_crawl, select_repos
    from flows.crawl.via_git import choose_via

    logger = get_run_logger()
    # decided once here, so every worker (thread or Dask process) uses the same transport
    via = choose_via(p.get("via"), Settings.from_env().crawl_via)
    keys = select_repos(wh, full=p["full"], limit=p["limit"])
    if keys:
        check_github_reachable(Settings.from_env(), via)

    def submit(states: list[Any]) -> PrefectFuture[Any]:
        return crawl_batch.submit(states, p["github_limit"], via)

    with stage_bar("crawl", len(keys), p["progress"]) as bar:

        def stored(n: int) -> None:
            bar.update(n)
            logger.info("crawl_batch: batch stored (%d item(s))", n)

        size = p["crawl_batch_size"] or Settings.from_env().crawl_batch
        tally = drive_crawl(wh, keys, submit, _first_completed, batch_size=size, max_in_flight=p["max_in_flight"],
                            on_batch=stored)  # fmt: skip
    totals = {"selected": tally.selected, "batches": tally.batches, "failed_batches": tally.failed_batches,
              **tally.kinds, "quota_left": tally.quota_left, "via": via}  # fmt: skip
    if tally.failed_reasons:
        totals["failed_reasons"] = tally.failed_reasons
    logger.info("crawl: %s", totals)
    return totals, tally.changed


def _first_completed(futures: list[PrefectFuture[Any]]) -> PrefectFuture[Any]:
    return next(as_completed(list(futures)))
