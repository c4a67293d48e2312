"""Git transport versus the API path, on the same fake GitHub in the same run.

For each added latency per round trip (0, 50 ms, 200 ms; the fake's ``--latency``), one
fake process serves N generated repositories over REST, GraphQL, the raw host and git
(git http-backend); a token is set, so metadata comes from GraphQL either way. Each
transport crawls them into its own warehouse, then crawls again (nothing changed):

- repositories per second, quota-counted requests and raw-host reads per repository
  (counted by the fake, as GitHub would count them), body bytes sent per repository;
- the extrapolation to 200,000 repositories on one token: the slower of the quota bound
  (5,000 an hour) and the measured rate at that latency.

The fake runs on the same (shared, 2-core) machine: every git request there spawns
``git http-backend`` and ``upload-pack``, work GitHub's servers do in real life, so the
measured git rates are bound by this machine's CPU, not by the latency, and are a floor.
A model separates the two: one git process crawling alone at each latency gives the
seconds a repository spends waiting (round trips, plus the fake's work); 16 processes
wait 16 times as much at once; the client's own CPU per repository (this process and
its git children, measured) bounds the rate by the cores. The extrapolation takes the
slower of the two. Run: ``PYTHONPATH=. python bench/crawl_git_bench.py``.

``--faults``: issue 22's scenario instead (tests/reliability/quota_scenario.py): 70
repositories (65 real, one renamed, a 404, 451, 403 and 409) behind a proxy that breaks 5 %
of requests (seeded, transient kinds), a token set, the production retry policy; a first
crawl and a following plain ``crawl`` on each path. ``--write-md`` puts the table into
bench/BENCHMARKS.md with the command, the machine's load and the date.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from crawl_bench import FakeProcess  # noqa: E402
from fakes.github_server import make_repos  # noqa: E402

from flows.crawl.driver import crawl_repos  # noqa: E402
from flows.crawl.outcomes import add_repos  # noqa: E402
from flows.settings import Settings  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402

TOKEN = "ghp" + "_benchFAKEtoken000000000000000000000"  # split: a fake, not a secret to scan for
QUOTA_PER_HOUR = 5000
TARGET = 200_000


def Fake(n_repos: int, latency: float) -> FakeProcess:  # noqa: N802 - reads as the class it builds
    """The fake GitHub (with its git host) in its own process, with an added latency per request."""
    return FakeProcess(n_repos, token=TOKEN, latency=latency)


def crawl_measured(wh: Warehouse, settings: Settings, fake: Fake, via: str, full: bool) -> dict[str, Any]:
    before = fake.counts()
    cpu_before = _client_cpu()
    started = time.perf_counter()
    summary = crawl_repos(wh, settings, full=full, progress=False, via=via)
    seconds = time.perf_counter() - started
    cpu = _client_cpu() - cpu_before
    after = fake.counts()
    n = summary["selected"]

    def delta(*keys: str) -> int:
        return sum(after.get(k, 0) - before.get(k, 0) for k in keys)

    return {
        "repos": n, "seconds": round(seconds, 2), "repos_per_s": round(n / seconds, 2),
        "quota_per_repo": round(delta("quota:core", "quota:graphql") / n, 4),
        "raw_reads_per_repo": round(delta("raw") / n, 2), "git_requests_per_repo": round(delta("git") / n, 2),
        "kb_per_repo": round(delta("bytes:api", "bytes:raw", "bytes:git") / n / 1024, 2),
        "client_cpu_ms_per_repo": round(1000 * cpu / n, 1),
        "crawled": summary["crawled"], "unchanged": summary["unchanged"],
    }  # fmt: skip


def _client_cpu() -> float:
    """CPU seconds of this process and the git processes it ran (the fake is another process)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def hours_for(target: int, first: dict[str, Any]) -> dict[str, float]:
    """Hours for ``target`` repositories on one token: the quota bound and the rate bound; the slower wins."""
    quota_h = target * first["quota_per_repo"] / QUOTA_PER_HOUR
    rate_h = target / first["repos_per_s"] / 3600
    hours = round(max(quota_h, rate_h), 1)
    return {"quota_bound_h": round(quota_h, 1), "rate_bound_h": round(rate_h, 1), "hours": hours}


