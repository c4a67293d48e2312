"""Draw the bundled sample of conference papers with code (project issues 6 and 13).

Why this exists: the bundled sample in ``data/sample/`` must be real and
reproducible, and big enough in the venue-years that a published study measured
to check our numbers against it. The rows come from ``conference-code-links.tsv``
(community paper lists, see its SOURCES.md). The draw is stratified by
(venue, year), and every stratum's rows are a simple random sample of its rows.

Rule (also written into data/sample/README.md):

* rows with ``monorepo=1`` are skipped (toolboxes, not a paper's own code);
* each (venue, year) stratum has its own ``random.Random`` seeded with the string
  ``"{seed}:{venue}:{year}"`` (string seeds are stable across Python runs and
  processes), shuffling candidates sorted by (lower-case repo_url, title, source);
  every phase below continues these same permutations;
* a draw whose repository (case-insensitive) is already in the sample, or whose
  normalised title is already in the sample for that venue and year, is skipped
  and the next row of the permutation is drawn.

Phases (in this order; phase 1 is the original 324-row sample, unchanged):

1. ``year-quota``: for every year 2014..2025 the target is 27 papers, venues of the
   year visited round-robin (most rows first, then name), one row per visit;
2. ``seed``: rows of the years 2016..2019 whose repository is in ``--seed-repos``
   (another helper's uniform random draw over those years' rows, fetched for the
   classifier's second corpus) join their stratum: a uniform draw within a stratum
   joined to the stratum's permutation prefix is still a uniform sample of it;
3. ``stratum-top-up``: for each stratum of ``STRATUM_ROWS`` (Horace He's
   venue-years), the permutation is continued until the stratum holds that many
   rows. The sizes were reached by drawing, in the order listed, until each stratum
   held 80 (the first four) or 30 rows that were fetched ok or not yet tried; the
   session's fetch budget (500 repositories, shared with another helper) ran out
   during ICML 2019 and before any failed fetch could be replaced, so the sizes are
   frozen here as reached (data/sample/README.md, "Counts");
4. ``fetched-top-up`` (with ``--fetch-log``): those strata's permutations continue
   until each holds 80 rows fetched ok or not tried yet; a failed row stays and the
   next row replaces it (draw, fetch, record, draw again until nothing changes);
5. ``year-quota-2``: the year-quota round-robin again, to 60 papers per year;
6. ``total-quota``: one row per stratum per round of ``EXTRA_STRATA`` until the
   sample holds 1,500 rows;
7. ``early-title`` (issue 25, with ``--early``): the years 2014-2017 are split into
   cells (venue, year, source stratum, title stratum). The source stratum says which
   file a row comes from (``conference``: conference-code-links.tsv, conference-wide
   lists; ``topic``: early-2014-2017.tsv, topic lists of deep-learning work), the
   title stratum whether the title reads like deep learning
   (``analysis.shares.title_strata``). Each cell's permutation is its venue-year
   permutation restricted to the cell (for ``topic`` rows a permutation of their own,
   seeded ``"{seed}:{venue}:{year}:topic"``); the rows already drawn are a prefix of
   it plus the seed rows, so continuing it keeps the cell a simple random sample.
   Each cell is drawn until it holds ``EARLY_RATES`` of its rows (rounded up) that
   were fetched ok or not tried yet; a failed fetch is replaced like in phase 4.

Only the standard library is used so the script runs anywhere.
"""

from __future__ import annotations

import argparse
import collections
import csv
import functools
import math
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from analysis.shares.title_strata import DL, OTHER, TITLE_STRATUM_YEARS, title_stratum  # noqa: E402

