"""The crawler's git transport: one repository's tree and evidence through git, not the API.

Metadata and change detection are the API path's (GraphQL batches with a token, REST
with ETags without); what differs is where the tree and the files come from (see
flows/sources/git_transport.py). The outcome has the API path's shape, so storing,
classifying and the warehouse are the same whichever transport ran.
"""

from __future__ import annotations

import logging

from analysis.classifier.frameworks import relevant_evidence
from analysis.classifier.readme import pick_readme
from flows.crawl.files import scan_blob, select_files
from flows.crawl.outcomes import (
    Outcome,
    RepoState,
    code_facts,
    failed_outcome,
    renamed_row,
    repo_row,
    status_outcome,
)
from flows.settings import Settings
from flows.sources.git_process import GitFailure, GitSlots, git_usable
from flows.sources.git_transport import GitScratch, GitTransport
from flows.sources.github import MetaAnswer, RepoMeta
from flows.sources.http import RetryPolicy

log = logging.getLogger(__name__)


_ANNOUNCED: set[str] = set()


def choose_via(via: str | None, configured: str | None = None) -> str:
    """``git`` or ``api``: the one asked for (option, then PAPERTRENDS_CRAWL_VIA), else git when a usable
    git (2.30+) is on PATH; the automatic choice is said once in the log."""
    for asked in (via, configured):
        if asked in ("git", "api"):
            return asked
        if asked:
            raise ValueError(f"crawl via {asked!r}: choose git or api")
    chosen = "git" if git_usable() else "api"
    if chosen not in _ANNOUNCED:
        _ANNOUNCED.add(chosen)
        why = "git 2.30+ found" if chosen == "git" else "no git 2.30+ on PATH"
        log.warning("crawl via %s (%s; choose with --via git|api)", chosen, why)
    return chosen


def transport_from_settings(settings: Settings, retry: RetryPolicy | None = None) -> GitTransport:
    """Scratch folders and the process cap live in one folder per user on this machine, so the cap holds
    across every process (CLI runs, Dask workers) on it. ``retry``: the HTTP client's policy, shared.

    The git host is ``Settings.git_url``: set, or implied by the API's URL, else a one-line error.
    """
    work = settings.git_work_dir
    slots = GitSlots(work / "slots", settings.git_processes)
    return GitTransport(settings.git_url, work / "scratch", slots, token=settings.github_token,
                        retry=retry or RetryPolicy())  # fmt: skip


def git_outcome(git: GitTransport, state: RepoState, meta: RepoMeta, answer: MetaAnswer) -> Outcome:
    """Crawl one repository's head through git; the API path's ``Outcome`` (failures become statuses)."""
    try:
        with git.open(meta.full_name) as repo:
            return _crawl(repo, state, meta, answer.etag)
    except GitFailure as exc:
        return (
            status_outcome(state, exc.status, exc.reason)
            if exc.status != "failed"
            else failed_outcome(state, exc.reason)
        )


def _crawl(repo: GitScratch, state: RepoState, meta: RepoMeta, etag: str | None) -> Outcome:
    head = repo.fetch_head(meta.head_commit)
    if not head.entries:
        return status_outcome(state, "empty", "empty tree")
    chosen, notes = select_files(head.entries, state.scopes)
    paths = [e.path for e in head.entries if e.type == "blob"]
    readme_path = pick_readme(paths)
    readme = next((e for e in head.entries if e.path == readme_path and e.mode != "120000"), None)
    extra = [readme.sha] if readme is not None else []  # its title, in the same batch
    too_big = set(repo.fetch_blobs([e.sha for e in chosen] + extra))
    blobs = repo.read_blobs([e.sha for e in chosen if e.sha not in too_big] + [s for s in extra if s not in too_big])
    scans = [scan_blob(e, blobs.get(e.sha), e.sha in too_big) for e in chosen]
    n_missing = sum(1 for s in scans if s.problem == "fetch-failed: missing")
    if n_missing:  # partial evidence would be kept as if complete; retry the repository next run instead
        raise GitFailure("failed", f"git: {n_missing} of {len(chosen)} blobs missing after the fetch")
    roots = repo.root_author_dates(head)
    key = meta.full_name.lower()
    sizes = {e.path: (b.size if (b := blobs.get(e.sha)) else None) for e in chosen}
    files = [{"repo_key": key, "path": s.path, "kind": s.kind, "n_bytes": sizes.get(s.path), "problem": s.problem}
             for s in scans + notes]  # fmt: skip
    evidence = [{"repo_key": key, "path": e.path, "module": e.module, "kind": e.kind, "is_weak": e.is_weak}
                for e in relevant_evidence(scans + notes)]  # fmt: skip
    row = repo_row(state, meta, etag, key=key)
    readme_blob = blobs.get(extra[0]) if extra else None
    row.update(head_tree=head.tree, head_commit=head.commit, last_commit_at=head.committed_at,
               n_files=len(paths), n_evidence_files=len(chosen),
               **code_facts(paths, readme_blob.data if readme_blob is not None else None, roots))  # fmt: skip
    rows = [row] if key == state.key else [renamed_row(state, meta), row]
    return Outcome(state.key, "crawled", rows, key, files, evidence)
