"""Run every benchmark in bench/ with its default size (what `make bench` does).

Each benchmark measures itself against a baseline in the same run and prints its
table; the ones that keep BENCHMARKS.md up to date say so in their own --help.
Benchmarks run one after another: the machine has two cores and timings are ratios.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# (script, arguments): the default sizes recorded in BENCHMARKS.md.
BENCHMARKS = [
    ("classify_bench.py", []),        # needs local snapshots of the corpus (corpus/README.md)
    ("crawl_bench.py", ["--repos", "1000"]),
    ("report_bench.py", []),
    ("report_page_bench.py", []),
    ("explain_bench.py", []),
    ("ingest_bench.py", []),
    ("orchestration_bench.py", ["--repos", "10000", "--pairs", "1"]),
    ("scale_sim.py", []),
]  # fmt: skip


def main() -> int:
    failed = []
    for script, args in BENCHMARKS:
        path = BENCH / script
        if not path.exists():
            continue
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(path), *args], cwd=BENCH.parent)
        print(f"=== {script}: exit {result.returncode} after {time.monotonic() - started:.0f} s", flush=True)
        if result.returncode:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