SEED = 20261126
YEARS = tuple(range(2014, 2026))
TARGET_PER_YEAR = 27
SEED_YEARS = (2016, 2017, 2018, 2019)
# Horace He's venue-years, in the order the fetch budget was spent on them: rows per stratum.
STRATUM_ROWS: dict[tuple[str, int], int] = {
    ("ICML", 2018): 31, ("NeurIPS", 2018): 31, ("ICLR", 2018): 30, ("ICLR", 2019): 30,
    ("CVPR", 2020): 31, ("ICLR", 2020): 31, ("CVPR", 2019): 81, ("CVPR", 2018): 80,
    ("ICCV", 2019): 81, ("ICML", 2019): 26,
}  # fmt: skip
FETCHED_PER_STRATUM = 80  # issue 13: papers whose repository could be fetched, per venue-year of STRATUM_ROWS
TARGET_PER_YEAR_2 = 60
TARGET_TOTAL = 1500
# More of Horace He's venue-years that the lists cover, in order: they take the rows that
# bring the sample to TARGET_TOTAL, one row per stratum per round.
EXTRA_STRATA: tuple[tuple[str, int], ...] = (
    ("ICLR", 2021), ("NeurIPS", 2017), ("CVPR", 2017), ("ICCV", 2017), ("ECCV", 2018),
)  # fmt: skip
FAILED_OUTCOMES = frozenset({"missing", "too-large", "error"})
CONFERENCE = "conference"  # conference-code-links.tsv: conference-wide lists
TOPIC = "topic"  # early-2014-2017.tsv (and lists added by issue 25): topic lists of deep-learning work
# Phase 7 (issue 25): the fraction of each early cell's rows to hold, by (source stratum, title
# stratum) and year. A conference ``other`` cell keeps what it holds (0: it draws nothing more).
EARLY_RATES: dict[tuple[str, str], dict[int, float]] = {
    (TOPIC, DL): {2014: 1.0, 2015: 1.0, 2016: 0.4, 2017: 0.3},
    (TOPIC, OTHER): {2014: 1.0, 2015: 0.3, 2016: 0.1, 2017: 0.05},
    (CONFERENCE, DL): {2014: 1.0, 2015: 1.0, 2016: 0.6, 2017: 0.15},
    (CONFERENCE, OTHER): {2014: 0.0, 2015: 0.0, 2016: 0.0, 2017: 0.0},
}
OUT_COLUMNS = ("title", "venue", "year", "arxiv_id", "repo_url", "source", "stratum_rank", "drawn_by",
               "source_stratum", "title_stratum")


@dataclass(frozen=True)
class Row:
    """One eligible line of the TSV (only the fields the sample keeps)."""

    title: str
    venue: str
    year: int
    arxiv_id: str
    repo_url: str
    source: str
    source_stratum: str = CONFERENCE
    list_file: int = 0  # which --early file (0: the first); later files' rows are inserted, see topic_permutation

    @functools.cached_property
    def title_stratum(self) -> str:
        return title_stratum(self.title, self.year)

    @functools.cached_property
    def cell(self) -> tuple[str, int, str, str]:
        """The stratum key of the weights: (venue, year, source stratum, title stratum)."""
        return (self.venue, self.year, self.source_stratum, self.title_stratum)


def read_rows(path: Path, source_stratum: str = CONFERENCE, list_file: int = 0) -> list[Row]:
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
                    source_stratum=source_stratum,
                    list_file=list_file,
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


def topic_permutation(rows: list[Row], seed: int, venue: str, year: int) -> list[Row]:
    """A venue-year's topic rows in draw order: the first file's permutation, later files' rows inserted into it.

    Lists found after a draw must not re-draw the cells they touch: re-shuffling the whole
    venue-year would replace rows already drawn and fetched. So the first file's rows keep
    their permutation, and each row of a later file (in file order, then sorted like a
    permutation) goes to a position drawn uniformly from 0..len with its own seeded RNG:
    inserting an item at a uniform position of a uniform random permutation gives a uniform
    random permutation of the larger set, so every cell stays a simple random sample, and
    the rows already drawn keep their order (a new row lands in a cell's drawn prefix with
    the probability the cell's rate gives it).
    """
    perm = permutation([r for r in rows if r.list_file == 0], seed, venue, f"{year}:{TOPIC}")
    later = sorted((r for r in rows if r.list_file > 0),
                   key=lambda r: (r.list_file, r.repo_url.lower(), r.title, r.source))
    for row in later:
        rng = random.Random(f"{seed}:{venue}:{year}:{TOPIC}:insert:{row.repo_url.lower()}:{row.title}:{row.source}")
        perm.insert(rng.randint(0, len(perm)), row)
    return perm


