"""Crawl GitHub repositories into the warehouse: resumable, incremental, within quota.

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
key; the new key gets its own row with the data, files and evidence.

Workers (threads) only fetch; the main thread owns the DuckDB connection and commits
each finished batch of repositories in one transaction, so a kill loses at most the
repositories in flight, and the next run resumes with the pending and failed ones
(``MAX_ATTEMPTS`` tries each). Classification of the crawled keys runs at the end.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from analysis.frameworks import relevant_evidence
from analysis.imports import MAX_READ_BYTES, FileScan, evidence_kind, scan_file
from flows.crawl_git import choose_via, git_outcome, transport_from_settings
from flows.settings import Settings
from flows.sources.git_process import stop_git_processes
from flows.sources.git_transport import GRAPHQL_BATCH_GIT, GitTransport
from flows.sources.github import GitHubSource, MetaAnswer, RepoMeta, TreeAnswer, TreeEntry, safe_reason
from flows.store import Warehouse, utcnow

MAX_ATTEMPTS = 3
"""Failed crawls of one repository before it is left alone (``repos.n_attempts``)."""
MAX_FILES_PER_REPO = 300
"""Evidence files read per repository; manifests and top-level code first, the cut recorded."""
REPO_WORKERS = 8
FILE_WORKERS = 16
MAX_IN_FLIGHT = 4 * REPO_WORKERS
FLUSH_EVERY = 100
FLUSH_SECONDS = 1.0
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
    kind: str  # crawled | unchanged | missing | blocked | disabled | empty | failed
    rows: list[dict[str, Any]] = field(default_factory=list)  # repos rows to upsert (full rows)
    files_key: str | None = None  # whose files/evidence to replace; None leaves them alone
    files: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reason: str | None = None


# --- selection and state ---------------------------------------------------------


def select_repo_keys(wh: Warehouse, repo_keys: Sequence[str] | None = None, limit: int | None = None,
                     full: bool = False) -> list[str]:  # fmt: skip
    """Keys to visit: pending ones and failed ones with tries left; every crawlable one when ``full``.

    ``repo_keys`` (from ``--repo``) are visited whatever their status: a conditional
    request makes that cheap when nothing changed.
    """
    if repo_keys:
        wanted = sorted({k.lower() for k in repo_keys})
        rows = wh.con.execute("SELECT repo_key FROM repos WHERE repo_key IN (SELECT unnest(?)) ORDER BY repo_key",
                              [wanted]).fetchall()  # fmt: skip
    elif full:
        rows = wh.con.execute("SELECT repo_key FROM repos WHERE status <> 'renamed' ORDER BY repo_key").fetchall()
    else:
        rows = wh.con.execute(
            "SELECT repo_key FROM repos "
            "WHERE status = 'pending' OR (status = 'failed' AND coalesce(n_attempts, 0) < ?) "
            "ORDER BY status = 'failed', repo_key", [MAX_ATTEMPTS],
        ).fetchall()  # fmt: skip
    keys = [r[0] for r in rows]
    return keys[:limit] if limit is not None else keys


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

    With ``git`` the tree and files come through git (flows/crawl_git.py), else from the
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
        return Outcome(state.key, "unchanged")
    if answer.status != "ok" or answer.meta is None:
        return status_outcome(state, answer.status, answer.reason)
    meta = answer.meta
    renamed = meta.full_name.lower() != state.key
    if not renamed and head_unchanged(state, meta):
        return Outcome(state.key, "unchanged", [repo_row(state, meta, answer.etag)])
    if meta.default_branch is None:
        return status_outcome(state, "empty", "no default branch")
    if git is not None:
        return git_outcome(git, state, meta, answer)
    same_branch = state.is_ok and not renamed and meta.default_branch == state.row.get("default_branch")
    tree = gh.fetch_tree(meta.full_name, meta.default_branch, state.row.get("tree_etag") if same_branch else None)
    if tree.status == "not_modified" or (same_branch and tree.sha == state.row.get("head_tree")):
        return Outcome(state.key, "unchanged", [repo_row(state, meta, answer.etag, tree)])
    if tree.status != "ok":
        return status_outcome(state, tree.status, tree.reason)
    return crawled_outcome(gh, state, meta, answer.etag, tree, file_pool)


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
        n_attempts=0, crawled_at=utcnow(),
    )  # fmt: skip
    if meta.head_commit:
        row["head_commit"] = meta.head_commit
    if tree is not None and tree.sha:
        row.update(head_tree=tree.sha, tree_etag=tree.etag)
    return row


def renamed_row(state: RepoState, meta: RepoMeta) -> dict[str, Any]:
    row = dict(state.row)
    row.update(status="renamed", status_reason=f"renamed to {meta.full_name}", renamed_to=meta.full_name.lower(),
               n_attempts=0, crawled_at=utcnow())  # fmt: skip
    return row


def status_outcome(state: RepoState, status: str, reason: str | None) -> Outcome:
    """A repository GitHub will not give us (missing, blocked, ...): recorded, files left as they were."""
    if status == "failed":
        return failed_outcome(state, reason or "unknown")
    row = dict(state.row)
    row.update(status=status, status_reason=reason, n_attempts=0, crawled_at=utcnow())
    return Outcome(state.key, status, [row], reason=reason)


def failed_outcome(state: RepoState, reason: str) -> Outcome:
    row = dict(state.row)
    row.update(status="failed", status_reason=reason, n_attempts=int(row.get("n_attempts") or 0) + 1,
               crawled_at=utcnow())  # fmt: skip
    return Outcome(state.key, "failed", [row], reason=reason)


def store_outcomes(wh: Warehouse, outcomes: Sequence[Outcome]) -> None:
    """Commit a batch of finished repositories in one transaction (main thread only)."""
    rows = [r for o in outcomes for r in o.rows]
    keys = [o.files_key for o in outcomes if o.files_key]
    with wh.transaction():
        if rows:
            wh.upsert("repos", rows)
        if keys:
            for table in ("repo_evidence", "repo_files"):
                wh.con.execute(f"DELETE FROM {table} WHERE repo_key IN (SELECT unnest(?))", [keys])
            wh.upsert("repo_files", [f for o in outcomes for f in o.files])
            wh.upsert("repo_evidence", [e for o in outcomes for e in o.evidence])


# --- the run ------------------------------------------------------------------------


def crawl_repos(wh: Warehouse, settings: Settings, repo_keys: Sequence[str] | None = None, limit: int | None = None,
                client: GitHubSource | None = None, progress: bool = True, full: bool = False,
                classify: bool = True, via: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Crawl the selected repositories and return a summary; see the module docstring.

    ``via``: ``git`` (trees and files through git), ``api`` (REST trees and the raw host)
    or None for git when a usable git is installed.
    """
    from tqdm import tqdm

    started = time.monotonic()
    gh = client or GitHubSource.from_settings(settings)
    git = transport_from_settings(settings) if choose_via(via, settings.crawl_via) == "git" else None
    if git is not None and gh.has_token:
        gh.graphql_batch = GRAPHQL_BATCH_GIT
    keys = select_repo_keys(wh, repo_keys, limit, full)
    tally: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    changed: list[str] = []
    with tqdm(total=len(keys), unit="repo", desc="crawl", disable=not progress) as bar:
        gh.set_on_wait(lambda why, s: tqdm.write(f"waiting {s:.0f}s: {why}"))

        def record(batch: list[Outcome]) -> None:
            store_outcomes(wh, batch)
            for o in batch:
                tally[o.kind] += 1
                if o.kind == "failed":
                    reasons[o.reason or "unknown"] += 1
                if o.files_key:
                    changed.append(o.files_key)
            bar.update(len(batch))

        run_pool(wh, gh, keys, record, git)
    if classify:
        classify_crawled(wh, changed)
    summary = summarise(keys, tally, reasons, gh, time.monotonic() - started)
    summary.update(via="git" if git else "api", git_fetches=git.n_fetches if git else 0)
    return summary


