"""A loopback stand-in for Hugging Face's file hosting, speaking the real protocol.

What ``huggingface_hub`` (``hf_hub_download``) and a plain HTTP client both need:

- ``HEAD`` or ``GET /datasets/<org>/<name>/resolve/<rev>/<path>`` (``<rev>``: ``main`` or the
  repository's current commit) answers 302 to the CDN with the Hub's headers: ``X-Repo-Commit``
  (a 40-hex commit id that changes when any file of the repository does), ``X-Linked-Etag``
  and ``ETag`` (the file's), ``X-Linked-Size``. A missing file answers 404 with
  ``X-Error-Code: EntryNotFound``, a missing repository 401 with ``RepoNotFound``, an unknown
  revision 404 with ``RevisionNotFound``, as the Hub does.
- The CDN is on ANOTHER HOST, as on the real Hub (``cdn-lfs.hf.co``, ``cas-bridge.xethub.hf.co``):
  the other loopback name of the one the request came to (``127.0.0.1`` <-> ``localhost``, same
  port). ``huggingface_hub`` follows a redirect on the Hub's own host and reads the file's
  metadata from the 302 only when it leads elsewhere (and sends no token there).
- The CDN serves bytes with ``Range`` -> 206 + ``Content-Range``, ``If-Range``,
  ``If-None-Match`` / ``If-Modified-Since`` -> 304, ``ETag`` and ``Last-Modified``.

Tests can queue 429s (with the IETF ``RateLimit`` header HF sends, optionally ``Retry-After``,
optionally only on paths with a prefix), other failures (an HTTP status such as 503, or a
connection reset with a TCP RST), and truncated bodies (the full ``Content-Length`` is
announced, then the connection is closed early). Every request is logged with its method.
"""

from __future__ import annotations

import hashlib
import re
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from fakes.serving import serve_in_thread

RESOLVE = re.compile(r"/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)")


@dataclass
class HfState:
    files: dict[str, bytes] = field(default_factory=dict)
    """``"<org>/<name>/<path>"`` -> content."""
    last_modified: float = 1_700_000_000.0
    rate_limited: int = 0
    """How many of the next requests (those under ``rate_limit_prefix``) answer 429."""
    rate_limit_prefix: str = "/"
    rate_limit: str | None = '"resolvers";r=0;t=7'
    """The ``RateLimit`` header of a 429 (None: not sent)."""
    retry_after: str | None = None
    fail_next: list[str] = field(default_factory=list)
    """For each of the next requests under ``fail_prefix``: ``"reset"`` (a few bytes of the status
    line, then a TCP RST) or a status to answer with instead (``"503"``)."""
    fail_prefix: str = "/"
    truncate_next: list[int] = field(default_factory=list)
    """For each of the next body-serving requests: send only this many bytes, then close."""
    ignore_conditionals: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    """``{"method", "path", "headers"}`` per request, in the order they came."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def etag(self, key: str) -> str:
        return '"' + hashlib.sha256(self.files[key]).hexdigest()[:32] + '"'

    def commit(self, repo: str) -> str | None:
        """The repository's current commit id (None: no such repository)."""
        keys = sorted(k for k in self.files if k.startswith(repo + "/"))
        if not keys:
            return None
        digest = hashlib.sha1()
        for key in keys:
            digest.update(f"{key}\0{self.etag(key)}\0".encode())
        return digest.hexdigest()


