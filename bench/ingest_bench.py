"""Ingest benchmark: the full-size PWC archive through `ingest_archive`, peak memory and time.

Writes a synthetic archive of the real shape (300,161 links in one Parquet file;
576,261 papers with ~1 KB abstracts, authors, tasks and methods over four Parquet
files, as on Hugging Face) and the same records as the original dumps' gzipped JSON
arrays (one ``links.json.gz``, one ``papers.json.gz``), then runs each measurement in a
fresh child process and reads its peak RSS from the kernel (``wait4``):

- ``ingest``: ``ingest_archive`` of the Parquet files into a new DuckDB warehouse (the product path);
- ``ingest-json``: the same from the ``.json.gz`` files, read by DuckDB's ``read_json``
  (bench/json_read_json.py: the challenger issue 21 asked to adopt if faster within 1.3 GB peak);
- ``ingest-json-handwritten``: the same through the product's hand-written streaming parser
  (``pwc_archive.iter_json_array``), the baseline the challenger has to beat;
- ``read-json`` / ``read-json-handwritten``: the two JSON readers alone, records out, nothing stored;
- ``pandas``: ``pandas.read_parquet`` of the Parquet files' projected columns (baseline:
  what "just load it" costs, before any conversion or storing);
- ``arrow-scan``: a bare ``pyarrow`` batch scan of the projected columns (the floor).

The machine is shared and timings drift, so ``--rounds N`` runs the modes N times,
interleaved, and reports each mode's median wall time (and its largest peak RSS). The JSON
readers are compared as ratios (``read_json`` / hand-written) in the same run, with the verdict
issue 21 asks for: read_json stays only if faster within ``PEAK_CEILING_MB`` peak.

The archive is written to a temporary folder and removed afterwards unless ``--dir`` names
one to keep (and reuse). Records its figures in BENCHMARKS.md (block ``ingest``).

Usage: python bench/ingest_bench.py [--dir DIR] [--scale 1.0] [--rounds 1] [--modes M ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from record import record  # noqa: E402

N_LINKS, N_PAPERS, N_PAPER_FILES = 300_161, 576_261, 4
PROCEEDINGS = ["NeurIPS 2018 12", "ICML 2019 6", "CVPR 2020 6", "iclr-2021-5", "ACL 2019 7", "EMNLP 2020 11",
               "CVPR 2019 Workshops", "Some Symposium 2020", None, None, None, None, None, None]  # fmt: skip
REPO_SPELLINGS = ["https://github.com/{o}/{n}", "http://github.com/{o}/{n}.git", "https://github.com/{o}/{n}/",
                  "https://github.com/{o}/{n}/tree/master/src", "https://gitlab.com/{o}/{n}"]  # fmt: skip


def generate(folder: Path, scale: float) -> dict[str, list[str]]:
    """Write the synthetic archive (once; reused when present) and return its files."""
    folder.mkdir(parents=True, exist_ok=True)
    n_links, n_papers = int(N_LINKS * scale), int(N_PAPERS * scale)
    links = folder / "links-00000-of-00001.parquet"
    papers = [folder / f"papers-{i:05d}-of-{N_PAPER_FILES:05d}.parquet" for i in range(N_PAPER_FILES)]
    marker = folder / f"done-{n_links}-{n_papers}"
    if not marker.exists():
        corpus = _corpus()
        per_file = -(-n_papers // N_PAPER_FILES)
        for i, path in enumerate(papers):
            _write_papers(path, range(i * per_file, min(n_papers, (i + 1) * per_file)), corpus)
        _write_links(links, n_links, n_papers)
        marker.touch()
    json_links, json_papers = folder / "links.json.gz", folder / "papers.json.gz"
    json_marker = folder / f"done-json-{n_links}-{n_papers}"
    if not json_marker.exists():
        _write_json_gz(json_links, [links])
        _write_json_gz(json_papers, papers)
        json_marker.touch()
    return {"links": [str(links)], "papers": [str(p) for p in papers],
            "json_links": [str(json_links)], "json_papers": [str(json_papers)]}  # fmt: skip


def _write_json_gz(path: Path, sources: list[Path]) -> None:
    """The records of ``sources`` as one gzipped JSON array, one record a line, as the original dumps."""
    import gzip

    import pyarrow.parquet as pq

    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as fh:
        sep = "[\n"
        for source in sources:
            for batch in pq.ParquetFile(source).iter_batches(batch_size=20_000):
                for record in batch.to_pylist():
                    fh.write(sep + json.dumps(record))
                    sep = ",\n"
        fh.write("\n]\n" if sep != "[\n" else "[]\n")
    tmp.replace(path)


def _corpus() -> str:
    """60 MB of random words from a 5,000-word vocabulary: abstracts are slices of it (unique, compressible)."""
    import numpy as np

    rng = np.random.default_rng(0)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    vocab = np.array(["".join(rng.choice(letters, rng.integers(2, 11))) for _ in range(5000)])
    return " ".join(vocab[rng.integers(0, len(vocab), 9_000_000)])


def _write_papers(path: Path, ids: range, corpus: str) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(ids.start)
    offsets = rng.integers(0, len(corpus) - 2000, len(ids))
    lengths = rng.integers(700, 1400, len(ids))
    table = pa.table({
        "paper_url": [f"https://paperswithcode.com/paper/synthetic-paper-{i}" for i in ids],
        "arxiv_id": [f"{1500 + i % 1000}.{i:05d}" for i in ids],
        "nips_id": pa.nulls(len(ids), pa.string()), "openreview_id": pa.nulls(len(ids), pa.string()),
        "title": [f"Synthetic paper {i}: " + corpus[o : o + 60] for i, o in zip(ids, offsets, strict=True)],
        "abstract": [corpus[o : o + n] for o, n in zip(offsets, lengths, strict=True)],
        "short_abstract": [corpus[o : o + 200] for o in offsets],
        "url_abs": [f"https://arxiv.org/abs/{i}" for i in ids], "url_pdf": [f"https://arxiv.org/pdf/{i}" for i in ids],
        "proceeding": [PROCEEDINGS[i % len(PROCEEDINGS)] for i in ids],
        "authors": [["A. Author", "B. Author", f"C. Author {i % 977}"] for i in ids],
        "tasks": [["Image Classification", "Object Detection"][: 1 + i % 2] for i in ids],
        "date": [f"{2013 + i % 12}-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in ids],
        "conference_url_abs": pa.nulls(len(ids), pa.string()), "conference_url_pdf": pa.nulls(len(ids), pa.string()),
        "conference": [None if PROCEEDINGS[i % len(PROCEEDINGS)] is None else f"conf-{i % 300}" for i in ids],
        "reproduces_paper": pa.nulls(len(ids), pa.string()),
        "methods": [[{"name": "ResNet", "full_name": "Residual Network", "description": corpus[o : o + 300]}]
                    for o in offsets],
    })  # fmt: skip
    pq.write_table(table, path, row_group_size=50_000)


def _write_links(path: Path, n_links: int, n_papers: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = range(n_links)
    table = pa.table({
        "paper_url": [f"https://paperswithcode.com/paper/synthetic-paper-{(i * 7) % n_papers}" for i in ids],
        "paper_title": [f"Synthetic paper {(i * 7) % n_papers}" for i in ids],
        "paper_arxiv_id": [None] * n_links, "paper_url_abs": [None] * n_links, "paper_url_pdf": [None] * n_links,
        "repo_url": [REPO_SPELLINGS[i % len(REPO_SPELLINGS)].format(o=f"owner{i % 90_000}", n=f"repo-{i % 250_000}")
                     for i in ids],
        "is_official": [i % 3 == 0 for i in ids], "mentioned_in_paper": [i % 5 == 0 for i in ids],
        "mentioned_in_github": [i % 2 == 0 for i in ids],
        "framework": [["pytorch", "tf", "none", "jax", "mxnet"][i % 5] for i in ids],
    })  # fmt: skip
    pq.write_table(table, path)


# --- measurements (each in its own child process) ------------------------------------------


def run_ingest(files: dict[str, list[str]], db: str, fmt: str = "parquet", reader: str = "product") -> dict:
    from flows.settings import Settings
    from flows.stages.ingest import ingest_archive
    from flows.store.warehouse import Warehouse

    if reader == "read_json":
        _use_read_json()
    prefix = "" if fmt == "parquet" else "json_"
    links, papers = files[f"{prefix}links"], files[f"{prefix}papers"]
    Path(db).unlink(missing_ok=True)
    with Warehouse(db) as wh:
        counts = ingest_archive(wh, links, papers, Settings(data_dir=Path(db).parent), progress=False)
        counts["stored_papers"], counts["stored_links"] = wh.count("papers"), wh.count("links")
    return counts


def run_read_json(files: dict[str, list[str]], reader: str) -> dict:
    """The JSON reader alone: every record of both files as a dict of the projected columns, nothing stored."""
    from flows.sources import pwc_archive

    if reader == "read_json":
        _use_read_json()
    n = {"papers": 0, "links": 0}
    for kind, columns in (("papers", pwc_archive.PAPER_COLUMNS), ("links", pwc_archive.LINK_COLUMNS)):
        for path in files[f"json_{kind}"]:
            for _record in pwc_archive.iter_records(Path(path), columns):
                n[kind] += 1
    return n


def _use_read_json() -> None:
    """Point the archive source at DuckDB's read_json (the challenger) instead of its own parser."""
    import json_read_json

    from flows.sources import pwc_archive

    pwc_archive.iter_records = json_read_json.iter_records


