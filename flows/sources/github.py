"""GitHub as a source: repository metadata, the head's file list, and raw file content.

Quota is the scarce thing (5,000 REST requests an hour with a token, 60 without), so
each call here costs at most one quota-counted request and the expensive parts are
free: file content comes from the raw host (no API quota), refreshes send the stored
ETag (a 304 is free), and with a token GraphQL answers metadata for 100 repositories
in one request. Every function returns an answer with a status instead of raising
for the ways a repository can be gone; only transport failures raise ``HttpError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from analysis.classifier.imports import MAX_READ_BYTES
from flows.settings import Settings
from flows.sources.git_process import is_object_id
from flows.sources.http import (
    HttpClient,
    HttpError,
    RedirectRefused,
    RetryPolicy,
    make_session,
)
from flows.sources.secrets import redact, register_secret

API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
GRAPHQL_BATCH = 100
"""Repositories per GraphQL query: GitHub resolves at most 100 nodes of a kind per query; one point or two."""
MAX_TREE_REQUESTS = 60
"""Non-recursive tree requests for one truncated tree; beyond it the walk is recorded as cut."""
_GRAPHQL_FIELDS = (
    "nameWithOwner description createdAt pushedAt stargazerCount isArchived isDisabled primaryLanguage { name } "
    "isFork parent { nameWithOwner } "
    "defaultBranchRef { name target { oid ... on Commit { tree { oid } authoredDate parents { totalCount } "
    "history(first: 1) { totalCount } } } }"
)
_OLDEST_FIELDS = "nodes { oid authoredDate parents { totalCount } }"


@dataclass(frozen=True)
class RepoMeta:
    """What GitHub says about a repository; ``head_commit`` is known only from GraphQL."""

    full_name: str
    created_at: datetime | None
    pushed_at: datetime | None
    n_stars: int | None
    language: str | None
    default_branch: str | None
    is_archived: bool | None
    head_commit: str | None = None
    head_tree: str | None = None
    description: str | None = None  # the owner's one-line description, for attribution
    is_fork: bool | None = None
    fork_parent: str | None = None  # the parent's lower-case owner/name
    n_commits: int | None = None  # commits in the default branch's history (GraphQL only)
    head_authored_at: datetime | None = None  # the head commit's author date (GraphQL only)
    head_is_root: bool | None = None  # the head commit has no parent (GraphQL only)
    first_commit_at: datetime | None = None  # the root's author date, from a second GraphQL query


@dataclass(frozen=True)
class MetaAnswer:
    """The metadata call's outcome: ``ok``, ``not_modified`` or a terminal repository status."""

    status: str  # ok | not_modified | missing | blocked | disabled | empty | failed
    meta: RepoMeta | None = None
    etag: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class TreeEntry:
    path: str
    mode: str
    type: str  # blob | tree | commit (a submodule)
    sha: str
    size: int | None


@dataclass(frozen=True)
class TreeAnswer:
    status: str  # ok | not_modified | empty | failed
    sha: str | None = None
    entries: tuple[TreeEntry, ...] = ()
    etag: str | None = None
    problem: str | None = None  # the walk of a truncated tree was cut short
    reason: str | None = None


def parse_time(value: str | None) -> datetime | None:
    """GitHub's ISO 8601 ``...Z`` as the naive UTC datetime DuckDB stores."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def meta_from_rest(body: dict[str, Any]) -> RepoMeta:
    return RepoMeta(
        full_name=body["full_name"], created_at=parse_time(body.get("created_at")),
        pushed_at=parse_time(body.get("pushed_at")), n_stars=body.get("stargazers_count"),
        language=body.get("language"), default_branch=body.get("default_branch"),
        is_archived=body.get("archived"), description=body.get("description"), is_fork=body.get("fork"),
        fork_parent=_lower_name((body.get("parent") or {}).get("full_name")),
    )  # fmt: skip


def meta_from_graphql(node: dict[str, Any]) -> RepoMeta:
    branch = node.get("defaultBranchRef") or {}
    target = branch.get("target") or {}
    return RepoMeta(
        full_name=node["nameWithOwner"], created_at=parse_time(node.get("createdAt")),
        pushed_at=parse_time(node.get("pushedAt")), n_stars=node.get("stargazerCount"),
        language=(node.get("primaryLanguage") or {}).get("name"), default_branch=branch.get("name"),
        is_archived=node.get("isArchived"), head_commit=target.get("oid"),
        head_tree=(target.get("tree") or {}).get("oid"), description=node.get("description"),
        is_fork=node.get("isFork"), fork_parent=_lower_name((node.get("parent") or {}).get("nameWithOwner")),
        n_commits=(target.get("history") or {}).get("totalCount"),
        head_authored_at=parse_time(target.get("authoredDate")),
        head_is_root=(target["parents"].get("totalCount") == 0) if isinstance(target.get("parents"), dict) else None,
    )  # fmt: skip


def _lower_name(name: str | None) -> str | None:
    return name.lower() if name else None


def _message(response: requests.Response) -> tuple[str, str | None]:
    """(message, block reason) of a GitHub error body; tolerant of non-JSON bodies."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip(), None
    if not isinstance(body, dict):
        return "", None
    block = body.get("block") if isinstance(body.get("block"), dict) else {}
    return str(body.get("message", "")), (block or {}).get("reason")


