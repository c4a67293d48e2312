"""The budgeted draw (analysis/shares/allocation.py): seeded, topped up by the next ranks, allocated where the
yearly intervals are widest, and estimated back to the archive by the product's own estimator."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.shares.allocation import (
    MIN_PER_STRATUM,
    counted_view,
    draw_keys,
    plan_draws,
    population_of,
    predicted_variance,
    with_strata,
    yearly_estimates,
)
from analysis.shares.intervals import Z95

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from synthetic import implementation_frame, synthetic_tables  # noqa: E402

NOTHING = pd.DataFrame({"paper_id": pd.Series(dtype=object), "draw_rank": pd.Series(dtype=int)})


def _population(n_per_stratum: dict[tuple[str, int], int]) -> pd.DataFrame:
    rows = [{"paper_id": f"{venue}-{year}-{i}", "venue": venue, "year": year, "title": f"Paper {i}",
             "repos": [f"o/{venue}-{year}-{i}"]}
            for (venue, year), n in n_per_stratum.items() for i in range(n)]  # fmt: skip
    return with_strata(pd.DataFrame(rows))


def test_the_draw_is_seeded_and_does_not_depend_on_the_row_order() -> None:
    population = _population({("CVPR", 2019): 40, ("ICLR", 2019): 10, ("CVPR", 2021): 30})
    first = plan_draws(population, NOTHING, seed=7, repo_budget=20)
    again = plan_draws(population.sample(frac=1.0, random_state=1), NOTHING, seed=7, repo_budget=20)
    other = plan_draws(population, NOTHING, seed=8, repo_budget=20)
    assert len(first) == 20 and first["n_repos"].sum() == 20
    assert first.sort_values("paper_id").reset_index(drop=True).equals(again.sort_values("paper_id")
                                                                         .reset_index(drop=True))  # fmt: skip
    assert set(first["paper_id"]) != set(other["paper_id"])
    # within a stratum the drawn papers are the first ranks of the seeded order
    keys = dict(zip(population["paper_id"], draw_keys(population["paper_id"], 7), strict=True))
    for _, stratum in first.groupby(["venue", "year"]):
        ordered = stratum.sort_values("draw_rank")
        assert list(ordered["draw_rank"]) == list(range(1, len(ordered) + 1))
        assert [keys[p] for p in ordered["paper_id"]] == sorted(keys[p] for p in ordered["paper_id"])


def test_a_top_up_keeps_the_first_draw_and_takes_the_next_ranks() -> None:
    population = _population({("CVPR", 2019): 40, ("ICLR", 2019): 10, ("CVPR", 2021): 30, ("ACL", 2016): 6})
    first = plan_draws(population, NOTHING, seed=3, repo_budget=15)
    more = plan_draws(population, first[["paper_id", "draw_rank"]], seed=3, repo_budget=40)
    assert not set(first["paper_id"]) & set(more["paper_id"]) and len(first) + len(more) == 40
    both = pd.concat([first, more])
    for _, stratum in both.groupby(["venue", "year", "title_stratum"]):
        assert sorted(stratum["draw_rank"]) == list(range(1, len(stratum) + 1))
    census = plan_draws(population, both[["paper_id", "draw_rank"]], seed=3, repo_budget=None)
    assert len(both) + len(census) == len(population)


def test_every_stratum_gets_its_minimum_and_small_years_get_more_than_their_share() -> None:
    population = _population({("CVPR", 2019): 400, ("ICLR", 2019): 100, ("NeurIPS", 2019): 3, ("CVPR", 2015): 50})
    drawn = plan_draws(population, NOTHING, seed=1, repo_budget=60)
    per = drawn.groupby(["venue", "year"]).size()
    assert (per >= MIN_PER_STRATUM).all() and per[("NeurIPS", 2019)] == 2
    # within 2019 the pilot is proportional (equal guessed variances): CVPR about four times ICLR
    assert 3 <= per[("CVPR", 2019)] / per[("ICLR", 2019)] <= 5
    # 2015 holds 9% of the papers but is a year of its own: its share's variance gets as much attention as 2019's
    assert per[("CVPR", 2015)] > 0.09 * len(drawn)


def test_a_target_width_stops_drawing_years_already_that_narrow() -> None:
    population = _population({("CVPR", 2019): 3000, ("CVPR", 2020): 3000})
    wide = plan_draws(population, NOTHING, seed=1, repo_budget=5000)
    narrow = plan_draws(population, NOTHING, seed=1, repo_budget=5000, target_width=0.1)
    assert len(wide) == 5000 and len(narrow) < 1000
    table = narrow.groupby("year").size()
    strata = population.groupby(["venue", "year", "title_stratum"], as_index=False).size().rename(
        columns={"size": "big_n"}).assign(s2=0.25, xbar=1.0)  # fmt: skip
    strata["x_year"] = strata["big_n"]
    strata["scale"] = strata["big_n"] ** 2 * strata["s2"] / strata["x_year"] ** 2
    widths = 2 * Z95 * np.sqrt(predicted_variance(strata, table.reindex(strata["year"]).to_numpy()))
    assert (widths <= 0.1).all() and (widths > 0.095).all()  # stopped as soon as the width was reached


@pytest.fixture(scope="module")
def archive() -> tuple[pd.DataFrame, pd.DataFrame]:
    """300,000 links with a known framework per repository, and the archive's population."""
    frame = implementation_frame(synthetic_tables(300_000, seed=1))
    return frame, population_of(frame)


