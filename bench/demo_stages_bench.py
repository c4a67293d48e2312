"""Benchmark: the demo's stages on the bundled sample, against the first 324-row sample.

What `make demo` does beside Prefect (ingest the sample, classify, attribute, export
Parquet, write the report), timed stage by stage in one process, first for the
324-row sample as committed before issue 13 (the baseline, read from git history)
and then for the current sample, so the ratio says what the enlarged sample costs
on whatever machine runs it. Prefect's start-up and a whole warm refresh are measured by
bench/startup_bench.py. Records its figures in BENCHMARKS.md (block ``demo-stages``); needs
the project's git history for the baseline sample (skipped in a shallow clone).

    python bench/demo_stages_bench.py [--baseline-commit 88369d1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from record import record, skip  # noqa: E402

from flows.report.write import write_report  # noqa: E402
from flows.sources.sample import REQUIRED_FILES  # noqa: E402
from flows.stages.attribute import attribute_links  # noqa: E402
from flows.stages.classify import classify_stored  # noqa: E402
from flows.stages.ingest import ingest_sample as load_sample  # noqa: E402
from flows.store.parquet import export_tables  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402

BASELINE_COMMIT = "88369d1"  # main before issue 13: the 324-row sample


def checkout_sample(commit: str, into: Path) -> Path:
    """The sample folder as committed at ``commit`` (files written from ``git show``)."""
    into.mkdir(parents=True)
    for name in REQUIRED_FILES:
        blob = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:data/sample/{name}"],
                              capture_output=True, check=True).stdout  # fmt: skip
        (into / name).write_bytes(blob)
    return into


def time_stages(sample_dir: Path, work: Path, sizes: dict[Path, tuple[int, int]]) -> dict[str, float]:
    """Seconds per stage for one sample, on a fresh warehouse; its papers and evidence rows go in ``sizes``."""
    stages: list[tuple[str, Callable[[Warehouse], Any]]] = [
        ("ingest", lambda wh: load_sample(wh, sample_dir)),
        ("classify", classify_stored),
        ("attribute", lambda wh: attribute_links(wh)),
        ("export", lambda wh: export_tables(wh, work / "parquet")),
        ("report", lambda wh: write_report(wh, work / "reports")),
    ]
    seconds: dict[str, float] = {}
    work.mkdir(parents=True)
    with Warehouse(work / "warehouse.duckdb") as wh:
        for name, stage in stages:
            start = time.perf_counter()
            stage(wh)
            seconds[name] = time.perf_counter() - start
        sizes[sample_dir] = (wh.count("papers"), wh.count("repo_evidence"))
    seconds["total"] = sum(seconds.values())
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-commit", default=BASELINE_COMMIT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            base = checkout_sample(args.baseline_commit, Path(tmp) / "base-sample")
        except subprocess.CalledProcessError:
            skip(f"the baseline sample (commit {args.baseline_commit}) is not in this clone's git history")
        found: dict[Path, tuple[int, int]] = {}
        before = time_stages(base, Path(tmp) / "base", found)
        after = time_stages(ROOT / "data" / "sample", Path(tmp) / "now", found)
        sizes = {"base": found[base], "now": found[ROOT / "data" / "sample"]}
    lines = ["| stage | first sample s | current sample s | current / first |", "|---|---:|---:|---:|"]
    for name in before:
        lines.append(f"| {name} | {before[name]:.2f} | {after[name]:.2f} | {after[name] / before[name]:.2f} |")
    print("\n".join(lines))
    record("demo-stages", "\n".join([
        "The demo's stages without Prefect, in one process, each on a fresh warehouse: first the sample as "
        f"committed at {args.baseline_commit} ({sizes['base'][0]:,} papers, {sizes['base'][1]:,} evidence rows; "
        f"the baseline), then the current sample ({sizes['now'][0]:,} papers, {sizes['now'][1]:,} evidence rows). "
        "Stages: `ingest_sample`, `classify_stored`, `attribute_links`, `export_tables`, `write_report`.", "",
        *lines]), title="Demo stages")  # fmt: skip


if __name__ == "__main__":
    main()
