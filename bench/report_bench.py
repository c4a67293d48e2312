"""Benchmark: every series of the report over a synthetic warehouse of 300,000 links.

Budget: computing all series (analysis.shares.series.report_series) takes under 2 s. The
baseline, run in the same process over the same rows, is one plain pandas group-by
(year x framework counts): the least any share computation must do. Records its figures in
BENCHMARKS.md (block ``report-series``); exits 0 over budget too (the block says so) unless
``--strict``.

    python bench/report_bench.py [--links 300000] [--repeat 5] [--strict]
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

from record import record  # noqa: E402
from synthetic import write_synthetic  # noqa: E402

from analysis.classifier.frameworks import CLASSIFIER_VERSION  # noqa: E402
from analysis.shares.series import report_series  # noqa: E402
from flows.store.queries import implementation_rows  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402

BUDGET_SECONDS = 2.0


def timed(func: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def run(n_links: int, repeat: int, strict: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp, Warehouse(Path(tmp) / "bench.duckdb") as wh:
        start = time.perf_counter()
        written = write_synthetic(wh, n_links, CLASSIFIER_VERSION)
        built = time.perf_counter() - start
        print(f"synthetic warehouse: {written} in {built:.1f} s")
        query = timed(lambda: implementation_rows(wh, CLASSIFIER_VERSION), 1)[0]
        frame = implementation_rows(wh, CLASSIFIER_VERSION)
    print(f"implementation_rows(): {len(frame):,} rows in {query:.2f} s (not part of the budget)")
    baseline = timed(lambda: frame.groupby(["year", "framework"]).size(), repeat)
    base = statistics.median(baseline)
    print(f"baseline pandas groupby(year, framework).size(): median {base:.3f} s")
    rows = []
    for axis, freq in (("venue-year", "year"), ("paper-date", "quarter"), ("repo-created", "month")):
        times = timed(lambda a=axis, f=freq: report_series(frame, a, f), repeat)
        rows.append((f"{axis} / {freq}", statistics.median(times), min(times)))
        print(f"all report series, {axis}/{freq}: median {rows[-1][1]:.3f} s, best {rows[-1][2]:.3f} s, "
              f"{rows[-1][1] / base:.0f}x the baseline")  # fmt: skip
    worst = max(median for _, median, _ in rows)
    verdict = "within" if worst < BUDGET_SECONDS else "OVER"
    print(f"{verdict} budget: slowest median {worst:.3f} s against {BUDGET_SECONDS:.1f} s")
    table = ["| axis / freq | median | best | median / baseline |", "|---|---:|---:|---:|"]
    table += [f"| {name} | {median:.2f} s | {best:.2f} s | {median / base:.0f}x |" for name, median, best in rows]
    table.append(f"| baseline: pandas `groupby([year, framework]).size()` | {base:.3f} s | {min(baseline):.3f} s "
                 "| 1x |")
    record("report-series", "\n".join([
        f"Synthetic warehouse (bench/synthetic.py) of {n_links:,} links: {len(frame):,} implementation rows "
        f"(built in {built:.0f} s; the query behind them, `implementation_rows`, took {query:.1f} s and is not "
        f"in the budget). All series the report computes (`report_series`), median and best of {repeat}:", "",
        *table, "",
        f"Budget: the slowest median under {BUDGET_SECONDS:.0f} s: **{verdict.lower()}** ({worst:.2f} s).",
    ]), title="Report series")  # fmt: skip
    return 1 if strict and worst >= BUDGET_SECONDS else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--strict", action="store_true", help="exit 1 when over the budget")
    args = parser.parse_args()
    return run(args.links, args.repeat, args.strict)


if __name__ == "__main__":
    sys.exit(main())
