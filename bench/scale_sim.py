"""Scale simulation through the refresh flow at 200,000 repositories (synthetic, loopback fakes).

Phases, each in its own child process so its peak RSS (``ru_maxrss``) is its own:
- ingest: a synthetic PWC archive of 300,000 links over 200,000 repositories, downloaded from the
  fake Hugging Face and ingested;
- seed: a warehouse as a finished crawl of 200,000 repositories leaves it, evidence copied from
  the bundled sample's real repositories (about 285 rows a repository);
- bare: the baseline, the bare rules over 10,000 of those repositories' evidence, in memory;
- reclassify: ``refresh --reclassify`` through the flow: every repository re-decided;
- full: ``refresh --full`` through the flow against the fake GitHub (its own process): every
  repository checked (a free 304 each), every one re-decided, exported and reported.

Each flow phase gets Prefect's temporary server (``PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES=0``),
its state in the run's temporary folder. Records its figures in BENCHMARKS.md, one block per
size (``scale-sim-REPOS``), so the default run (`make bench`) leaves the opt-in 200,000 one
(`make bench-scale`) alone.

    python bench/scale_sim.py --repos 200000 --links 300000    # (hours; `make bench-scale`)
    python bench/scale_sim.py --repos 5000 --links 7500 --bare 1000   # (minutes; `make bench`)
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from record import record  # noqa: E402

os.environ.setdefault("PAPERTRENDS_CRAWL_VIA", "api")  # the API path's figures; git: crawl_git_bench.py


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the synthetic archive ----------------------------------------------------------------


def write_archive(folder: Path, n_links: int, n_repos: int) -> tuple[Path, Path]:
    """Links spread over ``n_repos`` GitHub repositories (some repos shared by several papers), one
    paper per link, the real column names; written as Parquet like the Hugging Face files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    venues = ["NeurIPS 2018 12", "ICML 2019 7", "CVPR 2020 6", "ICLR 2021 5", "ACL 2022 3", None, None, None]
    slugs = [f"paper-{i}" for i in range(n_links)]
    links = pa.table({
        "paper_url": [f"https://paperswithcode.com/paper/{s}" for s in slugs],
        "paper_title": [f"Synthetic paper {i}" for i in range(n_links)],
        "paper_arxiv_id": [f"{1500 + i % 900}.{i:05d}" for i in range(n_links)],
        "paper_url_abs": [None] * n_links, "paper_url_pdf": [None] * n_links,
        "repo_url": [f"https://github.com/Owner{(i % n_repos) % 97}/Repo-{i % n_repos}" for i in range(n_links)],
        "is_official": [i % 3 == 0 for i in range(n_links)],
        "mentioned_in_paper": [False] * n_links, "mentioned_in_github": [True] * n_links,
        "framework": [["pytorch", "tf", "jax", "none"][i % 4] for i in range(n_links)],
    })  # fmt: skip
    papers = pa.table({
        "paper_url": [f"https://paperswithcode.com/paper/{s}" for s in slugs],
        "arxiv_id": [f"{1500 + i % 900}.{i:05d}" for i in range(n_links)],
        "title": [f"Synthetic paper {i}" for i in range(n_links)],
        "abstract": ["An abstract nobody reads. " * 8] * n_links,
        "proceeding": [venues[i % len(venues)] for i in range(n_links)],
        "date": [f"{2015 + i % 11}-{1 + i % 12:02d}-15" for i in range(n_links)],
        "conference": [None] * n_links,
    })  # fmt: skip
    links_path, papers_path = folder / "links.parquet", folder / "papers.parquet"
    pq.write_table(links, links_path)
    pq.write_table(papers, papers_path)
    return links_path, papers_path


# --- phases (each in a child process) --------------------------------------------------------


