"""Cached downloads against a loopback Hugging Face: resume, revalidation, integrity, 429s."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from fakes.hf_server import HfState, resolve_url, serve_hf

from flows.sources.download import DownloadError, cache_path_for, download_cached, rate_limit_wait
from flows.sources.http import HttpClient, HttpError, RetryPolicy, make_session

KEY = "pwc-archive/links-between-paper-and-code/data/train-00000-of-00001.parquet"
CONTENT = os.urandom(300_000)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def hf():
    with serve_hf(HfState(files={KEY: CONTENT})) as (base, state):
        yield base, state


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(make_session(), retry=RetryPolicy(max_tries=3, base_delay=0.0), sleep=Sleeps())


def _cdn_requests(state: HfState) -> list[dict]:
    return [r for r in state.requests if r["path"].startswith("/cdn/")]


def test_download_verifies_and_records_sha256(hf, client, tmp_path: Path) -> None:
    base, _ = hf
    got = download_cached(resolve_url(base, KEY), tmp_path, client, progress=True)  # not a TTY: bar stays off
    assert got.path.read_bytes() == CONTENT and got.was_fetched
    meta = json.loads(got.path.with_name(got.path.name + ".meta.json").read_text())
    assert meta["sha256"] == hashlib.sha256(CONTENT).hexdigest() == got.sha256
    assert meta["n_bytes"] == len(CONTENT) and meta["etag"]
    assert not list(got.path.parent.glob("*.part*"))  # nothing half-written left behind


def test_second_run_downloads_nothing(hf, client, tmp_path: Path) -> None:
    base, state = hf
    first = download_cached(resolve_url(base, KEY), tmp_path, client)
    mtime = first.path.stat().st_mtime_ns
    state.requests.clear()
    second = download_cached(resolve_url(base, KEY), tmp_path, client)
    assert not second.was_fetched and second.sha256 == first.sha256
    assert first.path.stat().st_mtime_ns == mtime
    (cdn,) = _cdn_requests(state)
    assert cdn["headers"]["If-None-Match"] == first.etag  # a conditional request, answered 304


def test_server_ignoring_conditionals_but_same_etag_is_not_refetched(hf, client, tmp_path: Path) -> None:
    base, state = hf
    download_cached(resolve_url(base, KEY), tmp_path, client)
    state.ignore_conditionals = True
    assert not download_cached(resolve_url(base, KEY), tmp_path, client).was_fetched


def test_broken_transfer_resumes_with_range_in_the_same_run(hf, client, tmp_path: Path) -> None:
    base, state = hf
    state.truncate_next = [131_072]  # the first body stops after two 64 KiB reads, connection closed
    got = download_cached(resolve_url(base, KEY), tmp_path, client)
    assert got.path.read_bytes() == CONTENT and got.n_resumes == 1
    ranged = [r for r in _cdn_requests(state) if "Range" in r["headers"]]
    assert ranged[0]["headers"]["Range"] == "bytes=131072-"
    assert ranged[0]["headers"]["If-Range"] == got.etag


def test_interrupted_download_resumes_on_the_next_run_byte_identical(hf, client, tmp_path: Path) -> None:
    base, state = hf
    url = resolve_url(base, KEY)
    state.truncate_next = [196_608]
    with pytest.raises(DownloadError, match="resumed on the next run"):
        download_cached(url, tmp_path, client, max_resumes=0)
    final = cache_path_for(url, tmp_path)
    part = final.with_name(final.name + ".part")
    assert not final.exists() and part.stat().st_size == 196_608
    state.requests.clear()
    got = download_cached(url, tmp_path, client)
    assert got.path.read_bytes() == CONTENT and not part.exists()
    assert _cdn_requests(state)[0]["headers"]["Range"] == "bytes=196608-"


def test_part_of_a_file_that_changed_restarts_from_zero(hf, client, tmp_path: Path) -> None:
    base, state = hf
    url = resolve_url(base, KEY)
    state.truncate_next = [50_000]
    with pytest.raises(DownloadError):
        download_cached(url, tmp_path, client, max_resumes=0)
    state.files[KEY] = new = os.urandom(200_000)  # If-Range no longer matches: the server sends it whole
    assert download_cached(url, tmp_path, client).path.read_bytes() == new


def test_changed_file_is_downloaded_again(hf, client, tmp_path: Path) -> None:
    base, state = hf
    url = resolve_url(base, KEY)
    first = download_cached(url, tmp_path, client)
    state.files[KEY] = new = CONTENT[:1000] + b"changed"
    second = download_cached(url, tmp_path, client)
    assert second.was_fetched and second.path.read_bytes() == new and second.sha256 != first.sha256


def test_429_waits_as_hf_ratelimit_header_says(hf, client, tmp_path: Path) -> None:
    base, state = hf
    state.rate_limited = 2
    got = download_cached(resolve_url(base, KEY), tmp_path, client)
    assert got.path.read_bytes() == CONTENT
    assert client.sleep == [7.0, 7.0]  # t=7 from `RateLimit: "resolvers";r=0;t=7`


def test_missing_file_is_a_clear_error(hf, client, tmp_path: Path) -> None:
    base, _ = hf
    with pytest.raises(HttpError, match="404"):
        download_cached(resolve_url(base, "pwc-archive/links-between-paper-and-code/data/x.parquet"), tmp_path, client)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"RateLimit": '"resolvers";r=0;t=55'}, 55.0),  # HF's IETF-draft header
        ({"RateLimit": '"api";r=0;t=3', "Retry-After": "9"}, 3.0),  # RateLimit is the precise one
        ({"Retry-After": "12"}, 12.0),
        ({}, None),
    ],
)
def test_rate_limit_wait(headers: dict[str, str], expected: float | None) -> None:
    assert rate_limit_wait(headers) == expected
