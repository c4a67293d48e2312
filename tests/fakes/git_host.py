"""A fake git host: ``git http-backend`` (the CGI program that ships with git) serving the
fake GitHub's repositories over smart HTTP, protocol v2, on the same loopback server.

All repositories live in one bare repository, each in its own namespace
(``refs/namespaces/r<id>/...``; ``GIT_NAMESPACE`` tells upload-pack which one to show),
so a thousand of them are written by one ``git fast-import`` run in about a second.
Each repository has two commits: an empty root authored ``first_commit_at`` and
committed ``root_committed_at`` (a rebase keeps the author date and moves the committer
date; so a commits-only fetch has a history to find) and the head with its files dated
``pushed_at``. Object ids are computed here the way git computes them, so the fake
REST trees and GraphQL oids equal what a clone sees.

upload-pack runs with ``uploadpack.allowFilter`` and ``uploadpack.allowAnySHA1InWant``
(as on GitHub: partial clone and fetching blobs by id). The fake GitHub's own faults
(``Fault(match, kind)``) apply to git routes too, plus ``truncate`` (the pack cut in
half under its full Content-Length) here.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import subprocess
import threading
from calendar import timegm
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

GIT_PREFIX = "/git"
AUTHOR = b"Fake Author <author@example.com>"
SYMLINK_TARGET = b"README.md"
_CLEAN_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}


def clean_env() -> dict[str, str]:
    """The server side's git sees nothing of the test's environment (traces, configs, HOME)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C", **_CLEAN_ENV}


# --- object ids, as git computes them -----------------------------------------------


def object_sha(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


def nested_tree(files: dict[str, bytes], symlinks: Iterable[str] = ()) -> dict[str, Any]:
    """Paths -> a nested dict of names; a symlink is a ``("link", target)`` leaf."""
    root: dict[str, Any] = {}
    items: list[tuple[str, Any]] = [*files.items(), *((p, ("link", SYMLINK_TARGET)) for p in symlinks)]
    for path, data in items:
        node = root
        *dirs, name = path.split("/")
        for d in dirs:
            node = node.setdefault(d, {})
        node[name] = data
    return root


def tree_objects(node: dict[str, Any], out: dict[str, list[tuple[str, str, str, str, int | None]]]) -> str:
    """Hash the tree ``node``; fill ``out`` with sha -> [(mode, type, sha, name, size)] for every tree."""
    entries = []
    for name, value in node.items():
        if isinstance(value, dict):
            entries.append(("40000", "tree", tree_objects(value, out), name, None))
        elif isinstance(value, tuple):
            entries.append(("120000", "blob", object_sha("blob", value[1]), name, len(value[1])))
        else:
            entries.append(("100644", "blob", object_sha("blob", value), name, len(value)))
    entries.sort(key=lambda e: e[3] + "/" if e[1] == "tree" else e[3])  # git's order: trees sort as "name/"
    body = b"".join(f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha) for mode, _, sha, name, _ in entries)
    sha = object_sha("tree", body)
    out[sha] = entries
    return sha


EMPTY_TREE = object_sha("tree", b"")


def epoch(value: str) -> int:
    return timegm(datetime.fromisoformat(value.replace("Z", "+00:00")).utctimetuple())


def commit_body(tree: str, parent: str | None, when: str, message: str, committed: str | None = None) -> bytes:
    stamp = f" {epoch(when)} +0000\n".encode()
    committer_stamp = f" {epoch(committed or when)} +0000\n".encode()
    head = f"tree {tree}\n".encode() + (f"parent {parent}\n".encode() if parent else b"")
    return (head + b"author " + AUTHOR + stamp + b"committer " + AUTHOR + committer_stamp + b"\n" + message.encode()
            + b"\n")  # fmt: skip


def repo_commits(tree: str, first_at: str, head_at: str, root_committed_at: str | None = None) -> tuple[str, str]:
    """(root, head) commit ids of a fake repository's two-commit history."""
    root = object_sha("commit", commit_body(EMPTY_TREE, None, first_at, "initial", root_committed_at))
    return root, object_sha("commit", commit_body(tree, root, head_at, "paper code"))