def phase_ingest(links: Path, papers: Path, data: Path) -> dict[str, Any]:
    """Download both files from the fake Hugging Face and ingest them."""
    from fakes.hf_server import HfState, resolve_url, serve_hf

    from flows.settings import Settings
    from flows.stages.ingest import ingest_archive
    from flows.store.warehouse import Warehouse

    keys = {"pwc-archive/links/data/links.parquet": links, "pwc-archive/papers/data/papers.parquet": papers}
    with serve_hf(HfState(files={k: p.read_bytes() for k, p in keys.items()})) as (base, _state):
        base_rss, start = rss_mb(), time.perf_counter()
        settings = Settings(data_dir=data, hf_url=base)
        with Warehouse(data / "warehouse.duckdb") as wh:
            urls = [resolve_url(base, k) for k in keys]
            counts = ingest_archive(wh, urls[0], urls[1], settings=settings, progress=False)
            n = {t: wh.count(t) for t in ("papers", "links", "repos")}
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_growth_mb": rss_mb() - base_rss, "peak_rss_mb": rss_mb(), "rows": n,
            "counts": {k: v for k, v in counts.items() if isinstance(v, int)}}  # fmt: skip


# The fake GitHub in its own process, with a quota no crawl here can spend: the real 5,000/hour
# would make this a measurement of waiting for the reset, which is arithmetic, not a benchmark.
_FAKE_GITHUB = """
import sys, time
from fakes.github_server import FakeGitHub, make_repos
fake = FakeGitHub(make_repos(int(sys.argv[1])), rate_limit=10**9)
fake.start()
print("PORT", fake.server.server_address[1], flush=True)
sys.stdin.read()
"""


