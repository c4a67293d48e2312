"""The early years' n and lists (issue 25): counted once per paper, split by source stratum, named by list."""

from __future__ import annotations

import pandas as pd

from analysis.shares.early import EARLY_COLUMNS, early_years_sentences, early_years_sources, list_name

CONF = "zziz/pwc/src/pwc.csv@6805521215d91f82869daddf27a12048b5444068"
TOPIC = "handong1587/handong1587.github.io/_posts/deep_learning/2015-10-09-gan.md@4ded00b47e03e6310cd14ac964d5973702637fe7"  # noqa: E501


def implementation(paper: str, year: int, stratum: str | None, source: str | None, status: str = "ok",
                   venue: str | None = "CVPR") -> dict:  # fmt: skip
    return {"paper_id": paper, "venue": venue, "year": year, "source_list": source,
            "sample_source_stratum": stratum, "repo_status": status}  # fmt: skip


FRAME = pd.DataFrame([
    implementation("a", 2014, "conference", CONF),
    implementation("a", 2014, "conference", CONF, status="missing"),  # a second link of the same paper
    implementation("b", 2014, "topic", TOPIC),
    implementation("c", 2014, "topic", TOPIC, status="missing"),  # drawn, code not read
    implementation("d", 2014, "topic", TOPIC),  # read, its code uses no framework
    implementation("e", 2015, None, None, venue="ICML"),  # not the sample's: another source
    implementation("v", 2015, None, None, venue=None),  # no venue: not a conference paper, never counted
    implementation("late", 2019, "conference", CONF),  # not an early year
])  # fmt: skip
PAPERS = pd.DataFrame({
    "paper_id": ["a", "b", "d", "e", "late"], "has_dl_framework": [True, True, False, True, True],
    "weight": [1.0, 0.5, 1.0, 1.0, 1.0],
})  # fmt: skip


def test_each_early_year_gets_its_n_its_strata_and_its_lists() -> None:
    table = early_years_sources(FRAME, pd.concat([PAPERS, PAPERS.iloc[[1]]]))  # a tie's two rows: one paper
    assert list(table.columns) == EARLY_COLUMNS
    assert table.to_dict("records") == [
        {"year": 2014, "papers": 4, "papers_read": 3, "framework_papers": 2, "from_conference_lists": 1,
         "from_topic_lists": 1, "from_other_sources": 0, "lists": "handong1587/handong1587.github.io 1; zziz/pwc 1"},
        {"year": 2015, "papers": 1, "papers_read": 1, "framework_papers": 1, "from_conference_lists": 0,
         "from_topic_lists": 0, "from_other_sources": 1, "lists": "not from a list (the archive or the catalog) 1"},
    ]  # fmt: skip


def test_a_venue_selection_keeps_its_venues_and_no_early_paper_gives_an_empty_table() -> None:
    assert early_years_sources(FRAME, PAPERS, venues=["ICML"])["year"].tolist() == [2015]
    assert early_years_sources(FRAME[FRAME["year"] > 2017], PAPERS).empty


def test_the_sentences_say_n_where_it_comes_from_and_cut_long_list_names() -> None:
    table = early_years_sources(FRAME, PAPERS)
    first = early_years_sentences(table)[0]
    assert first.startswith("2014: n = 2 papers whose own code uses a deep-learning framework (1 from "
                            "conference-wide lists, 1 from topic lists of deep-learning work), among 4 conference "
                            "papers with code links (3 with code read).")  # fmt: skip
    many = table.iloc[[0]].assign(lists="; ".join(f"o{i}/r {6 - i}" for i in range(6)))
    assert early_years_sentences(many)[0].endswith("Lists: o0/r 6; o1/r 5; o2/r 4; o3/r 3; 2 more lists (3 papers).")
    one = table.iloc[[0]].assign(lists="a/r 3; b/r 2; c/r 2; d/r 1; e/r 1")
    assert early_years_sentences(one)[0].endswith("d/r 1; 1 more list (1 paper).")


def test_list_names_are_owner_and_repository() -> None:
    assert list_name(TOPIC) == "handong1587/handong1587.github.io"
    assert list_name("papercopilot/paperlists/cvpr/cvpr2014.json@0d88d97") == "papercopilot/paperlists"
    assert list_name(None) == list_name("") == "not from a list (the archive or the catalog)"