# --- the store ------------------------------------------------------------------


class GitStore:
    """One bare repository holding every fake repository in its own namespace."""

    def __init__(self, root: Path) -> None:
        self.path = root / "store.git"
        self.lock = threading.Lock()
        self.built: dict[str, str] = {}  # namespace -> head commit written
        self.aliases: dict[str, str] = {}  # full_name.lower() -> a namespace written by hand (tests)
        git(["init", "-q", "--bare", "--template=", str(self.path)])
        for key, value in (("uploadpack.allowFilter", "true"), ("uploadpack.allowAnySHA1InWant", "true"),
                           ("http.uploadpack", "true"), ("protocol.version", "2")):  # fmt: skip
            git(["config", key, value], self.path)

    def sync(self, repos: Iterable[Any]) -> None:
        """Write the repositories whose head is not in the store yet, all in one fast-import."""
        with self.lock:
            todo = [r for r in repos if r.files and self.built.get(namespace(r)) != r.commit_sha]
            if not todo:
                return
            proc = subprocess.Popen(["git", "fast-import", "--quiet", "--date-format=raw"], cwd=self.path,
                                    stdin=subprocess.PIPE, env=clean_env())  # fmt: skip
            assert proc.stdin is not None
            for repo in todo:
                for chunk in fast_import_commands(repo):
                    proc.stdin.write(chunk)
            proc.stdin.close()
            if proc.wait() != 0:
                raise RuntimeError("fast-import failed")
            for repo in todo:
                ns = namespace(repo)
                branch = f"refs/namespaces/{ns}/refs/heads/{repo.default_branch}"
                git(["symbolic-ref", f"refs/namespaces/{ns}/HEAD", branch], self.path)
                self.built[ns] = repo.commit_sha


def namespace(repo: Any) -> str:
    return f"r{repo.repo_id}"


def fast_import_commands(repo: Any) -> Iterator[bytes]:
    """fast-import input for one repository: the root commit, then the head with every file."""
    ref = f"refs/namespaces/{namespace(repo)}/refs/heads/{repo.default_branch}".encode()
    root_at, head_at = repo.first_commit_at or repo.created_at, repo.pushed_at
    yield b"reset " + ref + b"\n"
    yield _commit_header(ref, root_at, "initial", repo.root_committed_at)
    yield _commit_header(ref, head_at, "paper code")  # fast-import continues the branch: parent = root
    for path, data in sorted(repo.files.items()):
        yield f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
    for path in repo.symlinks:
        yield f"M 120000 inline {path}\ndata {len(SYMLINK_TARGET)}\n".encode() + SYMLINK_TARGET + b"\n"
    yield b"\n"


def _commit_header(ref: bytes, when: str, message: str, committed: str | None = None) -> bytes:
    stamp = f" {epoch(when)} +0000\n".encode()
    committer_stamp = f" {epoch(committed or when)} +0000\n".encode()
    msg = message.encode() + b"\n"
    return (b"commit " + ref + b"\nauthor " + AUTHOR + stamp + b"committer " + AUTHOR + committer_stamp
            + f"data {len(msg)}\n".encode() + msg)  # fmt: skip


def git(args: list[str], cwd: Path | None = None, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, input=stdin, check=True, capture_output=True,
                          env=clean_env()).stdout  # fmt: skip


# --- serving: the CGI behind the fake GitHub's handler ----------------------------------------