def run_pandas(files: dict[str, list[str]]) -> dict:
    import pandas as pd

    from flows.sources.pwc_archive import LINK_COLUMNS, PAPER_COLUMNS

    papers = [pd.read_parquet(p, columns=list(PAPER_COLUMNS)) for p in files["papers"]]
    links = pd.read_parquet(files["links"][0], columns=list(LINK_COLUMNS))
    return {"papers": sum(len(p) for p in papers), "links": len(links)}


def run_arrow_scan(files: dict[str, list[str]]) -> dict:
    import pyarrow.parquet as pq

    from flows.sources.pwc_archive import LINK_COLUMNS, PAPER_COLUMNS

    n = 0
    for path, cols in [(p, PAPER_COLUMNS) for p in files["papers"]] + [(files["links"][0], LINK_COLUMNS)]:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=50_000, columns=list(cols)):
            n += batch.num_rows
    return {"rows": n}


MODES = ("ingest", "ingest-json", "ingest-json-handwritten", "read-json", "read-json-handwritten", "pandas",
         "arrow-scan")  # fmt: skip


def child(mode: str, files: dict[str, list[str]], db: str) -> dict:
    return {
        "ingest": lambda: run_ingest(files, db),
        "ingest-json": lambda: run_ingest(files, db, "json", "read_json"),
        "ingest-json-handwritten": lambda: run_ingest(files, db, "json"),
        "read-json": lambda: run_read_json(files, "read_json"),
        "read-json-handwritten": lambda: run_read_json(files, "product"),
        "pandas": lambda: run_pandas(files),
        "arrow-scan": lambda: run_arrow_scan(files),
    }[mode]()


