"""Ingest benchmark: the full-size PWC archive through `ingest_archive`, peak memory and time.

Writes a synthetic archive of the real shape (300,161 links in one Parquet file;
576,261 papers with ~1 KB abstracts, authors, tasks and methods over four Parquet
files, as on Hugging Face), then runs each measurement in a fresh child process and
reads its peak RSS from the kernel (``wait4``):

- ``ingest``: ``ingest_archive`` into a new DuckDB warehouse (the product path);
- ``pandas``: ``pandas.read_parquet`` of the same files' projected columns (baseline:
  what "just load it" costs, before any conversion or storing);
- ``arrow-scan``: a bare ``pyarrow`` batch scan of the projected columns (the floor).

The archive is written to a temporary folder and removed afterwards unless ``--dir`` names
one to keep (and reuse). Records its figures in BENCHMARKS.md (block ``ingest``).

Usage: python bench/ingest_bench.py [--dir DIR] [--scale 1.0]
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
    return {"links": [str(links)], "papers": [str(p) for p in papers]}


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


def run_ingest(files: dict[str, list[str]], db: str) -> dict:
    from flows.settings import Settings
    from flows.stages.ingest import ingest_archive
    from flows.store.warehouse import Warehouse

    Path(db).unlink(missing_ok=True)
    with Warehouse(db) as wh:
        counts = ingest_archive(wh, files["links"], files["papers"], Settings(data_dir=Path(db).parent), progress=False)
        counts["stored_papers"], counts["stored_links"] = wh.count("papers"), wh.count("links")
    return counts


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


def measure(mode: str, files: dict[str, list[str]], work: Path) -> dict:
    """Run one mode in a fresh interpreter; its wall time and peak RSS (kernel's ru_maxrss)."""
    cmd = [sys.executable, __file__, "--child", mode, "--files", json.dumps(files), "--db", str(work / "bench.duckdb")]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{mode} failed with status {status}")
    return {"mode": mode, "seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "result": json.loads(out)}  # fmt: skip


def markdown(results: list[dict], files: dict[str, list[str]], scale: float) -> str:
    by = {r["mode"]: r for r in results}
    size = sum(Path(p).stat().st_size for group in files.values() for p in group) / 2**20
    lines = [
        f"Synthetic archive of the real shape (scale {scale:g} of the Hugging Face archive): "
        f"{by['ingest']['result']['links']:,} links, {by['ingest']['result']['papers']:,} papers with ~1 KB "
        f"abstracts in {len(files['papers'])} + 1 Parquet files ({size:,.0f} MB). Each mode runs in a fresh process; "
        "peak RSS from `wait4`. The baseline is pandas reading the same columns in the same run.", "",
        "| mode | what | wall s | peak RSS MB | RSS / pandas | time / pandas |", "|---|---|---:|---:|---:|---:|",
    ]  # fmt: skip
    what = {"ingest": "`ingest_archive` -> DuckDB (convert, normalise, upsert, one transaction)",
            "pandas": "baseline: `pandas.read_parquet(columns=projected)`, nothing stored",
            "arrow-scan": "floor: bare pyarrow batch scan of projected columns"}  # fmt: skip
    base = by["pandas"]
    for r in results:
        ratios = f"{r['peak_rss_mb'] / base['peak_rss_mb']:.2f} | {r['seconds'] / base['seconds']:.2f}"
        lines.append(f"| {r['mode']} | {what[r['mode']]} | {r['seconds']} | {r['peak_rss_mb']:,} | {ratios} |")
    lines += ["", f"Ingest counts: `{json.dumps(by['ingest']['result'], sort_keys=True)}`"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", help="keep the synthetic archive here and reuse it (default: a temporary folder)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child")
    parser.add_argument("--files")
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.child:
        files = json.loads(args.files)
        run = {"ingest": lambda: run_ingest(files, args.db), "pandas": lambda: run_pandas(files),
               "arrow-scan": lambda: run_arrow_scan(files)}[args.child]  # fmt: skip
        print(json.dumps(run()))
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
        results = [measure(mode, files, work) for mode in ("ingest", "pandas", "arrow-scan")]
        for r in results:
            print(f"{r['mode']:<11} {r['seconds']:>7.1f} s  peak RSS {r['peak_rss_mb']:>6,} MB  {r['result']}")
        record("ingest", markdown(results, files, args.scale), title="Ingest")


if __name__ == "__main__":
    main()
