"""The seeded random draw of the early-years corpus (issue 25, see corpus/README.md).

Pool: the repositories the issue-25 growth fetched with an ``ok`` snapshot whose
sample rows are of 2014-2017: the ``early-title`` rows of data/sample/selection.csv
plus the 2014-2017 rows drawn earlier whose snapshot that growth asked for (listed in
``early_pool.txt``, one OWNER/NAME a line, as fetched). Sorted case-insensitively,
shuffled with a fixed seed, first ``--n``. Drawn before any classifier rule was
changed for them; the labels are in labels3.csv.

    python corpus/draw_early.py [--pool corpus/early_pool.txt] [--n 60] > draw.txt
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261207


def draw(pool: list[str], n: int) -> list[str]:
    order = sorted(set(pool), key=str.lower)
    random.Random(SEED).shuffle(order)
    return order[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pool", type=Path, default=HERE / "early_pool.txt")
    parser.add_argument("--n", type=int, default=60)
    args = parser.parse_args()
    pool = [line.strip() for line in args.pool.read_text(encoding="utf-8").splitlines() if line.strip()]
    print("\n".join(draw(pool, args.n)))


if __name__ == "__main__":
    main()
