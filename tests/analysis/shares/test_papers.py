"""The per-paper table adds up to every series; notable crossovers; venues with enough papers; empty axes."""

from __future__ import annotations

import pandas as pd
import pytest
from tests_support import implementations_frame

from analysis.charts.page_data import explorer_payload
from analysis.shares.papers import (
    counted_papers,
    explain_empty,
    format_count,
    mark_notable_crossovers,
    venues_with_enough,
)
from analysis.shares.series import ShareSpec, framework_shares, report_series


def _with_a_tie(frame: pd.DataFrame) -> pd.DataFrame:
    """One paper with two unofficial repositories of equal stars and different labels: weights 0.5 each."""
    tie = frame[frame["paper_id"] == "paper/2019/1"].iloc[0].to_dict()
    rows = [{**tie, "paper_id": "paper/2019/tie", "repo_key": f"tie/{label}", "is_official": False,
             "framework": label} for label in ("pytorch", "tensorflow")]  # fmt: skip
    return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)


@pytest.mark.parametrize("axis,freq", [("venue-year", "year"), ("paper-date", "quarter"), ("repo-created", "month")])
def test_every_share_is_a_sum_of_the_per_paper_table(axis: str, freq: str) -> None:
    frame = _with_a_tie(implementations_frame())
    spec = ShareSpec(axis=axis, freq=freq)
    papers = counted_papers(frame, spec)
    assert set(papers.loc[papers["paper_id"] == "paper/2019/tie", "weight"]) == {0.5}
    for base, in_base in (("frameworks", papers[papers["has_dl_framework"]]), ("all", papers)):
        shares = framework_shares(frame, spec.with_(base=base))
        summed = in_base.groupby(["period", "framework"])["weight"].sum()
        totals = in_base.groupby("period")["weight"].sum()
        assert len(shares) == len(summed)
        for row in shares.itertuples():
            assert row.n_items == summed[(row.period, row.framework)]
            assert row.n_total == totals[row.period]


def test_per_paper_table_has_one_row_per_paper_and_the_contract_columns() -> None:
    papers = counted_papers(implementations_frame())
    assert list(papers.columns) == ["period", "venue", "year", "published_date", "paper_id", "title", "repo_key",
                                    "attribution", "framework", "confidence", "has_dl_framework", "weight"]  # fmt: skip
    assert papers["paper_id"].is_unique and (papers["weight"] == 1).all()
    assert not papers["repo_key"].str.startswith("fork/").any()  # the official implementation is the one counted
    assert papers["attribution"].isna().all()  # NULL until the warehouse attributes links


def test_attribution_is_carried_when_the_warehouse_has_it() -> None:
    frame = implementations_frame().assign(attribution="official")
    assert (counted_papers(frame)["attribution"] == "official").all()


def test_only_crossovers_that_matter_are_notable() -> None:
    shares = pd.DataFrame({
        "period": ["2018"] * 4 + ["2019"] * 4,
        "framework": ["tensorflow", "pytorch", "keras", "caffe"] * 2,
        "share": [0.6, 0.37, 0.0, 0.03, 0.4, 0.56, 0.04, 0.0], "is_thin": [False] * 8,
    })  # fmt: skip
    crossovers = pd.DataFrame({"period": ["2019", "2019"], "framework": ["pytorch", "keras"],
                               "passed": ["tensorflow", "caffe"], "share": [0.56, 0.04], "passed_share": [0.4, 0.0]})
    marked = mark_notable_crossovers(crossovers, shares)
    assert marked["is_notable"].tolist() == [True, False]  # keras passing caffe at 4% vs 0% is trivia


def test_crossovers_per_venue_are_judged_within_their_venue() -> None:
    frame = implementations_frame()
    series = report_series(frame)
    marked = mark_notable_crossovers(series["crossovers_by_venue"], series["shares_by_venue"], keys=("venue",))
    assert "is_notable" in marked and len(marked) == len(series["crossovers_by_venue"])


def test_venues_with_enough_papers_and_the_others_with_their_counts() -> None:
    by_venue = framework_shares(implementations_frame(), ShareSpec(), by_venue=True)
    kept, others = venues_with_enough(by_venue, min_papers=29)
    totals = by_venue.groupby(["venue", "period"])["n_total"].first().groupby(level=0).sum()
    assert kept == [v for v, n in totals.sort_values(ascending=False).items() if n >= 29]
    assert others == {v: n for v, n in totals.items() if n < 29}


def test_an_axis_without_dates_says_why_it_is_empty() -> None:
    frame = implementations_frame().assign(published_date=None)
    why = explain_empty(frame, ShareSpec(axis="paper-date", freq="quarter"))
    assert "publication date" in why and "paper-date" in why and "venue-year" in why
    assert explain_empty(implementations_frame(), ShareSpec()) == ""
    assert "No conference papers" in explain_empty(implementations_frame().assign(venue=None), ShareSpec())


def test_counts_print_as_integers_unless_a_tie_split_a_paper() -> None:
    assert [format_count(v) for v in (1.0, 3.0, 2.5, 1234.0)] == ["1", "3", "2.5", "1,234"]


def test_explorer_payload_holds_each_view_and_venue_rounded_as_the_csvs() -> None:
    frame = implementations_frame()
    payload = explorer_payload(frame, "venue-year", "year")
    assert (payload["views"][0]["axis"], payload["views"][0]["freq"]) == ("venue-year", "year")
    shares = framework_shares(frame)
    rows = payload["views"][0]["shares"][""]
    assert len(rows) == len(shares)
    first = rows[0]
    assert payload["frameworks"][first[1]] == shares["framework"].iloc[0]
    assert first[4] == float(f"{shares['share'].iloc[0]:.6g}")
    assert set(payload["views"][0]["shares"]) == {"", *payload["venues"]}
    assert len(payload["papers"]["id"]) == frame["paper_id"].nunique()
    from analysis.charts.style import style_of

    assert payload["styles"]["pytorch"]["colour"] == style_of("pytorch").colour  # the static charts' palette
