"""Market-share arithmetic: invariants (hypothesis) and the counting rules, case by case."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.classifier.taxonomy import agreement_matrix, agreement_rate, fold_labels, view_label
from analysis.shares.intervals import wilson_interval
from analysis.shares.series import (
    ShareSpec,
    compare_published,
    find_crossovers,
    framework_shares,
    items_behind,
    period_labels,
    report_series,
    select_items,
)

COLUMNS = ["paper_id", "repo_key", "is_official", "pwc_framework", "title", "venue", "year", "is_workshop",
           "published_date", "repo_created_at", "repo_status", "n_stars", "framework", "confidence"]  # fmt: skip
# A frame from before attributions existed has no attribution column: every link is then eligible.
LABELS = ["pytorch", "tensorflow", "keras", "jax", "caffe", "theano", "chainer", "none", None]


def implementations(rows: list[dict]) -> pd.DataFrame:
    """A frame shaped like Warehouse.implementations(); unspecified columns get plain defaults."""
    defaults = {"is_official": None, "pwc_framework": None, "title": "t", "venue": "CVPR", "year": 2019,
                "is_workshop": False, "published_date": date(2019, 6, 1), "repo_created_at": datetime(2019, 1, 1),
                "repo_status": "ok", "n_stars": None, "framework": "pytorch", "confidence": 1.0}  # fmt: skip
    columns = COLUMNS + (["attribution"] if any("attribution" in r for r in rows) else [])
    frame = pd.DataFrame([{**defaults, **r} for r in rows], columns=columns)
    return frame.astype({"n_stars": "Int64", "year": "Int64"})


link = st.fixed_dictionaries({
    "paper_id": st.sampled_from([f"p{i}" for i in range(6)]),
    "repo_key": st.sampled_from([f"o/r{i}" for i in range(8)]),
    "is_official": st.sampled_from([True, False, None]),
    "n_stars": st.one_of(st.none(), st.integers(0, 50)),
    "framework": st.sampled_from(LABELS),
    "venue": st.sampled_from(["CVPR", "ICML", None]),
    "year": st.integers(2015, 2020),
    "published_date": st.dates(date(2015, 1, 1), date(2020, 12, 31)),
    "repo_created_at": st.datetimes(datetime(2014, 1, 1), datetime(2020, 12, 31)),
})  # fmt: skip
frames = st.lists(link, min_size=1, max_size=30).map(
    lambda rows: implementations(list({(r["paper_id"], r["repo_key"]): r for r in rows}.values())))
specs = st.builds(ShareSpec, axis=st.sampled_from(["venue-year", "paper-date", "repo-created"]),
                  freq=st.sampled_from(["year", "quarter", "month"]),
                  unit=st.sampled_from(["paper", "repo", "implementation"]), scope=st.sampled_from(["all", "official"]),
                  base=st.sampled_from(["frameworks", "all"]), view=st.sampled_from(["full", "pwc"]),
                  conference_only=st.booleans())  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(frames, specs, st.booleans())
def test_shares_in_each_period_sum_to_one(frame: pd.DataFrame, spec: ShareSpec, by_venue: bool) -> None:
    shares = framework_shares(frame, spec, by_venue=by_venue)
    keys = ["period", "venue"] if by_venue else ["period"]
    sums = shares.groupby(keys, dropna=False)["share"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    # a zero row only for a framework the same venue (or the table) counts in another period
    shares = shares.assign(venue=shares["venue"].fillna("") if by_venue else "")
    counted = shares[shares["n_items"] > 0]
    for row in shares[shares["n_items"] == 0].itertuples():
        elsewhere = counted[(counted["venue"] == row.venue) & (counted["framework"] == row.framework)]
        assert len(elsewhere) and (elsewhere["period"] != row.period).all()
        assert row.share == 0 and row.share_low == 0 and row.share_high > 0


@settings(max_examples=60, deadline=None)
@given(frames, specs)
def test_folding_labels_never_changes_totals(frame: pd.DataFrame, spec: ShareSpec) -> None:
    full = framework_shares(frame, spec.with_(view="full", base="all"))
    folded = framework_shares(frame, spec.with_(view="pwc", base="all"))
    assert full.groupby("period")["n_items"].sum().to_dict() == pytest.approx(
        folded.groupby("period")["n_items"].sum().to_dict())
    labels = pd.Series(frame["framework"].dropna().tolist(), dtype=object)
    assert len(fold_labels(labels, "pwc")) == len(labels)


@settings(max_examples=60, deadline=None)
@given(frames, specs)
def test_intervals_contain_the_point_estimate(frame: pd.DataFrame, spec: ShareSpec) -> None:
    shares = framework_shares(frame, spec)
    assert (shares["share_low"] <= shares["share"] + 1e-12).all()
    assert (shares["share"] <= shares["share_high"] + 1e-12).all()
    assert ((shares["share_low"] >= 0) & (shares["share_high"] <= 1)).all()


@settings(max_examples=40, deadline=None)
@given(frames, specs.filter(lambda s: s.unit == "paper" and s.axis != "repo-created"))
def test_each_paper_weighs_exactly_one(frame: pd.DataFrame, spec: ShareSpec) -> None:
    items = select_items(frame, spec)
    per_paper = items.groupby("paper_code")["weight"].sum()
    assert np.allclose(per_paper.to_numpy(), 1.0)


def test_wilson_interval_matches_the_textbook_value() -> None:
    low, high = wilson_interval(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_official_implementation_wins_over_a_more_starred_one() -> None:
    frame = implementations([
        {"paper_id": "p", "repo_key": "a/official", "is_official": True, "n_stars": 3, "framework": "tensorflow"},
        {"paper_id": "p", "repo_key": "b/popular", "is_official": False, "n_stars": 900, "framework": "pytorch"},
    ])  # fmt: skip
    shares = framework_shares(frame)
    assert shares[["framework", "n_items"]].values.tolist() == [["tensorflow", 1.0]]


def test_a_fork_linked_beside_its_parent_gives_way_unless_marked_official() -> None:
    """Both contemporaneous and started the same day: without fork facts they would split the paper 0.5/0.5."""
    rows = [{"paper_id": "p", "repo_key": "orig/net", "framework": "caffe", "attribution": "contemporaneous"},
            {"paper_id": "p", "repo_key": "fan/net", "framework": "pytorch", "attribution": "contemporaneous"}]
    frame = implementations(rows)
    assert framework_shares(frame)["n_items"].tolist() == [0.5, 0.5]
    forked = frame.assign(fork_parent=[None, "Orig/Net"])
    assert framework_shares(forked)[["framework", "n_items"]].values.tolist() == [["caffe", 1.0]]
    official = forked.assign(is_official=[None, True])
    assert framework_shares(official)[["framework", "n_items"]].values.tolist() == [["pytorch", 1.0]]


def test_most_starred_decides_without_an_official_one_and_ties_split() -> None:
    frame = implementations([
        {"paper_id": "p", "repo_key": "a/x", "n_stars": 10, "framework": "tensorflow"},
        {"paper_id": "p", "repo_key": "b/y", "n_stars": 50, "framework": "pytorch"},
        # no stars known for either: the paper splits between them
        {"paper_id": "q", "repo_key": "c/z", "framework": "jax"},
        {"paper_id": "q", "repo_key": "d/w", "framework": "pytorch"},
    ])  # fmt: skip
    shares = framework_shares(frame).set_index("framework")["n_items"].to_dict()
    assert shares == {"pytorch": 1.5, "jax": 0.5}


def test_a_classified_repository_wins_over_an_unclassified_one() -> None:
    frame = implementations([
        {"paper_id": "p", "repo_key": "a/gone", "n_stars": 500, "framework": None},
        {"paper_id": "p", "repo_key": "b/here", "n_stars": 1, "framework": "jax"},
    ])  # fmt: skip
    assert framework_shares(frame)["framework"].tolist() == ["jax"]


def test_repo_unit_counts_a_repository_once_at_its_earliest_paper() -> None:
    frame = implementations([
        {"paper_id": "p1", "repo_key": "a/shared", "year": 2018, "framework": "pytorch"},
        {"paper_id": "p2", "repo_key": "a/shared", "year": 2020, "framework": "pytorch"},
        {"paper_id": "p2", "repo_key": "b/other", "year": 2020, "framework": "tensorflow"},
    ])  # fmt: skip
    shares = framework_shares(frame, ShareSpec(unit="repo"))
    counted = shares[shares["n_items"] > 0]
    assert counted[["period", "framework", "n_items"]].values.tolist() == [["2018", "pytorch", 1.0],
                                                                           ["2020", "tensorflow", 1.0]]
    impl = framework_shares(frame, ShareSpec(unit="implementation"))
    assert impl["n_items"].sum() == 3


def test_base_all_shows_none_and_unclassified_and_frameworks_base_hides_them() -> None:
    frame = implementations([
        {"paper_id": "p1", "repo_key": "a/a", "framework": "pytorch"},
        {"paper_id": "p2", "repo_key": "b/b", "framework": "none"},
        {"paper_id": "p3", "repo_key": "c/c", "framework": None},
    ])  # fmt: skip
    everything = framework_shares(frame, ShareSpec(base="all")).set_index("framework")["share"].to_dict()
    assert everything == pytest.approx({"pytorch": 1 / 3, "none": 1 / 3, "unclassified": 1 / 3})
    assert framework_shares(frame)["framework"].tolist() == ["pytorch"]


def test_official_scope_and_conference_filter_and_venue_choice() -> None:
    frame = implementations([
        {"paper_id": "p1", "repo_key": "a/a", "is_official": True, "venue": "CVPR", "framework": "pytorch"},
        {"paper_id": "p2", "repo_key": "b/b", "is_official": None, "venue": "ICML", "framework": "jax"},
        {"paper_id": "p3", "repo_key": "c/c", "is_official": True, "venue": None, "framework": "caffe"},
    ])  # fmt: skip
    assert framework_shares(frame, ShareSpec(scope="official"))["framework"].tolist() == ["pytorch"]
    assert set(framework_shares(frame, ShareSpec(conference_only=False))["framework"]) == {"pytorch", "jax", "caffe"}
    assert framework_shares(frame, venues=["icml"])["framework"].tolist() == ["jax"]


def test_a_framework_not_met_in_a_period_gets_a_zero_row_from_its_release_on() -> None:
    """Not meeting JAX among 12 papers of 2019 bounds its share there; before its release, 0 is a fact."""
    rows = [{"paper_id": f"p{i}", "repo_key": f"o/{i}", "year": year, "framework": framework}
            for i, (year, framework) in enumerate([(2017, "tensorflow")] * 4 + [(2019, "pytorch")] * 12
                                                  + [(2021, "jax"), (2021, "pytorch")])]  # fmt: skip
    shares = framework_shares(implementations(rows)).set_index(["period", "framework"])
    assert shares.loc[("2019", "jax"), "n_items"] == 0 and shares.loc[("2019", "jax"), "n_total"] == 12
    low, high = wilson_interval(0, 12)
    assert (shares.loc[("2019", "jax"), "share_low"], shares.loc[("2019", "jax"), "share_high"]) == (low, high)
    assert ("2019", "tensorflow") in shares.index and ("2021", "tensorflow") in shares.index
    # a 2017 paper cannot have used JAX (first released 2018-12); it could have used PyTorch (2017-01)
    assert ("2017", "jax") not in shares.index and ("2017", "pytorch") in shares.index
    by_venue = framework_shares(implementations([*rows, {"paper_id": "q", "repo_key": "o/q", "venue": "ICML",
                                                          "year": 2019, "framework": "chainer"}]), by_venue=True)
    icml = by_venue[by_venue["venue"] == "ICML"]
    assert icml["framework"].tolist() == ["chainer"]  # ICML counts nothing else anywhere: no zero rows of CVPR's


def test_thin_periods_are_flagged_below_the_minimum() -> None:
    rows = [{"paper_id": f"p{i}", "repo_key": f"o/{i}", "year": 2019 if i < 3 else 2020} for i in range(15)]
    shares = framework_shares(implementations(rows), ShareSpec(min_count=10))
    assert shares.set_index("period")["is_thin"].to_dict() == {"2019": True, "2020": False}


def test_period_labels_for_each_axis_and_frequency() -> None:
    frame = implementations([{"paper_id": "p", "repo_key": "a/a", "published_date": date(2019, 8, 30),
                              "repo_created_at": datetime(2018, 2, 1), "year": 2020}])  # fmt: skip
    assert period_labels(frame, "venue-year", "month").tolist() == ["2020"]
    assert period_labels(frame, "paper-date", "quarter").tolist() == ["2019Q3"]
    assert period_labels(frame, "paper-date", "month").tolist() == ["2019-08"]
    assert period_labels(frame, "repo-created", "year").tolist() == ["2018"]


def test_unknown_dates_drop_out_of_date_axes_only() -> None:
    frame = implementations([{"paper_id": "p", "repo_key": "a/a", "published_date": None}])
    assert framework_shares(frame, ShareSpec(axis="paper-date")).empty
    assert len(framework_shares(frame, ShareSpec(axis="venue-year"))) == 1


def test_bad_spec_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="axis must be one of"):
        ShareSpec(axis="decade")


def test_pwc_view_folds_keras_into_tensorflow_and_minor_labels_into_other() -> None:
    assert view_label("keras", "pwc") == "tensorflow"
    assert view_label("theano", "pwc") == "other"
    assert view_label("lua-torch", "pwc") == "lua-torch"
    assert view_label("none", "pwc") == "none"


def test_crossover_is_the_first_solid_period_after_trailing() -> None:
    shares = pd.DataFrame({
        "period": ["2017", "2017", "2018", "2018", "2019", "2019", "2020", "2020"],
        "framework": ["pytorch", "tensorflow"] * 4,
        "n_items": [1, 9, 5, 5, 6, 4, 8, 2], "share": [0.1, 0.9, 0.5, 0.5, 0.6, 0.4, 0.8, 0.2],
        "is_thin": [False, False, False, False, True, True, False, False],
    })  # fmt: skip
    found = find_crossovers(shares, ["pytorch", "tensorflow"])
    # 2019 is thin: the pass is dated to the first solid period where PyTorch leads
    assert found[["period", "framework", "passed"]].values.tolist() == [["2020", "pytorch", "tensorflow"]]


def test_items_behind_a_number_add_up_to_it() -> None:
    frame = implementations([
        {"paper_id": "p1", "repo_key": "a/a", "framework": "keras", "title": "Paper one"},
        {"paper_id": "p2", "repo_key": "b/b", "framework": "tensorflow"},
        {"paper_id": "p2", "repo_key": "c/c", "framework": "tensorflow"},
        {"paper_id": "p3", "repo_key": "d/d", "framework": "pytorch"},
    ])  # fmt: skip
    spec = ShareSpec(view="pwc")
    row = framework_shares(frame, spec).set_index("framework").loc["tensorflow"]
    behind = items_behind(frame, spec, "2019", "tensorflow")
    assert behind["weight"].sum() == row["n_items"] == 2
    assert set(behind["repo_key"]) == {"a/a", "b/b", "c/c"}
    assert "Paper one" in set(behind["title"])


def test_comparison_with_published_numbers_counts_keras_as_tensorflow_and_skips_workshops() -> None:
    rows = [{"paper_id": f"p{i}", "repo_key": f"o/{i}", "venue": "CVPR", "year": 2019,
             "framework": ["pytorch", "pytorch", "keras", "tensorflow"][i % 4]} for i in range(8)]  # fmt: skip
    rows.append({"paper_id": "w", "repo_key": "o/w", "venue": "CVPR", "year": 2019, "is_workshop": True,
                 "framework": "tensorflow"})  # fmt: skip
    rows.append({"paper_id": "x", "repo_key": "o/x", "venue": "CVPR", "year": 2012, "framework": "caffe"})
    table = compare_published(implementations(rows))
    assert table[["venue", "year", "n_pytorch", "n_tensorflow"]].values.tolist() == [["CVPR", 2019, 4.0, 4.0]]
    assert table.loc[0, "pytorch_share"] == 0.5
    assert table.loc[0, "published_share"] == pytest.approx(294 / 442)  # his counts: 294 PyTorch, 148 TensorFlow
    assert table.loc[0, "n_published"] == 442
    assert table.loc[0, "difference"] == pytest.approx(0.5 - 294 / 442)
    assert table.loc[0, "verdict"] == "thin"  # 8 papers: too few to judge


def test_agreement_matrix_counts_each_repository_once_in_pwc_vocabulary() -> None:
    frame = implementations([
        {"paper_id": "p1", "repo_key": "a/a", "framework": "keras", "pwc_framework": "tf"},
        {"paper_id": "p2", "repo_key": "a/a", "framework": "keras", "pwc_framework": "tf"},
        {"paper_id": "p3", "repo_key": "b/b", "framework": "lua-torch", "pwc_framework": "torch"},
        {"paper_id": "p4", "repo_key": "c/c", "framework": "pytorch", "pwc_framework": "tf"},
        {"paper_id": "p5", "repo_key": "d/d", "framework": "theano", "pwc_framework": "none"},
        {"paper_id": "p6", "repo_key": "e/e", "framework": None, "pwc_framework": "pytorch"},
    ])  # fmt: skip
    matrix = agreement_matrix(frame)
    assert matrix.loc["tf", "tf"] == 1 and matrix.loc["torch", "torch"] == 1
    assert matrix.loc["pytorch", "tf"] == 1 and matrix.loc["other", "none"] == 1
    assert int(matrix.to_numpy().sum()) == 4
    assert agreement_rate(matrix) == 0.5


def test_report_series_has_every_table_and_respects_venues() -> None:
    rows = [{"paper_id": f"p{i}", "repo_key": f"o/{i}", "venue": ["CVPR", "ICML"][i % 2], "year": 2018 + i % 3,
             "framework": ["pytorch", "tensorflow", "none"][i % 3], "pwc_framework": "pytorch"}
            for i in range(60)]  # fmt: skip
    series = report_series(implementations(rows), venues=["CVPR"])
    assert set(series) >= {"shares", "shares_by_venue", "shares_all", "shares_pwc", "shares_official", "shares_repo",
                           "shares_implementation", "crossovers", "crossovers_by_venue", "published", "agreement"}
    assert set(series["shares_by_venue"]["venue"]) == {"CVPR"}
    assert set(series["published"]["venue"]) == {"CVPR"}
    assert int(series["agreement"].to_numpy().sum()) == 30  # the 30 CVPR repositories, each labelled by both


def test_own_code_counts_by_default_official_else_the_earliest_contemporaneous() -> None:
    def link(paper: str, repo: str, framework: str, attribution: str, start: str, stars: int) -> dict:
        return {"paper_id": paper, "repo_key": repo, "framework": framework, "n_stars": stars,
                "repo_created_at": datetime.fromisoformat(start), "attribution": attribution}  # fmt: skip

    frame = implementations([
        link("p", "a/port", "pytorch", "later-port", "2021-01-01", 900),  # popular, but a later port
        link("p", "a/own", "tensorflow", "contemporaneous", "2019-03-01", 5),
        link("p", "a/own2", "keras", "contemporaneous", "2019-05-01", 50),  # later than a/own
        link("q", "b/official", "caffe", "official", "2019-09-01", 1),
        link("q", "b/early", "theano", "contemporaneous", "2018-09-01", 1),
        link("r", "c/unrelated", "chainer", "suspect", "2019-01-01", 1),  # a paper with no own code: not counted
    ])  # fmt: skip
    own = framework_shares(frame).set_index("framework")["n_items"].to_dict()
    assert own == {"tensorflow": 1.0, "caffe": 1.0}
    ports = framework_shares(frame, ShareSpec(include_ports=True)).set_index("framework")["n_items"].to_dict()
    assert ports == {"pytorch": 1.0, "caffe": 1.0, "chainer": 1.0}
    links = framework_shares(frame, ShareSpec(unit="implementation")).set_index("framework")["n_items"].to_dict()
    assert links == {"tensorflow": 1.0, "keras": 1.0, "caffe": 1.0, "theano": 1.0}