def repo_name(url: str) -> str:
    return url.lower().removeprefix("https://github.com/")


class Drawer:
    """Per-stratum seeded permutations and cursors, shared by every phase of the draw."""

    def __init__(self, rows: list[Row], seed: int, topic_rows: list[Row] | None = None) -> None:
        self.strata: dict[tuple[str, int], list[Row]] = collections.defaultdict(list)
        for row in rows:
            self.strata[(row.venue, row.year)].append(row)
        self.perms = {k: permutation(v, seed, k[0], k[1]) for k, v in self.strata.items()}
        self.cursor = dict.fromkeys(self.perms, 0)
        topic: dict[tuple[str, int], list[Row]] = collections.defaultdict(list)
        for row in topic_rows or []:
            topic[(row.venue, row.year)].append(row)
        # the topic lists' venue-years have permutations of their own (phase 7)
        self.topic_perms = {k: topic_permutation(v, seed, k[0], k[1]) for k, v in topic.items()}
        self.cell_cursor: dict[tuple[str, int, str, str], int] = collections.defaultdict(int)
        self.taken_repos: set[str] = set()
        self.taken_titles: set[tuple[str, int, str]] = set()
        self.taken_arxiv: set[str] = set()
        self.chosen: list[tuple[Row, int, str]] = []

    def venues_of(self, year: int) -> list[str]:
        """The year's venues, most rows first, then by name (the round-robin order)."""
        venues = [v for v, y in self.strata if y == year]
        return sorted(venues, key=lambda v: (-len(self.strata[(v, year)]), v))

    def take(self, row: Row, rank: int, phase: str) -> bool:
        """Add a row unless its repository or (venue, year, title) is already in the sample.

        From phase 7 on, also unless its arXiv id is (the paper id of the sample is the
        arXiv URL: a paper listed under two titles or venue-years must not be two papers).
        """
        repo_key, title_key = row.repo_url.lower(), (row.venue, row.year, normalise_title(row.title))
        if repo_key in self.taken_repos or title_key in self.taken_titles:
            return False
        if phase == "early-title" and row.arxiv_id and row.arxiv_id in self.taken_arxiv:
            return False
        self.taken_repos.add(repo_key)
        self.taken_titles.add(title_key)
        if row.arxiv_id:
            self.taken_arxiv.add(row.arxiv_id)
        self.chosen.append((row, rank, phase))
        return True

    def cells(self) -> list[tuple[str, int, str, str]]:
        """Every (venue, year, source, title) cell of the early years, sorted."""
        found = {r.cell for perms in (self.perms, self.topic_perms) for perm in perms.values() for r in perm
                 if r.year in TITLE_STRATUM_YEARS}  # fmt: skip
        return sorted(found, key=lambda c: (c[1], c[2], c[3], c[0]))

    def cell_permutation(self, cell: tuple[str, int, str, str]) -> list[tuple[int, Row]]:
        """(rank in the venue-year permutation, row) of the cell's rows, in permutation order."""
        venue, year, source, _ = cell
        perm = (self.topic_perms if source == TOPIC else self.perms).get((venue, year), [])
        return [(rank, r) for rank, r in enumerate(perm, start=1) if r.cell == cell]

    def top_up_cell(self, cell: tuple[str, int, str, str], n_ok: int, failed: set[str]) -> None:
        """Phase 7: continue the cell's permutation until ``n_ok`` of its rows are fetched ok or untried."""
        perm = self.cell_permutation(cell)

        def n_fetchable() -> int:
            return sum(1 for r, _, _ in self.chosen if r.cell == cell and r.repo_url.lower() not in failed)

        have = n_fetchable()
        while have < n_ok and self.cell_cursor[cell] < len(perm):
            rank, row = perm[self.cell_cursor[cell]]
            self.cell_cursor[cell] += 1
            if self.take(row, rank, "early-title") and row.repo_url.lower() not in failed:
                have += 1

    def draw_next(self, stratum: tuple[str, int], phase: str) -> bool:
        """Advance the stratum's permutation to the next row that is not a duplicate."""
        perm = self.perms.get(stratum, [])
        while self.cursor[stratum] < len(perm):
            row = perm[self.cursor[stratum]]
            self.cursor[stratum] += 1
            if self.take(row, self.cursor[stratum], phase):
                return True
        return False

    def draw_year(self, year: int, target: int, phase: str = "year-quota") -> None:
        """Phase 1: round-robin over the year's venues until the year holds ``target`` rows."""
        active = self.venues_of(year)
        count = sum(1 for row, _, _ in self.chosen if row.year == year)
        while count < target and active:
            for venue in list(active):
                if count >= target:
                    break
                if self.draw_next((venue, year), phase):
                    count += 1
                else:
                    active.remove(venue)

    def seed_stratum(self, stratum: tuple[str, int], repos: set[str]) -> None:
        """Phase 2: add the stratum's rows whose repository another uniform draw holds.

        The rank is the row's position in the stratum's permutation; the cursor does
        not move, and the top-up that follows skips these rows as duplicates.
        """
        for rank, row in enumerate(self.perms.get(stratum, []), start=1):
            if repo_name(row.repo_url) in repos:
                self.take(row, rank, "seed")

    def top_up(self, stratum: tuple[str, int], n_rows: int) -> None:
        """Phase 3: continue the stratum's permutation until it holds ``n_rows`` rows."""
        def count() -> int:
            return sum(1 for r, _, _ in self.chosen if (r.venue, r.year) == stratum)

        while count() < n_rows and self.draw_next(stratum, "stratum-top-up"):
            pass

    def top_up_fetchable(self, stratum: tuple[str, int], n_ok: int, failed: set[str]) -> None:
        """Phase 4: continue the permutation until ``n_ok`` rows are fetched ok or not tried yet.

        A row whose fetch failed stays in the sample (as missing) and the next row of
        the permutation replaces it, so the stratum ends with ``n_ok`` fetchable rows
        (or all of its rows, when it has fewer).
        """
        def n_fetchable() -> int:
            return sum(1 for r, _, _ in self.chosen
                       if (r.venue, r.year) == stratum and r.repo_url.lower() not in failed)  # fmt: skip

        while n_fetchable() < n_ok and self.draw_next(stratum, "fetched-top-up"):
            pass

    def round_robin(self, strata: tuple[tuple[str, int], ...], total: int, phase: str) -> None:
        """Phase 6: one row per stratum per round until the sample holds ``total`` rows."""
        active = [s for s in strata if s in self.perms]
        while len(self.chosen) < total and active:
            for stratum in list(active):
                if len(self.chosen) >= total:
                    break
                if not self.draw_next(stratum, phase):
                    active.remove(stratum)