def test_2000_repository_samples_of_300k_links_cover_the_census_shares(archive) -> None:  # noqa: ANN001
    """The drawn papers' known labels (what crawling them would read), estimated back by the report's code.

    Coverage is a property of the procedure, so it is measured over three draws (seeds 24-26, fixed, not chosen;
    one draw's 76 cells are too few to tell 90% from 95%). A framework of 2-4% that a draw does not meet in a
    year has a zero row there with an interval from 0 up, and counts like any other cell: seeds 24-31 cover
    71, 70, 74, 74, 73, 74, 75 and 76 of 76 (96.5% in all; before the zero rows seed 24 covered 88%, five of
    its misses being frameworks it never met).
    """
    frame, population = archive
    truth = yearly_estimates(frame, None, framework=None)
    truth = truth[truth["share"] > 0.02]
    covered = []
    for seed in (24, 25, 26):
        draws = plan_draws(population, NOTHING, seed=seed, repo_budget=2000)
        repos = {r for rs in population.set_index("paper_id").loc[draws["paper_id"], "repos"] for r in rs}
        assert 1900 < len(repos) <= 2000
        counted, design, is_census = counted_view(frame, population, draws)
        assert not is_census and design is not None and design.finite
        assert counted["paper_id"].nunique() == len(draws)
        estimate = yearly_estimates(counted, design, framework=None)
        cells = truth.merge(estimate, on=["year", "framework"], how="left", suffixes=("_census", ""))
        hit = (cells["share_low"] <= cells["share_census"]) & (cells["share_census"] <= cells["share_high"])
        assert len(cells) >= 70 and cells["share_low"].notna().all() and hit.mean() >= 0.9, cells[~hit]
        covered += list(hit)
    assert np.mean(covered) >= 0.93


def test_top_up_and_census_paths_give_a_direct_census_numbers() -> None:
    frame = implementation_frame(synthetic_tables(6_000, seed=2))
    population = population_of(frame)
    first = plan_draws(population, NOTHING, seed=5, repo_budget=300)
    kept = first[["paper_id", "draw_rank"]]
    topped = pd.concat([first, plan_draws(population, kept, seed=5, repo_budget=10**6)])
    completed = pd.concat([first, plan_draws(population, kept, seed=5, repo_budget=None)])
    direct = yearly_estimates(frame, None, framework=None)
    for draws in (topped, completed):
        assert set(draws["paper_id"]) == set(population["paper_id"])
        counted, design, is_census = counted_view(frame, population, draws)
        assert is_census and design is None
        pd.testing.assert_frame_equal(yearly_estimates(counted, design, framework=None), direct)
    # part way, the finite-population design is in force and the intervals are wider than at the census
    counted, design, _ = counted_view(frame, population, first)
    partial = yearly_estimates(counted, design)
    assert ((partial["share_high"] - partial["share_low"]).to_numpy() > 0.05).all()
