"""Benchmark: the whole report (series, per-paper table, charts, interactive report.html) and its size.

Measures ``flows.report.write.write_report`` end to end on the bundled sample and on a
synthetic warehouse of 300,000 links, split into its parts, with the size of
report.html and of the JSON payload inside it. The baseline, timed in the same
process over the same rows, is ``analysis.shares.series.report_series`` alone: every
series the report has always computed, so the ratios say what the per-paper table,
the page's payload and the charts cost on top of it.

Records its figures in BENCHMARKS.md (block ``report-page``).

    python bench/report_page_bench.py [--links 300000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
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

from analysis.charts.page_data import explorer_payload  # noqa: E402
from analysis.classifier.frameworks import CLASSIFIER_VERSION  # noqa: E402
from analysis.shares.implementations import prepare_implementations  # noqa: E402
from analysis.shares.papers import counted_papers  # noqa: E402
from analysis.shares.series import report_series  # noqa: E402
from flows.report.write import write_report  # noqa: E402
from flows.stages.attribute import attribute_links  # noqa: E402
from flows.stages.attribute import current_implementations as implementations  # noqa: E402
from flows.stages.classify import classify_stored  # noqa: E402
from flows.stages.ingest import ingest_sample as load_sample  # noqa: E402
from flows.store.warehouse import Warehouse  # noqa: E402


def median_time(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(name: str, db: Path, repeat: int) -> dict[str, float | int | str]:
    with Warehouse(db, read_only=True) as wh:
        data = prepare_implementations(implementations(wh))
        baseline = median_time(lambda: report_series(data), repeat)
        papers = median_time(lambda: counted_papers(data), repeat)
        payload = median_time(lambda: explorer_payload(data, "venue-year", "year"), repeat)
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            written = write_report(wh, out)
            whole = time.perf_counter() - start
            page = Path(written["html"]).stat().st_size
            payload_json = json.dumps(explorer_payload(data, "venue-year", "year"), separators=(",", ":")).encode()
            n_papers = len(json.loads(payload_json)["papers"]["id"])
            packed = len(base64.b64encode(gzip.compress(payload_json, mtime=0)))
    print(f"{name}: {len(data.paper):,} implementation rows, {n_papers:,} counted papers in the page")
    print(f"  baseline report_series (every series): {baseline:.3f} s")
    print(f"  per-paper table: {papers:.3f} s ({papers / baseline:.2f}x the baseline)")
    print(f"  page payload (6 axis views x venues, papers): {payload:.3f} s ({payload / baseline:.2f}x)")
    print(f"  write_report end to end (series, papers, payload, 8 chart files, page): {whole:.1f} s "
          f"({whole / baseline:.0f}x)")  # fmt: skip
    print(f"  report.html {page / 1e6:.2f} MB; its payload is {len(payload_json) / 1e6:.2f} MB of JSON "
          f"({len(payload_json) / max(n_papers, 1):.0f} bytes per counted paper), "
          f"{packed / 1e6:.2f} MB packed (gzip + base64)")  # fmt: skip
    return {"name": name, "rows": len(data.paper), "papers": n_papers, "baseline": baseline, "per_paper": papers,
            "payload": payload, "whole": whole, "page_mb": page / 1e6, "json_mb": len(payload_json) / 1e6,
            "packed_mb": packed / 1e6, "bytes_per_paper": len(payload_json) / max(n_papers, 1)}  # fmt: skip


def markdown(results: list[dict], repeat: int) -> str:
    lines = [
        "`flows.report.write.write_report` end to end (every series, `series/papers.csv`, the page's payload, "
        "the charts, report.html) and its parts, medians of " + str(repeat) + " (end to end: one run), against the "
        "baseline in the same process over the same rows: `report_series` alone (every series, what the report "
        "computed before it had a per-paper table and an interactive page).", "",
        "| warehouse | baseline `report_series` | per-paper table | page payload | `write_report` end to end "
        "| report.html | payload JSON (packed) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for r in results:
        b = r["baseline"]
        lines.append(f"| {r['name']} ({r['rows']:,} implementation rows, {r['papers']:,} counted papers) "
                     f"| {b:.2f} s (1x) | {r['per_paper']:.2f} s ({r['per_paper'] / b:.2f}x) "
                     f"| {r['payload']:.2f} s ({r['payload'] / b:.2f}x) | {r['whole']:.1f} s ({r['whole'] / b:.1f}x) "
                     f"| {r['page_mb']:.2f} MB | {r['json_mb']:.2f} MB ({r['packed_mb']:.2f} MB gzip + base64; "
                     f"{r['bytes_per_paper']:.0f} bytes of JSON per counted paper) |")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample_db = Path(tmp) / "sample.duckdb"
        with Warehouse(sample_db) as wh:  # what `make demo` stores: the sample, classified and attributed
            load_sample(wh)
            classify_stored(wh)
            attribute_links(wh)
        results = [measure("bundled sample", sample_db, args.repeat)]
        big = Path(tmp) / "synthetic.duckdb"
        with Warehouse(big) as wh:
            write_synthetic(wh, args.links, CLASSIFIER_VERSION)
        results.append(measure(f"synthetic, {args.links:,} links", big, args.repeat))
    record("report-page", markdown(results, args.repeat), title="The whole report and report.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
