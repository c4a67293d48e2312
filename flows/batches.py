"""Batch work for the refresh flow, split into worker-side and writer-side halves.

DuckDB allows one writer per file, and a Dask worker may run on another machine, so
the work that can run anywhere (fetching a batch of repositories, classifying a
batch of evidence) takes plain rows in and returns plain rows out; only the flow's
own process opens the warehouse and stores each batch as it completes. Every value
crossing that line is picklable (lists, dicts, pyarrow tables) and holds no secret.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from analysis.frameworks import CLASSIFIER_VERSION, classify_evidence
from analysis.imports import Evidence
from flows.settings import Settings
from flows.store import Warehouse, utcnow

CRAWL_BATCH = 500
CLASSIFY_BATCH = 2_000
RECHECK_AFTER = timedelta(days=30)
"""An ``ok`` repository crawled less than this long ago is not asked about again."""

# Outcomes worth another try on the next refresh; the rest (missing, blocked) are final.
RETRYABLE_STATUSES = ("pending", "failed")


def chunked(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


# --- choosing the work (writer side) -------------------------------------------------


def repos_to_crawl(wh: Warehouse, *, full: bool = False, limit: int | None = None,
                   recheck_after: timedelta = RECHECK_AFTER) -> list[str]:  # fmt: skip
    """Repositories a refresh should ask GitHub about, oldest knowledge first.

    Incremental: new (pending) and failed repositories, plus crawled ones not checked
    for ``recheck_after`` (the crawler asks those with their ETag, so an unchanged one
    costs a free 304). The bundled sample's repositories have no network origin here.
    ``full`` takes every crawlable repository.
    """
    sql = "SELECT repo_key FROM repos WHERE coalesce(source, '') <> 'sample'"
    params: list[Any] = []
    if not full:
        sql += " AND (status IN (SELECT unnest(?)) OR (status = 'ok' AND coalesce(crawled_at, '-infinity') < ?))"
        params += [list(RETRYABLE_STATUSES), utcnow() - recheck_after]
    sql += " ORDER BY crawled_at NULLS FIRST, repo_key"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [row[0] for row in wh.con.execute(sql, params).fetchall()]


def repo_rows(wh: Warehouse, keys: Sequence[str]) -> Any:
    """The stored ``repos`` rows of ``keys`` as a pyarrow Table: the state a crawl batch starts from."""
    return wh.con.execute("SELECT * FROM repos WHERE repo_key IN (SELECT unnest(?))", [list(keys)]).to_arrow_table()


def evidence_of(wh: Warehouse, keys: Sequence[str]) -> dict[str, list[list[Any]]]:
    """Stored evidence per repository as ``[path, module, kind, is_weak]`` lists, every key present."""
    rows = wh.con.execute(
        "SELECT repo_key, path, module, kind, is_weak FROM repo_evidence "
        "WHERE repo_key IN (SELECT unnest(?)) ORDER BY repo_key, path, module, kind",
        [list(keys)],
    ).fetchall()
    grouped: dict[str, list[list[Any]]] = {k: [] for k in keys}
    for key, path, module, kind, is_weak in rows:
        grouped[key].append([path, module, kind, bool(is_weak)])
    return grouped


# --- the work itself (runs anywhere) ---------------------------------------------------


def classify_batch_rows(evidence: dict[str, list[list[Any]]]) -> list[dict[str, Any]]:
    """One ``classifications`` row per repository, from its evidence alone (pure, no I/O)."""
    from flows.classify import decision_row

    return [decision_row(key, classify_evidence(Evidence(*e) for e in ev)) for key, ev in evidence.items()]


def evidence_fingerprint(evidence: dict[str, list[list[Any]]]) -> str:
    """A stable hash of a classify batch's input: equal evidence, equal fingerprint."""
    digest = hashlib.sha256(CLASSIFIER_VERSION.encode())
    for key in sorted(evidence):
        digest.update(json.dumps([key, sorted(evidence[key])], default=str).encode())
    return digest.hexdigest()


_CLIENTS: dict[str, Any] = {}
_CLIENTS_LOCK = threading.Lock()


def shared_github_client(settings: Settings) -> Any:
    """One GitHub client per process, so concurrent batch tasks share its politeness limiter.

    Batches running in threads of one process (the default runner) would each
    otherwise pace themselves alone and together exceed the per-host rate; a Dask
    worker process gets its own.
    """
    from flows.crawl import make_github_client

    with _CLIENTS_LOCK:
        if settings.github_api_url not in _CLIENTS:
            _CLIENTS[settings.github_api_url] = make_github_client(settings)
        return _CLIENTS[settings.github_api_url]


def crawl_batch_rows(start: Any, *, full: bool = False) -> dict[str, Any]:
    """Crawl one batch of repositories without touching the warehouse; return the rows to store.

    ``start`` is the batch's stored ``repos`` rows (ETags, heads, attempts), loaded into
    a private in-memory warehouse so the crawler's own incremental logic sees what the
    real one knows. Only rows the crawl changed come back. The token is read from
    this process's environment, never passed in.
    """
    from flows.crawl import crawl_repos

    settings = Settings.from_env()
    keys = start.column("repo_key").to_pylist()
    before = {r["repo_key"]: r for r in start.to_pylist()}
    with Warehouse(":memory:") as mem:
        mem.upsert("repos", start)
        counts = crawl_repos(mem, settings, repo_keys=keys, client=shared_github_client(settings),
                             progress=False, full=full)  # fmt: skip
        after = mem.query("SELECT * FROM repos WHERE repo_key IN (SELECT unnest(?))", [keys])
        changed = [r for r in after if r != before.get(r["repo_key"])]
        recrawled = [r["repo_key"] for r in changed if r.get("crawled_at") != before[r["repo_key"]].get("crawled_at")]
        return {
            "repos": changed,
            "recrawled": recrawled,
            "files": mem.con.execute(
                "SELECT * FROM repo_files WHERE repo_key IN (SELECT unnest(?))", [recrawled]).to_arrow_table(),
            "evidence": mem.con.execute(
                "SELECT * FROM repo_evidence WHERE repo_key IN (SELECT unnest(?))", [recrawled]).to_arrow_table(),
            "counts": counts,
            "n_repos": len(keys),
        }  # fmt: skip


# --- storing results (writer side) ---------------------------------------------------------


def store_crawl_batch(wh: Warehouse, batch: dict[str, Any]) -> None:
    """Store one crawl batch atomically: changed repos, and new files/evidence of re-crawled ones."""
    recrawled = list(batch["recrawled"])
    with wh.transaction():
        wh.upsert("repos", batch["repos"])
        for table in ("repo_evidence", "repo_files"):
            wh.con.execute(f"DELETE FROM {table} WHERE repo_key IN (SELECT unnest(?))", [recrawled])
        wh.upsert("repo_files", batch["files"])
        wh.upsert("repo_evidence", batch["evidence"])


def add_counts(total: dict[str, int], more: dict[str, Any]) -> dict[str, int]:
    """Sum the integer counts of batch results into ``total`` (other values are ignored)."""
    for key, value in more.items():
        if isinstance(value, int) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value
    return total