def status_of_error(response: requests.Response) -> MetaAnswer:
    """Map GitHub's ways of saying "you cannot have this repository" to a status and reason."""
    message, block_reason = _message(response)
    code = response.status_code
    if code == 404:
        return MetaAnswer("missing", reason=f"HTTP 404: {message or 'Not Found'}")
    if code == 451:
        return MetaAnswer("blocked", reason=f"HTTP 451: {block_reason or message or 'unavailable for legal reasons'}")
    if code == 403 and "access blocked" in message.lower():
        return MetaAnswer("disabled", reason=f"HTTP 403: {message}" + (f" ({block_reason})" if block_reason else ""))
    if code == 409:
        return MetaAnswer("empty", reason=f"HTTP 409: {message}")
    return MetaAnswer("failed", reason=f"HTTP {code}: {message}"[:300])


RAW_CONTENT_TRIES = 3


def is_raw_content_type(value: str | None) -> bool:
    """Whether a raw-host answer can be a file's bytes.

    The raw host serves code as text/plain (even .html and .json files, so a browser never
    renders them) or octet-stream. An HTML page or a JSON body with 200 is an error page or
    a proxy speaking, not the file, and must not be scanned as if it were.
    """
    kind = (value or "").split(";")[0].strip().lower()
    return kind in ("", "application/octet-stream") or (kind.startswith("text/") and kind != "text/html")


