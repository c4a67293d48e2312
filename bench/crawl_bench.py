"""Crawler benchmark against the loopback fake GitHub (tests/fakes/github_server.py).

Measures, over N generated repositories (default 1,000):
- quota-counted requests per repository on a first crawl and on a refresh where
  nothing changed, counted by the fake server itself (what GitHub would charge),
  without a token (REST + ETags) and with one (GraphQL batches);
- repositories per second end to end (fetch, scan, store, classify) against a
  baseline in the same run: a bare thread pool sending the same GETs with no
  parsing and no storing (the ceiling the fake server and HTTP stack allow);
- peak RSS of this process;
- the quota an immediate second crawl spends per repository of a set with gone (404, 451,
  403) and renamed repositories (``make_mixed_repos``), plain and ``--full``
  (``--second-only`` runs just this).

The fake runs in its own process (as GitHub would), with no added latency.
Run: ``PYTHONPATH=. python bench/crawl_bench.py --repos 1000``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakes.github_server import make_repos  # noqa: E402

from analysis.classifier.imports import evidence_kind  # noqa: E402
from flows.crawl.driver import crawl_repos  # noqa: E402
from flows.crawl.outcomes import add_repos  # noqa: E402
from flows.crawl.via_api import FILE_WORKERS  # noqa: E402
from flows.settings import Settings  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402

TOKEN = "ghp" + "_benchFAKEtoken000000000000000000000"  # split: a fake, not a secret to scan for


class FakeProcess:
    """The fake GitHub in a subprocess; ``counts()`` asks it what it served."""

    def __init__(self, n_repos: int, token: str | None = None, mixed: bool = False, latency: float = 0.0) -> None:
        args = [sys.executable, "tests/fakes/github_server.py", "--repos", str(n_repos), "--latency", str(latency)]
        if token:
            args += ["--token", token]
        if mixed:
            args.append("--mixed")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline().split()[1])}"

    def counts(self) -> dict[str, int]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write("counts\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def quota(before: dict[str, int], after: dict[str, int]) -> int:
    keys = ("quota:core", "quota:graphql")
    return sum(after.get(k, 0) - before.get(k, 0) for k in keys)


def baseline_urls(url: str, n_repos: int) -> list[str]:
    """The GETs a first crawl sends (metadata, tree, evidence files), known up front."""
    urls = []
    for repo in make_repos(n_repos):
        urls += [f"{url}/repos/{repo.full_name}", f"{url}/repos/{repo.full_name}/git/trees/main?recursive=1"]
        urls += [f"{url}/raw/{repo.full_name}/main/{p}" for p in repo.files if evidence_kind(p)]
    return urls


def run_baseline(url: str, n_repos: int) -> float:
    """Seconds for a bare pool to send the same GETs: no parsing, no storing."""
    urls = baseline_urls(url, n_repos)
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=16)
    session.mount("http://", adapter)
    started = time.perf_counter()
    with ThreadPoolExecutor(FILE_WORKERS) as pool:
        for response in pool.map(session.get, urls):
            response.content  # noqa: B018 - read the body, like the crawler does
    return time.perf_counter() - started


def crawl_once(wh: Warehouse, settings: Settings, fake: FakeProcess, full: bool) -> dict[str, Any]:
    before = fake.counts()
    started = time.perf_counter()
    summary = crawl_repos(wh, settings, full=full, progress=False, via="api")  # git: crawl_git_bench.py
    seconds = time.perf_counter() - started
    after = fake.counts()
    n = summary["selected"]
    return {"repos": n, "seconds": round(seconds, 2), "repos_per_s": round(n / seconds, 1),
            "quota_counted": quota(before, after), "quota_per_repo": round(quota(before, after) / max(n, 1), 4),
            "crawled": summary["crawled"], "unchanged": summary["unchanged"]}  # fmt: skip


def bench_mode(n_repos: int, token: str | None, tmp: Path) -> dict[str, Any]:
    fake = FakeProcess(n_repos, token)
    try:
        settings = Settings(data_dir=tmp, github_api_url=fake.url, github_raw_url=fake.url + "/raw", github_token=token)
        with Warehouse(tmp / f"bench-{'token' if token else 'rest'}.duckdb") as wh:
            add_repos(wh, [r.full_name for r in make_repos(n_repos)], source="bench")
            first = crawl_once(wh, settings, fake, full=False)
            refresh = crawl_once(wh, settings, fake, full=True)
            assert wh.scalar("SELECT count(*) FROM repos WHERE status = 'ok'") == n_repos
        baseline = run_baseline(fake.url, n_repos) if not token else None
    finally:
        fake.stop()
    out: dict[str, Any] = {"first_crawl": first, "refresh_unchanged": refresh}
    if baseline is not None:
        out["baseline_seconds"] = round(baseline, 2)
        out["baseline_repos_per_s"] = round(n_repos / baseline, 1)
        out["crawl_vs_baseline_time"] = round(first["seconds"] / baseline, 2)
    return out


def bench_second_crawl(n_repos: int, token: str | None, tmp: Path) -> dict[str, Any]:
    """A set with gone and renamed repositories (``make_mixed_repos``) crawled once, then at once
    again (plain, then ``--full``): the quota the second crawls spend per repository of the set."""
    fake = FakeProcess(n_repos, token, mixed=True)
    try:
        settings = Settings(data_dir=tmp, github_api_url=fake.url, github_raw_url=fake.url + "/raw", github_token=token)
        with Warehouse(tmp / f"second-{'token' if token else 'rest'}.duckdb") as wh:
            add_repos(wh, [r.full_name for r in make_repos(n_repos)], source="bench")
            first = crawl_once(wh, settings, fake, full=False)
            statuses = dict(wh.con.execute("SELECT status, count(*) FROM repos GROUP BY 1 ORDER BY 1").fetchall())
            again = [crawl_once(wh, settings, fake, full=full) for full in (False, True)]
    finally:
        fake.stop()
    n_set = sum(statuses.values())
    return {"set": n_set, "statuses_after_first": statuses,
            "first_quota_per_repo": round(first["quota_counted"] / n_set, 4),
            **{f"second_{name}": {"selected": r["repos"], "quota_counted": r["quota_counted"],
                                 "quota_per_repo_of_set": round(r["quota_counted"] / n_set, 4)}
               for name, r in zip(("plain", "full"), again, strict=True)}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--with-git", action="store_true", help="also git vs API (bench/crawl_git_bench.py; slow)")
    parser.add_argument("--second-only", action="store_true", help="only the second-crawl measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.second_only:
            print(json.dumps({"repos": args.repos, "load_average": os.getloadavg(),
                              "second_crawl_rest": bench_second_crawl(args.repos, None, Path(tmp)),
                              "second_crawl_graphql": bench_second_crawl(args.repos, TOKEN, Path(tmp))}, indent=2))
            return
        results = {
            "repos": args.repos,
            "rest_no_token": bench_mode(args.repos, None, Path(tmp)),
            "graphql_with_token": bench_mode(args.repos, TOKEN, Path(tmp)),
            "second_crawl_rest": bench_second_crawl(args.repos, None, Path(tmp)),
            "second_crawl_graphql": bench_second_crawl(args.repos, TOKEN, Path(tmp)),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    if args.with_git:
        from crawl_git_bench import git_vs_api

        results["git_vs_api"] = git_vs_api(args.repos, 100, 20)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
