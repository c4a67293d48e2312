"""Attribution of links: the five words, their reasons, and the invariants they keep."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.attribution.attribute import (
    ATTRIBUTIONS,
    PaperFacts,
    RepoFacts,
    Window,
    add_months,
    attribute_link,
    attribute_rows,
    code_start,
    paper_window,
)
from analysis.attribution.title_words import is_acronym_of, name_overlap, split_words

CVPR14 = PaperFacts(title="Convolutional Neural Networks for No-Reference Image Quality Assessment", venue="CVPR",
                    year=2014, paper_date=date(2014, 6, 23), venue_end=date(2014, 6, 28))  # fmt: skip


def repo(name: str = "someone/CNNIQA", start: date | None = date(2014, 3, 1), last: date | None = None,
         **facts: object) -> RepoFacts:  # fmt: skip
    return RepoFacts(full_name=name, status="ok", first_commit_at=start, last_commit_at=last or start,
                     n_files=10, n_evidence_files=5, **facts)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize(("word", "title", "expected"), [
    ("cnniqa", "Convolutional Neural Networks for No-Reference Image Quality Assessment", True),  # skips "No-Reference"
    ("lopq", "Locally Optimized Product Quantization for Approximate Nearest Neighbor Search", True),
    ("gat", "Graph Attention Networks", True),  # two letters from one word
    ("yolo", "You Only Look Once: Unified, Real-Time Object Detection", True),  # stop words may be used
    ("coat", "Co-Scale Conv-Attentional Image Transformers", True),
    ("bet", "Predicting Matchability", False),
    ("oop", "Learning to Group Objects", False),  # one word's initial is not an acronym
])  # fmt: skip
def test_acronyms(word: str, title: str, expected: bool) -> None:
    assert is_acronym_of(word, title) is expected


def test_words_split_camel_snake_kebab_and_keep_frameworks_whole() -> None:
    assert split_words("PredNet_v2-GA3C") == ["pred", "net", "prednet", "v", "2", "v2", "ga", "3", "c", "ga3c"]
    assert split_words("HyperFace-TensorFlow") == ["hyper", "face", "hyperface", "tensorflow"]
    overlap = name_overlap("Deep Colorization", "colorization-pytorch")
    assert overlap.shared == ("colorization",) and overlap.repo_words == ("colorization",)
    assert not name_overlap("Deep Learning", "pytorch-code").is_judgeable  # only generic words: no verdict


def test_window_runs_from_a_year_before_the_year_start_to_a_year_after_the_conference() -> None:
    assert paper_window(CVPR14) == (date(2013, 1, 1), date(2015, 6, 28))
    assert paper_window(CVPR14, Window(6, 3)) == (date(2013, 7, 1), date(2014, 9, 28))
    no_table = PaperFacts(title="x", venue="XYZ", year=2014)
    assert paper_window(no_table) == (date(2013, 1, 1), date(2015, 12, 31))
    assert paper_window(PaperFacts(title="x")) is None
    assert add_months(date(2016, 3, 31), -1) == date(2016, 2, 29)


def test_code_start_is_the_earliest_of_creation_and_first_commit() -> None:
    moved = RepoFacts(created_at=date(2019, 5, 1), first_commit_at=date(2015, 2, 1))
    assert code_start(moved) == date(2015, 2, 1)
    assert code_start(RepoFacts()) is None


def test_a_forks_code_starts_at_its_own_creation() -> None:
    """A fork created in 2017 of a 2014 repository carries the parent's 2014 commits: they are not its code."""
    fork = RepoFacts(full_name="someone/caffe-future", created_at=date(2017, 3, 1), first_commit_at=date(2014, 1, 5),
                     is_fork=True)  # fmt: skip
    assert code_start(fork) == date(2017, 3, 1)
    assert attribute_rows([{"title": "Caffe Future", "venue": "CVPR", "year": 2014, "full_name": fork.full_name,
                            "created_at": fork.created_at, "first_commit_at": fork.first_commit_at,
                            "is_fork": True}])[0][0] == "later-port"  # fmt: skip
    unknown = RepoFacts(created_at=date(2017, 3, 1), first_commit_at=date(2014, 1, 5))  # not known: as before
    assert code_start(unknown) == date(2014, 1, 5)


def test_the_five_words() -> None:
    assert attribute_link(True, CVPR14, repo())[0] == "official"
    assert attribute_link(None, CVPR14, repo()) == ("contemporaneous",
                                                   "its code starts 2014-03, within the window 2013-01..2015-06")
    port = attribute_link(False, CVPR14, repo(start=date(2018, 4, 18)))
    assert port == ("later-port", "its code starts 2018-04, after the window 2013-01..2015-06")
    php = attribute_link(None, PaperFacts(title="Learning to Group Objects", venue="CVPR", year=2014),
                         RepoFacts(full_name="KamilWo/PHP_OOP", status="missing"))  # fmt: skip
    assert php[0] == "suspect" and "(oop, php)" in php[1]
    word, reason = attribute_link(None, CVPR14, RepoFacts(full_name="x/CNNIQA", status="missing"))
    assert word == "unknown"
    assert reason == "missing the repository's creation and first-commit dates (repository missing)"
    assert attribute_link(None, PaperFacts(title="t"), repo())[1].startswith("missing the paper's date and year")


