"""The seeded random draw of the second development corpus (see corpus/README.md).

Pool: distinct repositories of the 2016-2019 rows of
../shared/sample-sources/conference-code-links.tsv (tab-separated, no quoting)
with ``monorepo != 1``, minus every repository of the first corpus (labels.csv).
The pool is sorted, shuffled with a fixed seed and cut to ``--n``; repositories
without a snapshot are dropped later, in draw order, so the draw is repeatable.

    python corpus/draw_corpus2.py [--tsv PATH] [--n 170] > draw.txt
"""

from __future__ import annotations

import argparse
import csv
import os
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20160101
# ../shared beside the checkout, as the workplace lays it out; override with --tsv or $SAMPLE_SOURCES_TSV.
TSV = Path(os.environ.get("SAMPLE_SOURCES_TSV", HERE.parent.parent / "shared/sample-sources/conference-code-links.tsv"))


def repo_of(url: str) -> str:
    parts = url.strip().rstrip("/").split("/")
    if len(parts) < 5 or parts[2].lower() != "github.com":
        return ""
    name = parts[4][:-4] if parts[4].endswith(".git") else parts[4]
    return f"{parts[3]}/{name}"


def eligible_repos(tsv: Path) -> set[str]:
    """OWNER/NAME (as spelled in the TSV, deduplicated case-insensitively) of the 2016-2019 single-paper rows."""
    seen: dict[str, str] = {}
    with tsv.open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            year = row.get("year") or ""
            if row.get("monorepo") == "1" or not year.isdigit() or not 2016 <= int(year) <= 2019:
                continue
            repo = repo_of(row.get("repo_url") or "")
            if repo:
                seen.setdefault(repo.lower(), repo)
    return set(seen.values())


def first_corpus() -> set[str]:
    with (HERE / "labels.csv").open(newline="") as fh:
        return {row["repo"].lower() for row in csv.DictReader(fh)}


def draw(pool: set[str], excluded: set[str], n: int) -> list[str]:
    order = sorted(r for r in pool if r.lower() not in excluded)
    random.Random(SEED).shuffle(order)
    return order[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tsv", type=Path, default=TSV)
    parser.add_argument("--n", type=int, default=170)
    args = parser.parse_args()
    print("\n".join(draw(eligible_repos(args.tsv), first_corpus(), args.n)))


if __name__ == "__main__":
    main()
