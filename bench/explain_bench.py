"""Benchmark: ``papertrends explain`` on a synthetic warehouse of 300,000 links.

explain answers about one paper or repository, so it must not cost what a report
costs. The baseline, run in the same process over the same file, is the query every
report starts from (``Warehouse.implementations()`` over all rows): what explain would
pay if it selected the counted link from the whole table instead of its own papers'.

    PYTHONPATH=. python bench/explain_bench.py [--links 300000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from report_bench import timed  # noqa: E402
from synthetic import write_synthetic  # noqa: E402

from analysis.classifier.frameworks import CLASSIFIER_VERSION  # noqa: E402
from flows.cli.explain import explain_key  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402


def run(n_links: int, repeat: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with Warehouse(db) as wh:
            start = time.perf_counter()
            written = write_synthetic(wh, n_links, CLASSIFIER_VERSION)
            print(f"synthetic warehouse: {written} in {time.perf_counter() - start:.1f} s")
            # the most-linked repository and a paper of it: the largest answers explain gives
            repo, paper = wh.con.execute(
                "SELECT repo_key, min(paper_id) FROM links GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()
        with Warehouse(db, read_only=True) as wh:
            baseline = timed(lambda: wh.implementations(CLASSIFIER_VERSION), repeat)
            rows = {"baseline: implementations() of every paper": baseline,
                    f"explain paper {paper}": timed(lambda: explain_key(wh, paper), repeat),
                    f"explain repository {repo}": timed(lambda: explain_key(wh, repo), repeat)}  # fmt: skip
    base = statistics.median(baseline)
    print("| what | median | best | median / baseline |\n|---|---|---|---|")
    for name, times in rows.items():
        print(f"| {name} | {statistics.median(times):.3f} s | {min(times):.3f} s | "
              f"{statistics.median(times) / base:.2f}x |")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    return run(args.links, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
