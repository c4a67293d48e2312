"""Print the classifier's decision for every repository of the bundled sample.

Why this exists: the README's hand check compares the classifier
(analysis.classifier.frameworks.classify_evidence) with labels read by hand from the code;
this gives the classifier side from the committed evidence.csv.gz alone, so the
check can be repeated after the rules change without any snapshot.

Output: TSV repo_key, framework, confidence, scores, top evidence (path:module).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analysis.classifier.frameworks import CLASSIFIER_VERSION, classify_evidence  # noqa: E402
from analysis.classifier.imports import Evidence  # noqa: E402


def load_evidence(path: Path) -> dict[str, list[Evidence]]:
    """repo_key -> Evidence rebuilt from the CSV (the same fields the warehouse stores)."""
    by_repo: dict[str, list[Evidence]] = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            by_repo[r["repo_key"]].append(Evidence(r["path"], r["module"], r["kind"], r["is_weak"] == "true"))
    return by_repo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample-dir", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--repo", action="append", default=[], help="only these repo keys (owner/name)")
    args = parser.parse_args(argv)
    evidence = load_evidence(args.sample_dir / "evidence.csv.gz")
    with (args.sample_dir / "repos.csv").open(encoding="utf-8", newline="") as fh:
        ok = sorted(r["full_name"].lower() for r in csv.DictReader(fh) if r["status"] == "ok")
    wanted = {k.lower() for k in args.repo}
    print(f"# classifier {CLASSIFIER_VERSION}")
    for key in ok:
        if wanted and key not in wanted:
            continue
        d = classify_evidence(evidence.get(key, []))
        scores = ",".join(f"{k}={v:g}" for k, v in sorted(d.scores.items(), key=lambda kv: -kv[1]))
        top = " ".join(f"{e.path}:{e.module}" for e in d.evidence[:3])
        print(f"{key}\t{d.framework}\t{d.confidence:g}\t{scores}\t{top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
