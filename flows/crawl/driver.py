"""The one crawl driver, used by ``papertrends crawl`` and by the refresh flow.

Selection (one rule, ``select_repos``): repositories named with ``--repo``, whatever
their state; otherwise every crawlable repository that is due (``next_check_at`` passed
or unset: new ones, failed ones with tries left, ``ok`` ones unchecked for 30 days, gone
ones whose backoff has run out), least recently checked first. ``full`` adds every ``ok``
repository, due or not (still asked conditionally, so an unchanged one costs a free 304
or nothing); gone ones stay on their backoff. The bundled sample's repositories have no
network origin and renamed keys live on under their new name: neither is selected.

Running: the keys are cut into batches whose stored state is loaded only when the
batch is submitted, with at most ``max_in_flight`` batches out, so memory is flat
however many repositories there are. Each batch goes to a worker (a thread here, a
Prefect task in the flow, possibly on a Dask worker) that fetches it through a
transport and returns plain outcomes; the caller's process stores each batch in one
transaction as it completes, so a kill loses at most the batches in flight.

Transports (how one repository's code is fetched, ``--via api|git``) are
flows/crawl/transport.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from flows.clock import utcnow
from flows.crawl.outcomes import RepoState, load_states, store_outcomes
from flows.crawl.transport import TRANSPORTS, GitHubTransport, Transport, crawl_batch_outcomes, shared_transport
from flows.crawl.via_git import choose_via
from flows.settings import Settings
from flows.sources.github import GitHubSource
from flows.sources.reachability import check_github_reachable
from flows.stages.classify import classify_stored
from flows.stopping import pause_point
from flows.store import repos as store
from flows.store.warehouse import Warehouse

log = logging.getLogger("papertrends.crawl")

CLI_BATCH = 50
"""Repositories per batch on the command line (the flow's is ``Settings.crawl_batch``): the progress
bar moves, a Ctrl-C loses little; never fewer than one GraphQL query's worth."""


MAX_IN_FLIGHT = 4


def select_repos(wh: Warehouse, repo_keys: Sequence[str] | None = None, *, full: bool = False,
                 limit: int | None = None) -> list[str]:  # fmt: skip
    """The repositories a crawl visits, least recently checked first; see the module docstring."""
    if repo_keys:
        keys = store.stored_repo_keys(wh, repo_keys)
        return keys[:limit] if limit is not None else keys
    return store.due_repo_keys(wh, utcnow(), with_ok=full, limit=limit)


def chunked(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@dataclass
class CrawlTally:
    """What a crawl did, batch by batch: outcome kinds, failure reasons, requests, re-read keys."""

    selected: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    failed_reasons: dict[str, int] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    quota_left: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    failed_batches: int = 0

    def add(self, result: dict[str, Any]) -> None:
        for outcome in result["outcomes"]:
            self.kinds[outcome.kind] = self.kinds.get(outcome.kind, 0) + 1
            if outcome.kind == "failed":
                reason = outcome.reason or "unknown"
                self.failed_reasons[reason] = self.failed_reasons.get(reason, 0) + 1
            if outcome.files_key:
                self.changed.append(outcome.files_key)
        for name, n in (result.get("usage") or {}).items():
            self.usage[name] = self.usage.get(name, 0) + n
        self.quota_left = result.get("quota_left") or self.quota_left

    def summary(self, seconds: float) -> dict[str, Any]:
        quota = self.usage.get("quota_counted", 0)
        return {
            "selected": self.selected, "crawled": self.kinds.get("crawled", 0),
            "unchanged": self.kinds.get("unchanged", 0) + self.kinds.get("moved", 0),
            "by_status": {k: v for k, v in sorted(self.kinds.items()) if k not in ("crawled", "unchanged", "moved")},
            "failed": dict(sorted(self.failed_reasons.items())),
            "requests": {"quota_counted": 0, "not_modified": 0, "raw": 0, **self.usage},  # keys even when none ran
            "quota_left": self.quota_left, "quota_per_repo": round(quota / self.selected, 3) if self.selected else 0.0,
            "failed_batches": self.failed_batches, "seconds": round(seconds, 2),
        }  # fmt: skip


Submit = Callable[[list[RepoState]], Any]
"""Starts one batch somewhere and returns a future-like handle (``.result()``)."""


WaitAny = Callable[[list[Any]], Any]
"""Blocks until one of the handles is done and returns it."""


def wait_any_thread(handles: list[Any]) -> Any:
    done, _ = wait(handles, return_when=FIRST_COMPLETED)
    return next(iter(done))


def drive_crawl(wh: Warehouse, keys: Sequence[str], submit: Submit, wait_any: WaitAny = wait_any_thread, *,
                batch_size: int = 100, max_in_flight: int = MAX_IN_FLIGHT,
                on_batch: Callable[[int], None] | None = None) -> CrawlTally:  # fmt: skip
    """Run ``keys`` through ``submit`` in batches, storing each result as it completes.

    A batch's state is loaded from the warehouse only when it is submitted, and at most
    ``max_in_flight`` batches are out, so memory does not grow with ``keys``. A batch
    whose worker failed for good is logged and counted; the others are still stored,
    and its repositories stay due for the next run.
    """
    tally = CrawlTally(selected=len(keys))
    inflight: list[Any] = []

    def collect(handle: Any) -> None:
        inflight.remove(handle)
        try:
            result = handle.result()
        except Exception as exc:  # the batch's retries are spent; the run goes on
            tally.failed_batches += 1
            log.error("crawl batch failed for good: %s", exc)
            return
        store_outcomes(wh, result["outcomes"])
        tally.add(result)
        if on_batch:
            on_batch(len(result["outcomes"]))
        pause_point("crawl:batch-stored")

    for chunk in chunked(keys, batch_size):
        inflight.append(submit(load_states(wh, chunk)))
        tally.batches += 1
        while len(inflight) >= max_in_flight:
            collect(wait_any(inflight))
    while inflight:
        collect(wait_any(inflight))
    return tally


def crawl_repos(wh: Warehouse, settings: Settings, repo_keys: Sequence[str] | None = None, limit: int | None = None,
                client: GitHubSource | None = None, progress: bool = True, full: bool = False,
                classify: bool = True, via: str | None = None) -> dict[str, Any]:  # fmt: skip
    """``papertrends crawl``: the selected repositories through the driver on local threads, then classify.

    ``via``: ``git``, ``api``, or None for PAPERTRENDS_CRAWL_VIA, else git when a usable git
    is installed. ``client`` replaces the transport's GitHub client (tests pass one with short retries).
    """
    started = time.monotonic()
    via = choose_via(via, settings.crawl_via)
    transport = TRANSPORTS[via](settings, client) if client is not None else shared_transport(via, settings)
    keys = select_repos(wh, repo_keys, full=full, limit=limit)
    if keys:  # offline: one line now, not a minute of retries per repository
        hosts = replace(settings, github_api_url=transport.gh.api_url, github_raw_url=transport.gh.raw_url) \
            if isinstance(transport, GitHubTransport) else settings  # fmt: skip
        check_github_reachable(hosts, via)
    try:
        tally = _crawl_on_threads(wh, keys, transport, via, progress)
    except BaseException:
        transport.abort()
        raise
    finally:
        if client is not None and isinstance(transport, GitHubTransport):
            transport.close()
    if classify:
        classify_crawled(wh, tally.changed)
    summary = tally.summary(time.monotonic() - started)
    summary.update(via=via, git_fetches=tally.usage.get("git_fetches", 0))
    return summary


def _crawl_on_threads(wh: Warehouse, keys: Sequence[str], transport: Transport, via: str,
                      progress: bool) -> CrawlTally:  # fmt: skip
    from tqdm import tqdm

    with tqdm(total=len(keys), unit="repo", desc="crawl", disable=not progress) as bar, \
            ThreadPoolExecutor(MAX_IN_FLIGHT, "crawl-batch") as batch_pool:  # fmt: skip
        if isinstance(transport, GitHubTransport):
            transport.gh.set_on_wait(lambda why, s: tqdm.write(f"waiting {s:.0f}s: {why}"))

        def submit(states: list[RepoState]) -> Future[dict[str, Any]]:
            return batch_pool.submit(crawl_batch_outcomes, states, via, transport)

        # one GraphQL query's worth at least (100), so none goes half empty
        gh = transport.gh if isinstance(transport, GitHubTransport) else None
        size = max(CLI_BATCH, gh.graphql_batch if gh is not None and gh.has_token else 0)
        return drive_crawl(wh, keys, submit, batch_size=size, on_batch=bar.update)


def classify_crawled(wh: Warehouse, changed: Sequence[str]) -> None:
    """Re-decide repositories whose evidence was replaced, then any crawled one still undecided.

    The second pass picks up repositories a killed run stored but never got to classify.
    """
    if changed:
        classify_stored(wh, force=True, repo_keys=list(changed))
    classify_stored(wh)
