"""Accuracy of the framework classifier on the hand-labelled development corpus.

Reads corpus/labels.csv (repo, commit, label, why), scans each repository's
snapshot at that commit with the same code the CLI uses, and prints the accuracy,
the confusion, every miss, and a naive baseline (count the files importing each
framework, majority wins) with the repos where the baseline fails.

    PYTHONPATH=. python corpus/measure_accuracy.py [--mirror /work/.mirror] [--dump REPO ...]

Nothing in a snapshot is run: blobs are read with ``git cat-file``.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from analysis.frameworks import Decision, classify_evidence, label_for_module, relevant_evidence
from analysis.imports import FileScan
from flows.sources.snapshot import find_git_dir, scan_git_snapshot

HERE = Path(__file__).resolve().parent


def load_labels(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return [row for row in csv.DictReader(fh) if row["repo"] and not row["repo"].startswith("#")]


def mirror_index(mirror: Path) -> dict[str, Path]:
    """lower-case 'owner/name' -> snapshot directory (directories are named owner+name)."""
    return {d.lower().replace("+", "/", 1): mirror / d for d in os.listdir(mirror) if "+" in d}


def scan_repo(snapshot: Path, commit: str) -> list[FileScan]:
    git_dir = find_git_dir(snapshot)
    if git_dir is None:
        raise FileNotFoundError(f"no git directory under {snapshot}")
    rev = commit if commit and _has_commit(git_dir, commit) else "HEAD"
    return scan_git_snapshot(git_dir, rev)


def _has_commit(git_dir: Path, commit: str) -> bool:
    probe = subprocess.run(["git", "-C", str(git_dir), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True)
    return probe.returncode == 0


def naive_label(scans: list[FileScan]) -> str:
    """The baseline: each file votes for every framework it imports; most files wins."""
    votes: Counter[str] = Counter()
    for scan in scans:
        labels = {label_for_module(e.module, e.kind) for e in scan.evidence}
        votes.update(lab.lstrip("?") for lab in labels if lab)
    return votes.most_common(1)[0][0] if votes else "none"


def summarize(decision: Decision) -> str:
    scores = ", ".join(f"{k}={v:g}" for k, v in sorted(decision.scores.items(), key=lambda kv: -kv[1]))
    drivers = "; ".join(f"{e.path}:{e.module}{'(weak)' if e.is_weak else ''}" for e in decision.evidence[:4])
    return f"{decision.framework} conf={decision.confidence} [{scores}] {decision.reason} <- {drivers}"


def dump(scans: list[FileScan]) -> None:
    """Per file, the framework evidence: what a labeller reads next."""
    for e in relevant_evidence(scans):
        if e.module:
            print(f"    {e.path}: {e.module} ({e.kind}{', weak' if e.is_weak else ''})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--labels", type=Path, default=HERE / "labels.csv")
    parser.add_argument("--dump", nargs="*", help="print the evidence of these repos (all if none given)")
    args = parser.parse_args(argv)
    index = mirror_index(args.mirror)
    rows = load_labels(args.labels)
    results = []
    for row in rows:
        snapshot = index.get(row["repo"].lower())
        if snapshot is None:
            print(f"MISSING SNAPSHOT {row['repo']}")
            continue
        scans = scan_repo(snapshot, row.get("commit", ""))
        decision = classify_evidence(relevant_evidence(scans))
        results.append((row, decision, naive_label(scans)))
        if args.dump is not None and (not args.dump or row["repo"] in args.dump):
            print(f"{row['repo']} (label {row['label']}): {summarize(decision)}")
            dump(scans)
    return report(results)


def report(results: list[tuple[dict[str, str], Decision, str]]) -> int:
    n = len(results)
    hits = sum(d.framework == r["label"] for r, d, _ in results)
    naive_hits = sum(nv == r["label"] for r, _, nv in results)
    naive = f"naive baseline: {naive_hits}/{n} = {naive_hits / max(n, 1):.1%}"
    print(f"\naccuracy: {hits}/{n} = {hits / max(n, 1):.1%}   {naive}")
    confusion = Counter((r["label"], d.framework) for r, d, _ in results)
    print("\nconfusion (truth -> predicted: count)")
    for (truth, pred), count in sorted(confusion.items()):
        print(f"  {truth:>11} -> {pred:<11} {count}{'' if truth == pred else '   <-- miss'}")
    print("\nmisses:")
    for r, d, _ in results:
        if d.framework != r["label"]:
            print(f"  {r['repo']}: truth {r['label']}, got {summarize(d)}")
    print("\nwhere the naive baseline fails (and what we say):")
    for r, d, nv in results:
        if nv != r["label"]:
            print(f"  {r['repo']}: truth {r['label']}, naive {nv}, classifier {d.framework}")
    return 0 if hits == n else 1


if __name__ == "__main__":
    sys.exit(main())