def serve_git(handler: Any, fake: Any, path: str) -> None:
    """Answer ``{git_prefix}/{owner}/{name}.git/...`` the way GitHub's git host does (``/git`` here; the
    root, as on GitHub Enterprise, when the fake's API sits under ``/api/v3``)."""
    m = re.fullmatch(re.escape(fake.git_prefix) + r"/([^/]+)/([^/]+?)\.git(/.*)", path)
    if m is None:
        return handler.send(404, b"Not Found", content_type="text/plain")
    full_name, rest = f"{m.group(1)}/{m.group(2)}".lower(), m.group(3)
    store: GitStore = fake.git_store()
    ns = store.aliases.get(full_name)
    repo = fake.repos.get(full_name)
    if ns is None:
        if repo is not None and repo.renamed_to:  # GitHub redirects a renamed repository's git URL too
            target = fake.repos[repo.renamed_to.lower()]
            query = handler.path.split("?", 1)[1] if "?" in handler.path else ""
            location = f"{fake.url}{fake.git_prefix}/{target.full_name}.git{rest}" + (f"?{query}" if query else "")
            return handler.send(301, b"", {"Location": location}, content_type="text/plain")
        if repo is None or repo.status == "missing":
            return handler.send(404, b"Repository not found.", content_type="text/plain")
        if repo.status == "dmca":
            return handler.send(451, b"Repository unavailable due to DMCA takedown.", content_type="text/plain")
        if repo.status == "disabled":
            return handler.send(403, b"Repository access blocked.", content_type="text/plain")
        store.sync([repo])
        ns = namespace(repo)
    body = _request_body(handler)
    if rest == "/info/refs" and "version=2" in handler.headers.get("Git-Protocol", ""):
        return _advertise(handler, fake, store, ns, rest)
    plain = gzip.decompress(body) if handler.headers.get("Content-Encoding") == "gzip" else body
    with fake.lock:
        fake.git_wants.extend(re.findall(rb"want ([0-9a-f]{40})", plain))
    status, headers, out = run_backend(store.path, ns, handler, rest, body)
    fault = fake.take_fault(path + "#truncate")
    with fake.lock:
        fake.counts["git_bytes"] += len(out)
    if fault is not None:
        fake.count_bytes("git", len(out) // 2)
        fake.count("fault:truncate")
        handler.send_response(status)
        for key, value in headers:
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(out)))
        handler.end_headers()
        handler.wfile.write(out[: len(out) // 2])
        handler.close_connection = True
        return
    handler.send(status, out, dict(headers[1:]), content_type=headers[0][1])


def _advertise(handler: Any, fake: Any, store: GitStore, ns: str, rest: str) -> None:
    """Protocol v2's capability advertisement names no refs, so it is the same for every repository:
    computed once (GitHub serves it without running upload-pack either)."""
    with fake.lock:
        cached = fake.git_caps
    if cached is None:
        cached = run_backend(store.path, ns, handler, rest, b"")
        with fake.lock:
            fake.git_caps = cached
    status, headers, out = cached
    with fake.lock:
        fake.counts["git_bytes"] += len(out)
    handler.send(status, out, dict(headers[1:]), content_type=headers[0][1])


def _request_body(handler: Any) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


def run_backend(store: Path, ns: str, handler: Any, rest: str, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run git http-backend for one request; (status, [content-type first, other headers], body)."""
    query = handler.path.split("?", 1)[1] if "?" in handler.path else ""
    env = {
        **clean_env(), "GIT_PROJECT_ROOT": str(store.parent), "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{store.name}{rest}", "QUERY_STRING": query, "REQUEST_METHOD": handler.command,
        "CONTENT_TYPE": handler.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
        "GIT_NAMESPACE": ns, "REMOTE_ADDR": "127.0.0.1",
        "HTTP_GIT_PROTOCOL": handler.headers.get("Git-Protocol", ""),
        "HTTP_CONTENT_ENCODING": handler.headers.get("Content-Encoding", ""),
    }  # fmt: skip
    done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=120)
    sep = b"\r\n\r\n" if b"\r\n\r\n" in done.stdout else b"\n\n"
    head, _, out = done.stdout.partition(sep)
    status, headers = 200, []
    content_type = "application/octet-stream"
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.split()[0])
        elif key.lower() == "content-type":
            content_type = value.strip()
        elif key:
            headers.append((key, value.strip()))
    return status, [("Content-Type", content_type), *headers], out
