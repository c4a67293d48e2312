"""Paper dates, release dates, the plausibility check and the later-ports series."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

import pandas as pd
import pytest

from analysis.attribution.paper_dates import arxiv_date, conference_dates, fill_paper_dates, paper_date
from analysis.attribution.releases import anachronisms, framework_releases, period_end
from analysis.classifier.taxonomy import LABEL_ORDER
from analysis.shares.implementations import prepare_implementations
from analysis.shares.plausibility import plausibility_defects
from analysis.shares.ports import port_counts, port_flow
from analysis.shares.selection import select_counted_links
from analysis.shares.series import ShareSpec, framework_shares


@pytest.mark.parametrize(("arxiv_id", "expected"), [
    ("1802.05074", date(2018, 2, 1)),
    ("2101.00001v3", date(2021, 1, 1)),
    ("cs/0601001", date(2006, 1, 1)),  # old style: YYMM after the archive's name
    ("math.GT/9912001", date(1999, 12, 1)),
    ("1813.00001", None),  # month 13: not an arXiv id
    ("not-an-id", None),
    (None, None),
])  # fmt: skip
def test_arxiv_ids_give_the_month_of_submission(arxiv_id: str | None, expected: date | None) -> None:
    assert arxiv_date(arxiv_id) == expected


def test_a_paper_date_comes_from_the_source_else_arxiv_else_the_conference() -> None:
    assert paper_date(date(2019, 3, 4), "1802.05074", "CVPR", 2019) == (date(2019, 3, 4), "source")
    assert paper_date(None, "1802.05074", "CVPR", 2019) == (date(2018, 2, 1), "arxiv-id")
    assert paper_date(None, None, "CVPR", 2014) == (date(2014, 6, 23), "conference-dates")
    assert paper_date(None, None, "Unknown venue", 2014) == (None, None)
    frame = pd.DataFrame({"published_date": [None, None], "arxiv_id": [None, "1802.05074"],
                          "venue": ["NeurIPS", None], "year": [2016, None]})  # fmt: skip
    filled = fill_paper_dates(frame)
    assert filled["paper_date"].dt.date.tolist() == [date(2016, 12, 5), date(2018, 2, 1)]
    assert filled["paper_date_from"].tolist() == ["conference-dates", "arxiv-id"]


def test_reference_tables_have_a_source_per_row_and_sane_dates() -> None:
    for (venue, year), (start, end) in conference_dates().items():
        assert start <= end and (end - start).days < 14, (venue, year)
        assert start.year in (year, year + 1), (venue, year)  # IJCAI-PRICAI 2020 met in January 2021
    releases = framework_releases()
    assert releases["framework"].is_unique
    assert all(urlsplit(s).scheme == "https" for s in releases["source"])
    assert set(releases["precision"]) <= {"day", "month", "year"}
    frameworks = set(LABEL_ORDER) - {"other", "none", "unclassified"}
    assert frameworks <= set(releases["framework"]), frameworks - set(releases["framework"])


def test_period_ends() -> None:
    assert period_end("2016") == date(2016, 12, 31)
    assert period_end("2017Q1") == date(2017, 3, 31)
    assert period_end("2016-02") == date(2016, 2, 29)
    assert period_end("whenever") is None


def implementations() -> pd.DataFrame:
    """A 2014 TensorFlow-era paper with its own Caffe code and a later PyTorch port, and a port counted wrongly."""
    def row(paper: str, repo: str, year: int, framework: str, attribution: str, start: str) -> dict:
        return {"paper_id": paper, "repo_key": repo, "is_official": None, "pwc_framework": None, "title": paper,
                "venue": "CVPR", "year": year, "is_workshop": False, "published_date": None, "arxiv_id": None,
                "repo_created_at": datetime.fromisoformat(start), "repo_status": "ok", "n_stars": 1,
                "framework": framework, "confidence": 1.0, "attribution": attribution,
                "attribution_reason": "r"}  # fmt: skip

    return pd.DataFrame([
        row("a", "own/a", 2014, "caffe", "contemporaneous", "2014-03-01"),
        row("a", "port/a", 2014, "pytorch", "later-port", "2019-01-01"),
        row("a", "port/a2", 2014, "pytorch", "later-port", "2020-01-01"),
        row("b", "port/b", 2015, "tensorflow", "later-port", "2017-01-01"),
        row("c", "own/c", 2015, "pytorch", "contemporaneous", "2015-05-01"),  # impossible: a defect
    ]).astype({"year": "Int64", "n_stars": "Int64"})  # fmt: skip


def test_code_in_a_framework_released_after_the_conference_is_a_later_port_not_a_defect() -> None:
    """Paper c (CVPR 2015, conference 7-12 June) links PyTorch code (released 2017): not its original code."""
    frame = implementations()
    assert plausibility_defects(frame).empty  # nothing impossible is counted
    chosen = select_counted_links(frame)
    assert "c" not in set(chosen["paper_id"])
    counted = plausibility_defects(frame, ShareSpec(include_ports=True))
    # counting every link counts the ports, each listed: b's TensorFlow port (released November 2015) too, at day
    # precision: CVPR 2015 ended in June, though a period of 2015 would hold the release
    assert set(counted["paper_id"]) == {"a", "b", "c"}
    c = counted[counted["paper_id"] == "c"].iloc[0]
    assert c["released"] == date(2017, 1, 18) and c["conference_end"] == date(2015, 6, 12)
    assert c["attribution"] == "later-port" and "after the conference ended 2015-06-12" in c["attribution_reason"]
    assert anachronisms(pd.DataFrame()).empty


def test_the_check_is_day_exact_on_every_axis_and_frequency() -> None:
    """CVPR 2015's "A Convolutional Neural Network Cascade for Face Detection" via a TensorFlow port started April
    2016: TensorFlow (9 November 2015) came out after the conference ended (12 June 2015), though within its year."""
    frame = fill_paper_dates(implementations())  # the paper-date axis needs dates: the conferences' first days
    frame.loc[frame["paper_id"] == "c", ["framework", "repo_created_at"]] = ["tensorflow", datetime(2016, 4, 2)]
    for axis, freq in [("venue-year", "year"), ("paper-date", "year"), ("paper-date", "quarter"),
                       ("paper-date", "month"), ("repo-created", "year")]:  # fmt: skip
        spec = ShareSpec(axis=axis, freq=freq)
        assert plausibility_defects(frame, spec).empty, (axis, freq)
        assert "c" not in set(select_counted_links(frame)["paper_id"])
        with_ports = plausibility_defects(frame, spec.with_(include_ports=True))
        assert "c" in set(with_ports["paper_id"]), (axis, freq)


def test_an_official_link_in_a_later_framework_is_the_authors_later_rewrite() -> None:
    frame = implementations()
    frame.loc[frame["paper_id"] == "c", "is_official"] = True
    data = prepare_implementations(frame)
    c = data.frame[data.frame["paper_id"] == "c"].iloc[0]
    assert c["attribution"] == "later-rewrite" and "the authors' later rewrite" in c["attribution_reason"]
    b = data.frame[data.frame["paper_id"] == "b"].iloc[0]
    assert (b["attribution"], b["attribution_reason"]) == ("later-port", "r")  # already not its code: kept as judged
    assert "c" not in set(select_counted_links(frame)["paper_id"])


def test_later_ports_by_paper_period_and_the_port_flow() -> None:
    frame = implementations()
    counts = port_counts(frame)
    # c's PyTorch code (2015 paper) is a port too: its framework did not exist by the conference
    assert counts.values.tolist() == [["2014", "pytorch", 2, 1], ["2015", "pytorch", 1, 1],
                                      ["2015", "tensorflow", 1, 1]]  # fmt: skip
    flow = port_flow(frame)
    assert flow[["paper_framework", "port_framework", "n_papers", "n_ports", "first_port_year"]].values.tolist() == \
        [["caffe", "pytorch", 1, 2, 2019]]  # paper b has no own code: no flow row  # fmt: skip
    assert flow["median_lag_years"].tolist() == [5.5]


def test_the_counted_link_per_paper_is_the_one_the_shares_count() -> None:
    frame = implementations()
    chosen = select_counted_links(frame)
    assert chosen[["paper_id", "repo_key", "attribution"]].values.tolist() == [["a", "own/a", "contemporaneous"]]
    shares = framework_shares(frame).groupby("framework")["n_items"].sum().to_dict()
    assert shares == chosen.groupby("framework")["weight"].sum().to_dict()


def test_a_framework_that_did_not_exist_yet_gives_way_to_the_best_scored_one_that_did() -> None:
    """GazeCapture (CVPR 2016) holds the paper's Caffe models and a later pytorch/ port; it scores pytorch first."""
    frame = implementations().assign(scores=None)
    frame.loc[frame["paper_id"] == "c", "scores"] = '{"pytorch": 5.5, "caffe": 1.5, "jax": 0.5}'
    shares = framework_shares(frame).groupby("framework")["n_items"].sum().to_dict()
    assert shares == {"caffe": 2.0}
    assert plausibility_defects(frame).empty
    from analysis.attribution.releases import labels_at_paper_time

    _labels, replaced = labels_at_paper_time(frame)
    assert replaced.values.tolist() == [["c", "own/c", 2015, date(2015, 6, 12), "pytorch", date(2017, 1, 18),
                                         "caffe"]]  # fmt: skip
    no_alternative = implementations().assign(scores='{"pytorch": 3.0}')
    assert plausibility_defects(no_alternative).empty  # nothing that existed: a later port, not counted
    assert "c" not in set(select_counted_links(no_alternative)["paper_id"])