def classify_crawled(wh: Warehouse, changed: Sequence[str]) -> None:
    """Re-decide repositories whose evidence was replaced, then any crawled one still undecided.

    The second pass picks up repositories a killed run stored but never got to classify.
    """
    from flows.classify import classify_stored

    if changed:
        classify_stored(wh, force=True, repo_keys=list(changed))
    classify_stored(wh)


def run_pool(wh: Warehouse, gh: GitHubSource, keys: Sequence[str], record: Callable[[list[Outcome]], None],
             git: GitTransport | None = None) -> None:  # fmt: skip
    """Feed repositories to the workers chunk by chunk; store what finished, batched.

    At most ``MAX_IN_FLIGHT`` repositories are being fetched and at most ``FLUSH_EVERY``
    (or ``FLUSH_SECONDS``' worth) wait to be written, so memory stays flat however many
    keys there are and a kill loses only those. Batching matters: each DuckDB statement
    costs tens of milliseconds whatever its size.
    """
    in_flight: set[Future[Outcome]] = set()
    writer = _BatchWriter(record)
    workers = git.slots.n if git else REPO_WORKERS  # a git crawl waits on the network, not on the cores
    with ThreadPoolExecutor(workers, "repo") as repo_pool, ThreadPoolExecutor(FILE_WORKERS, "file") as file_pool:
        try:
            for states in _chunks_of_states(wh, keys, gh.graphql_batch):
                hints = graphql_hints(gh, states)
                for state in states:
                    in_flight.add(repo_pool.submit(crawl_repo, gh, state, file_pool, hints.get(state.key), git))
                    while len(in_flight) >= max(MAX_IN_FLIGHT, 2 * workers):
                        in_flight = _drain(in_flight, writer)
            while in_flight:
                in_flight = _drain(in_flight, writer)
        except BaseException:
            for future in in_flight:
                future.cancel()
            stop_git_processes()  # an interrupted crawl leaves no git process behind
            raise
    writer.flush()


