"""Benchmark: every series of the report over a synthetic warehouse of 300,000 links.

Budget: computing all series (analysis.shares.series.report_series) takes under 2 s. The
baseline, run in the same process over the same rows, is one plain pandas group-by
(year x framework counts): the least any share computation must do.

    PYTHONPATH=. python bench/report_bench.py [--links 300000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synthetic import write_synthetic  # noqa: E402

from analysis.classifier.frameworks import CLASSIFIER_VERSION  # noqa: E402
from analysis.shares.series import report_series  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402

BUDGET_SECONDS = 2.0


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def run(n_links: int, repeat: int) -> int:
    with tempfile.TemporaryDirectory() as tmp, Warehouse(Path(tmp) / "bench.duckdb") as wh:
        start = time.perf_counter()
        written = write_synthetic(wh, n_links, CLASSIFIER_VERSION)
        print(f"synthetic warehouse: {written} in {time.perf_counter() - start:.1f} s")
        query = timed(lambda: wh.implementations(CLASSIFIER_VERSION), 1)[0]
        frame = wh.implementations(CLASSIFIER_VERSION)
    print(f"Warehouse.implementations(): {len(frame):,} rows in {query:.2f} s (not part of the budget)")
    baseline = timed(lambda: frame.groupby(["year", "framework"]).size(), repeat)
    print(f"baseline pandas groupby(year, framework).size(): median {statistics.median(baseline):.3f} s")
    worst = 0.0
    for axis, freq in (("venue-year", "year"), ("paper-date", "quarter"), ("repo-created", "month")):
        times = timed(lambda a=axis, f=freq: report_series(frame, a, f), repeat)
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"all report series, {axis}/{freq}: median {median:.3f} s, best {min(times):.3f} s, "
              f"{median / statistics.median(baseline):.0f}x the baseline")  # fmt: skip
    verdict = "within" if worst < BUDGET_SECONDS else "OVER"
    print(f"{verdict} budget: slowest median {worst:.3f} s against {BUDGET_SECONDS:.1f} s")
    return 0 if worst < BUDGET_SECONDS else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    return run(args.links, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
