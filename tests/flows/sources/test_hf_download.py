"""The Hub's files through huggingface_hub against the loopback Hub: cache, resume, 429s, errors.

The fake speaks the Hub's protocol (HEAD on ``/resolve/`` -> 302 to a CDN on another host
with ``X-Repo-Commit``, ``X-Linked-Etag``, ``X-Linked-Size``); nothing of huggingface_hub is
faked except its clock: its waits (``time.sleep`` in two modules) are recorded, not slept.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import types
from pathlib import Path

import pytest
from fakes.hf_server import HfState, resolve_url, serve_hf

from flows import stopping
from flows.settings import Settings
from flows.sources.download import DownloadError
from flows.sources.hf_download import (
    MAX_ATTEMPTS,
    HubFile,
    _bar_class,
    _hub,
    download_from_hub,
    hub_cache_dir,
    hub_file,
)

REPO = "pwc-archive/links-between-paper-and-code"
PATH = "data/train-00000-of-00001.parquet"
KEY = f"{REPO}/{PATH}"
FILE = HubFile(REPO, "main", PATH)
CONTENT = os.urandom(300_000)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """huggingface_hub's waits, recorded instead of slept."""
    _hub()  # our defaults in the environment before huggingface_hub reads it
    import huggingface_hub.file_download as file_download
    import huggingface_hub.utils._http as hub_http

    waits: list[float] = []
    clock = types.SimpleNamespace(**{n: getattr(time, n) for n in dir(time) if not n.startswith("_")})
    clock.sleep = waits.append
    monkeypatch.setattr(hub_http, "time", clock)
    monkeypatch.setattr(file_download, "time", clock)
    return waits


@pytest.fixture
def hub(sleeps: list[float]):
    with serve_hf(HfState(files={KEY: CONTENT})) as (base, state):
        yield base, state


