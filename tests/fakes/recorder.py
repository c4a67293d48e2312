"""A recording proxy on a loopback address of its own (127.0.0.2 by default): another host, to a client.

Every request it receives is recorded whole (method, target, headers, body) and then
forwarded to ``upstream`` (another fake), whose answer is relayed: to a client it is a
working host that happens to keep a transcript. Tests point a redirect (or a proxy
setting) at it and then search the transcript for credentials. Requests in a forward
proxy's absolute form (``GET http://host/path``) are forwarded by their path.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from fakes.serving import QuietHTTPServer

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authenticate", "proxy-authorization", "content-length"}  # fmt: skip


@dataclass(frozen=True)
class Recorded:
    method: str
    target: str  # as sent: a path, or an absolute URL when the client used it as a proxy
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def as_bytes(self) -> bytes:
        """Everything the request carried, for a search."""
        head = f"{self.method} {self.target}\n" + "".join(f"{k}: {v}\n" for k, v in self.headers)
        return head.encode("latin-1", "replace") + self.body


class RecordingProxy:
    """Records, then forwards to ``upstream`` (``http://host:port``); a context manager."""

    def __init__(self, upstream: str, host: str = "127.0.0.2") -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.records: list[Recorded] = []
        self.lock = threading.Lock()
        self._server = QuietHTTPServer((host, 0), type("Handler", (_Handler,), {"proxy": self}))
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def transcript(self) -> bytes:
        with self.lock:
            return b"\n".join(r.as_bytes() for r in self.records)

    def __enter__(self) -> RecordingProxy:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: RecordingProxy

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = self._body()
        with self.proxy.lock:
            self.proxy.records.append(Recorded(self.command, self.path, tuple(self.headers.items()), body))
        parts = urlsplit(self.path)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "") if parts.scheme else self.path
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        conn = http.client.HTTPConnection(*self.proxy.upstream, timeout=60)
        try:
            conn.request(self.command, path, body=body or None, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            self.send_response_only(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            conn.close()

    do_POST = do_HEAD = do_GET

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":  # git sends large bodies chunked
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))