@dataclass
class GitHubSource:
    """The GitHub API and raw host behind two pooled clients; thread-safe.

    The raw host gets its own session without the token: public content needs none,
    and a token sent where it is not needed is a token that can leak.
    """

    api: HttpClient
    raw: HttpClient
    api_url: str
    raw_url: str
    has_token: bool = False
    graphql_batch: int = GRAPHQL_BATCH
    _on_wait: Callable[[str, float], None] | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, pool_size: int = 16,
                      retry: RetryPolicy | None = None) -> GitHubSource:  # fmt: skip
        api = HttpClient(make_session(pool_size, settings.github_token), retry=retry or RetryPolicy())
        raw = HttpClient(make_session(pool_size, None), retry=retry or RetryPolicy())
        api.session.headers.update(API_HEADERS)
        register_secret(settings.github_token)  # redact() blanks it in any shape, prefix or not
        return cls(api, raw, settings.github_api_url, settings.github_raw_url, bool(settings.github_token))

    @property
    def graphql_url(self) -> str:
        """GitHub's GraphQL endpoint: beside REST on github.com; ``/api/graphql`` on Enterprise (REST: ``/api/v3``)."""
        base = self.api_url.removesuffix("/v3") if self.api_url.endswith("/api/v3") else self.api_url
        return f"{base}/graphql"

    def set_on_wait(self, callback: Callable[[str, float], None] | None) -> None:
        self.api.on_wait = self.raw.on_wait = callback

    # --- REST --------------------------------------------------------------------

    def fetch_metadata(self, full_name: str, etag: str | None = None) -> MetaAnswer:
        """``GET /repos/{o}/{r}``, conditional on ``etag``; follows a rename's 301."""
        headers = {"If-None-Match": etag} if etag else {}
        response = self.api.get(f"{self.api_url}/repos/{full_name}", headers=headers, json_body=True,
                                ok_statuses=frozenset({403, 404, 409, 451}))  # fmt: skip
        if response.status_code == 304:
            return MetaAnswer("not_modified", etag=etag)
        if response.status_code != 200:
            return status_of_error(response)
        return MetaAnswer("ok", meta_from_rest(response.json()), response.headers.get("ETag"))

    def fetch_tree(self, full_name: str, ref: str, etag: str | None = None) -> TreeAnswer:
        """The recursive tree of ``ref`` (one request), or a walk of subtrees when it is truncated."""
        url = f"{self.api_url}/repos/{full_name}/git/trees/{quote(ref, safe='')}"
        headers = {"If-None-Match": etag} if etag else {}
        response = self.api.get(url, params={"recursive": "1"}, headers=headers, ok_statuses=frozenset({404, 409}),
                                json_body=True)  # fmt: skip
        if response.status_code == 304:
            return TreeAnswer("not_modified", etag=etag)
        if response.status_code == 409:
            return TreeAnswer("empty", reason="HTTP 409: " + _message(response)[0])
        if response.status_code == 404:
            return TreeAnswer("failed", reason=f"tree of {ref!r} not found")
        body = response.json()
        new_etag = response.headers.get("ETag")
        if not body.get("tree"):
            return TreeAnswer("empty", body.get("sha"), etag=new_etag, reason="empty tree")
        if not body.get("truncated"):
            return TreeAnswer("ok", body["sha"], tuple(_entries(body["tree"])), new_etag)
        entries, problem = self.walk_tree(full_name, body["sha"])
        return TreeAnswer("ok", body["sha"], tuple(entries), new_etag, problem)

    def walk_tree(self, full_name: str, root_sha: str, skip: Callable[[str], bool] | None = None,
                  max_requests: int = MAX_TREE_REQUESTS) -> tuple[list[TreeEntry], str | None]:  # fmt: skip
        """Breadth-first walk of non-recursive trees: top-level code first, bounded in requests."""
        queue, found, n_requests = [("", root_sha)], [], 0
        while queue:
            if n_requests >= max_requests:
                return found, f"tree-walk-cut-at-{max_requests}-requests"
            prefix, sha = queue.pop(0)
            response = self.api.get(f"{self.api_url}/repos/{full_name}/git/trees/{sha}", json_body=True)
            n_requests += 1
            for entry in _entries(response.json().get("tree", []), prefix):
                found.append(entry)
                if entry.type == "tree" and not (skip and skip(entry.path)):
                    queue.append((entry.path + "/", entry.sha))
        return found, None

    # --- raw host ------------------------------------------------------------------

    def fetch_file(self, full_name: str, ref: str, path: str, n_bytes: int | None) -> tuple[bytes | None, str | None]:
        """A file's first ``MAX_READ_BYTES`` from the raw host: (content, problem).

        The raw host costs no API quota. Larger files are read with a Range request
        (imports sit at the top); a vanished file (the branch moved on) is a problem, not a failure.
        """
        url = f"{self.raw_url}/{full_name}/{quote(ref, safe='')}/{quote(path)}"
        too_big = n_bytes is not None and n_bytes > MAX_READ_BYTES
        headers = {"Range": f"bytes=0-{MAX_READ_BYTES - 1}"} if too_big else {}
        for _ in range(RAW_CONTENT_TRIES):
            try:
                response = self.raw.get(url, headers=headers, resource="raw", ok_statuses=frozenset({404}))
            except HttpError as exc:
                return None, f"fetch-failed: HTTP {exc.status}" if exc.status else "fetch-failed: connection"
            if response.status_code == 404:
                return None, "raw-404"
            if is_raw_content_type(response.headers.get("Content-Type")):
                return response.content, "truncated" if too_big else None
        return None, f"fetch-failed: content type {response.headers.get('Content-Type')}"

    # --- GraphQL -------------------------------------------------------------------

    def fetch_graphql_metadata(self, full_names: Sequence[str], max_tries: int = 3) -> dict[str, RepoMeta | None]:
        """Metadata of many repositories in one query; None for the ones GraphQL cannot resolve.

        Over its limit GraphQL answers HTTP 200 with a RATE_LIMITED error in the body:
        that marks the quota spent (so the client waits for the reset) and tries again.
        Raises HttpError when it cannot get an answer; callers then fall back to REST.
        """
        data = self._graphql(build_graphql_query(full_names), max_tries)
        return {name: (meta_from_graphql(data[f"r{i}"]) if data.get(f"r{i}") else None)
                for i, name in enumerate(full_names)}  # fmt: skip

    def fetch_graphql_first_commits(self, metas: Sequence[RepoMeta]) -> dict[str, datetime]:
        """The author date of the last commit of each head's history, where it is a root commit.

        GitHub's GraphQL lists a commit's history newest first and accepts a cursor
        ``"<oid> <n>"`` (the n-th commit after ``oid``), so ``after: "<head> <count - 2>"``
        with ``first: 1`` is the history's last commit: the oldest, a root, in one
        aliased query for many repositories (a GraphQL point, no REST quota). With several
        roots (a merged-in history) the last one listed is the oldest by commit date, not
        necessarily the earliest authored: the git path sees every root. A repository
        whose answer is missing, or whose last commit is not a root, is left out.
        """
        wanted = [m for m in metas if m.head_commit and is_object_id(m.head_commit) and (m.n_commits or 0) > 1]
        if not wanted:
            return {}
        parts = []
        for i, meta in enumerate(wanted):
            owner, repo = meta.full_name.split("/", 1)
            cursor = json.dumps(f"{meta.head_commit} {int(meta.n_commits or 0) - 2}")
            parts.append(f"r{i}: repository(owner: {json.dumps(owner)}, name: {json.dumps(repo)}) "
                         f"{{ object(oid: {json.dumps(meta.head_commit)}) {{ ... on Commit {{ "
                         f"history(first: 1, after: {cursor}) {{ {_OLDEST_FIELDS} }} }} }} }}")  # fmt: skip
        data = self._graphql("query { " + " ".join(parts) + " rateLimit { cost remaining resetAt } }")
        found = {}
        for i, meta in enumerate(wanted):
            nodes = (((data.get(f"r{i}") or {}).get("object") or {}).get("history") or {}).get("nodes") or []
            node = nodes[0] if nodes and isinstance(nodes[0], dict) else {}
            if (node.get("parents") or {}).get("totalCount") == 0 and (when := parse_time(node.get("authoredDate"))):
                found[meta.full_name] = when
        return found

    def _graphql(self, query: str, max_tries: int = 3) -> dict[str, Any]:
        """One GraphQL query's ``data``; waits out a RATE_LIMITED answer (HTTP 200) like a spent quota."""
        for _ in range(max_tries):
            response = self.api.request("POST", self.graphql_url, resource="graphql", json={"query": query},
                                        json_body=True)  # fmt: skip
            body = response.json()
            errors = body.get("errors") or []
            if any(e.get("type") == "RATE_LIMITED" for e in errors):
                reset = response.headers.get("x-ratelimit-reset")
                self.api.rate_limits.mark_exhausted("graphql", float(reset) if reset else None)
                continue
            return body.get("data") or {}
        raise HttpError("GraphQL: rate limited after retries", 200, self.graphql_url)

    def usage(self) -> dict[str, int]:
        """Requests sent so far: quota-counted (API, less free 304s) versus free (raw host)."""
        api, raw = self.api.counts, self.raw.counts
        free = api["core:not_modified"] + api["core:limited"] + api["graphql:limited"]
        quota = api["core:sent"] + api["graphql:sent"] - free
        return {
            "quota_counted": quota, "not_modified": api["core:not_modified"], "graphql": api["graphql:sent"],
            "rate_limited": api["core:limited"] + api["graphql:limited"], "raw": raw["raw:sent"],
            "errors": api["core:error"] + api["graphql:error"] + raw["raw:error"],
        }  # fmt: skip

    def quota_left(self) -> dict[str, int]:
        return dict(self.api.rate_limits.remaining)


def build_graphql_query(full_names: Sequence[str]) -> str:
    """One query with an alias per repository (``r0``, ``r1``, ...); names are JSON-quoted."""
    parts = []
    for i, name in enumerate(full_names):
        owner, repo = name.split("/", 1)
        parts.append(f"r{i}: repository(owner: {json.dumps(owner)}, name: {json.dumps(repo)}) {{ {_GRAPHQL_FIELDS} }}")
    return "query { " + " ".join(parts) + " rateLimit { cost remaining resetAt } }"


def _entries(raw_entries: list[dict[str, Any]], prefix: str = "") -> list[TreeEntry]:
    return [
        TreeEntry(prefix + e["path"], e.get("mode", ""), e.get("type", ""), e.get("sha", ""), e.get("size"))
        for e in raw_entries
    ]


def safe_reason(exc: BaseException) -> str:
    """A short, token-free reason for a failure, without the URL (it varies per repository)."""
    if isinstance(exc, RedirectRefused):
        return redact(str(exc).split(": ", 1)[-1])[:300]  # says which host, not the URL
    if isinstance(exc, HttpError):
        return f"HTTP {exc.status}" if exc.status else "connection failed"
    return redact(f"{type(exc).__name__}: {exc}")[:300]
