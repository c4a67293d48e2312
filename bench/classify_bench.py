"""Classifier throughput on the development corpus, against baselines in the same run.

The evidence files of every corpus repository with a snapshot in --mirror
(corpus/labels.csv and corpus/labels2.csv) are materialised once into a temp dir, so
every contender reads the same bytes from the same (warm) page cache:

- papertrends: ``scan_directory`` + ``classify_evidence`` per repo, one process, one core;
- grep: ``grep -rE '^\\s*(import|from)\\s'`` over the same tree (the physical floor);
- pipreqs (if installed): ``pipreqs --print --mode no-pin --use-local`` per repo.

Needs snapshots of the corpus repositories (corpus/README.md says how to fetch them); with
none under --mirror it says so in one line and exits 0. Records its figures in
BENCHMARKS.md (block ``classify-throughput``).

    python bench/classify_bench.py [--mirror SNAPSHOTS_DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from record import record, skip  # noqa: E402

from analysis.classifier.frameworks import classify_evidence, relevant_evidence  # noqa: E402
from analysis.classifier.imports import evidence_kind  # noqa: E402
from corpus.measure_accuracy import load_labels, mirror_index, snapshot_rev  # noqa: E402
from flows.sources.snapshot import find_git_dir, list_git_tree, scan_directory  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


LABEL_FILES = ("labels.csv", "labels2.csv")


def materialise(mirror: Path, out: Path, label_files: tuple[str, ...] = LABEL_FILES) -> tuple[int, int, int]:
    """Write each repo's evidence files (regular blobs only) under out/<owner+name>/;
    repositories without a snapshot are skipped. Returns (repos, files, bytes)."""
    index = mirror_index(mirror)
    n_repos = n_files = n_bytes = 0
    rows = [row for name in label_files for row in load_labels(ROOT / "corpus" / name)]
    for row in rows:
        snapshot = index.get(row["repo"].lower())
        git_dir = find_git_dir(snapshot) if snapshot else None
        if git_dir is None:
            continue
        n_repos += 1
        dest = out / row["repo"].replace("/", "+")
        dest.mkdir(parents=True)
        for mode, sha, size, path in list_git_tree(git_dir, snapshot_rev(git_dir, row["commit"])):
            if mode in ("100644", "100755") and size >= 0 and evidence_kind(path):
                data = subprocess.run(["git", "-C", str(git_dir), "cat-file", "blob", sha], capture_output=True).stdout
                target = dest / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                n_files, n_bytes = n_files + 1, n_bytes + len(data)
    return n_repos, n_files, n_bytes


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run_classifier(tree: Path) -> None:
    for repo in sorted(tree.iterdir()):
        classify_evidence(relevant_evidence(scan_directory(repo)))


def run_grep(tree: Path) -> None:
    subprocess.run(["grep", "-rE", r"^\s*(import|from)\s", str(tree)], stdout=subprocess.DEVNULL, check=False)


def run_pipreqs(tree: Path, exe: str) -> None:
    for repo in sorted(tree.iterdir()):
        subprocess.run([exe, "--print", "--mode", "no-pin", "--use-local", str(repo)], capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", type=Path, default=Path(os.environ.get("SAMPLE_MIRROR", "snapshots")),
                        help="dir of {owner}+{name}/repo snapshots (default $SAMPLE_MIRROR, else ./snapshots)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--labels", nargs="+", default=list(LABEL_FILES), help="label files under corpus/")
    args = parser.parse_args()
    if not args.mirror.is_dir() or not any("+" in name for name in os.listdir(args.mirror)):
        skip(f"needs corpus snapshots: none under {args.mirror} (set SAMPLE_MIRROR or --mirror; corpus/README.md)")
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, children included
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "corpus"
        n_repos, n_files, n_bytes = materialise(args.mirror, tree, tuple(args.labels))
        if not n_repos:
            skip(f"needs corpus snapshots: none of the labelled repositories under {args.mirror}")
        mb = n_bytes / 1e6
        run_grep(tree)  # warm the page cache for everyone
        rows = [("papertrends scan+classify", best_of(args.repeat, lambda: run_classifier(tree)))]
        rows.append(("grep -rE import floor", best_of(args.repeat, lambda: run_grep(tree))))
        exe = shutil.which("pipreqs") or shutil.which("pipreqs", path=str(Path(sys.executable).parent))
        if exe:
            rows.append(("pipreqs --use-local", best_of(1, lambda: run_pipreqs(tree, exe))))
    intro = (f"{n_repos} corpus repositories with a snapshot ({', '.join(args.labels)}): {n_files:,} evidence "
             f"files, {mb:.1f} MB, materialised once; every contender reads the same tree from a warm page cache, "
             f"pinned to one core, best of {args.repeat} (pipreqs: one run). The floor is grep in the same run.")
    lines = ["| contender | seconds | MB/s | files/s | x grep |", "| --- | ---: | ---: | ---: | ---: |"]
    floor = rows[1][1]
    for name, secs in rows:
        lines.append(f"| {name} | {secs:.2f} | {mb / secs:.1f} | {n_files / secs:.0f} | {secs / floor:.1f} |")
    print(intro + "\n\n" + "\n".join(lines))
    record("classify-throughput", intro + "\n\n" + "\n".join(lines), title="Classifier throughput")


if __name__ == "__main__":
    main()