class _Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    @property
    def state(self) -> HfState:
        return self.server.state

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        with self.state.lock:
            self.state.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
            limited = self.state.rate_limited > 0 and self.path.startswith(self.state.rate_limit_prefix)
            if limited:
                self.state.rate_limited -= 1
            failing = self.state.fail_next and self.path.startswith(self.state.fail_prefix)
            failure = self.state.fail_next.pop(0) if failing and not limited else None
        if limited:
            return self._rate_limited()
        if failure == "reset":
            return self._reset()
        if failure is not None:
            return self._send(int(failure), b'{"error": "injected"}')
        match = RESOLVE.fullmatch(self.path)
        if match:
            return self._resolve(match.group(1), unquote(match.group(2)), unquote(match.group(3)))
        if self.path.startswith("/cdn/"):
            return self._serve(unquote(self.path.removeprefix("/cdn/")))
        self._send(404, b"not found")

    do_HEAD = do_GET  # noqa: N815

    def _rate_limited(self) -> None:
        headers = {"RateLimit-Policy": '"fixed window";"resolvers";q=3000;w=300'}
        if self.state.rate_limit:
            headers["RateLimit"] = self.state.rate_limit
        if self.state.retry_after:
            headers["Retry-After"] = self.state.retry_after
        self._send(429, b"rate limited", headers)

    def _reset(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-")  # a few bytes, then the floor falls away
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()  # SO_LINGER 0: the client sees a TCP RST, not an orderly end
        self.close_connection = True

    def _resolve(self, repo: str, revision: str, path: str) -> None:
        commit = self.state.commit(repo)
        if commit is None:
            return self._send(401, b"Repository not found", {"X-Error-Code": "RepoNotFound",
                                                             "X-Error-Message": "Repository not found"})  # fmt: skip
        found = {"X-Repo-Commit": commit}
        if revision not in ("main", commit):
            return self._send(404, b"Revision not found", {**found, "X-Error-Code": "RevisionNotFound",
                                                           "X-Error-Message": "Invalid rev id"})  # fmt: skip
        key = f"{repo}/{path}"
        if key not in self.state.files:
            return self._send(404, b"Entry not found", {**found, "X-Error-Code": "EntryNotFound",
                                                        "X-Error-Message": "Entry not found"})  # fmt: skip
        etag = self.state.etag(key)
        self._send(302, b"", {**found, "Location": f"http://{self._cdn_host()}/cdn/{key}", "ETag": etag,
                              "X-Linked-Etag": etag, "X-Linked-Size": str(len(self.state.files[key]))})  # fmt: skip

    def _cdn_host(self) -> str:
        """The CDN's host: the other loopback name of the one this request came to (same port)."""
        host, _, port = (self.headers.get("Host") or "").rpartition(":")
        other = "localhost" if host == "127.0.0.1" else "127.0.0.1"
        return f"{other}:{port or self.server.server_address[1]}"

    def _serve(self, key: str) -> None:
        if key not in self.state.files:
            return self._send(404, b"not found")
        body, etag = self.state.files[key], self.state.etag(key)
        modified = formatdate(self.state.last_modified, usegmt=True)
        common = {"ETag": etag, "Last-Modified": modified, "Accept-Ranges": "bytes"}
        if not self.state.ignore_conditionals and self._not_modified(etag, modified):
            return self._send(304, b"", common)
        start = self._range_start(etag, modified, len(body))
        if start is None:
            return self._send_body(200, body, common)
        if start >= len(body):
            return self._send(416, b"", {**common, "Content-Range": f"bytes */{len(body)}"})
        content_range = f"bytes {start}-{len(body) - 1}/{len(body)}"
        self._send_body(206, body[start:], {**common, "Content-Range": content_range})

    def _not_modified(self, etag: str, modified: str) -> bool:
        if "If-None-Match" in self.headers:
            return etag in [t.strip() for t in self.headers["If-None-Match"].split(",")]
        return self.headers.get("If-Modified-Since") == modified

    def _range_start(self, etag: str, modified: str, size: int) -> int | None:
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if not match:
            return None
        if_range = self.headers.get("If-Range")
        if if_range and if_range not in (etag, modified):
            return None  # the file changed: the whole of it, not a range
        return int(match.group(1))

    def _send_body(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        with self.state.lock:
            cut = self.state.truncate_next.pop(0) if self.state.truncate_next and self.command == "GET" else None
        if cut is None:
            return self._send(status, body, headers)
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body[:cut])
        self.wfile.flush()
        self.close_connection = True  # the rest never comes

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)


@contextmanager
def serve_hf(state: HfState | None = None) -> Iterator[tuple[str, HfState]]:
    """Run the fake on 127.0.0.1 (a free port) in a thread; yields (base URL, state)."""
    state = state or HfState()
    with serve_in_thread(_Handler, state) as base:
        yield base, state


def resolve_url(base: str, key: str) -> str:
    """The ``/resolve/`` URL of ``"<org>/<name>/<path>"``, as the real Hub spells it."""
    org, name, path = key.split("/", 2)
    return f"{base}/datasets/{org}/{name}/resolve/main/{path}"
