"""The sample's draw: a failed fetch is replaced, and the fetch list puts the comparison first."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_select():  # noqa: ANN202 - the script as a module (scripts/ is not a package)
    spec = importlib.util.spec_from_file_location("select_sample", ROOT / "scripts" / "sample" / "select_sample.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["select_sample"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


sel = _load_select()


def _rows() -> list:
    rows = [sel.Row(f"paper {v} {y} {i}", v, y, "", f"https://github.com/o/{v}{y}-{i}", "list")
            for v, y, n in (("CVPR", 2018, 200), ("ICLR", 2019, 40)) for i in range(n)]  # fmt: skip
    rows += [sel.Row(f"paper {y} {i}", "AAAI", y, "", f"https://github.com/o/a{y}-{i}", "list")
             for y in sel.YEARS for i in range(120)]  # fmt: skip
    return rows


def test_failed_fetches_are_replaced_until_the_stratum_holds_80_fetchable_rows() -> None:
    sizes = {("CVPR", 2018): 30, ("ICLR", 2019): 30}
    first = sel.select(_rows(), 1, set(), sizes, failed=set())
    cvpr = [r for r, _, _ in first if (r.venue, r.year) == ("CVPR", 2018)]
    assert len(cvpr) == 80
    failed = {r.repo_url.lower() for r in cvpr[:5]}
    again = sel.select(_rows(), 1, set(), sizes, failed=failed)
    cvpr_again = [r for r, _, _ in again if (r.venue, r.year) == ("CVPR", 2018)]
    assert cvpr_again[:80] == cvpr  # the earlier draws stay, failed ones included
    assert len(cvpr_again) == 85 and len({r.repo_url.lower() for r in cvpr_again} - failed) == 80
    assert len([r for r, _, _ in again if (r.venue, r.year) == ("ICLR", 2019)]) == 40  # a census when too small
    assert {phase for _, _, phase in sel.select(_rows(), 1, set(), sizes)} <= {"year-quota", "stratum-top-up"}


def test_every_year_reaches_its_quota_and_the_total_is_met() -> None:
    chosen = sel.select(_rows(), 1, set(), {("CVPR", 2018): 30}, failed=set())
    per_year = {y: sum(1 for r, _, _ in chosen if r.year == y) for y in sel.YEARS}
    assert min(per_year.values()) >= sel.TARGET_PER_YEAR_2
    assert len(chosen) >= len(sel.YEARS) * sel.TARGET_PER_YEAR_2


def test_the_fetch_list_holds_untried_rows_comparison_strata_first(tmp_path: Path) -> None:
    chosen = sel.select(_rows(), 1, set(), {("CVPR", 2018): 30}, failed=set())
    log = tmp_path / "fetch_log.csv"
    tried = [r for r, _, phase in chosen if phase != "fetched-top-up"][:10]
    with log.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["repo_url", "outcome", "detail"])
        writer.writerows([r.repo_url, "ok", ""] for r in tried)
    out = tmp_path / "to_fetch.txt"
    n = sel.write_to_fetch(chosen, log, out)
    names = out.read_text().split()
    assert n == len(names) == len(chosen) - 10
    row_of = {r.repo_url.removeprefix("https://github.com/"): (r, phase) for r, _, phase in chosen}
    levels = [sel.fetch_level(*row_of[name]) for name in names]
    assert levels == sorted(levels) and levels[0] == 0  # the comparison's strata first
    years = [row_of[name][0].year for name in names if sel.fetch_level(*row_of[name]) in (1, 3, 5, 6)]
    assert years == sorted(years, key=lambda y: {2014: 0, 2015: 0, 2016: 1, 2017: 1, 2025: 2, 2021: 3}[y])
    assert not {r.repo_url.removeprefix("https://github.com/") for r in tried} & set(names)


def _early_rows() -> tuple[list, list]:
    """Conference rows of 2015 (half with deep-learning titles) and topic rows of 2015."""
    conference = [sel.Row(f"{'Deep' if i % 2 else 'Sparse'} method {i}", "CVPR", 2015, "",
                          f"https://github.com/c/cvpr15-{i}", "list") for i in range(100)]  # fmt: skip
    topic = [sel.Row(f"{'Neural' if i % 4 else 'Graph'} idea {i}", "CVPR", 2015, "", f"https://github.com/t/{i}",
                     "topic-list", sel.TOPIC) for i in range(40)]  # fmt: skip
    return conference, topic


def test_the_early_phase_draws_each_cell_to_its_rate_and_keeps_earlier_draws() -> None:
    conference, topic = _early_rows()
    rows = conference + _rows()
    before = sel.select(rows, 1, set(), {}, failed=set())
    after = sel.select(rows, 1, set(), {}, failed=set(), topic_rows=topic, early=True)
    assert after[: len(before)] == before  # phases 1-6 are unchanged by phase 7
    cells = {}
    for row, _, _ in after:
        if row.year == 2015:
            cells[row.cell] = cells.get(row.cell, 0) + 1
    rates = sel.EARLY_RATES
    assert cells[("CVPR", 2015, sel.TOPIC, "dl")] == 30 * rates[(sel.TOPIC, "dl")][2015]  # 30 topic rows are dl
    assert cells[("CVPR", 2015, sel.TOPIC, "other")] == -(-10 * rates[(sel.TOPIC, "other")][2015] // 1)
    drawn_dl = cells[("CVPR", 2015, sel.CONFERENCE, "dl")]
    assert drawn_dl >= 50 * rates[(sel.CONFERENCE, "dl")][2015]
    # a conference "other" cell keeps what phases 1-6 drew (its rate is 0)
    assert cells[("CVPR", 2015, sel.CONFERENCE, "other")] == sum(
        1 for r, _, _ in before if (r.venue, r.year, r.title_stratum) == ("CVPR", 2015, "other"))


def test_a_cell_continues_its_own_permutation_in_venue_year_order() -> None:
    """A cell's rows are drawn in the order of the venue-year permutation restricted to the cell."""
    conference, topic = _early_rows()
    chosen = sel.select(conference + _rows(), 1, set(), {}, failed=set(), topic_rows=topic, early=True)
    dl = [rank for row, rank, _ in chosen if row.cell == ("CVPR", 2015, sel.CONFERENCE, "dl")]
    drawer = sel.Drawer(conference, 1)
    order = [rank for rank, _ in drawer.cell_permutation(("CVPR", 2015, sel.CONFERENCE, "dl"))]
    assert sorted(dl) == order[: len(dl)]  # a prefix: a simple random sample of the cell


