"""Draw the bundled sample of conference papers with code (project issue 6).

Why this exists: the bundled sample in ``data/sample/`` must be small, real and
reproducible. The rows come from ``conference-code-links.tsv`` (community paper
lists, see its SOURCES.md). The venue mix of that table is heavily skewed towards
computer vision, so the draw is stratified by (venue, year): every year gets the
same target, split as evenly as possible over the venues present that year.

Rule (also written into data/sample/README.md):

* rows with ``monorepo=1`` are skipped (toolboxes, not a paper's own code);
* for every year 2014..2025 the target is 27 papers (all eligible rows if fewer);
* venues of a year are visited round-robin, ordered by number of eligible rows
  (descending) then name; each visit draws the next row of that venue's seeded
  permutation. Round-robin gives equal quotas, and the leftover of the target goes
  to the venues visited first that still have rows;
* each (venue, year) stratum has its own ``random.Random`` seeded with the string
  ``"{seed}:{venue}:{year}"`` (string seeds are stable across Python runs and
  processes), shuffling candidates sorted by (lower-case repo_url, title, source);
* a draw whose repository (case-insensitive) is already in the sample, or whose
  normalised title is already in the sample for that venue and year, is skipped
  and the next row of the permutation is drawn.

Only the standard library is used so the script runs anywhere.
"""

from __future__ import annotations

import argparse
import collections
import csv
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SEED = 20261126
YEARS = tuple(range(2014, 2026))
TARGET_PER_YEAR = 27
OUT_COLUMNS = ("title", "venue", "year", "arxiv_id", "repo_url", "source", "stratum_rank")


@dataclass(frozen=True)
class Row:
    """One eligible line of the TSV (only the fields the sample keeps)."""

    title: str
    venue: str
    year: int
    arxiv_id: str
    repo_url: str
    source: str


def read_rows(path: Path) -> list[Row]:
    """Read the TSV without quoting (titles contain bare double quotes) and skip monorepos."""
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        for rec in reader:
            if rec["monorepo"].strip() == "1":
                continue
            rows.append(
                Row(
                    title=rec["title"].strip(),
                    venue=rec["venue"].strip(),
                    year=int(rec["year"]),
                    arxiv_id=rec["arxiv_id"].strip(),
                    repo_url=rec["repo_url"].strip(),
                    source=rec["source"].strip(),
                )
            )
    return rows


def normalise_title(title: str) -> str:
    """Lower-case alphanumerics only, so typo-free duplicates of a paper compare equal."""
    return re.sub(r"[^0-9a-z]+", "", title.lower())


def permutation(rows: list[Row], seed: int, venue: str, year: int) -> list[Row]:
    """Sort the stratum deterministically, then shuffle it with the stratum's own RNG."""
    ordered = sorted(rows, key=lambda r: (r.repo_url.lower(), r.title, r.source))
    random.Random(f"{seed}:{venue}:{year}").shuffle(ordered)
    return ordered


def draw_year(
    strata: dict[str, list[Row]],
    year: int,
    seed: int,
    target: int,
    taken_repos: set[str],
) -> list[tuple[Row, int]]:
    """Round-robin over the year's venues; returns (row, 1-based rank in its permutation)."""
    venues = sorted(strata, key=lambda v: (-len(strata[v]), v))
    perms = {v: permutation(strata[v], seed, v, year) for v in venues}
    cursor = {v: 0 for v in venues}
    taken_titles: set[tuple[str, str]] = set()
    chosen: list[tuple[Row, int]] = []
    active = list(venues)
    while len(chosen) < target and active:
        for venue in list(active):
            if len(chosen) >= target:
                break
            picked = _next_draw(perms[venue], cursor, venue, taken_repos, taken_titles)
            if picked is None:
                active.remove(venue)
                continue
            chosen.append(picked)
    return chosen


def _next_draw(
    perm: list[Row],
    cursor: dict[str, int],
    venue: str,
    taken_repos: set[str],
    taken_titles: set[tuple[str, str]],
) -> tuple[Row, int] | None:
    """Advance the venue's permutation to the next row that is not a duplicate."""
    while cursor[venue] < len(perm):
        row = perm[cursor[venue]]
        cursor[venue] += 1
        repo_key = row.repo_url.lower()
        title_key = (venue, normalise_title(row.title))
        if repo_key in taken_repos or title_key in taken_titles:
            continue
        taken_repos.add(repo_key)
        taken_titles.add(title_key)
        return row, cursor[venue]
    return None


def select(rows: list[Row], seed: int, years: tuple[int, ...], target: int) -> list[tuple[Row, int]]:
    """Draw every year in ascending order (the repo de-duplication depends on that order)."""
    by_stratum: dict[int, dict[str, list[Row]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    for row in rows:
        by_stratum[row.year][row.venue].append(row)
    taken_repos: set[str] = set()
    chosen: list[tuple[Row, int]] = []
    for year in years:
        chosen.extend(draw_year(by_stratum.get(year, {}), year, seed, target, taken_repos))
    return chosen


def write_selection(chosen: list[tuple[Row, int]], out: Path) -> None:
    """Write rows sorted by (year, venue, rank) so the file is stable."""
    out.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(chosen, key=lambda c: (c[0].year, c[0].venue, c[1]))
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(OUT_COLUMNS)
        for row, rank in ordered:
            writer.writerow([row.title, row.venue, row.year, row.arxiv_id, row.repo_url, row.source, rank])


def print_counts(chosen: list[tuple[Row, int]]) -> None:
    """Print counts per year and per venue, the figures the README quotes."""
    per_year = collections.Counter(r.year for r, _ in chosen)
    per_venue = collections.Counter(r.venue for r, _ in chosen)
    print(f"papers: {len(chosen)}")
    print("per year: " + ", ".join(f"{y}={per_year[y]}" for y in sorted(per_year)))
    print("per venue: " + ", ".join(f"{v}={n}" for v, n in sorted(per_venue.items(), key=lambda kv: (-kv[1], kv[0]))))


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; exit 0 on success, 1 if the sample misses its minimums."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tsv", type=Path, help="conference-code-links.tsv")
    parser.add_argument("--out", type=Path, default=Path("data/sample/selection.csv"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--per-year", type=int, default=TARGET_PER_YEAR)
    args = parser.parse_args(argv)
    chosen = select(read_rows(args.tsv), args.seed, YEARS, args.per_year)
    write_selection(chosen, args.out)
    print(f"seed: {args.seed}; wrote {args.out}")
    print_counts(chosen)
    per_year = collections.Counter(r.year for r, _ in chosen)
    venues = {r.venue for r, _ in chosen}
    ok = len(chosen) >= 300 and all(per_year[y] >= 20 for y in YEARS) and len(venues) >= 6
    if not ok:
        print("error: sample misses its minimums (>=300 papers, >=20 per year, >=6 venues)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