def select(rows: list[Row], seed: int, seed_repos: set[str], sizes: dict[tuple[str, int], int],
           failed: set[str] | None = None, topic_rows: list[Row] | None = None,
           early: bool = False) -> list[tuple[Row, int, str]]:  # fmt: skip
    """Run the phases in order (the de-duplication depends on that order).

    ``failed``: lower-case repository URLs whose fetch failed (from fetch_log.csv);
    phase 4 draws a replacement for each. Without it phases 4-6 are skipped, which
    reproduces the first three phases alone. ``early`` runs phase 7 over the
    conference rows and ``topic_rows`` (the topic lists' rows).
    """
    drawer = Drawer(rows, seed, topic_rows)
    for year in YEARS:
        drawer.draw_year(year, TARGET_PER_YEAR)
    for stratum in sorted(k for k in drawer.perms if k[1] in SEED_YEARS):
        drawer.seed_stratum(stratum, seed_repos)
    for stratum, n_rows in sizes.items():
        drawer.top_up(stratum, n_rows)
    if failed is None:
        return drawer.chosen
    for stratum in sizes:
        drawer.top_up_fetchable(stratum, FETCHED_PER_STRATUM, failed)
    for year in YEARS:
        drawer.draw_year(year, TARGET_PER_YEAR_2, "year-quota-2")
    drawer.round_robin(EXTRA_STRATA, TARGET_TOTAL, "total-quota")
    if early:
        population = collections.Counter(r.cell for perms in (drawer.perms, drawer.topic_perms)
                                         for perm in perms.values() for r in perm)  # fmt: skip
        for cell in drawer.cells():
            rate = EARLY_RATES[(cell[2], cell[3])][cell[1]]
            drawer.top_up_cell(cell, math.ceil(rate * population[cell]), failed)
    return drawer.chosen


