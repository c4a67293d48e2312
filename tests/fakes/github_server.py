"""A loopback fake of GitHub's REST API, GraphQL endpoint and raw file host.

It speaks the real protocol over a real socket: status codes, ``x-ratelimit-*``
headers with a primary quota that runs out and resets, secondary limits with
``Retry-After``, ETags and 304s (free, as on GitHub), 301 for renamed
repositories, 404/451/403/409 for missing, DMCA-blocked, disabled and empty ones,
truncated recursive trees, ``Range`` on the raw host, slow answers and dropped
connections. Every request is counted, split into quota-counted and free, so
tests and benches assert what the crawler spent.

Run alone (for benches and kill tests): ``python tests/fakes/github_server.py --repos 1000``
prints ``PORT <n>`` and serves until killed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import ssl
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

if __package__ in (None, ""):  # run as a script (benches): make ``fakes`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fakes.git_host import GIT_PREFIX, GitStore, nested_tree, repo_commits, serve_git, tree_objects
from fakes.serving import QuietHTTPServer

RAW_PREFIX = "/raw"
_OLDEST_QUERY = re.compile(r'object\(oid: "(\w+)"\) \{ \.\.\. on Commit \{ history\(first: 1, after: "(\w+) (\d+)"\)')


@dataclass
class FakeRepo:
    """One repository as the fake serves it; ``status`` other than ok makes it fail that way."""

    full_name: str
    files: dict[str, bytes] = field(default_factory=dict)
    default_branch: str = "main"
    created_at: str = "2019-03-01T10:00:00Z"
    pushed_at: str = "2020-01-01T10:00:00Z"
    stars: int = 3
    language: str | None = "Python"
    description: str | None = None
    archived: bool = False
    status: str = "ok"  # ok | missing | dmca | disabled | empty
    renamed_to: str | None = None  # this name answers 301 to that repository
    repo_id: int = 0
    symlinks: tuple[str, ...] = ()
    truncate_tree: bool = False  # the recursive tree answers truncated: true (too big)
    first_commit_at: str | None = None  # the root commit's author date; None: created_at
    root_committed_at: str | None = None  # the root commit's committer date (rebased later); None: its author date
    fork_parent: str | None = None  # a fork of this owner/name

    @property
    def tree_sha(self) -> str:
        """The head's tree id as git computes it (so REST, GraphQL and a clone agree)."""
        return tree_objects(nested_tree(self.files, self.symlinks), {})

    @property
    def commit_sha(self) -> str:
        return self.commits[1]

    @property
    def commits(self) -> tuple[str, str]:
        """(root, head) commit ids."""
        return repo_commits(self.tree_sha, self.first_commit_at or self.created_at, self.pushed_at,
                            self.root_committed_at)  # fmt: skip


@dataclass
class Fault:
    """Answer the next ``times`` requests whose path contains ``match`` badly.

    kinds: ``502``, ``secondary`` (403 + Retry-After), ``secondary-message`` (403, message
    only), ``429``, ``reset`` (drop the connection), ``slow`` (sleep ``seconds`` first),
    ``graphql-limited`` (200 with a RATE_LIMITED error).
    """

    match: str
    kind: str
    times: int = 1
    seconds: float = 0.0


