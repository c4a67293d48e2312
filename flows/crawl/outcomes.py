"""What one repository's crawl comes to, whichever transport ran: its state before, its outcome after.

Every row written says when the repository is next due (``repos.next_check_at``): an
``ok`` one after ``RECHECK_OK``; a gone one (missing, blocked, disabled, empty) and a
failed one past its ``MAX_ATTEMPTS`` on a backoff in days that doubles with each check
that finds it still gone; a failed one with tries left at once.

Renames: the old key keeps a row with status ``renamed`` and ``renamed_to`` = the new
key; the new key gets its own row with the data, files and evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from analysis.attribution.repo_facts import dominant_language, first_commit_date
from analysis.classifier.readme import readme_title_of_bytes
from flows.clock import utcnow
from flows.sources.github import RepoMeta, TreeAnswer
from flows.store import repos as store
from flows.store.warehouse import Warehouse

MAX_ATTEMPTS = 3
"""Failed crawls of one repository before it is left alone (``repos.n_attempts``)."""


RECHECK_OK = timedelta(days=30)
"""An ``ok`` repository is asked again (with its ETag: a free 304 when unchanged) after this long."""


RECHECK_GONE_FIRST = timedelta(days=7)


RECHECK_GONE_MAX = timedelta(days=180)
"""A gone repository is asked again after 7, 14, 28, ... days, at most 180, growing per check."""


GONE_STATUSES = ("missing", "blocked", "disabled", "empty")


SOURCE = "github-api"


@dataclass
class RepoState:
    """A repository as the warehouse has it, plus the sub-folders its links point into."""

    row: dict[str, Any]
    scopes: tuple[str, ...] = ()  # empty: the whole repository

    @property
    def key(self) -> str:
        return str(self.row["repo_key"])

    @property
    def full_name(self) -> str:
        return str(self.row.get("full_name") or self.key)

    @property
    def is_ok(self) -> bool:
        return self.row.get("status") == "ok" and bool(self.row.get("head_tree"))


@dataclass
class Outcome:
    """What one repository's crawl produced, for the main thread to store."""

    key: str
    kind: str  # crawled | unchanged | moved | missing | blocked | disabled | empty | failed
    rows: list[dict[str, Any]] = field(default_factory=list)  # repos rows to upsert (full rows)
    files_key: str | None = None  # whose files/evidence to replace; None leaves them alone
    files: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None
    moved_from: str | None = None  # a renamed repository's unchanged files move from this key to files_key


def add_repos(wh: Warehouse, full_names: Sequence[str], source: str = "cli") -> list[str]:
    """Pending rows for repositories named on the command line; existing rows are left alone."""
    return store.add_pending_repos(wh, full_names, source)


def load_states(wh: Warehouse, keys: Sequence[str]) -> list[RepoState]:
    """Stored rows (all columns, so upserts keep what other steps wrote) and link scopes, in ``keys`` order."""
    scopes = store.link_scopes(wh, keys)
    by_key = {r["repo_key"]: RepoState(r, tuple(scopes.get(r["repo_key"]) or ())) for r in store.repo_rows(wh, keys)}
    return [by_key[k] for k in keys if k in by_key]


def store_outcomes(wh: Warehouse, outcomes: Sequence[Outcome]) -> None:
    """Commit a batch of finished repositories in one transaction (the writer's thread only)."""
    store.store_crawl_batch(
        wh, [r for o in outcomes for r in o.rows], [o.files_key for o in outcomes if o.files_key],
        [(o.moved_from, o.files_key) for o in outcomes if o.moved_from and o.files_key],
        [f for o in outcomes for f in o.files], [e for o in outcomes for e in o.evidence],
    )


