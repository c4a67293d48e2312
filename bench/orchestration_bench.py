"""Orchestration overhead: the refresh flow versus the same work called directly, no Prefect.

Both sides start from a fresh warehouse holding N pending repositories (default
10,000) served by the fake GitHub (tests/fakes/github_server.py, its own process, no
added latency) and do the same work: crawl every repository, classify, export
Parquet, write the report.
- direct: ``crawl_repos`` (the crawler's own thread pool and batched writes, then
  classification), ``export_parquet``, ``write_report``;
- flow: ``refresh`` on the default task runner (batches of 500 as Prefect tasks,
  the flow's process storing each), against a running Prefect server, as under
  ``papertrends serve`` or a work pool.
Pairs alternate (direct, flow, direct, flow, ...) so machine load hits both alike.
``import prefect`` (about 1.5 s, once per process) is done before timing either side.
Overhead = flow seconds / direct seconds - 1, per pair and over all pairs.

Run: ``python bench/orchestration_bench.py --repos 10000 --pairs 2``
(starts its own ``prefect server`` in a temp PREFECT_HOME unless PREFECT_API_URL is set).
Records its figures in BENCHMARKS.md (block ``orchestration``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]  # the project before tests/

from record import record  # noqa: E402

from flows.store.parquet import export_tables  # noqa: E402

os.environ.setdefault("PAPERTRENDS_CRAWL_VIA", "api")  # the API path's figures; git: crawl_git_bench.py


class FakeProcess:
    """The fake GitHub in its own process (as GitHub would be), with a quota no run exhausts.

    GitHub's real 5,000 requests an hour would make either side wait for the reset;
    the bench measures orchestration, not quota, so the fake's limit is lifted.
    """

    SCRIPT = ("import sys; from fakes.github_server import FakeGitHub, make_repos; "
              "f = FakeGitHub(make_repos(int(sys.argv[1])), rate_limit=10**9); f.start(); "
              "print('PORT', f.server.server_address[1], flush=True); sys.stdin.read(); f.stop()")  # fmt: skip

    def __init__(self, n_repos: int) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
        self.proc = subprocess.Popen([sys.executable, "-c", self.SCRIPT, str(n_repos)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
        assert self.proc.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline().split()[1])}"

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def start_prefect_server(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real Prefect server for the flow runs, health-waited; stopped by the caller."""
    import requests

    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": "", "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("prefect server did not start within 180 s")


def seeded_warehouse(path: Path, n_repos: int) -> Path:
    from fakes.github_server import make_repos
    from orchestration_helpers import seed_papers

    from flows.store.warehouse import Warehouse

    with Warehouse(path) as wh:
        seed_papers(wh, make_repos(n_repos), source="bench")
    return path


def run_direct(db: Path, out: Path) -> float:
    """The same work as the flow, as plain function calls in this process."""
    from flows.crawl.driver import crawl_repos
    from flows.report.write import write_report
    from flows.settings import Settings
    from flows.store.warehouse import Warehouse

    started = time.perf_counter()
    with Warehouse(db) as wh:
        summary = crawl_repos(wh, Settings.from_env(), progress=False)
        export_tables(wh, out / "pq")
        write_report(wh, out / "rep")
    seconds = time.perf_counter() - started
    assert summary["crawled"] == summary["selected"], summary
    return seconds


def run_flow(db: Path, out: Path) -> tuple[float, dict[str, Any]]:
    from flows.service.runner import run_refresh

    started = time.perf_counter()
    outcome = run_refresh(db=str(db), parquet_dir=str(out / "pq"), reports_dir=str(out / "rep"))
    seconds = time.perf_counter() - started
    assert outcome.is_ok, outcome.error
    assert outcome.counts["crawl"]["crawled"] == outcome.counts["crawl"]["selected"], outcome.counts
    return seconds, outcome.counts


def run_pairs(n_repos: int, n_pairs: int, tmp: Path) -> list[dict[str, Any]]:
    """Alternating direct and flow runs; ``import prefect`` is paid once before, outside both timings."""
    import flows.refresh  # noqa: F401 - a one-off per process, not per repository

    pairs = []
    for i in range(n_pairs):
        direct = run_direct(seeded_warehouse(tmp / f"direct-{i}.duckdb", n_repos), tmp / f"direct-{i}")
        flow, counts = run_flow(seeded_warehouse(tmp / f"flow-{i}.duckdb", n_repos), tmp / f"flow-{i}")
        pairs.append({
            "direct_s": round(direct, 1), "flow_s": round(flow, 1), "overhead": round(flow / direct - 1, 4),
            "crawl_batches": counts["crawl"]["batches"], "classify_batches": counts["classify"]["batches"],
        })  # fmt: skip
        print(json.dumps(pairs[-1]), flush=True)
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="orchestration-bench-"))
    os.environ["PREFECT_HOME"] = str(tmp / "prefect")
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        server, os.environ["PREFECT_API_URL"] = start_prefect_server(Path(os.environ["PREFECT_HOME"]))
    fake = FakeProcess(args.repos)
    os.environ.update(GITHUB_API_URL=fake.url, PAPERTRENDS_GITHUB_RAW_URL=fake.url + "/raw")
    os.environ.pop("GITHUB_TOKEN", None)
    try:
        pairs = run_pairs(args.repos, args.pairs, tmp)
    finally:
        fake.stop()
        if server is not None:
            from prefect.logging.handlers import APILogHandler

            APILogHandler().flush()  # the flow runs' last log lines, while the server still listens
            server.terminate()
            server.wait(timeout=30)
    total_direct = sum(p["direct_s"] for p in pairs)
    total_flow = sum(p["flow_s"] for p in pairs)
    print(json.dumps({"repos": args.repos, "pairs": pairs, "direct_s": round(total_direct, 1),
                      "flow_s": round(total_flow, 1), "overhead": round(total_flow / total_direct - 1, 4),
                      "load_avg": os.getloadavg()}, indent=2))  # fmt: skip
    shutil.rmtree(tmp, ignore_errors=True)
    lines = [
        f"{args.repos:,} generated repositories, pending, one conference paper each, on the fake GitHub "
        "(its own process, quota lifted, no added latency); a running `prefect server`; `import prefect` paid "
        "once before timing. Both sides do the same work from a fresh warehouse: crawl all (API path), classify, "
        "export Parquet, write the report. Direct = `crawl_repos` + `export_tables` + `write_report` in-process "
        "without Prefect (the baseline); flow = `refresh` on the default task runner. Pairs alternate.", "",
        "| pair | direct | flow | flow / direct - 1 | crawl / classify batches |", "|---|---:|---:|---:|---:|",
    ]  # fmt: skip
    for i, p in enumerate(pairs, 1):
        lines.append(f"| {i} | {p['direct_s']:.1f} s | {p['flow_s']:.1f} s | {p['overhead']:+.1%} "
                     f"| {p['crawl_batches']} / {p['classify_batches']} |")  # fmt: skip
    lines.append(f"| total | {total_direct:.1f} s | {total_flow:.1f} s | **{total_flow / total_direct - 1:+.1%}** | |")
    record("orchestration", "\n".join(lines), title="Orchestration")


if __name__ == "__main__":
    main()