def phase_seed(n_repos: int, data: Path) -> dict[str, Any]:
    """A warehouse as a finished crawl of ``n_repos`` fake repositories leaves it: every repository
    ``ok`` with the fake's ETag and tree (so a ``--full`` check is a free 304), one CVPR paper each,
    and evidence copied from the bundled sample's real repositories in turn (about 210 rows a
    repository), so the classifier has real work. Each table is written in its own commit."""
    import pyarrow as pa
    from fakes.github_server import _etag, _Handler, make_repos

    from flows.clock import utcnow
    from flows.sources.github import parse_time
    from flows.stages.ingest import ingest_sample as load_sample
    from flows.store.warehouse import Warehouse

    start = time.perf_counter()
    with Warehouse(":memory:") as sample:
        load_sample(sample, ROOT / "data" / "sample")
        evidence = sample.con.sql(
            "SELECT dense_rank() OVER (ORDER BY repo_key) - 1 AS idx, path, module, kind, is_weak FROM repo_evidence"
        ).to_arrow_table()  # fmt: skip
    n_sample = int(pa.compute.max(evidence["idx"]).as_py()) + 1
    now = utcnow()
    repos = make_repos(n_repos)
    rows = pa.table({
        "repo_key": [r.full_name.lower() for r in repos], "full_name": [r.full_name for r in repos],
        "etag": [_etag(json.dumps(_Handler.metadata(None, r), sort_keys=True).encode()) for r in repos],  # type: ignore[arg-type]
        "head_tree": [r.tree_sha for r in repos], "pushed_at": [parse_time(r.pushed_at) for r in repos],
        "created_at": [parse_time(r.created_at) for r in repos], "i": list(range(n_repos)),
    })  # fmt: skip
    del repos
    with Warehouse(data / "warehouse.duckdb") as wh:
        wh.con.register("seed", rows)
        wh.con.register("sample_ev", evidence)
        wh.con.execute(
            "INSERT INTO repos BY NAME SELECT repo_key, full_name, 'ok' AS status, etag, head_tree, pushed_at, "
            "created_at, 'main' AS default_branch, 'github-api' AS dates_from, 0 AS n_attempts, ? AS crawled_at, "
            "? + INTERVAL 30 DAY AS next_check_at, 'bench' AS source FROM seed", [now, now])  # fmt: skip
        wh.con.execute(
            "INSERT INTO papers BY NAME SELECT 'bench://paper/' || i AS paper_id, 'Paper ' || i AS title, "
            "'CVPR' AS venue, 2015 + i % 10 AS year, false AS is_workshop, 'CVPR ' || (2015 + i % 10) AS proceeding, "
            "make_date(2015 + i % 10, 6, 15) AS published_date, 'bench' AS source, ? AS ingested_at FROM seed", [now])
        wh.con.execute(
            "INSERT INTO links BY NAME SELECT 'bench://paper/' || i AS paper_id, 'https://github.com/' || full_name "
            "AS repo_url, repo_key, 'github.com' AS host, true AS is_official, 'bench' AS source, ? AS ingested_at "
            "FROM seed", [now])  # fmt: skip
        # As a crawl stores it: each repository's rows together, repositories in crawl order (not
        # sorted by key, so no read can lean on key ranges), in commits of 5,000 repositories.
        for first in range(0, n_repos, 5_000):
            wh.con.execute(
                "INSERT INTO repo_evidence SELECT s.repo_key, e.path, e.module, e.kind, e.is_weak FROM seed s "
                f"JOIN sample_ev e ON e.idx = s.i % {n_sample} WHERE s.i >= ? AND s.i < ? ORDER BY s.i",
                [first, first + 5_000])  # fmt: skip
        n_evidence = wh.count("repo_evidence")
    return {"repos": n_repos, "evidence_rows": n_evidence, "sample_repos": n_sample,
            "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip


class ChildrenRss:
    """Peak RSS of this process's children, sampled twice a second from /proc (Linux): the
    children's ``ru_maxrss`` would count each one's moment between fork and exec, when it
    still maps all of this process."""

    def __init__(self) -> None:
        self.peaks: dict[str, int] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        me = str(os.getpid())
        while not self._done.wait(0.5):
            for proc in Path("/proc").glob("[0-9]*"):
                with contextlib.suppress(OSError, IndexError):
                    if (proc / "stat").read_text().rsplit(")", 1)[1].split()[1] != me:
                        continue
                    command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    kind = "other"
                    if "spawn_main" in command or "uvicorn" in command:
                        kind = "decision worker" if "spawn_main" in command else "prefect server"
                    status = (proc / "status").read_text()
                    rss = int(status.split("VmRSS:")[1].split()[0]) // 1024
                    self.peaks[kind] = max(self.peaks.get(kind, 0), rss)


def phase_flow(mode: str, n_repos: int, db: Path) -> dict[str, Any]:
    """``refresh --full`` (every repository checked against the fake GitHub, all re-decided) or
    ``refresh --reclassify`` (every repository re-decided from stored evidence), through the flow."""
    from flows.service.runner import run_refresh

    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    fake = None
    if mode == "full":
        fake = subprocess.Popen([sys.executable, "-c", _FAKE_GITHUB, str(n_repos)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
        assert fake.stdout
        url = f"http://127.0.0.1:{int(fake.stdout.readline().split()[1])}"
        os.environ.update(GITHUB_API_URL=url, PAPERTRENDS_GITHUB_RAW_URL=url + "/raw")
    sampler = ChildrenRss()
    try:
        base_rss, start = rss_mb(), time.perf_counter()
        outcome = run_refresh(db=str(db), parquet_dir=str(db.parent / "parquet"),
                              reports_dir=str(db.parent / "reports"), full=mode == "full",
                              reclassify=mode == "reclassify")  # fmt: skip
        seconds = time.perf_counter() - start
    finally:
        sampler.stop()
        if fake is not None:
            fake.kill()
            fake.wait(timeout=10)
    if not outcome.is_ok:
        raise RuntimeError(outcome.error)
    counts = outcome.counts
    classified = counts["classify"]["classified"]
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"mode": mode, "repos": n_repos, "seconds": round(seconds, 1), "peak_rss_mb": round(rss_mb()),
            "start_rss_mb": round(base_rss), "classified": classified,
            # the decision pool's workers, Prefect's temporary server; other: the fake GitHub, the pool's tracker
            "children_peak_rss_mb": sampler.peaks,
            "cpu_seconds": {"flow_process": round(own.ru_utime + own.ru_stime),
                            "children": round(children.ru_utime + children.ru_stime)},
            "crawl": {k: v for k, v in counts.get("crawl", {}).items() if isinstance(v, int)},
            "classify_seconds": counts["classify"].get("seconds")}  # fmt: skip


def phase_bare(n_repos: int, db: Path) -> dict[str, Any]:
    """The baseline: the bare rules (``classify_evidence`` per repository) over the first
    ``n_repos`` repositories' evidence, already in memory as Evidence objects; nothing loaded,
    nothing stored, one process, no Prefect."""
    from analysis.classifier.frameworks import classify_evidence
    from analysis.classifier.imports import Evidence
    from flows.store.warehouse import Warehouse

    with Warehouse(db, read_only=True) as wh:
        table = wh.con.execute(
            "SELECT repo_key, path, module, kind, is_weak FROM repo_evidence WHERE repo_key IN "
            "(SELECT repo_key FROM repos ORDER BY repo_key LIMIT ?) ORDER BY repo_key", [n_repos],
        ).fetchall()  # fmt: skip
    grouped: dict[str, list[Evidence]] = {}
    for key, path, module, kind, is_weak in table:
        grouped.setdefault(key, []).append(Evidence(path, module, kind, is_weak))
    gc.disable()  # as the flow's workers decide (flows.stages.classify.classify_batch_rows)
    start = time.perf_counter()
    for evidence in grouped.values():
        classify_evidence(evidence)
    seconds = time.perf_counter() - start
    gc.enable()
    return {"repos": len(grouped), "seconds": round(seconds, 2), "repos_per_s": round(len(grouped) / seconds, 1)}


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False,
                         env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"})  # fmt: skip
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--repos", type=int, default=200_000, help="distinct repositories")
    parser.add_argument("--bare", type=int, default=10_000, help="repositories the bare-rules baseline decides")
    parser.add_argument("--modes", default="ingest,reclassify,full", help="phases to run, comma-separated")
    parser.add_argument("--seed-dir", type=Path, help="keep the seeded warehouse here and reuse it when there "
                        "(seeding 200,000 repositories takes about 9 minutes); same --repos")  # fmt: skip
    parser.add_argument("--phase", choices=["ingest", "seed", "flow", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        a = args.args
        result = {"ingest": lambda: phase_ingest(Path(a[0]), Path(a[1]), Path(a[2])),
                  "seed": lambda: phase_seed(int(a[0]), Path(a[1])),
                  "flow": lambda: phase_flow(a[0], int(a[1]), Path(a[2])),
                  "bare": lambda: phase_bare(int(a[0]), Path(a[1]))}[args.phase]()  # fmt: skip
        print(json.dumps(result))
        return
    modes = args.modes.split(",")
    results: dict[str, Any] = {"load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="scale-sim-") as tmp:
        folder = Path(tmp)
        # the flow's Prefect state in the run's folder; a loaded machine starts its server slowly
        os.environ.update(PREFECT_HOME=str(folder / "prefect"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300",
                          PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES="0")
        if "ingest" in modes:
            links, papers = write_archive(folder, args.links, args.repos)
            ingest_args = [str(links), str(papers), str(folder / "ingest")]
            results["ingest"] = run_child("--phase", "ingest", "--args", *ingest_args)
        seed = args.seed_dir or folder / "seed"
        if (seed / "warehouse.duckdb").exists():  # a seed left by an earlier run with --seed-dir
            results["seed"] = {"reused": str(seed)}
        else:
            results["seed"] = run_child("--phase", "seed", "--args", str(args.repos), str(seed))
        for mode in ("reclassify", "full"):
            if mode not in modes:
                continue
            run = folder / mode
            run.mkdir()
            shutil.copy(seed / "warehouse.duckdb", run / "warehouse.duckdb")
            if mode == "reclassify":
                results["bare"] = run_child("--phase", "bare", "--args", str(args.bare), str(run / "warehouse.duckdb"))
            results[f"load_average_before_{mode}"] = os.getloadavg()
            results[mode] = run_child("--phase", "flow", "--args", mode, str(args.repos), str(run / "warehouse.duckdb"))
            results[f"load_average_after_{mode}"] = os.getloadavg()
    if "reclassify" in results:
        run = results["reclassify"]
        stage_rate = run["classified"] / run["classify_seconds"]
        run.update(repos_per_s=round(run["classified"] / run["seconds"], 1), stage_repos_per_s=round(stage_rate, 1))
        results["classify_stage_vs_bare_rules"] = round(stage_rate / results["bare"]["repos_per_s"], 2)
    print(json.dumps(results, indent=1, default=str))
    record(f"scale-sim-{args.repos}", markdown(results, args), title=f"Scale simulation: {args.repos:,} repositories "
           "through the flow")


def markdown(results: dict[str, Any], args: argparse.Namespace) -> str:
    def load(mode: str) -> str:
        before, after = results.get(f"load_average_before_{mode}"), results.get(f"load_average_after_{mode}")
        return f"{before[0]:.1f} -> {after[0]:.1f}" if before and after else "-"

    lines = []
    if "ingest" in results:
        r = results["ingest"]
        lines += [f"Ingest: a synthetic archive of {args.links:,} links over {args.repos:,} repositories, downloaded "
                  f"from the fake Hugging Face and ingested ({r['rows']['papers']:,} papers, {r['rows']['links']:,} "
                  f"links, {r['rows']['repos']:,} repositories stored) in **{r['seconds']:.1f} s**, peak RSS "
                  f"**{r['peak_rss_mb']:,.0f} MB**.", ""]  # fmt: skip
    seed = results["seed"]
    if "reused" in seed:
        lines += ["Seed: an earlier run's seeded warehouse, reused (`--seed-dir`).", ""]
    else:
        lines += [f"Seed: a warehouse as a finished crawl of {seed['repos']:,} repositories leaves it, evidence "
                  f"copied from the bundled sample's {seed['sample_repos']:,} real repositories in turn "
                  f"({seed['evidence_rows']:,} evidence rows), written in {seed['seconds']:.0f} s.", ""]  # fmt: skip
    lines += ["| run | load average (1 min) | classify stage | whole refresh | peak RSS, flow process "
              "| peak RSS of its children | CPU s: flow process / children |", "|---|---|---:|---:|---:|---|---:|"]
    if "bare" in results:
        b = results["bare"]
        lines.append(f"| baseline: bare rules over {b['repos']:,} repositories' evidence in memory, one process, "
                     f"no Prefect | - | {b['repos_per_s']:.0f} repos/s | - | - | - | - |")  # fmt: skip
    for mode, what in (("reclassify", "`refresh --reclassify`: every repository re-decided from stored evidence"),
                       ("full", "`refresh --full`: every repository checked against the fake GitHub (free 304s), "
                                "all re-decided")):  # fmt: skip
        if mode not in results:
            continue
        r = results[mode]
        rate = r["classified"] / r["classify_seconds"] if r.get("classify_seconds") else 0.0
        ratio = f", {rate / results['bare']['repos_per_s']:.2f}x bare" if "bare" in results else ""
        kids = ", ".join(f"{k} {v:,} MB" for k, v in sorted(r["children_peak_rss_mb"].items()))
        lines.append(f"| {what} | {load(mode)} | {r['classify_seconds']:.1f} s: {rate:.0f} repos/s{ratio} "
                     f"| {r['seconds']:.1f} s | **{r['peak_rss_mb']:,} MB** | {kids} "
                     f"| {r['cpu_seconds']['flow_process']:,} / {r['cpu_seconds']['children']:,} |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    main()