class FakeGitHub:
    """The state behind the server: repositories, quota, faults and counters."""

    def __init__(self, repos: list[FakeRepo], *, rate_limit: int = 5000, reset_seconds: float = 3600.0,
                 latency: float = 0.0, require_token: str | None = None, enterprise: bool = False) -> None:  # fmt: skip
        self.repos: dict[str, FakeRepo] = {}
        self.by_id: dict[int, FakeRepo] = {}
        for n, repo in enumerate(repos, 1):
            self.add(repo, n)
        self.rate_limit = rate_limit
        self.reset_seconds = reset_seconds
        self.remaining = {"core": rate_limit, "graphql": rate_limit}
        self.reset_at = {"core": 0.0, "graphql": 0.0}
        self.latency = latency
        self.require_token = require_token
        self.faults: list[Fault] = []
        self.counts: Counter[str] = Counter()
        self.auth_seen: Counter[str] = Counter()  # "api:<header>" / "raw:<header>"
        self.lock = threading.Lock()
        self._trees: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.server: ThreadingHTTPServer | None = None
        self._git_store: GitStore | None = None
        self._git_dir: tempfile.TemporaryDirectory[str] | None = None
        self.git_wants: list[bytes] = []  # object ids asked for in git fetches, in order
        self.git_caps: tuple[int, list[tuple[str, str]], bytes] | None = None  # protocol v2's advertisement
        # GitHub Enterprise's layout: REST under /api/v3, GraphQL at /api/graphql, git at the root
        self.api_prefix = "/api/v3" if enterprise else ""
        self.git_prefix = "" if enterprise else GIT_PREFIX
        self.redirect_to: str | None = None  # answer 301 to this base (same path) for the hosts named below
        self.redirect_where: frozenset[str] = frozenset()  # "api", "raw", "git"

    def use_git_store(self, store: GitStore) -> None:
        """Serve git from a store built elsewhere (a session fixture's); repositories are added on demand."""
        self._git_store = store

    def git_store(self) -> GitStore:
        """The bare repository behind the git routes, built on first use (all repositories at once)."""
        with self.lock:
            if self._git_store is None:
                self._git_dir = tempfile.TemporaryDirectory(prefix="fake-git-")
                self._git_store = GitStore(Path(self._git_dir.name))
                fresh = True
            else:
                fresh = False
        if fresh:
            self._git_store.sync([r for r in self.repos.values() if r.status == "ok" and not r.renamed_to])
        return self._git_store

    def add(self, repo: FakeRepo, repo_id: int | None = None) -> None:
        repo.repo_id = repo.repo_id or repo_id or len(self.repos) + 1
        self.repos[repo.full_name.lower()] = repo
        self.by_id[repo.repo_id] = repo

    def push(self, full_name: str, path: str, content: bytes, pushed_at: str = "2024-06-01T00:00:00Z") -> None:
        """A new commit on the default branch: files and pushed_at change (so do ETags)."""
        repo = self.repos[full_name.lower()]
        repo.files[path] = content
        repo.pushed_at = pushed_at

    # --- quota and faults --------------------------------------------------------

    def charge(self, resource: str) -> tuple[bool, dict[str, str]]:
        """Spend one unit of ``resource``; False when the quota is spent (until reset)."""
        with self.lock:
            now = time.time()
            if now >= self.reset_at[resource]:
                self.remaining[resource] = self.rate_limit
                self.reset_at[resource] = math.ceil(now + self.reset_seconds)
            ok = self.remaining[resource] > 0
            if ok:
                self.remaining[resource] -= 1
                self.counts[f"quota:{resource}"] += 1
            else:
                self.counts[f"limited:{resource}"] += 1
            return ok, self.limit_headers(resource)

    def limit_headers(self, resource: str) -> dict[str, str]:
        used = self.rate_limit - self.remaining[resource]
        return {
            "x-ratelimit-limit": str(self.rate_limit), "x-ratelimit-remaining": str(self.remaining[resource]),
            "x-ratelimit-used": str(used), "x-ratelimit-reset": str(int(self.reset_at[resource])),
            "x-ratelimit-resource": resource,
        }  # fmt: skip

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.match in path:
                    fault.times -= 1
                    return fault
        return None

    def refund(self) -> None:
        """A 304 is free on GitHub: give the unit back."""
        with self.lock:
            self.remaining["core"] += 1
            self.counts["quota:core"] -= 1

    def trees(self, repo: FakeRepo) -> dict[str, list[dict[str, Any]]]:
        key = repo.tree_sha
        with self.lock:
            cached = self._trees.get(key)
        if cached is None:
            cached = _build_trees(repo)
            with self.lock:
                self._trees[key] = cached
        return cached

    def count_bytes(self, where: str, n: int) -> None:
        """Body bytes sent, per host (``bytes:api``, ``bytes:raw``, ``bytes:git``): what a crawl transfers."""
        with self.lock:
            self.counts[f"bytes:{where}"] += n

    def count(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    @property
    def quota_used(self) -> int:
        return self.counts["quota:core"] + self.counts["quota:graphql"]

    # --- serving ---------------------------------------------------------------

    def start(self, port: int = 0, tls: ssl.SSLContext | None = None) -> str:
        """Serve on 127.0.0.1 in a daemon thread (over TLS with ``tls``, a server context); returns the base URL."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = QuietHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self.url

    scheme = "http"

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    @property
    def raw_url(self) -> str:
        return self.url + RAW_PREFIX

    @property
    def api_url(self) -> str:
        """Where the REST API answers (``GITHUB_API_URL``)."""
        return self.url + self.api_prefix

    @property
    def git_url(self) -> str:
        """The git host's base (``PAPERTRENDS_GITHUB_GIT_URL``)."""
        return self.url + self.git_prefix

    def is_git_path(self, path: str) -> bool:
        if self.git_prefix:
            return path.startswith(self.git_prefix + "/")
        return re.match(r"/[^/]+/[^/]+\.git/", path) is not None and not path.startswith(("/api/", RAW_PREFIX + "/"))

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self._git_dir is not None:
            self._git_dir.cleanup()


def _etag(body: bytes) -> str:
    return 'W/"' + hashlib.sha1(body).hexdigest() + '"'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like GitHub
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True
    fake: FakeGitHub

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    # --- plumbing --------------------------------------------------------------

    def send(self, status: int, body: bytes | dict[str, Any] | list[Any] = b"", headers: dict[str, str] | None = None,
             content_type: str = "application/json; charset=utf-8") -> None:  # fmt: skip
        data = json.dumps(body).encode() if isinstance(body, dict | list) else body
        self.fake.count_bytes(getattr(self, "where", "api"), len(data))
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def apply_fault(self) -> bool:
        """True when a fault answered (or dropped) this request."""
        fault = self.fake.take_fault(self.path)
        if fault is None:
            return False
        self.fake.count(f"fault:{fault.kind}")
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            return False
        if fault.kind == "reset":
            self.close_connection = True
            self.connection.shutdown(2)  # the client sees a dropped connection, no answer
            return True
        if fault.kind == "502":
            self.send(502, {"message": "Server Error"})
        elif fault.kind == "429":
            self.send(429, {"message": "Too Many Requests"}, {"Retry-After": "0"})
        elif fault.kind == "secondary":
            self.send(403, {"message": "You have exceeded a secondary rate limit."}, {"Retry-After": "0"})
        elif fault.kind == "secondary-message":
            self.send(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."})
        else:
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self.route("POST")

    def route(self, method: str) -> None:
        if self.fake.latency:
            time.sleep(self.fake.latency)
        path = urlsplit(self.path).path
        raw = path.startswith(RAW_PREFIX + "/")
        via_git = self.fake.is_git_path(path)
        where = self.where = "raw" if raw else "git" if via_git else "api"
        with self.fake.lock:
            self.fake.auth_seen[f"{where}:{self.headers.get('Authorization', '')}"] += 1
        if self.fake.redirect_to and where in self.fake.redirect_where:
            self.fake.count(f"redirected:{where}")
            self.rfile.read(int(self.headers.get("Content-Length") or 0))  # the connection stays usable
            return self.send(301, b"", {"Location": self.fake.redirect_to + self.path}, content_type="text/plain")
        if self.apply_fault():
            return
        if via_git:
            self.fake.count("git")
            return serve_git(self, self.fake, path)
        if raw:
            self.fake.count("raw")
            return self.serve_raw(unquote(path[len(RAW_PREFIX) + 1 :]))
        if self.fake.api_prefix:  # Enterprise: REST under /api/v3, GraphQL at /api/graphql
            if path == "/api/graphql":
                path = "/graphql"
            elif path.startswith(self.fake.api_prefix + "/"):
                path = path[len(self.fake.api_prefix) :]
            else:
                return self.send(404, {"message": "Not Found"})
        if path == "/rate_limit":
            return self.send(200, {"resources": {"core": self.fake.limit_headers("core")}})
        resource = "graphql" if path == "/graphql" else "core"
        if self.fake.require_token and self.headers.get("Authorization") != f"Bearer {self.fake.require_token}":
            return self.send(401, {"message": "Bad credentials"})
        if method == "POST" and path == "/graphql":
            return self.serve_graphql()
        self.serve_rest(path, resource)

    # --- REST ------------------------------------------------------------------

    def serve_rest(self, path: str, resource: str) -> None:
        ok, limits = self.fake.charge(resource)
        if not ok:
            return self.send(403, {"message": "API rate limit exceeded for 127.0.0.1."}, limits)
        if m := re.fullmatch(r"/repositories/(\d+)(/.*)?", path):
            repo = self.fake.by_id.get(int(m.group(1)))
            return self.serve_repo(repo, m.group(2) or "", limits)
        if m := re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path):
            repo = self.fake.repos.get(f"{m.group(1)}/{m.group(2)}".lower())
            if repo is not None and repo.renamed_to:
                target = self.fake.repos[repo.renamed_to.lower()]
                location = f"{self.fake.api_url}/repositories/{target.repo_id}{m.group(3) or ''}"
                moved = {"message": "Moved Permanently", "url": location}
                return self.send(301, moved, {**limits, "Location": location})
            return self.serve_repo(repo, m.group(3) or "", limits)
        self.send(404, {"message": "Not Found"}, limits)

    def serve_repo(self, repo: FakeRepo | None, rest: str, limits: dict[str, str]) -> None:
        if repo is None or repo.status == "missing":
            return self.send(404, {"message": "Not Found"}, limits)
        if repo.status == "dmca":
            block = {"reason": "dmca", "created_at": "2020-01-01T00:00:00Z"}
            return self.send(451, {"message": "Repository access blocked", "block": block}, limits)
        if repo.status == "disabled":
            return self.send(403, {"message": "Repository access blocked", "block": {"reason": "tos"}}, limits)
        if rest == "":
            return self.send_cached(self.metadata(repo), limits)
        if m := re.fullmatch(r"/git/trees/(.+)", rest):
            return self.serve_tree(repo, unquote(m.group(1)), limits)
        self.send(404, {"message": "Not Found"}, limits)

    def send_cached(self, body: dict[str, Any], limits: dict[str, str]) -> None:
        """200 with an ETag, or a free 304 when If-None-Match still matches (as GitHub does)."""
        data = json.dumps(body, sort_keys=True).encode()
        tag = _etag(data)
        if self.headers.get("If-None-Match") == tag:
            self.fake.refund()
            self.fake.count("not_modified")
            return self.send(304, b"", {**limits, "ETag": tag})
        self.send(200, data, {**limits, "ETag": tag})

    def metadata(self, repo: FakeRepo) -> dict[str, Any]:
        owner = repo.full_name.split("/")[0]
        return {
            "id": repo.repo_id, "full_name": repo.full_name, "name": repo.full_name.split("/")[1],
            "owner": {"login": owner}, "private": False, "created_at": repo.created_at,
            "pushed_at": repo.pushed_at, "stargazers_count": repo.stars, "language": repo.language,
            "archived": repo.archived, "default_branch": repo.default_branch, "size": 10,
            "description": repo.description, "fork": repo.fork_parent is not None,
            **({"parent": {"full_name": repo.fork_parent}} if repo.fork_parent else {}),
        }  # fmt: skip

    def serve_tree(self, repo: FakeRepo, ref: str, limits: dict[str, str]) -> None:
        if repo.status == "empty" or not repo.files:
            return self.send(409, {"message": "Git Repository is empty."}, limits)
        query = parse_qs(urlsplit(self.path).query)
        trees = self.fake.trees(repo)
        if ref in (repo.default_branch, repo.commit_sha):
            ref = repo.tree_sha
        if ref not in trees:
            return self.send(404, {"message": "Not Found"}, limits)
        recursive = query.get("recursive", ["0"])[0] not in ("0", "false", "")
        entries = _flatten(trees, ref) if recursive else trees[ref]
        truncated = recursive and repo.truncate_tree
        if truncated:
            entries = entries[: max(1, len(entries) // 3)]
        self.send_cached({"sha": ref, "tree": entries, "truncated": truncated}, limits)

    # --- raw host ----------------------------------------------------------------

    def serve_raw(self, path: str) -> None:
        parts = path.split("/", 3)
        if len(parts) < 4:
            return self.send(400, b"bad raw path", content_type="text/plain")
        repo = self.fake.repos.get(f"{parts[0]}/{parts[1]}".lower())
        if repo is None or repo.status != "ok" or parts[2] not in (repo.commit_sha, repo.default_branch):
            return self.send(404, b"404: Not Found", content_type="text/plain")
        data = repo.files.get(parts[3])
        if data is None:
            return self.send(404, b"404: Not Found", content_type="text/plain")
        if m := re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", "")):
            start, end = int(m.group(1)), int(m.group(2) or len(data) - 1)
            chunk = data[start : end + 1]
            rng = f"bytes {start}-{start + len(chunk) - 1}/{len(data)}"
            return self.send(206, chunk, {"Content-Range": rng}, "text/plain; charset=utf-8")
        self.send(200, data, {"ETag": _etag(data)}, "text/plain; charset=utf-8")

    # --- GraphQL -----------------------------------------------------------------

    def serve_graphql(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        query = json.loads(self.rfile.read(length) or b"{}").get("query", "")
        ok, limits = self.fake.charge("graphql")
        fault = self.fake.take_fault("/graphql#limited")
        if not ok or fault is not None:
            if fault is not None:
                self.fake.count(f"fault:{fault.kind}")
                limits = {**limits, "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()))}
            return self.send(200, {"data": None, "errors": [
                {"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]}, limits)  # fmt: skip
        data: dict[str, Any] = {}
        errors = []
        blocks = re.split(r'(?=\b\w+: repository\(owner: ")', query)
        for alias, owner, name, rest in (
            m.groups() for b in blocks if (m := re.match(r'(\w+): repository\(owner: "([^"]*)", name: "([^"]*)"\)(.*)',
                                                          b, re.DOTALL))  # fmt: skip
        ):
            repo = self.fake.repos.get(f"{owner}/{name}".lower())
            if repo is not None and repo.renamed_to:
                repo = self.fake.repos[repo.renamed_to.lower()]
            if repo is None or repo.status not in ("ok", "empty"):  # an empty one resolves, with no branch
                data[alias] = None
                message = f"Could not resolve to a Repository with the name '{owner}/{name}'."
                errors.append({"type": "NOT_FOUND", "path": [alias], "message": message})
                continue
            oldest = _OLDEST_QUERY.search(rest)
            data[alias] = _graphql_history(repo, oldest.groups()) if oldest else _graphql_repo(repo)
        self.send(200, {"data": data, **({"errors": errors} if errors else {})}, limits)


def _graphql_repo(repo: FakeRepo) -> dict[str, Any]:
    branch = None
    if repo.files:
        target = {"oid": repo.commit_sha, "tree": {"oid": repo.tree_sha}, "authoredDate": repo.pushed_at,
                  "parents": {"totalCount": 1}, "history": {"totalCount": 2}}  # fmt: skip
        branch = {"name": repo.default_branch, "target": target}
    return {
        "nameWithOwner": repo.full_name, "createdAt": repo.created_at, "pushedAt": repo.pushed_at,
        "stargazerCount": repo.stars, "isArchived": repo.archived, "isDisabled": False,
        "primaryLanguage": {"name": repo.language} if repo.language else None, "defaultBranchRef": branch,
        "description": repo.description, "isFork": repo.fork_parent is not None,
        "parent": {"nameWithOwner": repo.fork_parent} if repo.fork_parent else None,
    }  # fmt: skip


def _graphql_history(repo: FakeRepo, asked: tuple[str, ...]) -> dict[str, Any] | None:
    """``object(oid:) { history(first: 1, after: "<oid> <n>") }``: the commit after the n-th, newest first."""
    oid, cursor_oid, n = asked
    root, head = repo.commits
    if oid != head or cursor_oid != head:
        return {"object": None}
    history = [{"oid": head, "authoredDate": repo.pushed_at, "parents": {"totalCount": 1}},
               {"oid": root, "authoredDate": repo.first_commit_at or repo.created_at, "parents": {"totalCount": 0}}]
    return {"object": {"history": {"nodes": history[int(n) + 1 : int(n) + 2]}}}  # fmt: skip


def _build_trees(repo: FakeRepo) -> dict[str, list[dict[str, Any]]]:
    """Git's trees of the head: sha -> entries (paths relative to that tree), as the REST API lists them."""
    trees: dict[str, list[tuple[str, str, str, str, int | None]]] = {}
    tree_objects(nested_tree(repo.files, repo.symlinks), trees)
    def rest(mode: str, kind: str, oid: str, name: str, size: int | None) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": name, "mode": mode.zfill(6), "type": kind, "sha": oid}
        return {**entry, "size": size} if kind == "blob" else entry

    return {sha: [rest(*entry) for entry in entries] for sha, entries in trees.items()}


def _flatten(trees: dict[str, list[dict[str, Any]]], sha: str, prefix: str = "") -> list[dict[str, Any]]:
    out = []
    for entry in trees[sha]:
        full = {**entry, "path": prefix + entry["path"]}
        out.append(full)
        if entry["type"] == "tree":
            out.extend(_flatten(trees, entry["sha"], full["path"] + "/"))
    return out


# --- generated repositories -----------------------------------------------------

_FRAMEWORK_FILES = {
    "pytorch": ("import torch\nimport torch.nn as nn\n", "torch>=1.7\nnumpy\n"),
    "tensorflow": ("import tensorflow as tf\n", "tensorflow==1.15\n"),
    "jax": ("import jax\nimport flax.linen as nn\n", "jax\nflax\n"),
    "none": ("import numpy as np\n", "numpy\nscipy\n"),
}


def make_repos(n: int, seed: int = 0, n_extra_files: int = 2) -> list[FakeRepo]:
    """``n`` small, deterministic repositories with a framework each (plus a README and data)."""
    rng = random.Random(seed)
    labels = list(_FRAMEWORK_FILES)
    repos = []
    for i in range(n):
        label = labels[i % len(labels)]
        code, reqs = _FRAMEWORK_FILES[label]
        files = {"README.md": b"# paper code\n", "requirements.txt": reqs.encode(), "train.py": code.encode()}
        for j in range(n_extra_files):
            files[f"src/module_{j}.py"] = f"import os\nimport numpy\n# {rng.random()}\n".encode()
        files["data/weights.bin"] = bytes(64)
        created = f"{2015 + i % 10}-01-02T03:04:05Z"
        repos.append(FakeRepo(f"Owner{i % 97}/Repo-{i}", files, stars=i % 50, created_at=created))
    return repos


def make_mixed_repos(n: int) -> list[FakeRepo]:
    """``make_repos(n)`` with some gone the ways GitHub has: about 5% missing, 2% DMCA-blocked,
    2% disabled, and 3% renamed (the old name answers 301 to a new one, same content)."""
    repos: list[FakeRepo] = []
    for i, repo in enumerate(make_repos(n)):
        if i % 20 == 1:
            repo.status = "missing"
        elif i % 50 == 2:
            repo.status = "dmca"
        elif i % 50 == 3:
            repo.status = "disabled"
        elif i % 33 == 4:
            moved = FakeRepo(f"Moved{i}/{repo.full_name.split('/')[1]}", repo.files, created_at=repo.created_at)
            repos.append(moved)
            repo = FakeRepo(repo.full_name, renamed_to=moved.full_name)
        repos.append(repo)
    return repos


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a loopback fake GitHub for benches and kill tests")
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--token", help="require this bearer token on the API")
    parser.add_argument("--mixed", action="store_true", help="some repositories gone or renamed (make_mixed_repos)")
    args = parser.parse_args(argv)
    repos = make_mixed_repos(args.repos) if args.mixed else make_repos(args.repos)
    fake = FakeGitHub(repos, latency=args.latency, require_token=args.token)
    fake.start(args.port)
    print(f"PORT {fake.server.server_address[1]}", flush=True)  # type: ignore[union-attr]
    try:
        for line in sys.stdin:  # "counts" prints the counters; EOF stops
            if line.strip() == "counts":
                print(json.dumps(dict(fake.counts)), flush=True)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
