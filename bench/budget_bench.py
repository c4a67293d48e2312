"""``refresh --budget N`` on a synthetic archive of 300,000 links, through the flow, against the fake GitHub.

The archive (``synthetic.synthetic_tables``: frameworks drifting over 2014-2025 as the field did,
nine venues) is written as the Papers with Code archive's two Parquet files, every link
marked official; the fake GitHub (tests/fakes/github_server.py, in this process) serves every
repository with code in its known framework, the gone ones (missing, never crawled, failed in
the synthetic rows) as 404. ``refresh --links L --papers P --budget N`` then ingests the
archive, draws, crawls only the drawn repositories (with a token), classifies, attributes,
reports and stores the yearly estimates. Measured:

- the quota-counted requests (what the fake charges as GitHub would) and the round trips
  (every HTTP request it answered, API, raw host and git), and the time they model at 100 ms
  a round trip one after another (no concurrency: an upper bound) next to the quota's bound
  at 5,000 an hour on one token;
- per year, the PyTorch share's estimate and 95% interval (``budget_years``, what ``status``
  shows) beside the census truth: the same estimator over every repository's known
  framework (``yearly_estimates`` of the whole frame, no design);
- how often the crawl's decision agrees with the known framework of the drawn repositories.

    PYTHONPATH=.:tests python bench/budget_bench.py --budget 5000 --links 300000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from fakes.git_host import GitStore  # noqa: E402
from fakes.github_server import FakeGitHub, FakeRepo  # noqa: E402
from fakes.pwc_files import link, paper, write_parquet  # noqa: E402
from record import record  # noqa: E402  (at import: the block's duration and load are counted from here)
from synthetic import implementation_frame, synthetic_tables  # noqa: E402

TOKEN = "ghp" + "_budgetBENCHfake0000000000000000000000"  # split: a fake, not a secret to scan for
ROUND_TRIP_S = 0.1
QUOTA_PER_HOUR = 5000
CODE: dict[str, dict[str, str]] = {  # a repository in each known framework: code that uses it, its requirements
    "pytorch": {
        "requirements.txt": (
            "torch>=1.7\n"
        ),
        "train.py": (
            "import torch\n"
            "import torch.nn as nn\n"
            "\n"
            "model = nn.Linear(3, 1)\n"
            "x = torch.zeros(2, 3)\n"
            "print(model(x))\n"
        ),
    },
    "tensorflow": {
        "requirements.txt": (
            "tensorflow==1.15\n"
        ),
        "train.py": (
            "import tensorflow as tf\n"
            "\n"
            "x = tf.zeros([2, 3])\n"
            "model = tf.keras.layers.Dense(1)\n"
        ),
    },
    "keras": {
        "requirements.txt": (
            "keras==2.2\n"
        ),
        "train.py": (
            "import keras\n"
            "from keras.layers import Dense\n"
            "\n"
            "model = keras.Sequential([Dense(1)])\n"
            "model.compile(\"adam\", \"mse\")\n"
        ),
    },
    "jax": {
        "requirements.txt": (
            "jax\n"
        ),
        "train.py": (
            "import jax\n"
            "import jax.numpy as jnp\n"
            "\n"
            "x = jnp.zeros(3)\n"
            "print(jax.grad(lambda v: (v * v).sum())(x))\n"
        ),
    },
    "mxnet": {
        "requirements.txt": (
            "mxnet\n"
        ),
        "train.py": (
            "import mxnet as mx\n"
            "from mxnet import gluon\n"
            "\n"
            "net = gluon.nn.Dense(1)\n"
            "x = mx.nd.zeros((2, 3))\n"
        ),
    },
    "caffe": {
        "train.py": (
            "import caffe\n"
            "\n"
            "net = caffe.Net(\"deploy.prototxt\", caffe.TEST)\n"
            "net.forward()\n"
        ),
    },
    "theano": {
        "requirements.txt": (
            "Theano==0.9\n"
        ),
        "train.py": (
            "import theano\n"
            "import theano.tensor as T\n"
            "\n"
            "x = T.matrix(\"x\")\n"
            "f = theano.function([x], x * 2)\n"
        ),
    },
    "chainer": {
        "requirements.txt": (
            "chainer\n"
        ),
        "train.py": (
            "import chainer\n"
            "import chainer.links as L\n"
            "\n"
            "model = L.Linear(3, 1)\n"
            "chainer.optimizers.Adam().setup(model)\n"
        ),
    },
    "lua-torch": {
        "train.lua": (
            "require 'torch'\n"
            "require 'nn'\n"
            "\n"
            "local net = nn.Sequential()\n"
            "net:add(nn.Linear(3, 1))\n"
            "local x = torch.zeros(2, 3)\n"
            "print(net:forward(x))\n"
        ),
    },
    "paddle": {
        "requirements.txt": (
            "paddlepaddle\n"
        ),
        "train.py": (
            "import paddle\n"
            "\n"
            "x = paddle.zeros([2, 3])\n"
            "model = paddle.nn.Linear(3, 1)\n"
        ),
    },
    "none": {
        "main.py": (
            "import numpy as np\n"
            "import scipy\n"
            "\n"
            "x = np.zeros(3)\n"
            "print(scipy.linalg.norm(x))\n"
        ),
    },
}


def archive_tables(n_links: int, seed: int) -> dict[str, pd.DataFrame]:
    """The synthetic rows as the archive will say them: links official, no workshop track."""
    tables = synthetic_tables(n_links, seed)
    tables["papers"]["is_workshop"] = False
    tables["links"]["is_official"] = True
    return tables


def write_archive(folder: Path, tables: dict[str, pd.DataFrame]) -> tuple[Path, Path]:
    """(links, papers) Parquet files with the archive's columns."""
    p = tables["papers"]
    papers = [paper(pid.rsplit("/", 1)[1], f"{v} {y}" if isinstance(v, str) else None, str(d), title=t,
                    arxiv_id=None)
              for pid, v, y, d, t in zip(p["paper_id"], p["venue"], p["year"], p["published_date"], p["title"],
                                         strict=True)]  # fmt: skip
    links = [link(pid.rsplit("/", 1)[1], url, framework=None, is_official=True)
             for pid, url in zip(tables["links"]["paper_id"], tables["links"]["repo_url"], strict=True)]  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    return write_parquet(folder / "links.parquet", links), write_parquet(folder / "papers.parquet", papers)