def compare(n_repos: int, latency: float, tmp: Path) -> dict[str, Any]:
    fake = Fake(n_repos, latency)
    out: dict[str, Any] = {"repos": n_repos, "latency_ms": int(latency * 1000)}
    try:
        for via in ("api", "git"):
            settings = Settings(data_dir=tmp, github_api_url=fake.url, github_raw_url=fake.url + "/raw",
                                github_git_url=fake.url + "/git", github_token=TOKEN,
                                git_work_dir=tmp / "git-work")  # fmt: skip
            with Warehouse(tmp / f"{via}-{latency}.duckdb") as wh:
                add_repos(wh, [r.full_name for r in make_repos(n_repos)], source="bench")
                first = crawl_measured(wh, settings, fake, via, full=False)
                again = crawl_measured(wh, settings, fake, via, full=True)
                assert wh.scalar("SELECT count(*) FROM repos WHERE status = 'ok'") == n_repos
            out[via] = {"first_crawl": first, "second_crawl": again, f"{TARGET}_repos": hours_for(TARGET, first)}
    finally:
        fake.stop()
    rates = [out[via]["first_crawl"]["repos_per_s"] for via in ("git", "api")]
    out["git_vs_api_repos_per_s"] = round(rates[0] / rates[1], 2)
    return out


def serial_seconds_per_repo(n_repos: int, latency: float, tmp: Path) -> float:
    """Seconds one git process takes per repository at ``latency``: the waiting a repository costs."""
    fake = Fake(n_repos, latency)
    try:
        settings = Settings(data_dir=tmp, github_api_url=fake.url, github_raw_url=fake.url + "/raw",
                            github_git_url=fake.url + "/git", github_token=TOKEN, git_processes=1,
                            git_work_dir=tmp / "git-work")  # fmt: skip
        with Warehouse(tmp / f"serial-{latency}.duckdb") as wh:
            add_repos(wh, [r.full_name for r in make_repos(n_repos)], source="bench")
            first = crawl_measured(wh, settings, fake, "git", full=False)
    finally:
        fake.stop()
    return first["seconds"] / first["repos"]


def modelled(serial_s: float, cpu_ms: float, processes: int = 16, cores: int = 2) -> dict[str, float]:
    """Repositories per second and hours for 200,000: the slower of waiting and the client's CPU."""
    by_wait, by_cpu = processes / serial_s, cores / (cpu_ms / 1000)
    rate = min(by_wait, by_cpu)
    return {"serial_s_per_repo": round(serial_s, 3), "rate_by_latency": round(by_wait, 1),
            "rate_by_client_cpu_2_cores": round(by_cpu, 1), "repos_per_s": round(rate, 1),
            f"hours_for_{TARGET}": round(TARGET / rate / 3600, 1)}  # fmt: skip