def read_failed(path: Path | None) -> set[str] | None:
    """Lower-case repo URLs whose fetch failed, from fetch_log.csv (None without a log)."""
    if path is None or not path.exists():
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["repo_url"].lower() for r in csv.DictReader(fh) if r["outcome"] in FAILED_OUTCOMES}


def fetch_level(row: Row, phase: str) -> int:
    """How soon a drawn repository is fetched: the comparison's strata, then the thinnest years.

    0: phase 4 (Horace He's strata); 1-4: the early years, 2014-2015 before 2016-2017 and
    deep-learning titles before the others (the likelier framework papers); 5: 2025,
    6: 2021 (year-quota top-ups); 7: rows of an early ``other`` title cell drawn before
    phase 7 (year-quota leftovers: the cell's fetched rows stay a prefix of its
    permutation whatever is left); 8: everything else.
    """
    if phase == "fetched-top-up":
        return 0
    if row.year in TITLE_STRATUM_YEARS:
        if row.title_stratum == OTHER and phase != "early-title":
            return 7
        return 1 + 2 * (row.year >= 2016) + (row.title_stratum == OTHER)
    return {2025: 5, 2021: 6}.get(row.year, 8)


def write_to_fetch(chosen: list[tuple[Row, int, str]], log: Path, out: Path) -> int:
    """OWNER/NAME of drawn repositories not in the fetch log yet, most needed first.

    Order: by :func:`fetch_level`; within a level, round-robin over the cells by rank,
    so a fetch budget that runs out leaves every cell about equally short.
    """
    logged: set[str] = set()
    if log.exists():
        with log.open(encoding="utf-8", newline="") as fh:
            logged = {r["repo_url"].lower() for r in csv.DictReader(fh)}
    todo = [(row, rank, phase) for row, rank, phase in chosen if row.repo_url.lower() not in logged]
    by_stratum: dict[tuple, list[tuple[int, Row]]] = collections.defaultdict(list)
    for row, rank, phase in todo:
        by_stratum[(fetch_level(row, phase), *row.cell)].append((rank, row))
    lines: list[str] = []
    for level in sorted({k[0] for k in by_stratum}):
        queues = [sorted(v, key=lambda t: t[0]) for k, v in sorted(by_stratum.items()) if k[0] == level]
        while any(queues):
            for queue in queues:
                if queue:
                    lines.append(queue.pop(0)[1].repo_url.removeprefix("https://github.com/"))
    out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return len(lines)


