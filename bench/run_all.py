"""Run every benchmark in bench/ at its default size, one after another (what `make bench` does).

Each benchmark measures against a baseline in the same run where it can, and writes its
figures into bench/BENCHMARKS.md itself (bench/record.py: one block per benchmark, headed
by its command, date, cores, Python and the load average before and after). One that
cannot run here (no repository snapshots, say) says so in one line and is skipped.
Exit 0 when every benchmark ran or was skipped, 1 when any failed.

    python bench/run_all.py [--scale] [--only NAME ...] [--list]

``--scale`` (`make bench-scale`) runs the big sizes instead: the 200,000-repository scale
simulation and the full-size archive, report and crawl runs (hours on a 2-core machine).
No benchmark needs the network: the fakes in tests/fakes serve on loopback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# (script, arguments) at the default sizes: about a quarter of an hour together on a 2-core machine.
DEFAULT = [
    ("startup_bench.py", []),
    ("demo_stages_bench.py", []),
    ("classify_bench.py", []),  # needs corpus snapshots (corpus/README.md): skipped without them
    ("crawl_bench.py", ["--repos", "1000"]),
    ("crawl_git_bench.py", ["--repos", "100", "--latency-repos", "40", "--serial-repos", "10"]),
    ("crawl_git_bench.py", ["--faults"]),
    ("ingest_bench.py", ["--scale", "0.25", "--modes", "ingest", "pandas", "arrow-scan"]),
    ("report_bench.py", ["--links", "300000", "--repeat", "3"]),
    ("report_page_bench.py", ["--links", "100000", "--repeat", "3"]),
    ("explain_bench.py", ["--links", "300000", "--repeat", "3"]),
    ("orchestration_bench.py", ["--repos", "2000", "--pairs", "1"]),
    ("scale_sim.py", ["--repos", "5000", "--links", "7500", "--bare", "1000"]),
    ("budget_bench.py", ["--budget", "5000"]),  # through git; the API path is in the big sizes
    ("interrupt_walk.py", ["--tries", "5"]),  # exits 1 when a stop broke the promise: a failure, not a figure
]  # fmt: skip

# The sizes the issues asked about; hours, so only on request (`make bench-scale`).
SCALE = [
    ("crawl_git_bench.py", ["--repos", "1000", "--latency-repos", "100", "--serial-repos", "20"]),
    ("ingest_bench.py", ["--scale", "1.0", "--rounds", "3"]),
    ("report_page_bench.py", ["--links", "300000", "--repeat", "3"]),
    ("orchestration_bench.py", ["--repos", "10000", "--pairs", "2"]),
    ("scale_sim.py", ["--repos", "200000", "--links", "300000", "--bare", "10000"]),
    ("budget_bench.py", ["--budget", "5000", "--via", "api"]),
    ("interrupt_walk.py", ["--tries", "10"]),
]  # fmt: skip


def run_one(script: str, args: list[str]) -> tuple[str, float, str]:
    """Run one benchmark; ("ran" | "skipped" | "failed", seconds, why)."""
    with tempfile.TemporaryDirectory(prefix="bench-status-") as tmp:
        status_file = Path(tmp) / "status"
        env = {**os.environ, "PAPERTRENDS_BENCH_STATUS": str(status_file),
               "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")])}
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=ROOT, env=env, check=False)
        seconds = time.monotonic() - started
        note = status_file.read_text().strip() if status_file.exists() else ""
    if result.returncode:
        return "failed", seconds, f"exit {result.returncode}"
    if note.startswith("skipped"):
        return "skipped", seconds, note.removeprefix("skipped: ")
    return "ran", seconds, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="store_true", help="the big sizes (hours) instead of the defaults")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these scripts (e.g. crawl_bench)")
    parser.add_argument("--list", action="store_true", help="print what would run and stop")
    args = parser.parse_args(argv)
    plan = SCALE if args.scale else DEFAULT
    if args.only:
        wanted = {name.removesuffix(".py") for name in args.only}
        plan = [(s, a) for s, a in plan if s.removesuffix(".py") in wanted]
    if args.list:
        for script, script_args in plan:
            print(" ".join(["python", f"bench/{script}", *script_args]))
        return 0
    outcomes = []
    started = time.monotonic()
    for script, script_args in plan:
        print(f"\n=== python bench/{script} {' '.join(script_args)}  (load average {os.getloadavg()[0]:.2f})",
              flush=True)  # fmt: skip
        status, seconds, why = run_one(script, script_args)
        print(f"=== {script}: {status} after {seconds:.0f} s{': ' + why if why else ''}", flush=True)
        outcomes.append((script, status, seconds, why))
    print(f"\nbenchmarks: {len(outcomes)} in {time.monotonic() - started:.0f} s")
    for script, status, seconds, why in outcomes:
        print(f"  {status:<8} {seconds:>6.0f} s  {script}{'  (' + why + ')' if why else ''}")
    failed = [script for script, status, *_ in outcomes if status == "failed"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
