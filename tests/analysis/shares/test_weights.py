"""The design-based estimator: weights, zeros, non-response, singletons, the two populations, and svy's answers."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from test_shares import implementations

from analysis.shares.intervals import wilson_interval
from analysis.shares.series import report_series
from analysis.shares.weights import SampleDesign, StratumSums, ratio_estimates

STRATA = pd.DataFrame({"venue": ["CVPR", "ICML"], "year": [2019, 2019], "n_population": [900, 100],
                       "n_drawn": [10, 10]})  # fmt: skip


def two_venues(icml_extra: list[dict] | None = None) -> pd.DataFrame:
    """CVPR 2019: 9 PyTorch of 10; ICML 2019: 1 of 10."""
    rows = [{"paper_id": f"a{i}", "repo_key": f"a/{i}", "venue": "CVPR",
             "framework": "pytorch" if i < 9 else "tensorflow"} for i in range(10)]  # fmt: skip
    rows += [{"paper_id": f"b{i}", "repo_key": f"b/{i}", "venue": "ICML",
              "framework": "pytorch" if i < 1 else "tensorflow"} for i in range(10)]  # fmt: skip
    return implementations(rows + (icml_extra or []))


def pytorch(table: pd.DataFrame, **where: str) -> pd.Series:
    for column, value in where.items():
        table = table[table[column] == value]
    return table.set_index("framework").loc["pytorch"]


def test_all_venue_shares_weight_each_venue_year_by_its_population() -> None:
    weighted = report_series(two_venues(), strata=STRATA)
    pt = pytorch(weighted["shares"])
    assert pytorch(report_series(two_venues())["shares"])["share"] == pytest.approx(0.5)  # no design: the counts
    assert pt["share"] == pytest.approx((900 * 0.9 + 100 * 0.1) / 1000)  # 0.82: CVPR is 90% of the population
    assert pt["share_low"] < pt["share"] < pt["share_high"]
    assert pt["n_items"] == 10 and pt["n_total"] == 20  # the counts stay the sample's
    assert pt["response_rate"] == 1.0
    cvpr = pytorch(weighted["shares_by_venue"], venue="CVPR")
    assert cvpr["share"] == pytest.approx(0.9)  # one stratum: its own ratio
    plain_low, plain_high = wilson_interval(9, 10)
    assert cvpr["share_low"] <= plain_low and cvpr["share_high"] >= plain_high - 1e-9  # never narrower than Wilson


def test_excluded_papers_are_zeros_of_their_stratum_not_dropped() -> None:
    """Ten more ICML papers whose only link is a later port: ICML's papers with framework code are half its
    papers, so ICML weighs half as much in the population of framework users."""
    ports = [{"paper_id": f"p{i}", "repo_key": f"p/{i}", "venue": "ICML", "framework": "tensorflow",
              "attribution": "later-port"} for i in range(10)]  # fmt: skip
    frame = two_venues(ports).assign(attribution=lambda f: f["attribution"].fillna("contemporaneous"))
    strata = STRATA.assign(n_drawn=[10, 20])
    pt = pytorch(report_series(frame, strata=strata)["shares"])
    assert pt["share"] == pytest.approx((900 * 0.9 + 100 * 0.5 * 0.1) / (900 + 100 * 0.5))
    assert pt["n_total"] == 20 and pt["response_rate"] == 1.0


def test_non_response_is_missing_at_random_within_its_stratum_and_shown() -> None:
    """Ten ICML papers whose repositories were never fetched: ICML's respondents stand for its 20 drawn papers."""
    unread = [{"paper_id": f"u{i}", "repo_key": f"u/{i}", "venue": "ICML", "framework": None,
               "repo_status": "pending"} for i in range(10)]  # fmt: skip
    strata = STRATA.assign(n_drawn=[10, 20])
    series = report_series(two_venues(unread), strata=strata)
    pt = pytorch(series["shares"])
    assert pt["share"] == pytest.approx(0.82)  # the respondents' share, weighted as before
    assert pt["response_rate"] == pytest.approx(20 / 30)
    everything = series["shares_all"].set_index("framework")
    assert everything.loc["unclassified", "response_rate"] == 1.0  # in the "all" series unread is a category


