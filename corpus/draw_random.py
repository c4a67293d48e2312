"""The seeded random part of the development corpus (see corpus/README.md).

Pool: distinct repositories of the 2014-2020, monorepo=0 rows of
../shared/sample-sources/conference-code-links.tsv whose snapshot was already in
the snapshot folder ($SAMPLE_MIRROR) (fetched by the bundled-sample draw, itself seeded and random) and that
are not among our hand-picked repositories. The pool as seen is written to
corpus/random_pool.txt, so the draw can be repeated after the mirror changes.

    python corpus/draw_random.py [--pool corpus/random_pool.txt] [--n 65]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20141126
# ../shared beside the checkout, as the workplace lays it out; override with --tsv or $SAMPLE_SOURCES_TSV.
TSV = Path(os.environ.get("SAMPLE_SOURCES_TSV", HERE.parent.parent / "shared/sample-sources/conference-code-links.tsv"))


def eligible_repos(tsv: Path) -> set[str]:
    with tsv.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return {
        "/".join(r["repo_url"].rstrip("/").split("/")[3:5]).lower()
        for r in rows
        if r["monorepo"] == "0" and r["year"].isdigit() and 2014 <= int(r["year"]) <= 2020
    }


def build_pool(mirror: Path, hand_picked: set[str]) -> list[str]:
    mirrored = {d.lower().replace("+", "/", 1) for d in os.listdir(mirror) if "+" in d}
    return sorted((eligible_repos(TSV) & mirrored) - hand_picked)


def draw(pool: list[str], n: int) -> list[str]:
    order = sorted(pool)
    random.Random(SEED).shuffle(order)
    return order[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool", type=Path, help="reuse a recorded pool instead of listing the mirror")
    parser.add_argument("--n", type=int, default=65)
    args = parser.parse_args()
    hand = {line.split(",")[0].lower() for line in (HERE / "hand_picked.txt").read_text().splitlines() if line}
    mirror = Path(os.environ.get("SAMPLE_MIRROR", "snapshots"))
    pool = args.pool.read_text().split() if args.pool else build_pool(mirror, hand)
    if not args.pool:
        (HERE / "random_pool.txt").write_text("\n".join(pool) + "\n")
    print("\n".join(draw(pool, args.n)))


if __name__ == "__main__":
    main()
