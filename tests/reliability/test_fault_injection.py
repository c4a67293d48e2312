"""Crawl and download through a proxy that breaks 20 % of requests (seeded), the crawl on both
paths (API and git; the proxy sits in front of the API, the raw host and the git host alike):
the run finishes, every failure ends as a recorded status with a reason, a rerun with the faults
off completes the rest, and the warehouse then equals a clean run's (same rows, no duplicates)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from pprint import pformat

import pytest
from fakes.faults import TRANSIENT_KINDS, FaultProxy
from fakes.github_server import FakeGitHub, FakeRepo, make_repos
from reliability.warehouse_compare import warehouse_differences

from flows.crawl.driver import crawl_repos
from flows.crawl.outcomes import add_repos
from flows.settings import Settings
from flows.sources.github import GitHubSource
from flows.sources.http import HttpClient, RetryPolicy, make_session
from flows.store.warehouse import Warehouse

FAULT_RATE = 0.2
SEED = 20261126
FAST_RETRY = dict(max_tries=6, base_delay=0.05, max_delay=0.5)


def _repos() -> list[FakeRepo]:
    repos = make_repos(40, seed=3)
    repos += [FakeRepo("Gone/Missing", status="missing"), FakeRepo("Legal/Dmca", status="dmca"),
              FakeRepo("Blank/Empty", status="empty")]  # fmt: skip
    return repos


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub(_repos())
    fake.start()
    yield fake
    fake.stop()


def _settings(base: str, db: Path) -> Settings:
    return Settings(data_dir=db.parent, github_api_url=base, github_raw_url=base + "/raw", github_git_url=base + "/git",
                    git_processes=4, git_work_dir=db.parent / f"{db.stem}-git-work")  # fmt: skip


def _source(settings: Settings) -> GitHubSource:
    """The crawler's own source, with fast retries and a read timeout shorter than the proxy's hang."""
    gh = GitHubSource.from_settings(settings, retry=RetryPolicy(**FAST_RETRY))
    gh.api.timeout = gh.raw.timeout = (2.0, 0.5)
    return gh


def _crawl(db: Path, base: str, names: list[str], via: str) -> dict[str, object]:
    settings = _settings(base, db)
    with Warehouse(db) as wh:
        add_repos(wh, names)
        return crawl_repos(wh, settings, client=_source(settings), progress=False, via=via)


@pytest.mark.parametrize("via", ["api", "git"])
def test_a_crawl_through_20_percent_faults_recovers_to_the_clean_result(tmp_path: Path, github: FakeGitHub,
                                                                        via: str) -> None:  # fmt: skip
    names = [r.full_name for r in _repos()]
    clean_db, faulty_db = tmp_path / "clean.duckdb", tmp_path / "faulty.duckdb"
    _crawl(clean_db, github.url, names, via)

    with FaultProxy(github.url, rate=FAULT_RATE, seed=SEED, kinds=TRANSIENT_KINDS, hang_seconds=1.5) as proxy:
        first = _crawl(faulty_db, proxy.url, names, via)
        n_faults = proxy.n_faults
        on_git = sum(1 for _, path, kind in proxy.log if path.startswith("/git/") and kind not in ("ok",
                                                                                                    "redirect_hop"))
        print(f"crawl via {via}: faults injected {n_faults} ({on_git} on git) of {len(proxy.log)} requests: "
              f"{dict(proxy.counts)}")  # fmt: skip
        assert n_faults >= 30, proxy.counts  # the run really was hammered
        assert len(proxy.counts) >= 8, proxy.counts  # by most kinds of fault
        assert via == "api" or on_git >= 10, proxy.counts  # the git requests too
        with Warehouse(faulty_db, read_only=True) as wh:
            unexplained = wh.query("SELECT repo_key, status FROM repos WHERE status NOT IN ('ok', 'pending') "
                                   "AND status_reason IS NULL")  # fmt: skip
            pending = wh.count("repos") - wh.scalar("SELECT count(*) FROM repos WHERE status <> 'pending'")
        assert unexplained == [] and pending == 0, first  # every failure is recorded with its reason
        proxy.enabled = False
        _crawl(faulty_db, proxy.url, names, via)  # the rerun, faults off
    tables = ("repos", "repo_files", "repo_evidence", "classifications")
    differences = warehouse_differences(clean_db, faulty_db, tables)
    assert differences == {}, pformat(differences, width=200)
    if via == "git":
        assert list((tmp_path / "faulty-git-work" / "scratch").iterdir()) == []  # no scratch folder left behind


# --- the archive download ------------------------------------------------------------------


def test_an_archive_download_through_faults_ends_byte_identical(tmp_path: Path) -> None:
    """A resumable download (Range/If-Range) through resets, truncations, 5xx and 429s: the cached
    file is byte-identical to the original, and nothing but transient faults were met."""
    from fakes.hf_server import HfState, resolve_url, serve_hf

    from flows.sources.download import download_cached

    content = hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32)  # 3 MiB, not compressible
    key = "pwc-archive/links-between-paper-and-code/data/train-00000-of-00001.parquet"
    kinds = ["5xx", "429_retry_after", "429_bare", "reset", "truncate", "timeout"]
    with serve_hf(HfState(files={key: content})) as (base, _state), \
            FaultProxy(base, rate=0.3, seed=SEED, kinds=kinds, hang_seconds=1.5) as proxy:  # fmt: skip
        client = HttpClient(make_session(), retry=RetryPolicy(max_tries=20, base_delay=0.05, max_delay=0.5),
                            timeout=(2.0, 0.5))  # fmt: skip
        done = download_cached(resolve_url(proxy.url, key), tmp_path / "cache", client, progress=False)
        assert Path(done.path).read_bytes() == content
        print(f"download: faults injected {proxy.n_faults} of {len(proxy.log)} requests: {dict(proxy.counts)}")
        assert proxy.n_faults >= 1, proxy.log


@pytest.mark.parametrize(("content_type", "is_file"), [
    ("text/plain; charset=utf-8", True),  # what raw.githubusercontent.com sends for code
    ("application/octet-stream", True),
    (None, True),  # no header at all: nothing says it is not the file
    ("text/html; charset=utf-8", False),  # an error page with 200 (a proxy, a captive portal, GitHub's unicorn)
    ("application/json", False),  # an API error body where a file was expected
])  # fmt: skip
def test_raw_answers_that_are_not_file_contents_are_refused(content_type: str | None, is_file: bool) -> None:
    from flows.sources.github import is_raw_content_type

    assert is_raw_content_type(content_type) is is_file
