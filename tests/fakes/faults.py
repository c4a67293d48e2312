"""A fault-injecting HTTP reverse proxy for loopback tests.

``FaultProxy(upstream_url, rate=0.2, seed=7)`` listens on 127.0.0.1 (real sockets,
one thread per connection) in front of any fake server. Each request either gets
one injected fault or is forwarded faithfully (method, path, query, headers, body;
the answer's status, headers and body are streamed back, so Range/206 answers and
large downloads pass through unchanged).

Which request gets which fault is decided by ``random.Random(f"{seed}:{method}:
{path}:{n}")`` where ``n`` counts earlier requests for the same method and path: the
same run makes the same decisions whatever order the client's threads send them in,
and a retry of a faulted request draws again (so it may well succeed).

Faults (``FAULT_KINDS``):

- ``5xx``: 500, 502, 503 or 504 with a small JSON body
- ``429_retry_after`` / ``429_bare``: 429 with ``retry-after: 1`` / no hint at all
- ``403_ratelimit`` / ``403_bare``: GitHub's exhausted-quota answer (``x-ratelimit-remaining:
  0`` and ``x-ratelimit-reset`` one second ahead) / a plain 403 with no rate-limit headers
- ``timeout``: the proxy reads the request and says nothing for ``hang_seconds``
  (keep the client's read timeout smaller), then closes the socket
- ``reset``: the connection is reset (``SO_LINGER`` 0) after part of the status line
- ``truncate``: the real answer with its true ``Content-Length`` but only half the body
- ``bad_json``: 200, ``application/json``, a body that is not JSON
- ``redirect_loop``: 302 to the very same URL, ``loop_hops`` times in a row (more than a
  client's redirect limit, so it has to give up rather than get lucky on a later hop)
- ``html_200``: 200 with a ``text/html`` error page instead of the real content

``chunk_delay`` slows every forwarded body down (a slow link), so a kill test can land
mid-download. ``counts`` holds injected faults by kind (``n_faults`` their sum) and ``n_forwarded``
the faithful answers; ``enabled = False`` (or ``rate = 0``) forwards everything.
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from fakes.serving import QuietHTTPServer

FAULT_KINDS = (
    "5xx", "429_retry_after", "429_bare", "403_ratelimit", "403_bare", "timeout", "reset",
    "truncate", "bad_json", "redirect_loop", "html_200",
)  # fmt: skip
"""Every fault the proxy can inject."""

TRANSIENT_KINDS = tuple(k for k in FAULT_KINDS if k != "403_bare")
"""Faults a well-behaved client can ride out by retrying or waiting: a bare 403 is GitHub's
"forbidden" (blocked repository, abuse), which a client must record, not retry."""

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authenticate", "proxy-authorization"}  # fmt: skip
_CHUNK = 64 * 1024


class FaultProxy:
    """A reverse proxy on 127.0.0.1 that injects HTTP faults at a seeded rate."""

    def __init__(self, upstream: str, *, rate: float = 0.2, seed: int = 0, kinds: Iterable[str] = TRANSIENT_KINDS,
                 hang_seconds: float = 3.0, loop_hops: int = 40, chunk_delay: float = 0.0,
                 path_filter: Callable[[str, str], bool] | None = None) -> None:  # fmt: skip
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.upstream_prefix = parts.path.rstrip("/")
        self.upstream_base = f"{parts.scheme}://{parts.netloc}"
        self.rate = rate
        self.seed = seed
        self.kinds = tuple(kinds)
        self.hang_seconds = hang_seconds
        self.loop_hops = loop_hops
        self.chunk_delay = chunk_delay  # seconds between 64 KiB chunks of a forwarded body: a slow link
        # A barrier a test controls: past ``hold_after_bytes`` of any body the relay stops (``holding``
        # set) until ``release`` is set, so a test acts while a download provably runs.
        self.hold_after_bytes: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.n_bytes_relayed = 0
        self.path_filter = path_filter
        self.enabled = True
        self.counts: Counter[str] = Counter()
        self.n_forwarded = 0
        self.n_redirect_hops = 0
        self.log: list[tuple[str, str, str]] = []  # (method, path, fault kind or "ok")
        self._seen: Counter[tuple[str, str]] = Counter()
        self._looping: Counter[tuple[str, str]] = Counter()  # hops left in an active redirect loop
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = QuietHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fault-proxy", daemon=True)

    # --- lifecycle ----------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.upstream_prefix}"

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def n_faults(self) -> int:
        return sum(self.counts.values())

    # --- decisions ----------------------------------------------------------------

    def choose_fault(self, method: str, path: str) -> str | None:
        """The fault for this request, or None to forward it; deterministic per (seed, method, path, n)."""
        with self._lock:
            n = self._seen[(method, path)]
            self._seen[(method, path)] += 1
            if self._looping[(method, path)] > 0:
                self._looping[(method, path)] -= 1
                return "redirect_hop"
        if not self.enabled or self.rate <= 0 or not self.kinds:
            return None
        if self.path_filter is not None and not self.path_filter(method, path):
            return None
        rng = random.Random(f"{self.seed}:{method}:{path}:{n}")
        if rng.random() >= self.rate:
            return None
        kind = rng.choice(self.kinds)
        if kind == "redirect_loop":
            with self._lock:
                self._looping[(method, path)] = self.loop_hops - 1
        return kind

    def record(self, method: str, path: str, kind: str | None) -> None:
        with self._lock:
            if kind is None:
                self.n_forwarded += 1
            elif kind == "redirect_hop":
                self.n_redirect_hops += 1  # part of a loop already counted once
            else:
                self.counts[kind] += 1
            self.log.append((method, path, kind or "ok"))

    def rewrite_location(self, location: str) -> str:
        """Redirects the upstream points at itself must come back through the proxy."""
        if location.startswith(self.upstream_base):
            return self.base + location[len(self.upstream_base):]
        return location


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(_FaultHandler):
        pass

    Handler.proxy = proxy
    return Handler


class _FaultHandler(BaseHTTPRequestHandler):
    """Reads one request, then injects a fault or forwards it; one answer per connection."""

    proxy: FaultProxy
    body: bytes | None = None
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # tests read proxy.counts and proxy.log instead of stderr noise

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _handle(self) -> None:
        body = self.body = self._read_body()
        kind = self.proxy.choose_fault(self.command, self.path)
        self.close_connection = True
        self.proxy.record(self.command, self.path, kind)  # before answering: the client may act on it at once
        try:
            if kind is None:
                self._forward(body)
            else:
                _INJECTORS[kind](self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its own timeout); nothing left to answer

    def _read_body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    # --- faithful forwarding -------------------------------------------------------

    def _forward(self, body: bytes | None, truncate: bool = False) -> None:
        conn = http.client.HTTPConnection(self.proxy.upstream_host, self.proxy.upstream_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            upstream = conn.getresponse()
            self._relay(upstream, truncate)
        finally:
            conn.close()

    def _relay(self, upstream: http.client.HTTPResponse, truncate: bool) -> None:
        """Status and headers as the upstream sent them; the body streamed (or cut in half)."""
        data = upstream.read() if truncate else None
        self.send_response_only(upstream.status, upstream.reason)
        length = upstream.getheader("Content-Length")
        for name, value in upstream.getheaders():
            low = name.lower()
            if low in _HOP_BY_HOP or low == "content-length":
                continue
            self.send_header(name, self.proxy.rewrite_location(value) if low == "location" else value)
        if data is not None:
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            _reset(self.connection)
            return
        if length is not None:
            self.send_header("Content-Length", length)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        sent = 0
        while chunk := upstream.read(_CHUNK):
            self.wfile.write(chunk)
            sent += len(chunk)
            self.proxy.n_bytes_relayed += len(chunk)  # one writer per chunk; an approximate total is enough
            if self.proxy.chunk_delay and self.proxy._stopping.wait(self.proxy.chunk_delay):
                return
            if self.proxy.hold_after_bytes is not None and sent >= self.proxy.hold_after_bytes:
                self.wfile.flush()
                self.proxy.holding.set()
                while not (self.proxy.release.is_set() or self.proxy._stopping.is_set()):
                    self.proxy.release.wait(0.05)

    # --- faults --------------------------------------------------------------------

    def send_plain(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _reset(sock: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer sees a TCP RST, not an orderly end of stream."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


def _status_5xx(h: _FaultHandler) -> None:
    status = random.Random(h.path).choice([500, 502, 503, 504])
    h.send_plain(status, b'{"message": "Server Error (injected)"}', "application/json")


def _429_retry_after(h: _FaultHandler) -> None:
    h.send_plain(429, b'{"message": "Too Many Requests (injected)"}', "application/json", {"Retry-After": "1"})


def _429_bare(h: _FaultHandler) -> None:
    h.send_plain(429, b'{"message": "Too Many Requests (injected)"}', "application/json")


def _403_ratelimit(h: _FaultHandler) -> None:
    reset = str(int(time.time()) + 1)
    h.send_plain(403, b'{"message": "API rate limit exceeded (injected)"}', "application/json",
                 {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000",
                  "x-ratelimit-reset": reset, "x-ratelimit-resource": "core"})  # fmt: skip


def _403_bare(h: _FaultHandler) -> None:
    h.send_plain(403, b'{"message": "Forbidden (injected)"}', "application/json")


def _timeout(h: _FaultHandler) -> None:
    h.proxy._stopping.wait(h.proxy.hang_seconds)
    _reset(h.connection)


def _connection_reset(h: _FaultHandler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-")  # a few bytes, then the floor falls away
    h.wfile.flush()
    _reset(h.connection)


def _truncate(h: _FaultHandler) -> None:
    h._forward(h.body, truncate=True)


def _bad_json(h: _FaultHandler) -> None:
    h.send_plain(200, b'{"message": "ok", "items": [1, 2,', "application/json; charset=utf-8")


def _redirect_loop(h: _FaultHandler) -> None:
    h.send_plain(302, b"", "text/plain", {"Location": h.proxy.base + h.path})


def _html_200(h: _FaultHandler) -> None:
    page = b"<!DOCTYPE html><html><head><title>Unicorn!</title></head><body>We had issues producing the response" \
           b" to your request. (injected)</body></html>"  # fmt: skip
    h.send_plain(200, page, "text/html; charset=utf-8")


_INJECTORS: dict[str, Callable[[_FaultHandler], None]] = {
    "5xx": _status_5xx, "429_retry_after": _429_retry_after, "429_bare": _429_bare,
    "403_ratelimit": _403_ratelimit, "403_bare": _403_bare, "timeout": _timeout, "reset": _connection_reset,
    "truncate": _truncate, "bad_json": _bad_json, "redirect_loop": _redirect_loop, "html_200": _html_200,
    "redirect_hop": _redirect_loop,
}  # fmt: skip
