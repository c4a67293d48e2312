"""The one HTTP client: timeouts, retries with backoff, rate limits, politeness, secrets.

Decisions about waiting live in small pure objects (:class:`RetryPolicy`,
:class:`RateLimitState`, :class:`MinInterval`) that read a response or a clock and
return a number of seconds, so they are tested without a network. ``HttpClient``
only glues them to a ``requests.Session`` that the caller passes in or gets from
:func:`make_session`.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from flows.sources.secrets import redact
from flows.stopping import check_stop, sleep_unless_stopped

log = logging.getLogger("papertrends.http")

USER_AGENT = "papertrends/0.1 (+https://github.com/papertrends/papertrends)"
DEFAULT_TIMEOUT = (10.0, 60.0)  # connect, read
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_REDIRECTS = 30
"""Redirects followed per try (requests' own limit); a longer chain is a failed try, retried."""
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class HttpError(RuntimeError):
    """A request that failed for good; ``status`` is None for connection-level failures."""

    def __init__(self, message: str, status: int | None = None, url: str | None = None) -> None:
        super().__init__(redact(message))
        self.status = status
        self.url = url


class RedirectRefused(HttpError):
    """A redirect to another host from a request that carries credentials: not followed."""


class SourceUnreachable(HttpError):
    """Nothing answers at a source's host (no DNS answer, connection refused): retrying cannot help."""


def check_reachable(url: str, what: str, timeout: float = 5.0) -> None:
    """Raise :class:`SourceUnreachable` in one line when nothing answers at ``url``'s host.

    One plain HEAD, no retries, no token: any HTTP answer (even an error status) or a
    slow one means the service is there, and its faults are for the HTTP client's and
    the task's retries. Called at the start of a stage, so a machine with no network
    learns it in seconds instead of after every retry of every request.
    """
    try:
        requests.head(url, timeout=(timeout, timeout), allow_redirects=False, headers={"User-Agent": USER_AGENT})
    except requests.exceptions.SSLError:
        return  # something answered, with a TLS problem the real requests will report
    except requests.ConnectionError as exc:
        if not _never_connected(exc):
            return  # connected, then cut off (a reset): something is there, its faults are for the retries
        host = urllib.parse.urlsplit(url).netloc or url
        raise SourceUnreachable(f"cannot reach {what} at {host}: {_unreachable_reason(exc, timeout)}",
                                None, url) from None  # fmt: skip
    except requests.Timeout:
        return  # connected, then slow: a fault of a reachable service


def _never_connected(exc: BaseException) -> bool:
    """No connection was made (no DNS answer, refused, no route, no answer to connect), as opposed to
    a connection that was made and then reset: only the first says nothing is there."""
    text = str(exc)
    return isinstance(exc, requests.ConnectTimeout) or any(
        sign in text for sign in ("NewConnectionError", "Failed to establish a new connection", "NameResolution",
                                  "Name or service not known", "nodename nor servname", "Connection refused",
                                  "Network is unreachable", "No route to host"))  # fmt: skip


def _unreachable_reason(exc: BaseException, timeout: float) -> str:
    """Why nothing answered, in words: the causes requests wraps several levels deep."""
    if isinstance(exc, requests.ConnectTimeout):
        return f"no answer within {timeout:g} s"
    text = str(exc)
    if "NameResolution" in text or "Name or service not known" in text or "nodename nor servname" in text:
        return "its name does not resolve (no DNS, or no network)"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "Network is unreachable" in text:
        return "network is unreachable"
    return type(exc).__name__


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


@dataclass
class RetryPolicy:
    """How often and how long to wait before retrying a failed request."""

    max_tries: int = 5
    base_delay: float = 1.0
    max_delay: float = 120.0
    jitter: float = 0.25
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter for the ``attempt``-th failure (1-based)."""
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay * (1 + self.jitter * (2 * self.rng.random() - 1))

    def delay_for(self, attempt: int, status: int | None, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait before the next try, or None when the failure is final."""
        if attempt >= self.max_tries:
            return None
        if status is not None and status not in RETRY_STATUSES:
            return None
        told = parse_retry_after(headers.get("Retry-After"))
        if told is not None:
            return min(told, self.max_delay * 30)
        return self.backoff(attempt)


@dataclass
class RateLimitState:
    """What the ``x-ratelimit-*`` headers last said, per resource (core, graphql, ...)."""

    remaining: dict[str, int] = field(default_factory=dict)
    reset_at: dict[str, float] = field(default_factory=dict)
    limit: dict[str, int] = field(default_factory=dict)

    def update(self, headers: Mapping[str, str]) -> None:
        if "x-ratelimit-remaining" not in headers:
            return
        resource = headers.get("x-ratelimit-resource", "core")
        try:
            self.remaining[resource] = int(headers["x-ratelimit-remaining"])
            if "x-ratelimit-reset" in headers:
                self.reset_at[resource] = float(headers["x-ratelimit-reset"])
            if "x-ratelimit-limit" in headers:
                self.limit[resource] = int(headers["x-ratelimit-limit"])
        except ValueError:
            log.warning("ignoring malformed rate-limit headers")

    def wait_before_request(self, resource: str = "core", now: float | None = None) -> float:
        """Seconds to wait because the quota is spent (0 when there is quota left)."""
        if self.remaining.get(resource, 1) > 0:
            return 0.0
        now = time.time() if now is None else now
        return max(0.0, self.reset_at.get(resource, now) - now) + 1.0

    def is_exhausted_response(self, status: int, headers: Mapping[str, str]) -> bool:
        """GitHub signals an exhausted primary limit as 403/429 with remaining 0."""
        return status in (403, 429) and headers.get("x-ratelimit-remaining") == "0"

    def mark_exhausted(self, resource: str, reset_at: float | None = None) -> None:
        """Record a spent quota the headers did not announce (GraphQL says so in its body)."""
        self.remaining[resource] = 0
        if reset_at is not None:
            self.reset_at[resource] = reset_at


def is_secondary_limit(status: int, headers: Mapping[str, str], body: str) -> bool:
    """GitHub's secondary (abuse) limits: 403/429 with Retry-After, or a message saying so.

    They come with quota left (remaining > 0), so :meth:`RateLimitState.is_exhausted_response`
    does not catch them; retrying at once makes them last longer.
    """
    if status not in (403, 429):
        return False
    return "retry-after" in headers or "secondary rate limit" in body.lower()


def secondary_delay(n_hits: int, headers: Mapping[str, str], max_delay: float = 900.0) -> float:
    """Retry-After when given, else one minute doubling per consecutive hit (GitHub's advice)."""
    told = parse_retry_after(headers.get("Retry-After"))
    if told is not None:
        return min(told, max_delay)
    return min(max_delay, 60.0 * 2 ** (n_hits - 1))


class MinInterval:
    """At most one request per ``interval`` seconds (per-host politeness), thread-safe."""

    def __init__(self, per_minute: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Claim the next slot; return how long the caller must sleep before using it."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
            return start - now


def make_session(pool_size: int = 16, token: str | None = None) -> requests.Session:
    """A pooled session with our User-Agent; retries are ours, not urllib3's."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


@dataclass
class HttpClient:
    """Requests with retries, rate-limit pauses and politeness; counts what it sent.

    ``counts`` is keyed ``"<resource>:<outcome>"`` with outcomes ``sent`` (every attempt),
    ``not_modified`` (304: free on GitHub), ``limited`` (primary or secondary limit hit) and
    ``error`` (5xx or connection failure), so callers can tell quota spent from free requests.
    Safe to share between threads.
    """

    session: requests.Session
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limits: RateLimitState = field(default_factory=RateLimitState)
    politeness: MinInterval = field(default_factory=lambda: MinInterval(None))
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    sleep: Callable[[float], None] = sleep_unless_stopped
    on_wait: Callable[[str, float], None] | None = None
    n_requests: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def request(self, method: str, url: str, *, resource: str = "core", ok_statuses: frozenset[int] = frozenset(),
                json_body: bool = False, **kwargs: Any) -> requests.Response:  # fmt: skip
        """Send until success, a status the caller handles (``ok_statuses``), or a final failure.

        ``json_body``: a success must carry a JSON object (GitHub's API always does); one that
        does not (an HTML error page with 200, a cut body) is a failed try, retried.

        Rate-limit answers are recognised before ``ok_statuses``: a caller that handles 403
        (a disabled repository) must still never see GitHub's "quota spent" 403.
        """
        attempt = n_secondary = 0
        while True:
            check_stop()  # an interrupted run sends nothing more
            attempt += 1
            wait = self.rate_limits.wait_before_request(resource)
            self._pause(wait, f"{resource} rate limit spent; it resets at {_clock_time_after(wait)}")
            self._pause(self.politeness.reserve(), "")
            try:
                response = self._send(method, url, resource, **kwargs)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.TooManyRedirects) as exc:  # fmt: skip
                self._count(resource, "error")
                delay = self.retry.delay_for(attempt, None, {})
                if delay is None:
                    raise HttpError(f"{method} {url}: {type(exc).__name__}: {exc}", None, url) from None
                self._pause(delay, f"connection error ({type(exc).__name__})")
                continue
            self.rate_limits.update(response.headers)
            status = response.status_code
            if status == 304:
                self._count(resource, "not_modified")
            if status < 400 and json_body and status not in (204, 304) and not _is_json_object(response):
                self._count(resource, "error")  # a proxy's page or a cut body where GitHub answers JSON: transient
                delay = self.retry.delay_for(attempt, None, {})
                if delay is None:
                    raise HttpError(f"{method} {url}: HTTP {status} with a body that is not a JSON object", status, url)
                self._pause(delay, f"HTTP {status} without a JSON body")
                continue
            if status < 400:
                return response
            if self.rate_limits.is_exhausted_response(status, response.headers):
                self._count(resource, "limited")
                attempt -= 1  # waiting for a quota reset is not a failed try
                continue
            if is_secondary_limit(status, response.headers, _body_text(response)):
                self._count(resource, "limited")
                n_secondary += 1
                if n_secondary > self.retry.max_tries:
                    raise HttpError(f"{method} {url}: HTTP {status} (secondary rate limit)", status, url)
                attempt -= 1
                self._pause(secondary_delay(n_secondary, response.headers), f"secondary rate limit (HTTP {status})")
                continue
            if status in ok_statuses:
                return response
            if status >= 500:
                self._count(resource, "error")
            delay = self.retry.delay_for(attempt, status, response.headers)
            if delay is None:
                raise HttpError(f"{method} {url}: HTTP {status}", status, url)
            self._pause(delay, f"HTTP {status}")

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def _send(self, method: str, url: str, resource: str, *, allow_redirects: bool = True,
              **kwargs: Any) -> requests.Response:  # fmt: skip
        """One try: the request, and the redirects it meets, followed here rather than by requests.

        Same-host redirects are followed. A redirect to another host is followed only by a
        request that carries no credentials (the raw host, downloads); from one that does
        (the API's token, in the session or the call) it is refused with
        :class:`RedirectRefused`, so a token can never travel to a host it was not meant for.
        """
        for _ in range(MAX_REDIRECTS + 1):
            self._count(resource, "sent")
            response = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
            location = response.headers.get("Location")
            if not allow_redirects or response.status_code not in REDIRECT_STATUSES or not location:
                return response
            target = urllib.parse.urljoin(response.url or url, location)
            response.close()
            if not same_host(url, target) and self._carries_credentials(kwargs):
                raise RedirectRefused(f"{method} {url}: redirect to another host "
                                      f"({urllib.parse.urlsplit(target).hostname}) refused; the credentials stay on "
                                      f"{urllib.parse.urlsplit(url).hostname}", response.status_code, url)  # fmt: skip
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method = "GET"  # what browsers and requests do; 307/308 keep the method and body
                kwargs = {k: v for k, v in kwargs.items() if k not in ("json", "data", "files")}
            url = target
        raise requests.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")

    def _carries_credentials(self, kwargs: dict[str, Any]) -> bool:
        headers = {**self.session.headers, **(kwargs.get("headers") or {})}
        named = {k.lower() for k, v in headers.items() if v}
        carried = named & {"authorization", "proxy-authorization", "cookie"}
        return bool(carried or self.session.auth or kwargs.get("auth"))

    def _count(self, resource: str, outcome: str) -> None:
        with self._lock:
            self.counts[f"{resource}:{outcome}"] += 1
            if outcome == "sent":
                self.n_requests += 1

    def _pause(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if why:
            log.info("waiting %.1fs: %s", seconds, why)
            if self.on_wait:
                self.on_wait(why, seconds)
        self.sleep(seconds)


def same_host(a: str, b: str) -> bool:
    """Whether two URLs name the same host and port (http -> https on the default ports counts as the same)."""
    pa, pb = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
    if (pa.hostname or "").lower() != (pb.hostname or "").lower():
        return False
    default = {"http": 80, "https": 443}
    port_a, port_b = pa.port or default.get(pa.scheme), pb.port or default.get(pb.scheme)
    return port_a == port_b or (pa.scheme, pb.scheme, port_a, port_b) == ("http", "https", 80, 443)


def _clock_time_after(seconds: float) -> str:
    """The UTC wall-clock time ``seconds`` from now, for log lines a person reads."""
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S UTC")


def _is_json_object(response: requests.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def _body_text(response: requests.Response) -> str:
    """The start of an error body, for messages GitHub puts only there; never raises."""
    try:
        return response.text[:2000]
    except Exception:  # a broken body must not hide the status
        return ""
