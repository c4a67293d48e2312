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

The fake runs in its own process (as GitHub would), with no added latency. Records its
figures in BENCHMARKS.md (blocks ``crawl`` and ``crawl-second``).
Run: ``python bench/crawl_bench.py --repos 1000``
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

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]  # the project before tests/

from fakes.github_server import make_repos  # noqa: E402
from record import record  # noqa: E402

from analysis.classifier.imports import evidence_kind  # noqa: E402
from flows.crawl.driver import crawl_repos  # noqa: E402
from flows.crawl.outcomes import add_repos  # noqa: E402
from flows.crawl.via_api import FILE_WORKERS  # noqa: E402
from flows.settings import Settings  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402

SECOND_TITLE = "Second crawl of a set with gone and renamed repositories"
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


def crawl_markdown(results: dict[str, Any]) -> str:
    rest, gql = results["rest_no_token"], results["graphql_with_token"]
    n = results["repos"]

    def row(what: str, key: str, field: str, fmt: str = "{:.2f}") -> str:
        return f"| {what} | {fmt.format(rest[key][field])} | {fmt.format(gql[key][field])} |"

    return "\n".join([
        f"{n:,} generated repositories (4 evidence files + 2 other files each) on the fake GitHub "
        "(tests/fakes/github_server.py, its own process, no added latency), through the API path; the fake "
        "counts what GitHub would charge (quota-counted = API answers other than 304).", "",
        "| measure | no token (REST + ETags) | token (GraphQL batches) |", "|---|---:|---:|",
        row("quota-counted requests / repo, first crawl", "first_crawl", "quota_per_repo"),
        row("quota-counted requests / repo, refresh, nothing changed", "refresh_unchanged", "quota_per_repo"),
        row("first crawl, repos/s", "first_crawl", "repos_per_s", "{:.1f}"),
        row("refresh (nothing changed), repos/s", "refresh_unchanged", "repos_per_s", "{:.1f}"), "",
        f"Baseline in the same run: a bare {FILE_WORKERS}-thread pool sending the same GETs (metadata, tree, "
        f"evidence files) with no parsing, scanning or storing: {rest['baseline_seconds']:.2f} s "
        f"({rest['baseline_repos_per_s']:.0f} repos/s). The crawl without a token (fetch, scan, DuckDB writes, "
        f"classification) took **{rest['crawl_vs_baseline_time']:.2f}x** the baseline's time. Peak RSS of the "
        f"whole bench process: {results['peak_rss_mb']:.0f} MB.",
    ])  # fmt: skip


def second_markdown(results: dict[str, Any]) -> str:
    lines = []
    for name, label in (("second_crawl_rest", "no token (REST + ETags)"), ("second_crawl_graphql", "token (GraphQL)")):
        r = results[name]
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(r["statuses_after_first"].items()))
        plain, full = r["second_plain"], r["second_full"]
        lines.append(f"| {label} | {r['set']:,} ({statuses}) | {r['first_quota_per_repo']:.3f} "
                     f"| {plain['selected']:,} selected, **{plain['quota_per_repo_of_set']:.4f}** "
                     f"| {full['selected']:,} selected, **{full['quota_per_repo_of_set']:.4f}** |")  # fmt: skip
    return "\n".join([
        f"`make_mixed_repos({results['repos']})`: a set with gone (404 missing, 451 blocked, 403 disabled) and "
        "renamed (301) repositories, crawled once, then at once a plain `crawl` and a `crawl --full`; "
        "quota-counted requests per repository of the set, counted by the fake.", "",
        "| mode | set after the first crawl | first crawl | immediate second `crawl` | immediate `crawl --full` |",
        "|---|---|---:|---:|---:|", *lines,
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--second-only", action="store_true", help="only the second-crawl measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.second_only:
            second = {"repos": args.repos, "load_average": os.getloadavg(),
                      "second_crawl_rest": bench_second_crawl(args.repos, None, Path(tmp)),
                      "second_crawl_graphql": bench_second_crawl(args.repos, TOKEN, Path(tmp))}
            print(json.dumps(second, indent=2))
            record("crawl-second", second_markdown(second), title=SECOND_TITLE, level=3)
            return
        results = {
            "repos": args.repos,
            "rest_no_token": bench_mode(args.repos, None, Path(tmp)),
            "graphql_with_token": bench_mode(args.repos, TOKEN, Path(tmp)),
            "second_crawl_rest": bench_second_crawl(args.repos, None, Path(tmp)),
            "second_crawl_graphql": bench_second_crawl(args.repos, TOKEN, Path(tmp)),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    print(json.dumps(results, indent=2))
    record("crawl", crawl_markdown(results), title="Crawler")
    record("crawl-second", second_markdown(results), title=SECOND_TITLE, level=3)



if __name__ == "__main__":
    main()
