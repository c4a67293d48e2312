"""A loopback stand-in for Hugging Face's file hosting, speaking the real protocol.

``/datasets/<org>/<name>/resolve/main/<path>`` answers 302 to ``/cdn/<org>/<name>/<path>``
(with ``X-Linked-Etag`` / ``X-Linked-Size`` as HF sends), and the CDN serves bytes with
``Range`` -> 206 + ``Content-Range``, ``If-Range``, ``If-None-Match`` / ``If-Modified-Since``
-> 304, ``ETag`` and ``Last-Modified``. Tests can queue 429s (with the IETF ``RateLimit``
header HF sends, optionally ``Retry-After``) and truncated bodies (the full
``Content-Length`` is announced, then the connection is closed early).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any

from fakes.serving import serve_in_thread


@dataclass
class HfState:
    files: dict[str, bytes] = field(default_factory=dict)
    """``"<org>/<name>/<path>"`` -> content."""
    last_modified: float = 1_700_000_000.0
    rate_limited: int = 0
    """How many of the next requests answer 429."""
    retry_after: str | None = None
    truncate_next: list[int] = field(default_factory=list)
    """For each of the next body-serving requests: send only this many bytes, then close."""
    ignore_conditionals: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def etag(self, key: str) -> str:
        return '"' + hashlib.sha256(self.files[key]).hexdigest()[:32] + '"'


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
            self.state.requests.append({"path": self.path, "headers": dict(self.headers)})
            limited = self.state.rate_limited > 0
            if limited:
                self.state.rate_limited -= 1
        if limited:
            return self._rate_limited()
        match = re.fullmatch(r"/datasets/([^/]+/[^/]+)/resolve/main/(.+)", self.path)
        if match:
            return self._redirect(f"{match.group(1)}/{match.group(2)}")
        if self.path.startswith("/cdn/"):
            return self._serve(self.path.removeprefix("/cdn/"))
        self._send(404, b"not found")

    def _rate_limited(self) -> None:
        headers = {"RateLimit": '"resolvers";r=0;t=7', "RateLimit-Policy": '"fixed window";"resolvers";q=3000;w=300'}
        if self.state.retry_after:
            headers["Retry-After"] = self.state.retry_after
        self._send(429, b"rate limited", headers)

    def _redirect(self, key: str) -> None:
        if key not in self.state.files:
            return self._send(404, b"Entry not found")
        self._send(302, b"", {"Location": f"/cdn/{key}", "X-Linked-Etag": self.state.etag(key),
                              "X-Linked-Size": str(len(self.state.files[key]))})  # fmt: skip

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
            cut = self.state.truncate_next.pop(0) if self.state.truncate_next else None
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
        if body:
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