def measure(mode: str, files: dict[str, list[str]], work: Path) -> dict:
    """Run one mode in a fresh interpreter; its wall time and peak RSS (kernel's ru_maxrss)."""
    cmd = [sys.executable, __file__, "--child", mode, "--files", json.dumps(files), "--db", str(work / "bench.duckdb")]
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")])}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{mode} failed with status {status}")
    return {"mode": mode, "seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "result": json.loads(out)}  # fmt: skip


def summarise(runs: list[dict]) -> list[dict]:
    """One row per mode, in the order first run: the median wall time and the largest peak RSS."""
    import statistics

    modes = list(dict.fromkeys(r["mode"] for r in runs))
    out = []
    for mode in modes:
        mine = [r for r in runs if r["mode"] == mode]
        out.append({"mode": mode, "seconds": round(statistics.median(r["seconds"] for r in mine), 1),
                    "all_seconds": [r["seconds"] for r in mine],
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in mine), "result": mine[-1]["result"]})  # fmt: skip
    return out


def markdown(results: list[dict], files: dict[str, list[str]], scale: float, rounds: int) -> str:
    by = {r["mode"]: r for r in results}
    size = sum(Path(p).stat().st_size for k in ("links", "papers") for p in files[k]) / 2**20
    json_size = sum(Path(p).stat().st_size for k in ("json_links", "json_papers") for p in files[k]) / 2**20
    counts = next(by[m]["result"] for m in ("ingest", "ingest-json") if m in by)
    lines = [
        f"Synthetic archive of the real shape (scale {scale:g} of the Hugging Face archive): "
        f"{counts['links']:,} links, {counts['papers']:,} papers with ~1 KB abstracts, as "
        f"{len(files['papers'])} + 1 Parquet files ({size:,.0f} MB) and as the original dumps' two gzipped JSON "
        f"arrays ({json_size:,.0f} MB). Each mode runs in a fresh process, {rounds} round(s) interleaved; wall "
        "time is the median, peak RSS the largest (`wait4`). The baseline is pandas reading the same columns "
        "in the same run.", "",
        "| mode | what | wall s (runs) | peak RSS MB | RSS / pandas | time / pandas |", "|---|---|---|---|---|---|",
    ]  # fmt: skip
    what = {"ingest": "`ingest_archive` of the Parquet files -> DuckDB (convert, normalise, upsert, one transaction)",
            "ingest-json": "`ingest_archive` of the `.json.gz` files, read by DuckDB's `read_json` (the challenger)",
            "ingest-json-handwritten": "the same through the product's hand-written streaming JSON parser",
            "read-json": "the `.json.gz` reader alone (`read_json` -> Arrow -> records), nothing stored",
            "read-json-handwritten": "the product's reader alone (stdlib `raw_decode` per record)",
            "pandas": "baseline: `pandas.read_parquet(columns=projected)`, nothing stored",
            "arrow-scan": "floor: bare pyarrow batch scan of projected columns"}  # fmt: skip
    base = by.get("pandas")
    for r in results:
        runs = ", ".join(str(x) for x in r["all_seconds"])
        ratios = (f"{r['peak_rss_mb'] / base['peak_rss_mb']:.2f} | {r['seconds'] / base['seconds']:.2f}" if base
                  else "- | -")  # fmt: skip
        lines.append(f"| {r['mode']} | {what[r['mode']]} | {r['seconds']} ({runs}) | {r['peak_rss_mb']:,} | {ratios} |")
    lines += [""] + [f"{line}" for line in json_verdict(results)]
    lines += ["", f"Ingest counts: `{json.dumps(counts, sort_keys=True)}`", ""]
    return "\n".join(lines)


