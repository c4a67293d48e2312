"""How a batch of repositories is fetched: the transports (``--via api|git``), one per process.

Metadata and change detection are the API's either way (GraphQL batches with a token,
REST with ETags without); the tree and files come from the REST API and the raw host,
or through git (flows/crawl/via_git.py). A transport is built once per process and
shared by every batch in it, so rate-limit state, worker pools and the cap on git
processes are shared. Workers (threads, Dask processes) never touch the warehouse:
a batch's outcomes go back to the writer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from flows.crawl.outcomes import Outcome, RepoState
from flows.crawl.via_api import FILE_WORKERS, REPO_WORKERS, crawl_repo, head_unchanged
from flows.crawl.via_git import transport_from_settings
from flows.settings import Settings
from flows.sources.git_process import stop_git_processes
from flows.sources.git_transport import GitTransport
from flows.sources.github import GitHubSource, RepoMeta


class Transport(Protocol):
    """How a batch of repositories is fetched; one instance per process, shared by its batches."""

    def crawl_states(self, states: Sequence[RepoState]) -> list[Outcome]:
        """One outcome per state, in order; never raises for one repository's failure."""
        ...

    def usage(self) -> dict[str, int]:
        """Requests sent so far by this transport (cumulative): ``quota_counted`` at least."""
        ...

    def quota_left(self) -> dict[str, int]: ...

    def abort(self) -> None:
        """Stop what is in flight (an interrupted crawl leaves no process behind)."""
        ...


@dataclass
class GitHubTransport:
    """Metadata from GitHub's API (GraphQL batches with a token, else REST with ETags); trees and
    files from the REST API and the raw host, or through git when ``git`` is set."""

    gh: GitHubSource
    git: GitTransport | None = None
    repo_pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(REPO_WORKERS, "repo"))
    file_pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(FILE_WORKERS, "file"))

    @classmethod
    def for_api(cls, settings: Settings, client: GitHubSource | None = None) -> GitHubTransport:
        return cls(client or GitHubSource.from_settings(settings))

    @classmethod
    def for_git(cls, settings: Settings, client: GitHubSource | None = None) -> GitHubTransport:
        """A git crawl waits on the network, not on the cores: one repository thread per git process."""
        gh = client or GitHubSource.from_settings(settings)
        git = transport_from_settings(settings, gh.api.retry)
        return cls(gh, git, ThreadPoolExecutor(settings.git_processes, "git"))

    def crawl_states(self, states: Sequence[RepoState]) -> list[Outcome]:
        hints: dict[str, RepoMeta] = {}
        for start in range(0, len(states), self.gh.graphql_batch):
            chunk = states[start : start + self.gh.graphql_batch]
            hints.update(with_first_commits(self.gh, chunk, graphql_hints(self.gh, chunk), self.git is None))
        futures = [self.repo_pool.submit(crawl_repo, self.gh, s, self.file_pool, hints.get(s.key), self.git)
                   for s in states]  # fmt: skip
        try:
            return [f.result() for f in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise

    def usage(self) -> dict[str, int]:
        return {**self.gh.usage(), "git_fetches": self.git.n_fetches if self.git else 0}

    def quota_left(self) -> dict[str, int]:
        return self.gh.quota_left()

    def abort(self) -> None:
        if self.git is not None:
            stop_git_processes()

    def close(self) -> None:
        self.repo_pool.shutdown(cancel_futures=True)
        self.file_pool.shutdown(cancel_futures=True)


def graphql_hints(gh: GitHubSource, states: Sequence[RepoState]) -> dict[str, RepoMeta]:
    """GraphQL metadata for a chunk when a token is set; repos it cannot resolve fall back to REST."""
    if not gh.has_token or not states:
        return {}
    try:
        answers = gh.fetch_graphql_metadata([s.full_name for s in states])
    except Exception:  # GraphQL down or limited: REST answers the same questions
        return {}
    return {s.key: meta for s in states if (meta := answers.get(s.full_name)) is not None}


def with_first_commits(gh: GitHubSource, states: Sequence[RepoState], hints: dict[str, RepoMeta],
                       wanted: bool = True) -> dict[str, RepoMeta]:  # fmt: skip
    """The hints, with the first commit's date for the repositories whose code will be read (API path).

    One more GraphQL query per chunk, only for repositories whose head moved (an unchanged
    one keeps its stored date): GraphQL points, no REST quota. Git sees the history itself.
    """
    if not wanted or not hints:
        return hints
    moving = [meta for s in states if (meta := hints.get(s.key)) is not None and not head_unchanged(s, meta)]
    try:
        found = gh.fetch_graphql_first_commits(moving)
    except Exception:  # GraphQL down or limited: the date stays unknown this time, the crawl goes on
        return hints
    return {k: replace(m, first_commit_at=found[m.full_name]) if m.full_name in found else m for k, m in hints.items()}


TRANSPORTS: dict[str, Callable[[Settings, GitHubSource | None], GitHubTransport]] = {
    "api": GitHubTransport.for_api, "git": GitHubTransport.for_git,
}
"""Transport name (``--via``) -> factory from settings (and a GitHub client to use, if given);
the token is read from the settings by the factory, never passed."""


_SHARED: dict[tuple[str, ...], Transport] = {}


_SHARED_LOCK = threading.Lock()


def shared_transport(via: str, settings: Settings) -> Transport:
    """One transport per (name, hosts) per process: batches in threads share its limits and pools."""
    if via not in TRANSPORTS:
        raise ValueError(f"unknown transport {via!r}; known: {', '.join(sorted(TRANSPORTS))}")
    key = (via, settings.github_api_url, settings.github_raw_url, settings.github_git_url or "",
           str(settings.git_work_dir))  # fmt: skip
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = TRANSPORTS[via](settings, None)
        return _SHARED[key]


def crawl_batch_outcomes(states: list[RepoState], via: str = "api",
                         transport: Transport | None = None) -> dict[str, Any]:  # fmt: skip
    """Crawl one batch without touching the warehouse; the outcomes go back to the writer.

    ``states`` are the stored rows (ETags, head trees, attempts, link scopes), so an
    unchanged repository costs a free 304 or nothing. The token is read from this
    process's environment by the transport, never passed in.
    """
    transport = transport or shared_transport(via, Settings.from_env())
    before = transport.usage()
    outcomes = transport.crawl_states(states)
    after = transport.usage()
    return {"outcomes": outcomes, "quota_left": transport.quota_left(),
            "usage": {k: after.get(k, 0) - before.get(k, 0) for k in after}}  # fmt: skip