def test_the_strata_file_has_one_row_per_cell(tmp_path: Path) -> None:
    conference, topic = _early_rows()
    rows = conference + _rows()
    chosen = sel.select(rows, 1, set(), {}, failed=set(), topic_rows=topic, early=True)
    out = tmp_path / "strata.csv"
    sel.write_strata(rows + topic, chosen, out)
    with out.open(newline="") as fh:
        written = list(csv.DictReader(fh))
    assert list(written[0]) == list(sel.STRATA_COLUMNS)
    by_cell = {(r["venue"], r["year"], r["source_stratum"], r["title_stratum"]): r for r in written}
    assert by_cell[("CVPR", "2015", "topic", "dl")]["n_population"] == "30"
    assert by_cell[("AAAI", "2020", "conference", "all")]["n_population"] == "120"
    assert sum(int(r["n_drawn"]) for r in written) == len(chosen)


def _topic(n: int, list_file: int = 0, tag: str = "t") -> list:
    return [sel.Row(f"{tag} {i}", "CVPR", 2015, "", f"https://github.com/o/{tag}{i}", "list", sel.TOPIC, list_file)
            for i in range(n)]  # fmt: skip


def test_a_list_added_later_keeps_the_drawn_order_and_inserts_its_rows() -> None:
    """Issue 25: a list found after a draw must not re-draw the cells it touches."""
    first = _topic(12)
    before = sel.topic_permutation(first, 7, "CVPR", 2015)
    after = sel.topic_permutation(first + _topic(3, list_file=1, tag="new"), 7, "CVPR", 2015)
    assert [r for r in after if r.list_file == 0] == before  # the first file's order, untouched
    assert sorted(r.title for r in after if r.list_file == 1) == ["new 0", "new 1", "new 2"]
    assert sel.topic_permutation(first + _topic(3, list_file=1, tag="new"), 7, "CVPR", 2015) == after  # by seed


def test_an_inserted_row_lands_at_every_position_about_equally_often() -> None:
    """Inserting at a uniform position keeps the permutation uniform, so a cell stays a simple random sample."""
    n, seeds = 4, range(2000)
    positions = [[r.list_file for r in sel.topic_permutation(_topic(n) + _topic(1, 1, "x"), s, "CVPR", 2015)].index(1)
                 for s in seeds]  # fmt: skip
    counts = [positions.count(p) for p in range(n + 1)]
    expected = len(seeds) / (n + 1)
    assert sum((c - expected) ** 2 / expected for c in counts) < 18.5  # chi-square, 4 df, p = 0.001
