"""The shared HTTP client against a real loopback server: retries, rate limits, counters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from fakes.github_server import FakeGitHub, FakeRepo, Fault

from flows.sources.http import (
    HttpClient,
    HttpError,
    RateLimitState,
    RetryPolicy,
    is_secondary_limit,
    make_session,
    secondary_delay,
)
from flows.sources.secrets import redact


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub([FakeRepo("Owner/Repo", {"a.py": b"import torch\n"})])
    server.start()
    yield server
    server.stop()


def client(sleeps: list[float], max_tries: int = 3) -> HttpClient:
    """A client whose waits are recorded, not slept (the fake's faults do not depend on time)."""
    return HttpClient(make_session(4), retry=RetryPolicy(max_tries=max_tries, base_delay=0.5), sleep=sleeps.append)


def test_secondary_limits_are_told_apart_from_plain_errors() -> None:
    assert is_secondary_limit(403, {"retry-after": "30"}, "")
    assert is_secondary_limit(403, {}, '{"message": "You have exceeded a secondary rate limit"}')
    assert not is_secondary_limit(403, {}, '{"message": "Repository access blocked"}')  # a disabled repo
    assert not is_secondary_limit(500, {"retry-after": "1"}, "")


def test_secondary_delay_honours_retry_after_else_a_minute_doubling() -> None:
    assert secondary_delay(1, {"Retry-After": "7"}) == 7
    assert [secondary_delay(n, {}) for n in (1, 2, 3)] == [60, 120, 240]
    assert secondary_delay(20, {}) == 900  # capped


def test_5xx_is_retried_with_backoff_then_succeeds(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/repos/owner/repo", "502", times=2))
    sleeps: list[float] = []
    http = client(sleeps)
    assert http.get(f"{fake.url}/repos/owner/repo").json()["full_name"] == "Owner/Repo"
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]  # exponential (jitter is +-25%)
    assert http.counts["core:error"] == 2 and http.counts["core:sent"] == 3


def test_5xx_gives_up_after_bounded_tries(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/repos/owner/repo", "502", times=10))
    with pytest.raises(HttpError) as info:
        client([], max_tries=3).get(f"{fake.url}/repos/owner/repo")
    assert info.value.status == 502 and fake.counts["fault:502"] == 3


def test_dropped_connection_is_retried(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/repos/owner/repo", "reset", times=1))
    sleeps: list[float] = []
    assert client(sleeps).get(f"{fake.url}/repos/owner/repo").status_code == 200
    assert len(sleeps) == 1 and fake.counts["fault:reset"] == 1


def test_dropped_connections_give_up_with_a_connection_error(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/repos/owner/repo", "reset", times=10))
    with pytest.raises(HttpError) as info:
        client([], max_tries=2).get(f"{fake.url}/repos/owner/repo")
    assert info.value.status is None


def test_secondary_limit_with_retry_after_waits_as_told(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/repos/owner/repo", "secondary", times=1))
    sleeps: list[float] = []
    http = client(sleeps)
    assert http.get(f"{fake.url}/repos/owner/repo", ok_statuses=frozenset({403})).status_code == 200
    assert sleeps == [0.0] or sleeps == []  # Retry-After: 0
    assert http.counts["core:limited"] == 1


def test_secondary_limit_by_message_waits_a_minute_then_doubles(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/repos/owner/repo", "secondary-message", times=2))
    sleeps: list[float] = []
    # ok_statuses has 403 (as for disabled repos): a secondary limit must still be waited out.
    response = client(sleeps).get(f"{fake.url}/repos/owner/repo", ok_statuses=frozenset({403}))
    assert response.status_code == 200 and sleeps == [60.0, 120.0]


def test_secondary_limit_forever_gives_up(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/repos/owner/repo", "secondary-message", times=99))
    with pytest.raises(HttpError, match="secondary rate limit"):
        client([], max_tries=2).get(f"{fake.url}/repos/owner/repo")


def test_exhausted_quota_pauses_until_reset_with_a_progress_line() -> None:
    fake = FakeGitHub([FakeRepo("Owner/Repo", {"a.py": b""})], rate_limit=2, reset_seconds=1.0)
    fake.start()
    try:
        import time

        waits: list[tuple[str, float]] = []
        http = HttpClient(make_session(2), sleep=time.sleep, on_wait=lambda why, s: waits.append((why, s)))
        for _ in range(3):
            assert http.get(f"{fake.url}/repos/owner/repo").status_code == 200
        assert waits and "rate limit" in waits[0][0] and 0 < waits[0][1] <= 3
        assert fake.counts["quota:core"] == 3 and http.rate_limits.limit["core"] == 2
    finally:
        fake.stop()


def test_304_is_counted_as_not_modified(fake: FakeGitHub) -> None:
    http = client([])
    first = http.get(f"{fake.url}/repos/owner/repo")
    again = http.get(f"{fake.url}/repos/owner/repo", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and http.counts["core:not_modified"] == 1
    assert fake.counts["quota:core"] == 1  # the 304 was free


def test_rate_limit_state_reads_headers_per_resource() -> None:
    state = RateLimitState()
    state.update({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000", "x-ratelimit-resource": "graphql"})
    assert state.wait_before_request("graphql", now=990) == 11 and state.wait_before_request("core") == 0
    state.mark_exhausted("core", 1005)
    assert state.wait_before_request("core", now=1000) == 6


def test_token_is_sent_as_bearer_and_redacted_from_messages() -> None:
    token = "ghp" + "_abcdefghijklmnop1234"  # split: a fake, not a secret to scan for
    session = make_session(1, token)
    assert session.headers["Authorization"] == f"Bearer {token}"
    assert "ghp_" not in redact(f"failed with {session.headers}")
    assert isinstance(session, requests.Session)


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1:{port}/api", "connection refused"),  # nothing listens there
    ("http://papertrends-test.invalid/api", "does not resolve"),  # .invalid never resolves (RFC 6761)
])  # fmt: skip
def test_check_reachable_says_why_in_one_line(url: str, reason: str) -> None:
    from conftest import free_port

    from flows.sources.http import SourceUnreachable, check_reachable

    with pytest.raises(SourceUnreachable) as caught:
        check_reachable(url.format(port=free_port()), "the live catalog (PAPERTRENDS_PWC_API_URL)")
    assert reason in str(caught.value) and "\n" not in str(caught.value)


def test_check_reachable_accepts_any_answer(fake: FakeGitHub) -> None:
    from flows.sources.http import check_reachable

    check_reachable(f"{fake.url}/no-such-page", "GitHub")  # a 404 is an answer: the service is there


def test_a_host_that_resets_the_check_is_there_one_that_refuses_is_not() -> None:
    """The reachability check tells "nothing is there" from "something answered badly" (a fault for the retries)."""
    from conftest import free_port
    from fakes.faults import FaultProxy

    from flows.sources.http import SourceUnreachable, check_reachable

    server = FakeGitHub([])
    server.start()
    try:
        with FaultProxy(server.url, rate=1.0, kinds=["reset"]) as resetting:
            check_reachable(resetting.url, "a host that resets")  # no exception: it is there
            assert resetting.counts["reset"] == 1
    finally:
        server.stop()
    with pytest.raises(SourceUnreachable, match="connection refused"):
        check_reachable(f"http://127.0.0.1:{free_port()}", "nothing")