def git_vs_api(n_repos: int, n_latency_repos: int, n_serial: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        runs = [compare(n_repos, 0.0, Path(tmp))]
        runs += [compare(n_latency_repos, latency, Path(tmp)) for latency in (0.05, 0.2)]
        cpu_ms = runs[0]["git"]["first_crawl"]["client_cpu_ms_per_repo"]
        model = {f"{int(lat * 1000)}ms": modelled(serial_seconds_per_repo(n_serial, lat, Path(tmp)), cpu_ms)
                 for lat in (0.05, 0.2)}  # fmt: skip
    return {"measured": runs, "git_model_16_processes": model}


def through_faults(rate: float, seed: int) -> dict[str, Any]:
    """Issue 22's scenario on both paths, each in its own folder, with the loads seen around it."""
    from reliability.quota_scenario import crawl_through_faults

    out: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        for via in ("api", "git"):
            started = time.perf_counter()
            out[via] = crawl_through_faults(via, Path(tmp) / via, rate=rate, seed=seed)
            out[via]["seconds"] = round(time.perf_counter() - started, 1)
    out["load_after"] = os.getloadavg()[0]
    return out


FAULTS_HEADING = "### Through 5 % faults on both paths (issue 22)"


def faults_markdown(result: dict[str, Any], command: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    loads = f"{result['load_before']:.1f} before, {result['load_after']:.1f} after"
    lines = [FAULTS_HEADING, "",
             f"Command: `{command}` ({when}; load average {loads}, {os.cpu_count()} cores). 70 repository names "
             "(65 real, one renamed, and a 404, 451, 403 and 409), a token set, every host behind a FaultProxy "
             "breaking 5 % of requests with transient faults (seeded), the production retry policy; a first "
             "crawl, then at once a plain `crawl`. Quota-counted = what the fake charges as GitHub would (REST "
             "answers other than 304, GraphQL queries); the client's own count (which also counts tries a "
             "fault cut short) beside it.", "",
             "| measure | API path | git path | bound (issue 22) |", "|---|---:|---:|---|"]  # fmt: skip
    api, git = result["api"], result["git"]

    def row(name: str, a: Any, g: Any, bound: str) -> None:
        lines.append(f"| {name} | {a} | {g} | {bound} |")

    row("repositories ending `failed`, first crawl", api["first"]["statuses"].get("failed", 0),
        git["first"]["statuses"].get("failed", 0), "0 on either path")
    row("faults injected, first crawl", api["first"]["faults_injected"], git["first"]["faults_injected"], "")
    row("quota-counted requests, first crawl", api["first"]["quota_counted"], git["first"]["quota_counted"],
        "git <= 5")
    row("... per repository", api["first"]["quota_per_repo"], git["first"]["quota_per_repo"], "API <= 1.05")
    row("... of them GraphQL queries", api["first"]["graphql"], git["first"]["graphql"], "")
    row("client's own quota-counted count, first crawl", api["first"]["client_quota_counted"],
        git["first"]["client_quota_counted"], "")
    row("selected by the following plain `crawl`", api["second"]["selected"], git["second"]["selected"], "")
    row("quota-counted requests, following plain `crawl`", api["second"]["quota_counted"],
        git["second"]["quota_counted"], "git <= 2")
    row("... per repository", api["second"]["quota_per_repo"], git["second"]["quota_per_repo"], "API <= 0.02")
    row("raw-host reads, first crawl", api["first"]["raw_reads"], git["first"]["raw_reads"], "git: none")
    row("git HTTP requests, first crawl", api["first"]["git_requests"], git["first"]["git_requests"], "")
    row("seconds, both crawls", api["seconds"], git["seconds"], "")
    ended = {via: ", ".join(f"{k} {v}" for k, v in result[via]["first"]["statuses"].items()) for via in ("api", "git")}
    said = f"both paths: {ended['api']}" if ended["api"] == ended["git"] else \
        f"API path: {ended['api']}; git path: {ended['git']}"
    lines += ["", f"Statuses after the first crawl, {said}. The following plain `crawl` selects nothing: every "
              "repository is up to date, the gone ones wait on their backoff.", ""]  # fmt: skip
    return "\n".join(lines)


BENCHMARKS_MD = Path(__file__).resolve().parent / "BENCHMARKS.md"


def write_faults_section(md: str, path: Path = BENCHMARKS_MD) -> None:
    """Replace (or add, at the end of the git section) the fault-scenario subsection; nothing else moves."""
    text = path.read_text()
    start = text.find(FAULTS_HEADING)
    if start == -1:
        git_section = text.find("## Crawler through git")
        start = end = text.find("\n## ", git_section + 1) + 1
    else:
        ends = [i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1)) if i != -1]
        end = min(ends) + 1 if ends else len(text)
    path.write_text(text[:start] + md.rstrip("\n") + "\n\n" + text[end:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000, help="repositories at no added latency")
    parser.add_argument("--latency-repos", type=int, default=100, help="repositories at 50 and 200 ms")
    parser.add_argument("--serial-repos", type=int, default=20, help="repositories for one git process alone")
    parser.add_argument("--faults", action="store_true", help="issue 22's scenario: 70 repositories, 5 %% faults")
    parser.add_argument("--seed", type=int, default=20261222, help="the fault proxy's seed (--faults)")
    parser.add_argument("--write-md", action="store_true", help="write the --faults table into BENCHMARKS.md")
    args = parser.parse_args()
    if not args.faults:
        print(json.dumps(git_vs_api(args.repos, args.latency_repos, args.serial_repos), indent=2))
        return
    result = through_faults(0.05, args.seed)
    print(json.dumps(result, indent=2))
    if args.write_md:
        command = "PYTHONPATH=. python bench/crawl_git_bench.py --faults --write-md" + (
            f" --seed {args.seed}" if args.seed != 20261222 else "")
        write_faults_section(faults_markdown(result, command))


if __name__ == "__main__":
    main()
