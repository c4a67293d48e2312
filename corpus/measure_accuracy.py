"""Accuracy of the framework classifier on the hand-labelled development corpus.

Reads corpus/labels.csv (repo, commit, label, why), scans each repository's
snapshot at that commit with the same code the CLI uses, and prints the accuracy,
the confusion, every miss, and a naive baseline (count the files importing each
framework, majority wins) with the repos where the baseline fails.

    PYTHONPATH=. python corpus/measure_accuracy.py [--labels FILE ...] [--mirror DIR] [--dump REPO ...]

With several label files, each is reported on its own and then together, with the
results per hard class (corpus/classes.csv) and a calibration table (confidence bucket
-> accuracy) over all of them.

Nothing in a snapshot is run: blobs are read with ``git cat-file``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from analysis.classifier.frameworks import (
    UNCERTAIN_BELOW,
    Decision,
    classify_evidence,
    label_for_module,
    relevant_evidence,
)
from analysis.classifier.imports import Evidence, FileScan
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
    return scan_git_snapshot(git_dir, snapshot_rev(git_dir, commit))


def snapshot_rev(git_dir: Path, commit: str) -> str:
    """The labelled commit when the snapshot has it, else its HEAD (a newer snapshot)."""
    return commit if commit and _has_commit(git_dir, commit) else "HEAD"


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
    parser.add_argument("--mirror", type=Path, default=Path(os.environ.get("SAMPLE_MIRROR", "snapshots")),
                        help="dir of {owner}+{name}/repo snapshots (default $SAMPLE_MIRROR, else ./snapshots)")
    parser.add_argument("--labels", type=Path, nargs="+", default=[HERE / "labels.csv"])
    parser.add_argument("--classes", type=Path, default=HERE / "classes.csv", help="repo,class rows")
    parser.add_argument("--evidence", type=Path,
                        help="stored evidence (data/sample/evidence.csv.gz) for repos without a snapshot")  # fmt: skip
    parser.add_argument("--dump", nargs="*", help="print the evidence of these repos (all if none given)")
    args = parser.parse_args(argv)
    index = mirror_index(args.mirror)
    stored = load_stored_evidence(args.evidence) if args.evidence else {}
    everything: list[tuple[dict[str, str], Decision, str]] = []
    status = 0
    for labels in args.labels:
        print(f"\n=== {labels.name}")
        results = measure(load_labels(labels), index, args.dump, stored)
        status |= report(results)
        everything += results
    if len(args.labels) > 1:
        print(f"\n=== all {len(args.labels)} label files")
        hits = sum(d.framework == r["label"] for r, d, _ in everything)
        naive = sum(nv == r["label"] for r, _, nv in everything)
        print(f"accuracy: {hits}/{len(everything)} = {hits / max(len(everything), 1):.1%}   "
              f"naive baseline: {naive}/{len(everything)} = {naive / max(len(everything), 1):.1%}")  # fmt: skip
    if args.classes.exists():
        report_classes(everything, args.classes)
    report_calibration(everything)
    return status


def load_stored_evidence(path: Path) -> dict[str, list[Evidence]]:
    """repo_key -> evidence rows of a ``repo_key, path, kind, module, is_weak`` CSV (the
    bundled sample's evidence.csv.gz: every module of every evidence file, no markers of
    classifier 2026.12.1)."""
    by_repo: dict[str, list[Evidence]] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            row = Evidence(r["path"], r["module"], r["kind"], r["is_weak"] == "true")
            by_repo.setdefault(r["repo_key"], []).append(row)
    return by_repo


def naive_label_of_rows(rows: list[Evidence]) -> str:
    """The baseline on stored rows: each file votes for every framework it imports."""
    per_file: dict[str, set[str]] = {}
    for e in rows:
        if label := label_for_module(e.module, e.kind):
            per_file.setdefault(e.path, set()).add(label.lstrip("?"))
    votes = Counter(label for labels in per_file.values() for label in labels)
    return votes.most_common(1)[0][0] if votes else "none"


def measure(
    rows: list[dict[str, str]],
    index: dict[str, Path],
    dump_repos: list[str] | None,
    stored: dict[str, list[Evidence]] | None = None,
) -> list[tuple[dict[str, str], Decision, str]]:
    """(label row, decision, naive label) of every labelled repository with a snapshot, or
    else with stored evidence (said so on its line)."""
    results = []
    for row in rows:
        snapshot = index.get(row["repo"].lower())
        if snapshot is None and (stored or {}).get(row["repo"].lower()):
            evidence = stored[row["repo"].lower()]
            print(f"STORED EVIDENCE {row['repo']} (no snapshot)")
            results.append((row, classify_evidence(evidence), naive_label_of_rows(evidence)))
            continue
        if snapshot is None:
            print(f"MISSING SNAPSHOT {row['repo']}")
            continue
        scans = scan_repo(snapshot, row.get("commit", ""))
        decision = classify_evidence(relevant_evidence(scans))
        results.append((row, decision, naive_label(scans)))
        if dump_repos is not None and (not dump_repos or row["repo"] in dump_repos):
            print(f"{row['repo']} (label {row['label']}): {summarize(decision)}")
            dump(scans)
    return results


def report_classes(results: list[tuple[dict[str, str], Decision, str]], classes_csv: Path) -> None:
    """Accuracy and naive baseline within each hard class of corpus/classes.csv."""
    with classes_csv.open(newline="") as fh:
        members: dict[str, set[str]] = {}
        for row in csv.DictReader(fh):
            members.setdefault(row["class"], set()).add(row["repo"].lower())
    print("\nper class (classifier / naive baseline / uncertain decisions):")
    for name, repos in members.items():
        rows = [(r, d, nv) for r, d, nv in results if r["repo"].lower() in repos]
        hits = sum(d.framework == r["label"] for r, d, _ in rows)
        naive = sum(nv == r["label"] for r, _, nv in rows)
        unsure = sum(d.is_uncertain for _, d, _ in rows)
        print(f"  {name:<14} {hits}/{len(rows)}  naive {naive}/{len(rows)}  uncertain {unsure}")
        for r, d, nv in rows:
            mark = "ok  " if d.framework == r["label"] else "MISS"
            print(f"    {mark} {r['repo']}: truth {r['label']}, got {d.framework} ({d.confidence:.2f}), naive {nv}")


BUCKETS = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0001)


def report_calibration(results: list[tuple[dict[str, str], Decision, str]]) -> None:
    """Confidence bucket -> how often the decision is right; then below/above the threshold."""
    print("\ncalibration (confidence bucket -> accuracy):")
    for lo, hi in zip(BUCKETS, BUCKETS[1:], strict=False):
        rows = [(r, d) for r, d, _ in results if lo <= d.confidence < hi]
        hits = sum(d.framework == r["label"] for r, d in rows)
        print(f"  [{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}  n={len(rows):3d}  "
              f"right {hits:3d}  accuracy {hits / len(rows) if rows else float('nan'):.3f}")  # fmt: skip
    for name, keep in (("uncertain", True), ("settled", False)):
        rows = [(r, d) for r, d, _ in results if d.is_uncertain == keep]
        hits = sum(d.framework == r["label"] for r, d in rows)
        side = "<" if keep else ">="
        print(f"  {name:<9} (confidence {side} {UNCERTAIN_BELOW}): {hits}/{len(rows)} = {hits / max(len(rows), 1):.1%}")


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
