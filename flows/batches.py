"""Batch work for the refresh flow, split into worker-side and writer-side halves.

DuckDB allows one writer per file, and a Dask worker may run on another machine, so
the work that can run anywhere (fetching a batch of repositories, classifying a
batch of evidence) takes plain rows in and returns plain rows out; only the flow's
own process opens the warehouse and stores each batch as it completes. Every value
crossing that line is picklable (lists, dicts, pyarrow tables) and holds no secret.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from flows.classify import BATCH_REPOS, classify_batch_rows, evidence_of  # noqa: F401 - the flow calls them as batches.*
from flows.settings import Settings
from flows.store import Warehouse, utcnow

CRAWL_BATCH = 500
CLASSIFY_BATCH = BATCH_REPOS
RECHECK_AFTER = timedelta(days=30)
"""An ``ok`` repository crawled less than this long ago is not asked about again."""


def chunked(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# --- choosing the work (writer side) -------------------------------------------------


def repos_to_crawl(wh: Warehouse, *, full: bool = False, limit: int | None = None,
                   recheck_after: timedelta = RECHECK_AFTER) -> list[str]:  # fmt: skip
    """Repositories a refresh should ask GitHub about, least recently known first.

    Incremental: new (pending) ones, failed ones with tries left, and crawled ones not
    checked for ``recheck_after`` (asked with their ETag, so an unchanged one costs a
    free 304 and nothing else). ``full`` takes every crawlable repository. The bundled
    sample's repositories have no network origin and are never selected.
    """
    from flows.crawl import MAX_ATTEMPTS

    sql = "SELECT repo_key FROM repos WHERE coalesce(source, '') <> 'sample' AND status <> 'renamed'"
    params: list[Any] = []
    if not full:
        sql += (" AND (status = 'pending' OR (status = 'failed' AND coalesce(n_attempts, 0) < ?)"
                " OR (status = 'ok' AND coalesce(crawled_at, '-infinity'::TIMESTAMP) < ?))")  # fmt: skip
        params += [MAX_ATTEMPTS, utcnow() - recheck_after]
    sql += " ORDER BY crawled_at NULLS FIRST, repo_key"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [row[0] for row in wh.con.execute(sql, params).fetchall()]


# --- the work itself (runs anywhere) ---------------------------------------------------


_SHARED: dict[str, Any] = {}
_SHARED_LOCK = threading.Lock()


def shared_crawl_tools(settings: Settings) -> tuple[Any, ThreadPoolExecutor, ThreadPoolExecutor]:
    """One GitHub client and one pair of worker pools per process, shared by every batch in it.

    Batches running in threads of one process (the default runner) then share the
    client's rate-limit state and politeness limiter and the crawler's concurrency
    caps, instead of multiplying them; a Dask worker process gets its own set.
    """
    from flows.crawl import FILE_WORKERS, REPO_WORKERS
    from flows.sources.github import GitHubSource

    with _SHARED_LOCK:
        if _SHARED.get("api_url") != settings.github_api_url:
            _SHARED.update(
                api_url=settings.github_api_url, gh=GitHubSource.from_settings(settings),
                repo_pool=ThreadPoolExecutor(REPO_WORKERS, "repo"), file_pool=ThreadPoolExecutor(FILE_WORKERS, "file"),
            )  # fmt: skip
        return _SHARED["gh"], _SHARED["repo_pool"], _SHARED["file_pool"]


def shared_git_transport(settings: Settings) -> Any:
    """One git transport per process (its cap on git processes is per machine, see GitSlots)."""
    from flows.crawl_git import transport_from_settings

    with _SHARED_LOCK:
        if _SHARED.get("git_url") != settings.github_git_url:
            _SHARED.update(git_url=settings.github_git_url, git=transport_from_settings(settings),
                           git_pool=ThreadPoolExecutor(settings.git_processes, "git"))  # fmt: skip
        return _SHARED["git"], _SHARED["git_pool"]


def crawl_batch_outcomes(states: list[Any], via: str = "api") -> dict[str, Any]:
    """Crawl one batch of repositories without touching the warehouse; the outcomes go back to the writer.

    ``states`` are the crawler's ``RepoState`` rows as stored (ETags, head trees,
    attempts, link scopes), so an unchanged repository costs one free 304 and is not
    read again, with or without ``--full``. The token is read from this process's
    environment, never passed in.
    """
    from flows.crawl import crawl_repo, graphql_hints
    from flows.sources.git_transport import GRAPHQL_BATCH_GIT

    settings = Settings.from_env()
    gh, repo_pool, file_pool = shared_crawl_tools(settings)
    git = None
    if via == "git":  # ``via`` is decided once by the flow, so every worker uses the same transport
        git, repo_pool = shared_git_transport(settings)
    hints: dict[str, Any] = {}
    for chunk in chunked(states, GRAPHQL_BATCH_GIT if git and gh.has_token else gh.graphql_batch):
        hints.update(graphql_hints(gh, chunk))
    futures = [repo_pool.submit(crawl_repo, gh, s, file_pool, hints.get(s.key), git) for s in states]
    return {"outcomes": [f.result() for f in futures], "quota_left": gh.quota_left()}


# --- storing results (writer side) ---------------------------------------------------------


def store_crawl_batch(wh: Warehouse, result: dict[str, Any], totals: dict[str, Any]) -> list[str]:
    """Store one crawl batch in one transaction; tally it into ``totals``; return the re-crawled keys."""
    from flows.crawl import store_outcomes

    outcomes = result["outcomes"]
    store_outcomes(wh, outcomes)
    for outcome in outcomes:
        totals[outcome.kind] = totals.get(outcome.kind, 0) + 1
        if outcome.kind == "failed":
            reasons = totals.setdefault("failed_reasons", {})
            reasons[outcome.reason or "unknown"] = reasons.get(outcome.reason or "unknown", 0) + 1
    totals["quota_left"] = result.get("quota_left")
    return [o.files_key for o in outcomes if o.files_key]
