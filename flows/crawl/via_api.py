"""One repository's crawl through the GitHub API: metadata, tree, evidence files, rows to store.

Per repository (first crawl): metadata (``GET /repos``, or one GraphQL query per 100
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

Outcomes and their rows are flows/crawl/outcomes.py; which files are read,
flows/crawl/files.py; the driver that picks and runs repositories, flows/crawl/driver.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from analysis.catalog.urls import is_github_full_name
from analysis.classifier.frameworks import relevant_evidence
from analysis.classifier.imports import FileScan
from analysis.classifier.readme import pick_readme
from flows.crawl.files import read_and_scan, select_files
from flows.crawl.outcomes import (
    Outcome,
    RepoState,
    checked_row,
    code_facts,
    failed_outcome,
    renamed_row,
    repo_row,
    status_outcome,
)
from flows.crawl.via_git import git_outcome
from flows.sources.git_transport import GitTransport
from flows.sources.github import GitHubSource, MetaAnswer, RepoMeta, TreeAnswer, TreeEntry, safe_reason
from flows.stopping import StopRequested

REPO_WORKERS = 8


FILE_WORKERS = 16


def crawl_repo(gh: GitHubSource, state: RepoState, file_pool: ThreadPoolExecutor,
               hint: RepoMeta | None = None, git: GitTransport | None = None) -> Outcome:  # fmt: skip
    """Crawl one repository; never raises (any failure becomes a ``failed`` outcome with a reason).

    With ``git`` the tree and files come through git (flows/crawl/via_git.py), else from the
    REST tree and the raw host; metadata and change detection are the same either way.
    """
    if not is_github_full_name(state.full_name):  # before it goes into any URL or command line
        return status_outcome(state, "missing", "not a GitHub owner/name")
    try:
        return _crawl_repo(gh, state, file_pool, hint, git)
    except StopRequested:  # the run is stopping: this repository was not crawled, nor did it fail
        raise
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
    paths = [e.path for e in tree.entries if e.type == "blob"]
    readme = _readme_entry(tree.entries, paths)
    reads = [*chosen, *([readme] if readme is not None and readme not in chosen else [])]  # the title's README once
    futures = [file_pool.submit(read_and_scan, gh, meta.full_name, ref, e) for e in reads]
    answers = [f.result() for f in futures]
    scans = [scan for scan, _ in answers[: len(chosen)]] + notes
    readme_bytes, readme_problem = None, None
    if readme is not None:
        readme_scan, readme_bytes = answers[reads.index(readme)]
        readme_problem = readme_scan.problem
    sizes = {e.path: e.size for e in chosen}
    files = [{"repo_key": key, "path": s.path, "kind": s.kind, "n_bytes": sizes.get(s.path), "problem": s.problem}
             for s in scans]  # fmt: skip
    evidence = [{"repo_key": key, "path": e.path, "module": e.module, "kind": e.kind, "is_weak": e.is_weak}
                for e in relevant_evidence(scans)]  # fmt: skip
    n_failed = sum(1 for s in scans[: len(chosen)] if s.problem and s.problem.startswith("fetch-failed"))
    if n_failed:  # partial evidence would be kept as if complete; retry the repository next run instead
        return failed_outcome(state, f"raw host: {n_failed} of {len(chosen)} files failed")
    if readme_problem is not None and readme_problem.startswith("fetch-failed"):
        return failed_outcome(state, "raw host: the README failed")
    row = repo_row(state, meta, etag, tree, key=key)
    row.update(n_files=len(paths), n_evidence_files=len(chosen),
               **code_facts(paths, readme_bytes, root_dates(meta)))  # fmt: skip
    rows = [row] if key == state.key else [renamed_row(state, meta), row]
    return Outcome(state.key, "crawled", rows, key, files, evidence)


def _readme_entry(entries: Sequence[TreeEntry], paths: Sequence[str]) -> TreeEntry | None:
    """The README the title comes from (the one definition's choice); a symlink gives none."""
    name = pick_readme(paths)
    return next((e for e in entries if e.path == name and e.type == "blob" and e.mode != "120000"), None)


def root_dates(meta: RepoMeta) -> list[datetime] | None:
    """The root commits' author dates GraphQL told (the head's, when it is the root); None when unknown.

    REST says nothing of the history without a request per repository, so without a
    token the first commit stays unknown on this path.
    """
    if meta.head_is_root and meta.head_authored_at is not None:
        return [meta.head_authored_at]
    return [meta.first_commit_at] if meta.first_commit_at is not None else None
