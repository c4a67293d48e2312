"""One repository's crawl through the GitHub API: metadata, tree, evidence files, rows to store.

Per repository (first crawl): metadata (``GET /repos``, or one GraphQL query per 50
repositories when a token is set) and the recursive tree of the default branch: at
most 2 quota-counted requests; evidence files come from the raw host (free). A
refresh sends stored ETags (304s are free) or compares GraphQL's tree oid with the
stored one, and stops there when the head has not moved.

Change detection keys on ``repos.head_tree``, the tree sha of the default branch's
head, which the tree call returns for free; ``head_commit`` is filled only when
GraphQL supplied it (REST would need a third request). Without a commit sha, raw
files are read at the branch name: a push between the tree call and the file reads
can show a newer file, which the next refresh corrects.

Renames: the old key keeps a row with status ``renamed`` and ``renamed_to`` = the new
key; the new key gets its own row with the data, files and evidence. When the renamed
repository's head is the one already stored under the old key, its files and evidence
move to the new key and nothing is fetched again.

Every row written says when the repository is next due (``repos.next_check_at``): an
``ok`` one after ``RECHECK_OK``; a gone one (missing, blocked, disabled, empty) and a
failed one past its ``MAX_ATTEMPTS`` on a backoff in days that doubles with each check
that finds it still gone; a failed one with tries left at once. The driver that picks
and runs repositories is flows/crawl/driver.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from analysis.classifier.frameworks import relevant_evidence
from analysis.classifier.imports import MAX_READ_BYTES, FileScan, evidence_kind, scan_file
from flows.crawl.via_git import git_outcome
from flows.sources.git_transport import GitTransport
from flows.sources.github import GitHubSource, MetaAnswer, RepoMeta, TreeAnswer, TreeEntry, safe_reason
from flows.store.warehouse import Warehouse, utcnow

MAX_ATTEMPTS = 3
"""Failed crawls of one repository before it is left alone (``repos.n_attempts``)."""
MAX_FILES_PER_REPO = 300
"""Evidence files read per repository; manifests and top-level code first, the cut recorded."""
REPO_WORKERS = 8
FILE_WORKERS = 16
RECHECK_OK = timedelta(days=30)
"""An ``ok`` repository is asked again (with its ETag: a free 304 when unchanged) after this long."""
RECHECK_GONE_FIRST = timedelta(days=7)
RECHECK_GONE_MAX = timedelta(days=180)
"""A gone repository is asked again after 7, 14, 28, ... days, at most 180, growing per check."""
GONE_STATUSES = ("missing", "blocked", "disabled", "empty")
SOURCE = "github-api"
SKIPPED_DIRS = {".git", "node_modules", "site-packages", "__pycache__", ".ipynb_checkpoints", ".tox", ".venv",
                "venv", "env", "third_party", "thirdparty", "vendor", "external", "dist-packages"}  # fmt: skip
_CODE_KINDS = {"python", "notebook", "lua", "cpp", "caffe_prototxt"}


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


# --- selection and state ---------------------------------------------------------


def add_repos(wh: Warehouse, full_names: Sequence[str], source: str = "cli") -> list[str]:
    """Pending rows for repositories named on the command line; existing rows are left alone."""
    rows = [{"repo_key": n.strip("/").lower(), "full_name": n.strip("/"), "status": "pending", "source": source}
            for n in full_names]  # fmt: skip
    wh.insert_new("repos", rows)
    return [r["repo_key"] for r in rows]


def load_states(wh: Warehouse, keys: Sequence[str]) -> list[RepoState]:
    """Stored rows (all columns, so upserts keep what other steps wrote) and link scopes."""
    rows = wh.query("SELECT * FROM repos WHERE repo_key IN (SELECT unnest(?))", [list(keys)])
    scopes = dict(wh.con.execute(
        "SELECT repo_key, CASE WHEN bool_or(scope IS NULL) THEN [] ELSE list(DISTINCT scope ORDER BY scope) END "
        "FROM links WHERE repo_key IN (SELECT unnest(?)) AND skip_reason IS NULL GROUP BY repo_key", [list(keys)],
    ).fetchall())  # fmt: skip
    by_key = {r["repo_key"]: RepoState(r, tuple(scopes.get(r["repo_key"]) or ())) for r in rows}
    return [by_key[k] for k in keys if k in by_key]


# --- one repository ---------------------------------------------------------------


def crawl_repo(gh: GitHubSource, state: RepoState, file_pool: ThreadPoolExecutor,
               hint: RepoMeta | None = None, git: GitTransport | None = None) -> Outcome:  # fmt: skip
    """Crawl one repository; never raises (any failure becomes a ``failed`` outcome with a reason).

    With ``git`` the tree and files come through git (flows/crawl/via_git.py), else from the
    REST tree and the raw host; metadata and change detection are the same either way.
    """
    try:
        return _crawl_repo(gh, state, file_pool, hint, git)
    except Exception as exc:  # one bad repository must never stop the run
        return failed_outcome(state, safe_reason(exc))


def _crawl_repo(gh: GitHubSource, state: RepoState, file_pool: ThreadPoolExecutor, hint: RepoMeta | None,
                git: GitTransport | None = None) -> Outcome:  # fmt: skip
    if hint is not None:
        answer = MetaAnswer("ok", hint, state.row.get("etag"))
    else:
        answer = gh.fetch_metadata(state.full_name, state.row.get("etag") if state.is_ok else None)
    if answer.status == "not_modified":
        return Outcome(state.key, "unchanged", [checked_row(state)])
    if answer.status != "ok" or answer.meta is None:
        return status_outcome(state, answer.status, answer.reason)
    meta = answer.meta
    renamed = meta.full_name.lower() != state.key
    if head_unchanged(state, meta):
        return unchanged_outcome(state, meta, answer.etag, None, renamed)
    if meta.default_branch is None:
        return status_outcome(state, "empty", "no default branch")
    if git is not None:
        return git_outcome(git, state, meta, answer)
    # The stored tree's ETag holds for the renamed repository too: a tree's ETag follows its content.
    same_branch = state.is_ok and meta.default_branch == state.row.get("default_branch")
    tree = gh.fetch_tree(meta.full_name, meta.default_branch, state.row.get("tree_etag") if same_branch else None)
    if tree.status == "not_modified" or (same_branch and tree.sha == state.row.get("head_tree")):
        return unchanged_outcome(state, meta, answer.etag, tree, renamed)
    if tree.status != "ok":
        return status_outcome(state, tree.status, tree.reason)
    return crawled_outcome(gh, state, meta, answer.etag, tree, file_pool)


def unchanged_outcome(state: RepoState, meta: RepoMeta, etag: str | None, tree: TreeAnswer | None,
                      renamed: bool) -> Outcome:  # fmt: skip
    """The stored crawl still holds; under a new name, its files and evidence move there unread."""
    if not renamed:
        return Outcome(state.key, "unchanged", [repo_row(state, meta, etag, tree)])
    key = meta.full_name.lower()
    row = repo_row(state, meta, etag, tree)
    row.update(repo_key=key, source=state.row.get("source"))
    return Outcome(state.key, "moved", [renamed_row(state, meta), row], files_key=key, moved_from=state.key)


def head_unchanged(state: RepoState, meta: RepoMeta) -> bool:
    """True when the stored crawl still describes the default branch's head.

    GraphQL gives the head's tree oid: compare it. REST does not, but ``pushed_at``
    moves with every push to any branch, so an unchanged ``pushed_at`` and default
    branch mean an unchanged head without spending a tree request.
    """
    if not state.is_ok or meta.default_branch != state.row.get("default_branch"):
        return False
    if meta.head_tree is not None:
        return meta.head_tree == state.row.get("head_tree")
    return meta.pushed_at is not None and meta.pushed_at == state.row.get("pushed_at")


def crawled_outcome(gh: GitHubSource, state: RepoState, meta: RepoMeta, etag: str | None, tree: TreeAnswer,
                    file_pool: ThreadPoolExecutor) -> Outcome:  # fmt: skip
    key = meta.full_name.lower()
    chosen, notes = select_files(tree.entries, state.scopes)
    if tree.problem:
        notes.append(FileScan(".", None, (), tree.problem))
    ref = meta.head_commit or str(meta.default_branch)
    futures = [file_pool.submit(read_file, gh, meta.full_name, ref, e) for e in chosen]
    scans = [f.result() for f in futures] + notes
    sizes = {e.path: e.size for e in chosen}
    files = [{"repo_key": key, "path": s.path, "kind": s.kind, "n_bytes": sizes.get(s.path), "problem": s.problem}
             for s in scans]  # fmt: skip
    evidence = [{"repo_key": key, "path": e.path, "module": e.module, "kind": e.kind, "is_weak": e.is_weak}
                for e in relevant_evidence(scans)]  # fmt: skip
    n_failed = sum(1 for s in scans[: len(chosen)] if s.problem and s.problem.startswith("fetch-failed"))
    if n_failed:  # partial evidence would be kept as if complete; retry the repository next run instead
        return failed_outcome(state, f"raw host: {n_failed} of {len(chosen)} files failed")
    row = repo_row(state, meta, etag, tree, key=key)
    row.update(n_files=sum(1 for e in tree.entries if e.type == "blob"), n_evidence_files=len(chosen))
    rows = [row] if key == state.key else [renamed_row(state, meta), row]
    return Outcome(state.key, "crawled", rows, key, files, evidence)


def read_file(gh: GitHubSource, full_name: str, ref: str, entry: TreeEntry) -> FileScan:
    """Fetch and scan one file in a worker; the bytes never leave this function."""
    if evidence_kind(entry.path) == "license":  # its presence is the evidence: no download
        return scan_file(entry.path, b"")
    data, problem = gh.fetch_file(full_name, ref, entry.path, entry.size)
    if data is None:
        return FileScan(entry.path, evidence_kind(entry.path), (), problem)
    scan = scan_file(entry.path, data)
    return FileScan(scan.path, scan.kind, scan.evidence, scan.problem or problem)


def select_files(entries: Sequence[TreeEntry], scopes: Sequence[str] = (),
                 max_files: int = MAX_FILES_PER_REPO) -> tuple[list[TreeEntry], list[FileScan]]:  # fmt: skip
    """Evidence files worth reading, and problem notes for the ones that are not read.

    Limited to the link's sub-folders when every link points into one (a scope that
    matches nothing falls back to the whole repository, noted). Manifests come first,
    then code by depth, so a cut keeps what decides the framework.
    """
    notes: list[FileScan] = []
    candidates = [e for e in entries if e.type in ("blob", "commit") and evidence_kind(e.path) and not _skipped(e.path)]
    if scopes:
        prefixes = tuple(s.strip("/") + "/" for s in scopes)
        in_scope = [e for e in candidates if e.path.startswith(prefixes)]
        if in_scope:
            candidates = in_scope
        else:
            notes.append(FileScan(".", None, (), "scope-not-found: " + ", ".join(scopes)))
    readable = []
    for e in candidates:
        problem = _unreadable(e)
        if problem:
            notes.append(FileScan(e.path, evidence_kind(e.path), (), problem))
        else:
            readable.append(e)
    readable.sort(key=lambda e: (evidence_kind(e.path) in _CODE_KINDS, e.path.count("/"), e.path))
    if len(readable) > max_files:
        notes.append(FileScan(".", None, (), f"cut-at-{max_files}-of-{len(readable)}-files"))
    return readable[:max_files], notes


def _skipped(path: str) -> bool:
    return any(part in SKIPPED_DIRS for part in path.split("/")[:-1])


def _unreadable(entry: TreeEntry) -> str | None:
    if entry.type == "commit":
        return "submodule"
    if entry.mode == "120000":
        return "symlink"
    if evidence_kind(entry.path) == "notebook" and (entry.size or 0) > MAX_READ_BYTES:
        return "too-large"  # a cut notebook is invalid JSON: nothing to gain from its first bytes
    return None


# --- rows -------------------------------------------------------------------------


def repo_row(state: RepoState, meta: RepoMeta, etag: str | None, tree: TreeAnswer | None = None,
             key: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A full repos row: the stored one with GitHub's current facts on top."""
    row = dict(state.row) if key in (None, state.key) else {"repo_key": key, "source": state.row.get("source")}
    row.update(
        repo_key=key or state.key, full_name=meta.full_name, status="ok", status_reason=None, renamed_to=None,
        created_at=meta.created_at, pushed_at=meta.pushed_at, n_stars=meta.n_stars, language=meta.language,
        description=meta.description,
        default_branch=meta.default_branch, is_archived=meta.is_archived, etag=etag, dates_from=SOURCE,
        n_attempts=0, crawled_at=utcnow(), next_check_at=utcnow() + RECHECK_OK,
    )  # fmt: skip
    if meta.head_commit:
        row["head_commit"] = meta.head_commit
    if tree is not None and tree.sha:
        row.update(head_tree=tree.sha, tree_etag=tree.etag)
    return row


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


def store_outcomes(wh: Warehouse, outcomes: Sequence[Outcome]) -> None:
    """Commit a batch of finished repositories in one transaction (main thread only)."""
    rows = [r for o in outcomes for r in o.rows]
    keys = [o.files_key for o in outcomes if o.files_key]
    moves = [(o.moved_from, o.files_key) for o in outcomes if o.moved_from and o.files_key]
    with wh.transaction():
        if rows:
            wh.upsert("repos", rows)
        if keys:
            for table in ("repo_evidence", "repo_files"):
                wh.con.execute(f"DELETE FROM {table} WHERE repo_key IN (SELECT unnest(?))", [keys])
                for old, new in moves:  # a renamed repository's unchanged files: re-keyed, not fetched again
                    wh.con.execute(f"INSERT INTO {table} BY NAME SELECT * REPLACE (?::VARCHAR AS repo_key) "
                                   f"FROM {table} WHERE repo_key = ?", [new, old])  # fmt: skip
                    wh.con.execute(f"DELETE FROM {table} WHERE repo_key = ?", [old])
            wh.upsert("repo_files", [f for o in outcomes for f in o.files])
            wh.upsert("repo_evidence", [e for o in outcomes for e in o.evidence])