PEAK_CEILING_MB = 1300
"""Issue 21: DuckDB's read_json replaces the hand-written parser only if faster within 1.3 GB peak."""


def json_verdict(results: list[dict]) -> list[str]:
    """The two JSON readers as ratios (new / hand-written) and whether read_json earns its place."""
    by = {r["mode"]: r for r in results}
    lines = []
    for new, old in (("ingest-json", "ingest-json-handwritten"), ("read-json", "read-json-handwritten")):
        if new in by and old in by:
            lines.append(f"`{new}` / `{old}`: wall {by[new]['seconds'] / by[old]['seconds']:.2f}, "
                         f"peak RSS {by[new]['peak_rss_mb'] / by[old]['peak_rss_mb']:.2f}.")  # fmt: skip
    if "ingest-json" in by and "ingest-json-handwritten" in by:
        new, old = by["ingest-json"], by["ingest-json-handwritten"]
        faster, within = new["seconds"] < old["seconds"], new["peak_rss_mb"] <= PEAK_CEILING_MB
        keep = "read_json should replace the parser" if faster and within else "the hand-written parser stays"
        speed, room = "faster" if faster else "not faster", "within" if within else "over"
        lines.append(f"Verdict: {keep} (ingest through read_json {speed}, "
                     f"peak {new['peak_rss_mb']:,} MB {room} {PEAK_CEILING_MB:,} MB).")  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", help="keep the synthetic archive here and reuse it (default: a temporary folder)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=1, help="run every mode this many times, interleaved")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child")
    parser.add_argument("--files")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, json.loads(args.files), args.db)))
        return
    if args.generate:
        print(json.dumps(generate(Path(args.dir), args.scale)))
        return
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        work = Path(args.dir or tmp)
        # Generate in a child: a process's peak RSS survives fork+exec, so a big parent would
        # leak its own peak into every measurement.
        gen = [sys.executable, __file__, "--generate", "--dir", str(work), "--scale", str(args.scale)]
        files = json.loads(subprocess.run(gen, check=True, capture_output=True).stdout)
        runs = []
        for _ in range(args.rounds):
            for mode in args.modes:
                runs.append(measure(mode, files, work))
                r = runs[-1]
                print(f"{r['mode']:<24} {r['seconds']:>7.1f} s  peak RSS {r['peak_rss_mb']:>6,} MB  {r['result']}",
                      flush=True)  # fmt: skip
        results = summarise(runs)
        for line in json_verdict(results):
            print(line)
        json_modes = any(m.startswith(("ingest-json", "read-json")) for m in args.modes)
        name, title = ("ingest-json", "Ingest: the JSON readers") if json_modes else ("ingest", "Ingest")
        record(name, markdown(results, files, args.scale, args.rounds), title=title)


if __name__ == "__main__":
    main()