class _BatchWriter:
    """Collects finished outcomes and hands them to ``record`` in batches."""

    def __init__(self, record: Callable[[list[Outcome]], None]) -> None:
        self.record = record
        self.buffer: list[Outcome] = []
        self.last_flush = time.monotonic()

    def add(self, outcomes: list[Outcome]) -> None:
        self.buffer.extend(outcomes)
        if len(self.buffer) >= FLUSH_EVERY or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.record(self.buffer)
        self.buffer = []
        self.last_flush = time.monotonic()


def _chunks_of_states(wh: Warehouse, keys: Sequence[str], size: int) -> Iterator[list[RepoState]]:
    for start in range(0, len(keys), size):
        yield load_states(wh, keys[start : start + size])


def _drain(in_flight: set[Future[Outcome]], writer: _BatchWriter) -> set[Future[Outcome]]:
    done, pending = wait(in_flight, timeout=FLUSH_SECONDS, return_when=FIRST_COMPLETED)
    writer.add([f.result() for f in done])
    return pending


def graphql_hints(gh: GitHubSource, states: Sequence[RepoState]) -> dict[str, RepoMeta]:
    """GraphQL metadata for a chunk when a token is set; repos it cannot resolve fall back to REST."""
    if not gh.has_token or not states:
        return {}
    try:
        answers = gh.fetch_graphql_metadata([s.full_name for s in states])
    except Exception:  # GraphQL down or limited: REST answers the same questions
        return {}
    return {s.key: meta for s in states if (meta := answers.get(s.full_name)) is not None}


def summarise(keys: Sequence[str], tally: Counter[str], reasons: Counter[str], gh: GitHubSource,
              seconds: float) -> dict[str, Any]:  # fmt: skip
    usage = gh.usage()
    return {
        "selected": len(keys), "crawled": tally["crawled"], "unchanged": tally["unchanged"],
        "by_status": {k: v for k, v in sorted(tally.items()) if k not in ("crawled", "unchanged")},
        "failed": dict(sorted(reasons.items())), "requests": usage, "quota_left": gh.quota_left(),
        "quota_per_repo": round(usage["quota_counted"] / len(keys), 3) if keys else 0.0,
        "seconds": round(seconds, 2),
    }  # fmt: skip
