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
    phase_of = {r.repo_url.removeprefix("https://github.com/"): phase for r, _, phase in chosen}
    rank = {"year-quota": 0, "stratum-top-up": 0, "fetched-top-up": 0, "year-quota-2": 1, "total-quota": 2}
    levels = [rank[phase_of[name]] for name in names]
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] == 1  # the comparison's strata first
    assert not {r.repo_url.removeprefix("https://github.com/") for r in tried} & set(names)
