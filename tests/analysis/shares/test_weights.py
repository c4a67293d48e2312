"""The stratified estimator: it recovers a synthetic population, and per-venue numbers stay unweighted."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from test_shares import implementations

from analysis.shares.series import report_series
from analysis.shares.weights import (
    item_strata,
    strata_population,
    stratified_ratio,
    stratum_key,
    weighted_shares,
    wilson,
)

# Three strata of very different sizes and PyTorch rates; a sample that takes the
# same number from each (as the bundled sample does) over-represents the small one.
POPULATION = {"A|2019": (2000, 0.8, 0.9), "B|2019": (400, 0.3, 0.7), "C|2019": (60, 0.1, 0.5)}
# stratum -> (N_h, share of pytorch among framework users, share using a framework)


def synthetic_population(seed: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    strata = {}
    for h, (size, p_pt, p_fw) in POPULATION.items():
        labels = []
        for _ in range(size):
            if rng.random() >= p_fw:
                labels.append("none")
            else:
                labels.append("pytorch" if rng.random() < p_pt else "tensorflow")
        strata[h] = labels
    return strata


def true_share(strata: dict[str, list[str]]) -> float:
    everything = [label for labels in strata.values() for label in labels]
    return everything.count("pytorch") / sum(label != "none" for label in everything)


def units_of(sample: dict[str, list[str]]) -> pd.DataFrame:
    rows = [(h, float(label == "pytorch"), float(label != "none"), 1.0) for h, labels in sample.items()
            for label in labels]  # fmt: skip
    return pd.DataFrame(rows, columns=["stratum", "y", "x", "w"])


def test_stratified_interval_covers_the_population_share_in_at_least_90_percent_of_draws() -> None:
    population = synthetic_population(7)
    truth = true_share(population)
    sizes = {h: len(labels) for h, labels in population.items()}
    covered, unweighted_covered, draws = 0, 0, 200
    for seed in range(draws):
        rng = random.Random(seed)
        sample = {h: rng.sample(labels, 40) for h, labels in population.items()}  # 40 from each, like the sample
        share, low, high, _ = stratified_ratio(units_of(sample), sizes)
        covered += low <= truth <= high
        units = units_of(sample)
        naive = units["y"].sum() / units["x"].sum()
        unweighted_covered += abs(naive - truth) < 0.02
    assert covered / draws >= 0.90
    # The unweighted ratio estimates the sample's venue mix instead: it is far off almost always.
    assert unweighted_covered / draws < 0.2


def test_a_census_has_no_sampling_error() -> None:
    population = synthetic_population(3)
    sizes = {h: len(labels) for h, labels in population.items()}
    share, low, high, _ = stratified_ratio(units_of(population), sizes)
    assert share == pytest.approx(true_share(population))
    assert low == high == share


def test_wilson_stays_inside_the_unit_interval_and_holds_the_estimate() -> None:
    assert wilson(0.0, 10) == (0.0, pytest.approx(0.2775, abs=1e-3))
    low, high = wilson(1.0, 5)
    assert low < 1.0 and high == 1.0
    assert wilson(0.5, 0) == (0.0, 1.0)


def test_per_venue_series_are_unweighted_and_the_all_venue_share_is_weighted() -> None:
    rows = [{"paper_id": f"a{i}", "repo_key": f"a/{i}", "venue": "CVPR",
             "framework": "pytorch" if i < 9 else "tensorflow"} for i in range(10)]  # fmt: skip
    rows += [{"paper_id": f"b{i}", "repo_key": f"b/{i}", "venue": "ICML",
              "framework": "pytorch" if i < 1 else "tensorflow"} for i in range(10)]  # fmt: skip
    frame = implementations(rows)
    strata = pd.DataFrame({"venue": ["CVPR", "ICML"], "year": [2019, 2019], "n_population": [900, 100]})
    plain = report_series(frame)
    weighted = report_series(frame, strata=strata)
    by_venue = weighted["shares_by_venue"]
    assert by_venue.equals(plain["shares_by_venue"])
    cvpr = by_venue[(by_venue["venue"] == "CVPR") & (by_venue["framework"] == "pytorch")]
    assert cvpr["share"].iloc[0] == pytest.approx(0.9)  # 9 of 10, no weight
    pt = weighted["shares"].set_index("framework").loc["pytorch"]
    assert plain["shares"].set_index("framework").loc["pytorch", "share"] == pytest.approx(0.5)
    assert pt["share"] == pytest.approx((900 * 0.9 + 100 * 0.1) / 1000)  # 0.82: CVPR is 90% of the population
    assert pt["share_low"] < pt["share"] < pt["share_high"]
    assert pt["n_items"] == 10 and pt["n_total"] == 20  # the counts stay the sample's


def test_weighted_shares_of_a_period_sum_to_one() -> None:
    items = pd.DataFrame({
        "period": pd.Categorical(["2019"] * 6), "venue": pd.Categorical(["A", "A", "A", "B", "B", "B"]),
        "label": ["pytorch", "tensorflow", "none", "pytorch", "keras", "keras"], "weight": [1.0] * 6,
    })  # fmt: skip
    strata = pd.DataFrame({"venue": ["A", "B"], "year": [2019, 2019], "n_population": [30, 300]})
    table = weighted_shares(items, ["pytorch", "tensorflow", "keras"], strata, ["keras", "pytorch", "tensorflow"])
    assert table["share"].sum() == pytest.approx(1.0)


def test_the_page_payload_shows_the_same_weighted_all_venue_shares() -> None:
    from analysis.charts.page_data import explorer_payload

    rows = [{"paper_id": f"a{i}", "repo_key": f"a/{i}", "venue": "CVPR",
             "framework": "pytorch" if i < 9 else "tensorflow"} for i in range(10)]  # fmt: skip
    rows += [{"paper_id": f"b{i}", "repo_key": f"b/{i}", "venue": "ICML",
              "framework": "pytorch" if i < 1 else "tensorflow"} for i in range(10)]  # fmt: skip
    strata = pd.DataFrame({"venue": ["CVPR", "ICML"], "year": [2019, 2019], "n_population": [900, 100]})
    payload = explorer_payload(implementations(rows), "venue-year", "year", strata=strata)
    pytorch = payload["frameworks"].index("pytorch")
    encoded = payload["views"][0]["shares"][""]
    share = next(r[4] for r in encoded if r[1] == pytorch)
    assert share == pytest.approx(0.82, abs=1e-3)


def test_title_cells_of_one_venue_year_are_weighted_back_to_their_populations() -> None:
    """Issue 25: a venue-year split into a deep-learning-title cell drawn at a high rate and
    an ``other`` cell drawn at a low one; each item names its cell in ``stratum``."""
    rows = [{"paper_id": f"d{i}", "repo_key": f"d/{i}", "venue": "CVPR", "year": 2015,
             "framework": "caffe" if i < 8 else "theano"} for i in range(10)]  # fmt: skip
    rows += [{"paper_id": f"o{i}", "repo_key": f"o/{i}", "venue": "CVPR", "year": 2015,
              "framework": "caffe" if i < 1 else "theano"} for i in range(10)]  # fmt: skip
    frame = implementations(rows)
    frame["sample_stratum"] = [stratum_key("CVPR", 2015, "topic", "dl" if p.startswith("d") else "other")
                               for p in frame["paper_id"]]  # fmt: skip
    strata = pd.DataFrame({"venue": ["CVPR", "CVPR"], "year": [2015, 2015], "source_stratum": ["topic", "topic"],
                           "title_stratum": ["dl", "other"], "n_population": [20, 180]})  # fmt: skip
    caffe = report_series(frame, strata=strata)["shares"].set_index("framework").loc["caffe"]
    assert caffe["share"] == pytest.approx((20 * 0.8 + 180 * 0.1) / 200)  # 0.17, not the sample's 0.45
    assert caffe["n_items"] == 9 and caffe["n_total"] == 20


def test_a_strata_table_of_venue_years_reads_as_conference_cells_of_every_title() -> None:
    old = pd.DataFrame({"venue": ["CVPR"], "year": [2019], "n_population": [300]})
    assert strata_population(old) == {"CVPR|2019|conference|all": 300.0}
    items = pd.DataFrame({"venue": ["CVPR", "CVPR"], "period": ["2019", "2015"], "stratum": [None, "x|1|y|z"]})
    assert list(item_strata(items)) == ["CVPR|2019|conference|all", "x|1|y|z"]


def test_the_published_comparison_counts_only_the_conference_lists() -> None:
    """Topic lists of deep-learning work (issue 25) are another population than the study's
    whole conferences: their papers stay out of the per-venue-year comparison."""
    from analysis.shares.series import compare_published

    rows = [{"paper_id": f"c{i}", "repo_key": f"c/{i}", "venue": "CVPR", "year": 2019,
             "framework": "pytorch" if i < 6 else "tensorflow"} for i in range(12)]  # fmt: skip
    rows += [{"paper_id": f"t{i}", "repo_key": f"t/{i}", "venue": "CVPR", "year": 2019,
              "framework": "tensorflow"} for i in range(12)]  # fmt: skip
    frame = implementations(rows)
    frame["sample_stratum"] = [stratum_key("CVPR", 2019, "topic" if p.startswith("t") else "conference", "all")
                               for p in frame["paper_id"]]  # fmt: skip
    table = compare_published(frame).set_index(["venue", "year"])
    assert table.loc[("CVPR", 2019), "n_pytorch"] == 6 and table.loc[("CVPR", 2019), "n_tensorflow"] == 6
