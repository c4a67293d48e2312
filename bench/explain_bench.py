"""Benchmark: ``papertrends explain`` on a synthetic warehouse of 300,000 links.

explain answers about one paper or repository, so it must not cost what a report
costs. The baseline, run in the same process over the same file, is the query every
report starts from (``Warehouse.implementations()`` over all rows): what explain would
pay if it selected the counted link from the whole table instead of its own papers'.

Records its figures in BENCHMARKS.md (block ``explain``).

    python bench/explain_bench.py [--links 300000] [--repeat 5]
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

from record import record  # noqa: E402
from report_bench import timed  # noqa: E402
from synthetic import write_synthetic  # noqa: E402

from analysis.classifier.frameworks import CLASSIFIER_VERSION  # noqa: E402
from flows.cli.explain import explain_key  # noqa: E402
from flows.store.queries import implementation_rows  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402


def run(n_links: int, repeat: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with Warehouse(db) as wh:
            start = time.perf_counter()
            written = write_synthetic(wh, n_links, CLASSIFIER_VERSION)
            built = time.perf_counter() - start
            print(f"synthetic warehouse: {written} in {built:.1f} s")
            # the most-linked repository and a paper of it: the largest answers explain gives
            repo, paper, n_papers = wh.con.execute(
                "SELECT repo_key, min(paper_id), count(*) FROM links GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ).fetchone()
        with Warehouse(db, read_only=True) as wh:
            baseline = timed(lambda: implementation_rows(wh, CLASSIFIER_VERSION), repeat)
            rows = {"baseline: `implementation_rows` of every paper": baseline,
                    "explain a paper": timed(lambda: explain_key(wh, paper), repeat),
                    f"explain the most-linked repository ({n_papers} papers)":
                        timed(lambda: explain_key(wh, repo), repeat)}  # fmt: skip
    base = statistics.median(baseline)
    lines = ["| what | median | best | median / baseline |", "|---|---:|---:|---:|"]
    for name, times in rows.items():
        lines.append(f"| {name} | {statistics.median(times):.3f} s | {min(times):.3f} s | "
                     f"{statistics.median(times) / base:.2f}x |")  # fmt: skip
    print("\n".join(lines))
    record("explain", "\n".join([
        f"Synthetic warehouse (bench/synthetic.py) of {n_links:,} links, built in {built:.0f} s and opened read-only "
        "as `papertrends explain` opens it. `flows.cli.explain.explain_key` (everything the command prints but "
        "Python's start-up), median and best of " + str(repeat) + ", against the query every report starts from "
        "over the whole file in the same process (what explain would pay if it chose the counted link from the "
        "whole table). The synthetic links carry no stored attribution, so each answer also works out its "
        "papers' attributions.", "", *lines]), title="Explain")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    return run(args.links, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
