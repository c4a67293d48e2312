"""The fault proxy itself: each fault looks on the wire the way real servers fail, and
everything else passes through unchanged (including Range answers and redirects)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from fakes.faults import FAULT_KINDS, TRANSIENT_KINDS, FaultProxy

from flows.sources.http import HttpClient, HttpError, RetryPolicy, make_session

BLOB = bytes(range(256)) * 4096  # 1 MiB with a recognisable pattern


class _Upstream(BaseHTTPRequestHandler):
    """JSON at /json, a 1 MiB blob with Range at /blob, an echo of method/body/headers at /echo,
    and /moved -> 301 to its own absolute /json URL."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/json":
            self._send(200, b'{"ok": true}', "application/json", {"ETag": '"v1"'})
        elif path == "/blob":
            rng = self.headers.get("Range")
            if rng:
                start, end = (int(x) for x in rng.split("=")[1].split("-"))
                self._send(206, BLOB[start:end + 1], "application/octet-stream",
                           {"Content-Range": f"bytes {start}-{end}/{len(BLOB)}"})
            else:
                self._send(200, BLOB, "application/octet-stream")
        elif path == "/moved":
            host, port = self.server.server_address[:2]
            self._send(301, b"", "text/plain", {"Location": f"http://{host}:{port}/json"})
        else:
            self._send(404, b'{"message": "Not Found"}', "application/json")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        echo = {"method": self.command, "body": body.decode(), "x-test": self.headers.get("X-Test")}
        self._send(200, json.dumps(echo).encode(), "application/json")


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_forwards_method_headers_body_range_and_redirects(upstream: str) -> None:
    with FaultProxy(upstream, rate=0.0) as proxy:
        assert requests.get(f"{proxy.url}/json", timeout=5).json() == {"ok": True}
        echo = requests.post(f"{proxy.url}/echo", data=b"hello", headers={"X-Test": "yes"}, timeout=5).json()
        assert echo == {"method": "POST", "body": "hello", "x-test": "yes"}
        part = requests.get(f"{proxy.url}/blob", headers={"Range": "bytes=1000-1999"}, timeout=5)
        assert part.status_code == 206 and part.content == BLOB[1000:2000]
        assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(BLOB)}"
        assert requests.get(f"{proxy.url}/blob", timeout=5).content == BLOB
        moved = requests.get(f"{proxy.url}/moved", timeout=5, allow_redirects=False)
        assert moved.headers["Location"] == f"{proxy.base}/json"  # a redirect comes back through the proxy
        assert requests.get(f"{proxy.url}/missing", timeout=5).status_code == 404
        assert proxy.n_faults == 0 and proxy.n_forwarded == 6


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_looks_like_a_real_failure(upstream: str, kind: str) -> None:
    with FaultProxy(upstream, rate=1.0, kinds=[kind], hang_seconds=2.0) as proxy:
        try:
            response = requests.get(f"{proxy.url}/blob", timeout=(2, 1.5), allow_redirects=False)  # under the hang
        except requests.RequestException as exc:
            outcome: object = type(exc)
        else:
            outcome = response
        assert proxy.counts == {kind: 1} and proxy.n_faults == 1
    if kind == "5xx":
        assert outcome.status_code in {500, 502, 503, 504}
    elif kind.startswith(("429", "403")):
        assert outcome.status_code == int(kind[:3])
        assert ("Retry-After" in outcome.headers) == (kind == "429_retry_after")
        assert (outcome.headers.get("x-ratelimit-remaining") == "0") == (kind == "403_ratelimit")
    elif kind == "timeout":
        assert outcome is requests.ReadTimeout
    elif kind in ("reset", "truncate"):
        assert outcome in (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)
    elif kind == "bad_json":
        assert outcome.status_code == 200
        with pytest.raises(requests.JSONDecodeError):
            outcome.json()
    elif kind == "redirect_loop":
        assert outcome.status_code == 302 and outcome.headers["Location"] == f"{proxy.base}/blob"
    elif kind == "html_200":
        assert outcome.status_code == 200 and outcome.headers["Content-Type"].startswith("text/html")


def test_a_redirect_loop_outlasts_the_clients_redirect_limit(upstream: str) -> None:
    with FaultProxy(upstream, rate=1.0, kinds=["redirect_loop"]) as proxy:
        with pytest.raises(requests.TooManyRedirects):
            requests.get(f"{proxy.url}/json", timeout=5)
        assert proxy.counts == {"redirect_loop": 1} and proxy.n_redirect_hops == 30  # requests' limit
        proxy.enabled = False
        assert requests.get(f"{proxy.url}/json", timeout=5).json() == {"ok": True}  # 9 hops left, then the answer


def test_decisions_are_seeded_and_order_independent(upstream: str) -> None:
    decisions = []
    for _ in range(2):
        proxy = FaultProxy(upstream, rate=0.3, seed=11)
        decisions.append([proxy.choose_fault("GET", f"/r/{i}") for i in range(200)])
    assert decisions[0] == decisions[1]
    n = sum(d is not None for d in decisions[0])
    assert 40 <= n <= 80  # about 30 % of 200


def test_the_shared_http_client_rides_out_transient_faults(upstream: str) -> None:
    """Retryable faults (5xx, 429, exhausted quota, resets, timeouts, truncation) are retried by
    flows.sources.http until the real answer arrives; content faults pass through to the caller to judge."""
    retry = RetryPolicy(max_tries=12, base_delay=0.01, max_delay=0.05)
    kinds = ["5xx", "429_retry_after", "429_bare", "403_ratelimit", "timeout", "reset", "truncate"]
    with FaultProxy(upstream, rate=0.5, seed=3, kinds=kinds, hang_seconds=1.0) as proxy:
        client = HttpClient(make_session(), retry=retry, timeout=(2, 0.3), sleep=lambda s: None)
        for i in range(30):
            response = client.get(f"{proxy.url}/blob?i={i}", headers={"Range": "bytes=0-99"})
            assert response.content == BLOB[:100]
        assert proxy.n_faults >= 10
        assert set(proxy.counts) <= set(kinds)


def test_a_plain_403_is_final_not_retried(upstream: str) -> None:
    with FaultProxy(upstream, rate=1.0, kinds=["403_bare"]) as proxy:
        client = HttpClient(make_session(), retry=RetryPolicy(max_tries=5, base_delay=0.01), sleep=lambda s: None)
        with pytest.raises(HttpError) as err:
            client.get(f"{proxy.url}/json")
        assert err.value.status == 403 and proxy.counts["403_bare"] == 1


def test_transient_kinds_exclude_only_the_plain_403() -> None:
    assert set(FAULT_KINDS) - set(TRANSIENT_KINDS) == {"403_bare"}