def test_suspect_signs() -> None:
    web = attribute_link(None, CVPR14, repo(language="PHP"))
    assert web[0] == "suspect" and "mostly PHP" in web[1]
    ended = attribute_link(None, CVPR14, repo(start=date(2009, 1, 1), last=date(2010, 11, 1)))
    assert ended[0] == "suspect" and "history ends 2010-11" in ended[1]
    described = attribute_link(None, CVPR14, repo("a/BetBoy", description="Football betting manager"))
    assert described[0] == "suspect" and "name, description share no distinctive word" in described[1]
    # A README title that only repeats or glosses the name says nothing more ("SURF", "L2C: Learning to Cluster").
    assert attribute_link(None, CVPR14, repo("a/L2C", readme_title="L2C: Learning to Cluster"))[0] == "contemporaneous"
    # The name alone, inside the window, with code files: authors name repositories freely.
    assert attribute_link(None, CVPR14, repo("a/BetBoy"))[0] == "contemporaneous"
    early = attribute_link(None, CVPR14, repo("a/BetBoy", start=date(2013, 5, 7), last=date(2019, 11, 1)))
    assert early[0] == "suspect" and "over 12 months before the paper" in early[1]
    weak_port = attribute_link(None, PaperFacts(title="Linear Ranking Analysis", venue="CVPR", year=2014),
                               repo("a/mine_ncaa_rankings", start=date(2016, 2, 26)))  # fmt: skip
    assert weak_port[0] == "suspect" and "only rankings of mine, ncaa, rankings" in weak_port[1]


def test_unknown_facts_are_not_used() -> None:
    """NULL description / README title / language: the verdict is the one without them."""
    assert attribute_link(None, CVPR14, repo("a/CNNIQA", description=None, readme_title=None, language=None)) == \
        attribute_link(None, CVPR14, repo("a/CNNIQA"))  # fmt: skip


def test_official_is_never_suspect_and_says_why_it_would_be() -> None:
    word, reason = attribute_link(True, CVPR14, repo(language="HTML"))
    assert word == "official" and "would be suspect otherwise: its code is mostly HTML" in reason


# --- properties ------------------------------------------------------------------------

days = st.dates(min_value=date(2008, 1, 1), max_value=date(2026, 12, 31))
names = st.sampled_from(["a/CNNIQA", "a/BetBoy", "a/php-course", "a/colorization-pytorch", "a/GAT", "a/x"])
titles = st.sampled_from([CVPR14.title, "Graph Attention Networks", "Deep Colorization", "Predicting Matchability"])


@st.composite
def link_facts(draw: st.DrawFn) -> tuple[bool | None, PaperFacts, RepoFacts]:
    year = draw(st.one_of(st.none(), st.integers(2010, 2025)))
    paper = PaperFacts(title=draw(titles), venue="CVPR", year=year, paper_date=draw(st.one_of(st.none(), days)))
    start = draw(st.one_of(st.none(), days))
    last = None if start is None else start + timedelta(days=draw(st.integers(0, 4000)))
    facts = RepoFacts(full_name=draw(names), status="ok", first_commit_at=start, last_commit_at=last,
                      language=draw(st.sampled_from([None, "Python", "PHP"])),
                      n_files=draw(st.one_of(st.none(), st.integers(0, 50))), n_evidence_files=draw(st.integers(0, 5)))
    return draw(st.sampled_from([None, False, True])), paper, facts  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(link_facts())
def test_official_is_never_suspect(facts: tuple[bool | None, PaperFacts, RepoFacts]) -> None:
    is_official, paper, repo_facts = facts
    word, reason = attribute_link(is_official, paper, repo_facts)
    assert word in ATTRIBUTIONS and reason
    if is_official:
        assert word == "official"


@settings(max_examples=25, deadline=None)
@given(st.lists(link_facts(), min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_deterministic_and_independent_of_row_order(links: list, rnd: random.Random) -> None:
    rows = [_row(*facts) for facts in links]
    order = list(range(len(rows)))
    rnd.shuffle(order)
    plain, shuffled = attribute_rows(rows), attribute_rows([rows[i] for i in order])
    assert [plain[i] for i in order] == shuffled
    assert attribute_rows(rows) == plain


@settings(max_examples=100, deadline=None)
@given(link_facts(), st.integers(0, 24), st.integers(0, 24), st.integers(1, 2000))
def test_moving_the_window_never_turns_a_port_into_own_code(facts: tuple, before: int, after: int,
                                                          later_days: int) -> None:  # fmt: skip
    """A port stays a port for a narrower window, for later code, and for an earlier paper."""
    is_official, paper, repo_facts = facts
    if attribute_link(is_official, paper, repo_facts, Window(before, after))[0] != "later-port":
        return
    narrower = Window(before, max(0, after - later_days % 12))
    assert attribute_link(is_official, paper, repo_facts, narrower)[0] != "contemporaneous"
    shift = timedelta(days=later_days)
    later_code = RepoFacts(**{**repo_facts.__dict__, "first_commit_at": repo_facts.first_commit_at + shift,
                              "last_commit_at": repo_facts.last_commit_at + shift})  # fmt: skip
    assert attribute_link(is_official, paper, later_code, Window(before, after))[0] != "contemporaneous"
    if paper.paper_date and paper.paper_date - shift > date(1990, 1, 1):
        earlier = PaperFacts(**{**paper.__dict__, "paper_date": paper.paper_date - shift})
        assert attribute_link(is_official, earlier, repo_facts, Window(before, after))[0] != "contemporaneous"


def _row(is_official: bool | None, paper: PaperFacts, facts: RepoFacts) -> dict[str, object]:
    return {"is_official": is_official, "title": paper.title, "venue": paper.venue, "year": paper.year,
            "paper_date": paper.paper_date, "venue_end": paper.venue_end, "full_name": facts.full_name,
            "repo_status": facts.status, "created_at": facts.created_at, "first_commit_at": facts.first_commit_at,
            "last_commit_at": facts.last_commit_at, "description": facts.description,
            "readme_title": facts.readme_title, "language": facts.language, "n_files": facts.n_files,
            "n_evidence_files": facts.n_evidence_files}  # fmt: skip
