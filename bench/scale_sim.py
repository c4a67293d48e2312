"""Scale simulation: a synthetic PWC archive of 300,000 links over 200,000 repositories, served by
the loopback fakes, ingested in full; the GitHub crawl (+ classify + export) run at a smaller
scale and at a 5x smaller baseline in the same command, so the per-repository cost and the
memory growth between the two show whether a linear extrapolation to 200,000 holds.

Each phase runs in its own child process so its peak RSS (``ru_maxrss``) is its own; growth is
measured from the child's baseline after imports and fake set-up.

    PYTHONPATH=.:tests python bench/scale_sim.py --links 300000 --repos 200000 --crawl 5000 --baseline 1000
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
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
    from flows.sources.pwc_archive import ingest_archive
    from flows.store import Warehouse

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


def phase_crawl(n_repos: int, data: Path) -> dict[str, Any]:
    """Crawl ``n_repos`` generated repositories from a fake GitHub in its own process, classify, export."""
    from fakes.github_server import make_repos

    from flows.crawl import add_repos
    from flows.crawl_driver import crawl_repos
    from flows.settings import Settings
    from flows.store import Warehouse

    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    fake = subprocess.Popen([sys.executable, "-c", _FAKE_GITHUB, str(n_repos)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        assert fake.stdout
        port = int(fake.stdout.readline().split()[1])
        url = f"http://127.0.0.1:{port}"
        settings = Settings(data_dir=data, github_api_url=url, github_raw_url=url + "/raw")
        with Warehouse(data / "warehouse.duckdb") as wh:
            add_repos(wh, [r.full_name for r in make_repos(n_repos)])
            base_rss, start = rss_mb(), time.perf_counter()
            summary = crawl_repos(wh, settings, progress=False)
            crawl_seconds = time.perf_counter() - start
            export_start = time.perf_counter()
            wh.export_parquet(data / "parquet")
            export_seconds = time.perf_counter() - export_start
            ok = wh.scalar("SELECT count(*) FROM repos WHERE status = 'ok'")
            classified = wh.count("classifications")
    finally:
        fake.kill()
        fake.wait(timeout=10)
    usage = summary["requests"]
    return {"repos": n_repos, "crawl_seconds": crawl_seconds, "export_seconds": export_seconds,
            "repos_per_s": n_repos / crawl_seconds, "rss_growth_mb": rss_mb() - base_rss, "peak_rss_mb": rss_mb(),
            "ok": ok, "classified": classified, "quota_per_repo": usage["quota_counted"] / n_repos,
            "raw_per_repo": usage["raw"] / n_repos}  # fmt: skip


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False,
                         env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"})  # fmt: skip
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--repos", type=int, default=200_000, help="distinct repositories in the archive")
    parser.add_argument("--crawl", type=int, default=5_000, help="repositories crawled in the measured run")
    parser.add_argument("--baseline", type=int, default=1_000, help="repositories crawled in the baseline run")
    parser.add_argument("--phase", choices=["ingest", "crawl"], help=argparse.SUPPRESS)
    parser.add_argument("--args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "ingest":
        print(json.dumps(phase_ingest(Path(args.args[0]), Path(args.args[1]), Path(args.args[2]))))
        return
    if args.phase == "crawl":
        print(json.dumps(phase_crawl(int(args.args[0]), Path(args.args[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="scale-sim-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        links, papers = write_archive(folder, args.links, args.repos)
        results: dict[str, Any] = {"archive_seconds": time.perf_counter() - start,
                                   "archive_mb": (links.stat().st_size + papers.stat().st_size) / 2**20}  # fmt: skip
        results["ingest"] = run_child("--phase", "ingest", "--args", str(links), str(papers), str(folder / "ingest"))
        results["baseline"] = run_child("--phase", "crawl", "--args", str(args.baseline), str(folder / "base"))
        results["crawl"] = run_child("--phase", "crawl", "--args", str(args.crawl), str(folder / "crawl"))
    base, big = results["baseline"], results["crawl"]
    results["per_repo_time_ratio"] = (big["crawl_seconds"] / big["repos"]) / (base["crawl_seconds"] / base["repos"])
    results["extrapolated_200k_crawl_hours"] = args.repos / big["repos_per_s"] / 3600
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
