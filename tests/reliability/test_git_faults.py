"""The git transport through a proxy that breaks 20 % of requests (seeded), API and git alike:
every repository ends crawled or failed with a reason, and a rerun with the faults off
gives the warehouse of a clean run (nothing partial was kept as complete)."""

from __future__ import annotations

from pathlib import Path
from pprint import pformat

from fakes.faults import TRANSIENT_KINDS, FaultProxy
from fakes.github_server import FakeGitHub, FakeRepo, make_repos
from reliability.warehouse_compare import warehouse_differences

from flows.crawl.driver import crawl_repos
from flows.crawl.outcomes import add_repos
from flows.settings import Settings
from flows.sources.github import GitHubSource
from flows.sources.http import RetryPolicy
from flows.store.warehouse import Warehouse

FAULT_RATE = 0.2
SEED = 20261201


def _repos() -> list[FakeRepo]:
    return make_repos(10, seed=5) + [
        FakeRepo("Gone/Missing", status="missing"),
        FakeRepo("Blank/Empty", status="empty"),
    ]


def _crawl(db: Path, base: str, names: list[str]) -> dict[str, object]:
    settings = Settings(data_dir=db.parent / "data", github_api_url=base, github_raw_url=base + "/raw",
                        github_git_url=base + "/git", git_processes=4,
                        git_work_dir=db.parent / "git-work")  # fmt: skip
    gh = GitHubSource.from_settings(settings, retry=RetryPolicy(max_tries=6, base_delay=0.05, max_delay=0.5))
    gh.api.timeout = gh.raw.timeout = (2.0, 0.5)
    with Warehouse(db) as wh:
        add_repos(wh, names)
        return crawl_repos(wh, settings, client=gh, progress=False, via="git")


def test_a_git_crawl_through_20_percent_faults_recovers_to_the_clean_result(tmp_path: Path) -> None:
    fake = FakeGitHub(_repos())
    fake.start()
    names = [r.full_name for r in _repos()]
    clean_db, faulty_db = tmp_path / "clean" / "wh.duckdb", tmp_path / "faulty" / "wh.duckdb"
    try:
        _crawl(clean_db, fake.url, names)
        with FaultProxy(fake.url, rate=FAULT_RATE, seed=SEED, kinds=TRANSIENT_KINDS, hang_seconds=0.5) as proxy:
            first = _crawl(faulty_db, proxy.url, names)
            git_faults = sum(1 for _, path, kind in proxy.log if path.startswith("/git/") and kind not in ("ok",
                                                                                                          "redirect_hop"))
            print(f"git crawl: {proxy.n_faults} faults ({git_faults} on git) in {len(proxy.log)} requests: "
                  f"{dict(proxy.counts)}")  # fmt: skip
            assert git_faults >= 5, proxy.counts  # the git requests really were hammered
            with Warehouse(faulty_db, read_only=True) as wh:
                ended = wh.query("SELECT status, status_reason FROM repos")
            assert all(r["status"] == "ok" or r["status_reason"] for r in ended), ended  # every end has a reason
            assert not any(r["status"] == "pending" for r in ended), first
            proxy.enabled = False
            _crawl(faulty_db, proxy.url, names)  # the rerun, faults off
    finally:
        fake.stop()
    differences = warehouse_differences(
        clean_db, faulty_db, ("repos", "repo_files", "repo_evidence", "classifications")
    )
    assert differences == {}, pformat(differences, width=200)
    assert list((faulty_db.parent / "git-work" / "scratch").iterdir()) == []