def test_a_census_of_the_lists_is_not_a_census_of_the_venue() -> None:
    """ICLR 2019: 57 of the lists' 58 links, of ~500 papers. The superpopulation interval keeps its width."""
    rows = [{"paper_id": f"i{i}", "repo_key": f"i/{i}", "venue": "ICLR",
             "framework": "pytorch" if i < 32 else "tensorflow"} for i in range(49)]  # fmt: skip
    strata = pd.DataFrame({"venue": ["ICLR"], "year": [2019], "n_population": [58], "n_drawn": [49]})
    lists = pytorch(report_series(implementations(rows), strata=strata)["shares_by_venue"])
    low, high = wilson_interval(32, 49)
    assert lists["share_high"] - lists["share_low"] >= high - low  # 51-77%, not 63.5-67.0%
    census = strata.assign(n_population=[49])
    finite = pytorch(report_series(implementations(rows), strata=SampleDesign(census, finite=True))["shares"])
    assert finite["share_low"] == finite["share_high"] == pytest.approx(32 / 49)  # the source's every paper: exact


def test_a_stratum_with_one_paper_adds_variance() -> None:
    rows = [{"paper_id": f"a{i}", "repo_key": f"a/{i}", "venue": "CVPR", "framework": "caffe"} for i in range(7)]
    rows.append({"paper_id": "k", "repo_key": "k/k", "venue": "ICCV", "framework": "keras"})
    strata = pd.DataFrame({"venue": ["CVPR", "ICCV"], "year": [2015, 2015], "n_population": [40, 60],
                           "n_drawn": [7, 1]})  # fmt: skip
    keras = report_series(implementations(rows).assign(year=2015), strata=strata)["shares"].set_index("framework")
    keras = keras.loc["keras"]
    low, high = wilson_interval(1, 8)
    assert keras["share"] == pytest.approx(60 / 100)
    assert keras["share_high"] - keras["share_low"] >= (high - low) / 2


def test_design_shares_of_a_period_sum_to_one_and_keys_may_be_any_columns() -> None:
    """Strata keyed by (venue, year, title stratum): units carrying the key are weighted by cell, the rest by the
    venue-year's cells summed."""
    frame = two_venues().assign(sample_title_stratum=["dl"] * 5 + ["other"] * 5 + ["all"] * 10)
    cells = pd.DataFrame({"venue": ["CVPR", "CVPR", "ICML"], "year": [2019] * 3,
                          "title_stratum": ["dl", "other", "all"], "n_population": [100, 800, 100],
                          "n_drawn": [5, 5, 10]})  # fmt: skip
    shares = report_series(frame, strata=cells)["shares"]
    assert shares["share"].sum() == pytest.approx(1.0)
    assert pytorch(shares)["share"] == pytest.approx((100 + 800 * 4 / 5 + 100 * 0.1) / 1000)
    summed = report_series(frame.drop(columns="sample_title_stratum"), strata=cells)["shares"]
    assert pytorch(summed)["share"] == pytest.approx(0.82)


def test_the_page_payload_shows_the_same_design_based_shares() -> None:
    from analysis.charts.page_data import explorer_payload

    payload = explorer_payload(two_venues(), "venue-year", "year", strata=STRATA)
    code = payload["frameworks"].index("pytorch")
    shares = report_series(two_venues(), strata=STRATA)["shares"]
    encoded = next(r for r in payload["views"][0]["shares"][""] if r[1] == code)
    assert encoded[4:7] == pytest.approx(pytorch(shares)[["share", "share_low", "share_high"]].tolist(), abs=1e-5)


def test_point_estimates_and_variances_agree_with_svy() -> None:
    """svy (a maintained survey-statistics package): stratified ratio, Taylor linearisation, with and without FPC."""
    pl = pytest.importorskip("polars")
    svy = pytest.importorskip("svy")
    rng = np.random.default_rng(3)
    big_n, responded = np.array([500.0, 200.0, 80.0, 30.0]), np.array([40, 25, 12, 6])
    stratum = np.repeat(np.arange(4), responded)
    x = (rng.random(stratum.size) < 0.8).astype(float)
    y = x * (rng.random(stratum.size) < np.array([0.3, 0.5, 0.7, 0.9])[stratum])
    units = pl.DataFrame({"h": stratum.astype(str), "w": (big_n / responded)[stratum], "y": y, "x": x,
                          "N": big_n[stratum]})  # fmt: skip

    def total(v: np.ndarray) -> np.ndarray:
        return np.bincount(stratum, weights=v, minlength=4)[None, :]

    sums = StratumSums(big_n, responded.astype(float), total(y), total(x), total(y * y), total(x * x), total(x * y))
    for finite in (False, True):
        design = svy.Design(stratum="h", wgt="w", wr=not finite, pop_size="N" if finite else None)
        theirs = svy.Sample(units, design).estimation.ratio(y="y", x="x").to_polars()
        ours = ratio_estimates(sums, finite=finite)
        assert ours.share[0] == pytest.approx(theirs["est"][0], rel=1e-9)
        assert np.sqrt(ours.variance[0]) == pytest.approx(theirs["se"][0], rel=1e-9)