def fake_repos(tables: dict[str, pd.DataFrame]) -> list[FakeRepo]:
    """Every repository, with code in its known framework; the ones without a decision answer 404."""
    label = dict(zip(tables["classifications"]["repo_key"], tables["classifications"]["framework"], strict=True))
    files = {name: {"README.md": b"# code\n", **{path: text.encode() for path, text in code.items()}}
             for name, code in CODE.items()}  # fmt: skip
    repos = []
    for key, created in zip(tables["repos"]["repo_key"], tables["repos"]["created_at"], strict=True):
        known = label.get(key)
        stamp = (created if pd.notna(created) else pd.Timestamp("2019-01-01")).strftime("%Y-%m-%dT%H:%M:%SZ")
        repos.append(FakeRepo(key, dict(files[known]) if known else {}, created_at=stamp,
                              status="ok" if known else "missing"))  # fmt: skip
    return repos


def census_truth(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per year, the PyTorch share over every repository's known framework (the estimator, no design)."""
    from analysis.shares.allocation import yearly_estimates
    from flows.stages.attribute import fill_paper_dates

    frame = fill_paper_dates(implementation_frame(tables).assign(arxiv_id=None, source_list=None))
    return yearly_estimates(frame, None)[["year", "share"]].rename(columns={"share": "census"})


def run(n_links: int, budget: int, seed: int, via: str) -> dict[str, Any]:
    from flows.service.runner import run_refresh
    from flows.store.warehouse import Warehouse

    tables = archive_tables(n_links, seed)
    truth = census_truth(tables)
    with tempfile.TemporaryDirectory(prefix="budget-bench-") as tmp:
        folder = Path(tmp)
        links, papers = write_archive(folder / "archive", tables)
        fake = FakeGitHub(fake_repos(tables), require_token=TOKEN)
        fake.use_git_store(GitStore(folder))  # repositories written to the git host when first asked for
        fake.start()
        os.environ.update(GITHUB_TOKEN=TOKEN, GITHUB_API_URL=fake.url, PAPERTRENDS_GITHUB_RAW_URL=fake.raw_url,
                          PAPERTRENDS_GITHUB_GIT_URL=fake.git_url, PAPERTRENDS_GIT_WORK_DIR=str(folder / "git-work"),
                          PREFECT_HOME=str(folder / "prefect"),
                          PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300")  # fmt: skip
        start = time.perf_counter()
        try:
            outcome = run_refresh(links=str(links), papers=str(papers), budget=budget, via=via, progress=False,
                                  db=str(folder / "wh.duckdb"), parquet_dir=str(folder / "pq"),
                                  reports_dir=str(folder / "reports"))  # fmt: skip
        finally:
            fake.stop()
        seconds = time.perf_counter() - start
        if not outcome.is_ok:
            raise RuntimeError(outcome.error)
        with Warehouse(folder / "wh.duckdb", read_only=True) as wh:
            years = pd.DataFrame(wh.query("SELECT * FROM budget_years ORDER BY year"))
            decided = pd.DataFrame(wh.query("SELECT repo_key, framework FROM classifications"))
    known = dict(zip(tables["classifications"]["repo_key"], tables["classifications"]["framework"], strict=True))
    agree = float((decided["framework"] == decided["repo_key"].map(known)).mean()) if len(decided) else 0.0
    trips = sum(fake.auth_seen.values())
    quota = fake.quota_used
    return {"links": n_links, "budget": budget, "via": via, "counts": outcome.counts, "seconds": seconds,
            "quota": quota, "graphql": fake.counts["quota:graphql"], "raw": fake.counts["raw"],
            "git": fake.counts["git"], "round_trips": trips, "agreement": agree, "n_decided": len(decided),
            "years": years.merge(truth, on="year", how="left"),
            "model_h": {"round_trips": trips * ROUND_TRIP_S / 3600, "quota": quota / QUOTA_PER_HOUR}}  # fmt: skip


def markdown(r: dict[str, Any]) -> str:
    draw, crawl = r["counts"]["draw"], r["counts"]["crawl"]
    model = max(r["model_h"].values())
    rows = [f"| {int(y.year)} | {int(y.n_population):,} | {int(y.n_drawn):,} | {int(y.n_crawled):,} | "
            f"{int(y.n_classified):,} | {y.share_pytorch:.3f} [{y.share_low:.3f}, {y.share_high:.3f}] | "
            f"{y.share_high - y.share_low:.3f} | {y.census:.3f} | "
            f"{'yes' if y.share_low <= y.census <= y.share_high else '**no**'} |"
            for y in r["years"].itertuples() if pd.notna(y.share_pytorch) and pd.notna(y.census)]  # fmt: skip
    inside = sum(row.endswith("yes |") for row in rows)
    return "\n".join([
        f"`refresh --links L --papers P --budget {r['budget']:,}` (`--via {r['via']}`, a token) on a synthetic "
        f"archive of {r['links']:,} links ({draw['population']:,} conference papers with code), the fake GitHub in "
        f"this process. Allocation: {draw['allocation']}, seed {draw['seed']}.",
        "",
        "| measure | value |", "|---|---:|",
        f"| papers drawn / repositories they link | {draw['drawn']:,} / {draw['repos_drawn']:,} |",
        f"| repositories crawled (selected) | {crawl['selected']:,} |",
        f"| quota-counted requests (GraphQL queries among them) | {r['quota']:,} ({r['graphql']:,}) |",
        f"| round trips (every request: API, raw host, git) | {r['round_trips']:,} |",
        f"| ... raw-host reads / git requests | {r['raw']:,} / {r['git']:,} |",
        f"| modelled time: round trips one after another at 100 ms | {r['model_h']['round_trips']:.2f} h |",
        f"| modelled time: quota at 5,000 an hour on one token | {r['model_h']['quota']:.2f} h |",
        f"| **modelled time, the larger of the two** | **{model:.2f} h** (bound: 1 h) |",
        f"| decisions agreeing with the known framework | {r['agreement']:.1%} of {r['n_decided']:,} |",
        f"| this run end to end (ingest of the archive included, loaded machine) | {r['seconds'] / 60:.1f} min |",
        "",
        "| year | archive papers | drawn | crawled | classified | PyTorch estimate [95%] | width | census | "
        "inside |", "|---|---:|---:|---:|---:|---|---:|---:|---|", *rows,
        "",
        f"The census truth lies inside the interval in {inside} of {len(rows)} years.",
    ])  # fmt: skip


def record_block(text: str, via: str) -> None:
    """Into BENCHMARKS.md through bench/record.py: one block per crawl path, ``budget`` (git, the default
    path) and ``budget-api``."""
    name = "budget" if via == "git" else f"budget-{via}"
    title = "Budgeted refresh (issue 24)" + ("" if via == "git" else f", through the {via.upper()}")
    record(name, text, title=title)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--budget", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1, help="of the synthetic archive (the draw's is the default)")
    parser.add_argument("--via", choices=["api", "git"], default="git")
    parser.add_argument("--no-record", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args()
    text = markdown(run(args.links, args.budget, args.seed, args.via))
    print(text)
    if not args.no_record:
        record_block(text, args.via)


if __name__ == "__main__":
    main()