def test_code_started_in_a_framework_released_after_the_papers_conference_counts_as_a_port() -> None:
    """Issue 25 under the one rule: a third-party PyTorch port of a CVPR 2016 paper started mid-2017 is inside the
    attribution window by dates, but it cannot be the paper's code: a later port. So is code that started before
    its framework existed (c: begun 2015-05, PyTorch today): what the repository holds is not the paper's original
    code, and nothing impossible is counted (the defects list stays empty)."""
    from analysis.attribution.releases import late_links

    frame = implementations()
    extra = frame.iloc[[4]].assign(paper_id="d", repo_key="port/d", year=2016,
                                   repo_created_at=datetime.fromisoformat("2017-06-01"))  # fmt: skip
    frame = pd.concat([frame, extra], ignore_index=True)
    late, words, reasons = late_links(frame, frame["framework"])
    # a's and b's ports were judged later-port already and keep their words and reasons
    assert late.tolist() == [False, False, False, False, True, True]
    assert words.tolist() == ["contemporaneous", "later-port", "later-port", "later-port", "later-port", "later-port"]
    assert "after the conference ended 2016-07-01" in reasons.iloc[5]
    assert plausibility_defects(frame).empty
    assert not {"c", "d"} & set(select_counted_links(frame)["paper_id"])


def test_a_label_released_between_the_conference_and_the_year_end_is_replaced_too() -> None:
    """TensorFlow (9 November 2015) for a CVPR 2015 repository that also scores Caffe: counted as Caffe."""
    frame = implementations().assign(scores=None)
    frame.loc[frame["paper_id"] == "c", ["framework", "scores"]] = ["tensorflow", '{"tensorflow": 4, "caffe": 1}']
    assert framework_shares(frame).groupby("framework")["n_items"].sum().to_dict() == {"caffe": 2.0}
    from analysis.attribution.releases import labels_at_paper_time

    assert labels_at_paper_time(frame)[1]["counted_as"].tolist() == ["caffe"]
