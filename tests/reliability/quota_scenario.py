"""The crawl-quota scenario of issue 22, shared by its test and its bench (bench/crawl_git_bench.py --faults).

70 repository names: 65 real ones, one renamed (its old name answers 301 to a new one),
and one each that GitHub answers 404, 451 (DMCA), 403 (disabled) and 409 (empty). A
token is set (GraphQL metadata). Every host (API, raw, git) sits behind a FaultProxy that
breaks a share of the requests with transient faults (seeded). A first crawl, then at
once a plain ``crawl``: what each cost is counted by the fake as GitHub would charge it
(quota-counted: REST answers other than 304, and GraphQL queries), with the client's own
count beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakes.faults import TRANSIENT_KINDS, FaultProxy
from fakes.github_server import FakeGitHub, FakeRepo, make_repos

from flows.crawl.driver import crawl_repos
from flows.crawl.outcomes import add_repos
from flows.settings import Settings
from flows.sources.github import GitHubSource
from flows.sources.http import RetryPolicy
from flows.store.warehouse import Warehouse

TOKEN = "ghp" + "_QUOTAscenarioTOKEN0123456789abcdefgh"  # split: a fake, not a secret to scan for
SEED = 20261222
RENAMED, NEW_NAME = "OldOwner/Renamed-Paper", "NewOwner/Renamed-Paper"
GONE = [("Gone/Missing", "missing"), ("Legal/Dmca", "dmca"), ("Tos/Disabled", "disabled"), ("Blank/Empty", "empty")]


def scenario_repos() -> tuple[list[FakeRepo], list[str]]:
    """(what the fake serves, the 70 names the crawl is given)."""
    real = make_repos(65, seed=22)
    moved = FakeRepo(NEW_NAME, dict(real[0].files), created_at="2018-02-03T00:00:00Z")
    served = [*real, FakeRepo(RENAMED, renamed_to=NEW_NAME), moved, *(FakeRepo(n, status=s) for n, s in GONE)]
    return served, [r.full_name for r in real] + [RENAMED] + [n for n, _ in GONE]


def crawl_through_faults(via: str, workdir: Path, *, rate: float = 0.05, seed: int = SEED,
                         retry: RetryPolicy | None = None,
                         log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:  # fmt: skip
    """Both crawls of the scenario on one path; their costs and outcomes."""
    served, names = scenario_repos()
    fake = FakeGitHub(served, require_token=TOKEN)
    fake.start()
    try:
        with FaultProxy(fake.url, rate=rate, seed=seed, kinds=TRANSIENT_KINDS, hang_seconds=1.0) as proxy:
            settings = Settings(data_dir=workdir, github_api_url=proxy.url, github_raw_url=proxy.url + "/raw",
                                github_git_url=proxy.url + "/git", github_token=TOKEN, git_processes=8,
                                git_work_dir=workdir / "git-work")  # fmt: skip
            db = workdir / f"{via}.duckdb"
            out: dict[str, Any] = {"via": via, "names": len(names), "fault_rate": rate}
            for run in ("first", "second"):
                gh = GitHubSource.from_settings(settings, retry=retry or RetryPolicy())
                gh.api.timeout = gh.raw.timeout = (2.0, 0.5)  # shorter than the proxy's hang
                before, faults_before = dict(fake.counts), proxy.n_faults
                with Warehouse(db) as wh:
                    if run == "first":
                        add_repos(wh, names)
                    summary = crawl_repos(wh, settings, client=gh, progress=False, via=via)
                    ended = {r["status"]: r["n"] for r in wh.query("SELECT status, count(*) AS n FROM repos "
                                                                   "GROUP BY ALL ORDER BY ALL")}  # fmt: skip
                out[run] = _costs(summary, len(names), before, dict(fake.counts), proxy.n_faults - faults_before,
                                  ended)  # fmt: skip
                log(f"{via} {run}: {out[run]}")
    finally:
        fake.stop()
    return out


def _costs(summary: dict[str, Any], n_names: int, before: dict[str, int], after: dict[str, int], n_faults: int,
           ended: dict[str, int]) -> dict[str, Any]:  # fmt: skip
    def delta(*keys: str) -> int:
        return sum(after.get(k, 0) - before.get(k, 0) for k in keys)

    quota = delta("quota:core", "quota:graphql")
    return {
        "selected": summary["selected"], "quota_counted": quota, "graphql": delta("quota:graphql"),
        "quota_per_repo": round(quota / n_names, 4), "client_quota_counted": summary["requests"]["quota_counted"],
        "raw_reads": delta("raw"), "git_requests": delta("git"), "faults_injected": n_faults,
        "failed": summary["failed"], "statuses": ended,
    }  # fmt: skip