def read_seed_repos(path: Path | None) -> set[str]:
    """One OWNER/NAME a line (the other draw's list), lower-cased."""
    if path is None:
        return set()
    return {line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def write_selection(chosen: list[tuple[Row, int, str]], out: Path) -> None:
    """Write rows sorted by (year, venue, rank) so the file is stable."""
    out.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(chosen, key=lambda c: (c[0].year, c[0].venue, c[1]))
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(OUT_COLUMNS)
        for row, rank, phase in ordered:
            writer.writerow([row.title, row.venue, row.year, row.arxiv_id, row.repo_url, row.source, rank, phase,
                             row.source_stratum, row.title_stratum])


STRATA_COLUMNS = ("venue", "year", "source_stratum", "title_stratum", "n_population", "n_drawn")


def write_strata(rows: list[Row], chosen: list[tuple[Row, int, str]], out: Path) -> None:
    """Population and sample size per cell (venue, year, source stratum, title stratum): the weights.

    ``rows``: every eligible row of every source; a cell the sample did not draw from
    is written too (``n_drawn`` 0), so the population is complete.
    """
    population = collections.Counter(r.cell for r in rows)
    drawn = collections.Counter(r.cell for r, _, _ in chosen)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(STRATA_COLUMNS)
        for cell in sorted(population, key=lambda k: (k[1], k[0], k[2], k[3])):
            writer.writerow([*cell, population[cell], drawn[cell]])


def print_counts(chosen: list[tuple[Row, int, str]]) -> None:
    """Print counts per year and per venue, the figures the README quotes."""
    per_year = collections.Counter(r.year for r, _, _ in chosen)
    per_venue = collections.Counter(r.venue for r, _, _ in chosen)
    print(f"papers: {len(chosen)}")
    print("per year: " + ", ".join(f"{y}={per_year[y]}" for y in sorted(per_year)))
    print("per venue: " + ", ".join(f"{v}={n}" for v, n in sorted(per_venue.items(), key=lambda kv: (-kv[1], kv[0]))))


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; exit 0 on success, 1 if the sample misses its minimums."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tsv", type=Path, help="conference-code-links.tsv")
    parser.add_argument("--out", type=Path, default=Path("data/sample/selection.csv"))
    parser.add_argument("--strata-out", type=Path, default=Path("data/sample/strata.csv"))
    parser.add_argument("--seed-repos", type=Path, default=None, help="OWNER/NAME list of the other uniform draw")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--fetch-log", type=Path, default=None,
                        help="fetch_log.csv: run phases 4-6, replacing rows whose fetch failed")
    parser.add_argument("--to-fetch", type=Path, default=None,
                        help="with --fetch-log: write the drawn repositories not fetched yet, most needed first")
    parser.add_argument("--early", type=Path, nargs="*", default=None,
                        help="phase 7: topic-list TSVs of 2014-2017 (data/sample/sources/early-2014-2017.tsv)")
    args = parser.parse_args(argv)
    rows = read_rows(args.tsv)
    topic_rows = [r for i, path in enumerate(args.early or []) for r in read_rows(path, TOPIC, list_file=i)]
    failed = read_failed(args.fetch_log)
    if args.early is not None and failed is None:
        parser.error("--early needs --fetch-log (phase 7 follows phases 4-6)")
    chosen = select(rows, args.seed, read_seed_repos(args.seed_repos), STRATUM_ROWS, failed,
                    topic_rows, early=args.early is not None)  # fmt: skip
    if args.to_fetch and args.fetch_log:
        print(f"to fetch: {write_to_fetch(chosen, args.fetch_log, args.to_fetch)} repositories -> {args.to_fetch}")
    write_selection(chosen, args.out)
    write_strata(rows + topic_rows, chosen, args.strata_out)
    print(f"seed: {args.seed}; wrote {args.out} and {args.strata_out}")
    print_counts(chosen)
    per_year = collections.Counter(r.year for r, _, _ in chosen)
    ok = len(chosen) >= 300 and all(per_year[y] >= 20 for y in YEARS)
    if not ok:
        print("error: sample misses its minimums (>=300 papers, >=20 per year)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