def repo_row(state: RepoState, meta: RepoMeta, etag: str | None, tree: TreeAnswer | None = None,
             key: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A full repos row: the stored one with GitHub's current facts on top.

    The facts read from the code (language, README title, first commit) are not GitHub's
    metadata: they stay as stored until a crawl reads the code again (:func:`code_facts`).
    """
    row = dict(state.row) if key in (None, state.key) else {"repo_key": key, "source": state.row.get("source")}
    row.update(
        repo_key=key or state.key, full_name=meta.full_name, status="ok", status_reason=None, renamed_to=None,
        created_at=meta.created_at, pushed_at=meta.pushed_at, n_stars=meta.n_stars, description=meta.description,
        is_fork=meta.is_fork, fork_parent=meta.fork_parent,
        default_branch=meta.default_branch, is_archived=meta.is_archived, etag=etag, dates_from=SOURCE,
        n_attempts=0, crawled_at=utcnow(), next_check_at=utcnow() + RECHECK_OK,
    )  # fmt: skip
    if meta.head_commit:
        row["head_commit"] = meta.head_commit
    if tree is not None and tree.sha:
        row.update(head_tree=tree.sha, tree_etag=tree.etag)
    return row


def code_facts(paths: Sequence[str], readme: bytes | None, root_author_dates: Sequence[datetime] | None,
               ) -> dict[str, Any]:  # fmt: skip
    """The facts a crawl reads from the code, by the project's one definition of each (the sample's too).

    ``root_author_dates``: None when this road cannot know them (the API path without a
    token): the stored first commit is then left as it is.
    """
    facts: dict[str, Any] = {"language": dominant_language(paths),
                             "readme_title": readme_title_of_bytes(readme) if readme is not None else None}
    if root_author_dates is not None:
        facts["first_commit_at"] = first_commit_date(root_author_dates)
    return facts


def checked_row(state: RepoState) -> dict[str, Any]:
    """The stored row, asked about just now and found unchanged (a free 304)."""
    row = dict(state.row)
    row.update(crawled_at=utcnow(), next_check_at=utcnow() + RECHECK_OK)
    return row


def renamed_row(state: RepoState, meta: RepoMeta) -> dict[str, Any]:
    row = dict(state.row)
    row.update(status="renamed", status_reason=f"renamed to {meta.full_name}", renamed_to=meta.full_name.lower(),
               n_attempts=0, crawled_at=utcnow(), next_check_at=None)  # fmt: skip
    return row


def gone_backoff(n_checks: int, now: datetime | None = None) -> datetime:
    """When a repository found gone ``n_checks`` times in a row is next asked about."""
    wait = min(RECHECK_GONE_FIRST * 2 ** max(n_checks - 1, 0), RECHECK_GONE_MAX)
    return (now or utcnow()) + wait


def status_outcome(state: RepoState, status: str, reason: str | None) -> Outcome:
    """A repository GitHub will not give us (missing, blocked, ...): recorded, files left as they were.

    ``n_attempts`` counts the checks in a row that found it so, and sets the backoff.
    """
    if status == "failed":
        return failed_outcome(state, reason or "unknown")
    row = dict(state.row)
    n_checks = int(row.get("n_attempts") or 0) + 1 if row.get("status") == status else 1
    row.update(status=status, status_reason=reason, n_attempts=n_checks, crawled_at=utcnow(),
               next_check_at=gone_backoff(n_checks))  # fmt: skip
    return Outcome(state.key, status, [row], reason=reason)


def failed_outcome(state: RepoState, reason: str) -> Outcome:
    """Retried by the next run while it has tries left, then on the gone repositories' backoff."""
    row = dict(state.row)
    n_attempts = int(row.get("n_attempts") or 0) + 1 if row.get("status") == "failed" else 1
    due = None if n_attempts < MAX_ATTEMPTS else gone_backoff(n_attempts - MAX_ATTEMPTS + 1)
    row.update(status="failed", status_reason=reason, n_attempts=n_attempts, crawled_at=utcnow(), next_check_at=due)
    return Outcome(state.key, "failed", [row], reason=reason)