def test_title_cells_of_one_venue_year_are_weighted_back_to_their_populations() -> None:
    """Issue 25: a venue-year split into a deep-learning-title cell drawn at a high rate and an ``other`` cell drawn
    at a low one; each paper carries its cell (``sample_source_stratum``, ``sample_title_stratum``)."""
    rows = [{"paper_id": f"d{i}", "repo_key": f"d/{i}", "venue": "CVPR", "year": 2015,
             "framework": "caffe" if i < 8 else "theano"} for i in range(10)]  # fmt: skip
    rows += [{"paper_id": f"o{i}", "repo_key": f"o/{i}", "venue": "CVPR", "year": 2015,
              "framework": "caffe" if i < 1 else "theano"} for i in range(10)]  # fmt: skip
    frame = implementations(rows).assign(published_date=date(2015, 6, 8), repo_created_at=datetime(2015, 3, 1))
    frame["sample_source_stratum"] = "topic"
    frame["sample_title_stratum"] = ["dl" if p.startswith("d") else "other" for p in frame["paper_id"]]
    strata = pd.DataFrame({"venue": ["CVPR", "CVPR"], "year": [2015, 2015], "source_stratum": ["topic", "topic"],
                           "title_stratum": ["dl", "other"], "n_population": [20, 180],
                           "n_drawn": [10, 10]})  # fmt: skip
    series = report_series(frame, strata=strata)
    caffe = series["shares"].set_index("framework").loc["caffe"]
    assert caffe["share"] == pytest.approx((20 * 0.8 + 180 * 0.1) / 200)  # 0.17, not the sample's 0.45
    assert caffe["n_items"] == 9 and caffe["n_total"] == 20
    by_venue = series["shares_by_venue"].set_index("framework").loc["caffe"]
    assert by_venue["share"] == pytest.approx(0.17)  # a venue's own venue-year is weighted by its cells too
    plain_low, plain_high = wilson_interval(9, 20)
    assert caffe["share_high"] - caffe["share_low"] >= (plain_high - plain_low) / 2


def test_the_published_comparison_counts_only_the_conference_lists() -> None:
    """Topic lists of deep-learning work (issue 25) are another population than the study's whole conferences: their
    papers stay out of the per-venue-year comparison, as items, as zeros and as cells of the design."""
    from analysis.shares.series import compare_published

    rows = [{"paper_id": f"c{i}", "repo_key": f"c/{i}", "venue": "CVPR", "year": 2019,
             "framework": "pytorch" if i < 6 else "tensorflow"} for i in range(12)]  # fmt: skip
    rows += [{"paper_id": f"t{i}", "repo_key": f"t/{i}", "venue": "CVPR", "year": 2019,
              "framework": "tensorflow"} for i in range(12)]  # fmt: skip
    frame = implementations(rows)
    frame["sample_source_stratum"] = ["topic" if p.startswith("t") else "conference" for p in frame["paper_id"]]
    frame["sample_title_stratum"] = "all"
    strata = pd.DataFrame({"venue": ["CVPR", "CVPR"], "year": [2019, 2019], "source_stratum": ["conference", "topic"],
                           "title_stratum": ["all", "all"], "n_population": [300, 40], "n_drawn": [12, 12]})
    for design in (None, strata):
        row = compare_published(frame, strata=design).set_index(["venue", "year"]).loc[("CVPR", 2019)]
        assert row["n_pytorch"] == 6 and row["n_tensorflow"] == 6
        assert row["pytorch_share"] == pytest.approx(0.5)
    assert compare_published(frame, strata=strata).iloc[0]["response_rate"] == 1.0