def _settings(base: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", hf_url=base)


def _requests(state: HfState) -> list[tuple[str, str]]:
    return [(r["method"], "cdn" if r["path"].startswith("/cdn/") else "resolve") for r in state.requests]


def test_download_lands_in_the_hub_cache_beside_the_warehouse(hub, tmp_path: Path) -> None:
    base, state = hub
    settings = _settings(base, tmp_path)
    path = download_from_hub(FILE, settings, progress=True)  # not a TTY: no bar
    assert path.read_bytes() == CONTENT
    assert hub_cache_dir(settings) == tmp_path / "data" / "cache" / "huggingface"
    assert path.is_relative_to(hub_cache_dir(settings))
    assert _requests(state) == [("HEAD", "resolve"), ("GET", "cdn")]  # no metadata API call before
    head, get = state.requests
    assert get["headers"]["Host"].startswith("localhost:")  # the CDN is another host, as on the Hub
    for request in state.requests:
        assert not any(h.lower() == "authorization" for h in request["headers"])  # no token, ever
    assert head["headers"]["user-agent"].startswith("papertrends/")
    assert "agent/" not in head["headers"]["user-agent"]  # telemetry off: nothing about the machine
    assert not list(hub_cache_dir(settings).rglob("*.incomplete"))


def test_second_run_downloads_nothing(hub, tmp_path: Path) -> None:
    base, state = hub
    first = download_from_hub(FILE, _settings(base, tmp_path))
    mtime = first.stat().st_mtime_ns
    state.requests.clear()
    second = download_from_hub(FILE, _settings(base, tmp_path))
    assert second == first and second.stat().st_mtime_ns == mtime
    assert _requests(state) == [("HEAD", "resolve")]  # one metadata request, no bytes


def test_changed_file_is_downloaded_again(hub, tmp_path: Path) -> None:
    base, state = hub
    download_from_hub(FILE, _settings(base, tmp_path))
    state.files[KEY] = new = CONTENT[:1000] + b"changed"
    state.requests.clear()
    assert download_from_hub(FILE, _settings(base, tmp_path)).read_bytes() == new
    assert _requests(state) == [("HEAD", "resolve"), ("GET", "cdn")]


def test_truncated_body_is_resumed_with_range(hub, sleeps: list[float], tmp_path: Path) -> None:
    """huggingface_hub writes in 10 MiB chunks (``DOWNLOAD_CHUNK_SIZE``): a break resumes from the
    last whole chunk written; the bytes of a chunk it was still filling come again."""
    base, state = hub
    state.files[KEY] = big = os.urandom(12 << 20)
    state.truncate_next = [11 << 20]  # the announced Content-Length, then the connection closes
    path = download_from_hub(FILE, _settings(base, tmp_path))
    assert path.read_bytes() == big
    gets = [r for r in state.requests if r["method"] == "GET"]
    assert len(gets) == 2 and "Range" not in gets[0]["headers"]
    assert gets[1]["headers"]["Range"] == f"bytes={10 << 20}-"  # only the rest came again
    assert sleeps == [1]  # huggingface_hub's pause before resuming


def test_a_break_within_the_first_chunk_starts_the_file_again(hub, sleeps: list[float], tmp_path: Path) -> None:
    base, state = hub
    state.truncate_next = [131_072]
    assert download_from_hub(FILE, _settings(base, tmp_path)).read_bytes() == CONTENT
    assert ["Range" in r["headers"] for r in state.requests if r["method"] == "GET"] == [False, False]


@pytest.mark.parametrize(
    ("rate_limit", "retry_after", "prefix", "waits"),
    [
        ('"resolvers";r=0;t=7', None, "/datasets/", [8.0]),  # the Hub's header on the HEAD: t + 1 s
        (None, "5", "/datasets/", [6.0]),  # Retry-After alone
        ('"resolvers";r=0;t=7', None, "/cdn/", [8.0]),  # a 429 from the CDN, on the GET
    ],
    ids=["ratelimit-on-head", "retry-after-on-head", "ratelimit-on-get"],
)
def test_429_waits_as_the_hub_asks(hub, sleeps: list[float], tmp_path: Path, rate_limit: str | None,
                                   retry_after: str | None, prefix: str, waits: list[float]) -> None:  # fmt: skip
    base, state = hub
    state.rate_limited, state.rate_limit_prefix = 2, prefix
    state.rate_limit, state.retry_after = rate_limit, retry_after
    assert download_from_hub(FILE, _settings(base, tmp_path)).read_bytes() == CONTENT
    # on the HEAD the first 429 is not waited out: huggingface_hub first looks for a cached copy, then retries
    # with waits; on the GET both are waited out
    assert sleeps == (waits if prefix == "/datasets/" else waits * 2)
    assert sum(r["path"].startswith(prefix) for r in state.requests) == 3  # two 429s, then the answer


def test_rate_limited_with_a_cached_copy_uses_it(hub, sleeps: list[float], tmp_path: Path) -> None:
    base, state = hub
    first = download_from_hub(FILE, _settings(base, tmp_path))
    state.rate_limited = 1
    assert download_from_hub(FILE, _settings(base, tmp_path)) == first and sleeps == []


def test_missing_file_and_dataset_are_one_line_errors(hub, tmp_path: Path) -> None:
    base, _ = hub
    with pytest.raises(DownloadError, match=r"data/nope\.parquet on 127\.0\.0\.1:\d+: no such file") as missing:
        download_from_hub(HubFile(REPO, "main", "data/nope.parquet"), _settings(base, tmp_path))
    with pytest.raises(DownloadError, match="no dataset pwc-archive/nope") as no_repo:
        download_from_hub(HubFile("pwc-archive/nope", "main", PATH), _settings(base, tmp_path))
    for error in (missing, no_repo):
        assert "\n" not in str(error.value)


def test_offline_is_one_line_and_a_cached_copy_still_serves(hub, tmp_path: Path) -> None:
    base, _ = hub
    cached = download_from_hub(FILE, _settings(base, tmp_path))
    closed = _closed_port_url()
    with pytest.raises(DownloadError) as offline:
        download_from_hub(FILE, _settings(closed, tmp_path / "elsewhere"))
    assert "\n" not in str(offline.value)
    assert str(offline.value).startswith(f"cannot download {REPO}/{PATH} on {closed.removeprefix('http://')} and "
                                         "no copy is cached: ConnectError")  # fmt: skip
    # the same data folder, the Hub gone: huggingface_hub falls back to the copy its refs point at
    assert download_from_hub(FILE, _settings(closed, tmp_path)).read_bytes() == cached.read_bytes()


def test_hub_urls_are_told_from_other_urls() -> None:
    hf = "http://127.0.0.1:9"
    assert hub_file(resolve_url(hf, KEY), hf) == FILE
    assert hub_file(f"{hf}/datasets/{REPO}/resolve/refs%2Fconvert%2Fparquet/{PATH}", hf) == HubFile(
        REPO, "refs/convert/parquet", PATH
    )
    assert hub_file(f"https://mirror.example.org/datasets/{REPO}/resolve/main/{PATH}", hf) is None
    assert hub_file(f"{hf}/datasets/{REPO}/blob/main/{PATH}", hf) is None
    assert str(HubFile(REPO, "v1", PATH)) == f"{KEY}@v1"


def test_progress_bar_only_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _bar_class(True)(total=1).disable  # stderr is not a TTY under pytest
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert _bar_class(False)(total=1).disable


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def own_stop_flag(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """A stop flag of this test's own: setting it reaches no other test of the process."""
    flag = threading.Event()
    monkeypatch.setattr(stopping, "STOP", flag)
    return flag


@pytest.mark.parametrize("failure", ["503", "500", "reset"])
def test_a_transient_failure_of_the_get_is_tried_again(hub, sleeps: list[float], tmp_path: Path,
                                                       failure: str) -> None:  # fmt: skip
    """huggingface_hub's GET retries only 408/429 and a body that breaks off; a 5xx from the CDN or a
    connection reset ends its call, and our next attempt (after 1 s) fetches the file."""
    base, state = hub
    state.fail_next, state.fail_prefix = [failure], "/cdn/"
    ours: list[float] = []
    assert download_from_hub(FILE, _settings(base, tmp_path), sleep=ours.append).read_bytes() == CONTENT
    assert ours == [1.0] and sleeps == []
    assert _requests(state) == [("HEAD", "resolve"), ("GET", "cdn"), ("HEAD", "resolve"), ("GET", "cdn")]
    assert not list(hub_cache_dir(_settings(base, tmp_path)).rglob("*.incomplete"))


def test_a_5xx_on_the_head_is_left_to_huggingface_hub(hub, sleeps: list[float], tmp_path: Path) -> None:
    """Its HEAD, finding nothing cached, asks again with backoff on 5xx: no attempt of ours is needed."""
    base, state = hub
    state.fail_next, state.fail_prefix = ["503", "503"], "/datasets/"
    ours: list[float] = []
    assert download_from_hub(FILE, _settings(base, tmp_path), sleep=ours.append).read_bytes() == CONTENT
    assert ours == [] and sleeps == [1]  # the first 503 sends it to the cache, the second is waited out
    assert _requests(state) == [("HEAD", "resolve")] * 3 + [("GET", "cdn")]


def test_a_missing_file_is_not_tried_again(hub, tmp_path: Path) -> None:
    base, state = hub
    ours: list[float] = []
    with pytest.raises(DownloadError, match="no such file"):
        download_from_hub(HubFile(REPO, "main", "data/nope.parquet"), _settings(base, tmp_path), sleep=ours.append)
    assert ours == [] and _requests(state) == [("HEAD", "resolve")]


def test_a_failure_that_lasts_ends_after_max_attempts(hub, sleeps: list[float], tmp_path: Path) -> None:
    base, state = hub
    state.fail_next, state.fail_prefix = ["503"] * MAX_ATTEMPTS, "/cdn/"
    ours: list[float] = []
    with pytest.raises(DownloadError) as error:
        download_from_hub(FILE, _settings(base, tmp_path), sleep=ours.append)
    assert str(error.value) == f"{FILE} on {base.removeprefix('http://')}: HTTP 503 after retries"
    assert ours == [1.0, 2.0, 4.0][: MAX_ATTEMPTS - 1]
    assert _requests(state).count(("GET", "cdn")) == MAX_ATTEMPTS
    assert not list(hub_cache_dir(_settings(base, tmp_path)).rglob("*.incomplete"))


def test_a_stop_during_the_wait_ends_the_download(hub, own_stop_flag: threading.Event, tmp_path: Path) -> None:
    base, state = hub
    state.fail_next, state.fail_prefix = ["503", "503"], "/cdn/"

    def stop_then_wait(seconds: float) -> None:
        stopping.request_stop()  # as a signal would, while we wait before the next attempt
        stopping.sleep_unless_stopped(seconds)

    with pytest.raises(stopping.StopRequested):
        download_from_hub(FILE, _settings(base, tmp_path), sleep=stop_then_wait)
    assert own_stop_flag.is_set() and _requests(state) == [("HEAD", "resolve"), ("GET", "cdn")]


@pytest.mark.parametrize(("seed", "ours_needed"), [(2, True), (5, True), (7, False), (8, False), (9, True)])
def test_a_download_through_faults_ends_byte_identical(sleeps: list[float], tmp_path: Path, seed: int,
                                                       ours_needed: bool) -> None:  # fmt: skip
    """5xx, 429s, resets, truncated bodies and hangs at a 30 % rate (seeded) between us and the Hub.

    The proxy decides each request's fault from (seed, method, path, n), so a seed replays the same
    faults. huggingface_hub alone (one attempt) gives up with seeds 2, 5 and 9 on a reset connection
    during the GET (``ReadError``); our attempts carry those through. Seeds 7 and 8 (429s, a truncated
    body) it rides out itself."""
    from fakes.faults import FaultProxy

    content = os.urandom(3 << 20)
    kinds = ["5xx", "429_retry_after", "429_bare", "reset", "truncate", "timeout"]
    with serve_hf(HfState(files={KEY: content})) as (base, _state), \
            FaultProxy(base, rate=0.3, seed=seed, kinds=kinds, hang_seconds=1.0) as proxy:  # fmt: skip
        ours: list[float] = []
        path = download_from_hub(FILE, _settings(proxy.url, tmp_path), sleep=ours.append)
        assert path.read_bytes() == content
    assert proxy.n_faults >= 1
    assert bool(ours) == ours_needed, f"faults {dict(proxy.counts)}; hub waits {sleeps}, ours {ours}"
