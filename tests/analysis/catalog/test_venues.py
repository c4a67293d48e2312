"""Venue strings in every form seen -> (venue, year, is_workshop); unknown ones never guessed."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.catalog.venues import VENUE_ALIASES, parse_venue

CASES = [
    ("NeurIPS 2018 12", "NeurIPS", 2018, False),  # the dumps: venue, year, month
    ("neurips-2018-12", "NeurIPS", 2018, False),  # the old API's slug
    ("NIPS 2017", "NeurIPS", 2017, False),  # the name before 2018
    ("nips'17", "NeurIPS", 2017, False),
    ("ICML '19", "ICML", 2019, False),
    ("CVPR 2026", "CVPR", 2026, False),  # the live catalog's name
    ("cvpr-2026", "CVPR", 2026, False),  # ... and its slug
    ("ICLR 2022 4", "ICLR", 2022, False),
    ("iclr-2022-4", "ICLR", 2022, False),
    ("CVPR 2019 Workshops", "CVPR", 2019, True),
    ("ICML 2020 Workshop", "ICML", 2020, True),
    ("ICML 2020 Workshop on Uncertainty and Robustness", "ICML", 2020, True),  # workshop names are free text
    ("CVPRW 2019", "CVPR", 2019, True),
    ("iccvw2021", "ICCV", 2021, True),
    ("neurips2019", "NeurIPS", 2019, False),
    ("ACL 2019 7", "ACL", 2019, False),
    ("NAACL-HLT 2019 6", "NAACL", 2019, False),
    ("EMNLP (Findings) 2020", "EMNLP Findings", 2020, False),  # Findings is not the main conference
    ("Findings of ACL 2021", "ACL Findings", 2021, False),
    ("COLING 2020 12", "COLING", 2020, False),
    ("AAAI 2020 2", "AAAI", 2020, False),
    ("IJCAI 2019 8", "IJCAI", 2019, False),
    ("KDD 2019 7", "KDD", 2019, False),
    ("WACV 2020 3", "WACV", 2020, False),
    ("BMVC 2018 9", "BMVC", 2018, False),
    ("MICCAI 2019 10", "MICCAI", 2019, False),
    ("Interspeech 2019 9", "INTERSPEECH", 2019, False),
    ("ICASSP 2020 5", "ICASSP", 2020, False),
    ("UAI 2019 7", "UAI", 2019, False),
    ("AISTATS 2020 6", "AISTATS", 2020, False),
    ("COLT 2019 6", "COLT", 2019, False),
    ("CoRL 2020 11", "CoRL", 2020, False),
    ("RSS 2020 7", "RSS", 2020, False),
    ("SIGIR 2020 7", "SIGIR", 2020, False),
    ("WWW 2020 4", "WWW", 2020, False),  # "www" is a venue, not "ww" + workshop
    ("The Web Conference 2021", "WWW", 2021, False),
    ("ACM MM 2019", "MM", 2019, False),
    ("ECCV 2018 9", "ECCV", 2018, False),
    ("ICCV 2019 10", "ICCV", 2019, False),
]


@pytest.mark.parametrize(("raw", "venue", "year", "is_workshop"), CASES)
def test_known_forms(raw: str, venue: str, year: int, is_workshop: bool) -> None:
    got = parse_venue(raw)
    assert (got.venue, got.year, got.is_workshop, got.raw) == (venue, year, is_workshop, raw)


@pytest.mark.parametrize(
    "raw",
    [
        "mmWave Radar Sensing 2020",  # "mm" at the start of an unrelated word
        "MM-Wave Radar 2020",  # ... or split off by a hyphen
        "w 2019",  # a lone "w" is not a workshop of anything
        "Proceedings of the AAAI Conference",  # the venue not at the start: not guessed
        "Journal of Machine Learning Research 2019",
        "ICML 2019 findings",  # there is no ICML Findings
        "ACL Anthology Reprint Of Something 2019",
        "WS 2019 8",  # ACL's generic workshop bucket: a workshop of an unknown venue
        "Symposium on Made-Up Things 2020",
        "nipsy 2017",
    ],
)
def test_unknown_strings_are_not_guessed(raw: str) -> None:
    got = parse_venue(raw)
    assert got.venue is None and got.raw == raw


def test_empty() -> None:
    assert parse_venue(None) == parse_venue(None) and parse_venue("  ").venue is None


def test_ws_bucket_is_a_workshop_without_a_venue() -> None:
    assert (parse_venue("WS 2019 8").is_workshop, parse_venue("WS 2019 8").year) == (True, 2019)


_venue = st.sampled_from(sorted(VENUE_ALIASES))
_sep = st.sampled_from([" ", "-", "_", "  ", " - "])


@settings(max_examples=300, deadline=None)
@given(venue=_venue, year=st.integers(1987, 2049), month=st.none() | st.integers(1, 12), sep=_sep,
       case=st.sampled_from([str.lower, str.upper, str]))  # fmt: skip
def test_every_alias_with_year_and_month(venue: str, year: int, month: int | None, sep: str, case) -> None:
    alias = VENUE_ALIASES[venue][0].replace(" ", sep)
    raw = case(sep.join([alias, str(year)] + ([str(month)] if month else [])))
    got = parse_venue(raw)
    assert (got.venue, got.year, got.is_workshop) == (venue, year, False)
    assert parse_venue(raw + sep + "Workshops").is_workshop


_words = st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), min_size=1, max_size=5)
_first_words = {a.split()[0] for aliases in VENUE_ALIASES.values() for a in aliases}


@settings(max_examples=300, deadline=None)
@given(words=_words, year=st.integers(1990, 2030))
def test_strings_not_starting_with_a_venue_are_never_guessed(words: list[str], year: int) -> None:
    assume(words[0] not in _first_words and not any(words[0].startswith(f) for f in _first_words))
    raw = " ".join(words) + f" {year}"
    assert parse_venue(raw).venue is None


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_never_raises(text: str) -> None:
    got = parse_venue(text)
    assert got.venue is None or got.venue in VENUE_ALIASES


def test_resolve_venues_takes_aliases_and_refuses_what_the_data_lacks() -> None:
    from analysis.catalog.venues import check_venue_names, resolve_venues

    held = {"NeurIPS", "CVPR", "ICML"}
    assert resolve_venues(["nips", "NeurIPS", "CVPR"], held) == ["NeurIPS", "CVPR"]  # NIPS is NeurIPS, once
    with pytest.raises(ValueError, match=r"unknown venue 'CPVR'; venues with papers: CVPR, ICML, NeurIPS"):
        resolve_venues(["CPVR"], held)
    with pytest.raises(ValueError, match=r"no ICRA papers in the warehouse"):
        resolve_venues(["ICRA"], held)
    with pytest.raises(ValueError, match=r"not an edition"):
        resolve_venues(["CVPR 2019"], held)
    check_venue_names(["NIPS", "CVPR 2026", "iclr"])  # the catalog takes editions too
    with pytest.raises(ValueError, match=r"unknown venue 'NIPZ'; known venues: 3DV, AAAI"):
        check_venue_names(["CVPR", "NIPZ"])


@pytest.mark.parametrize("venues", [["nips"], ["NeurIPS"], ["neurips"]])
def test_the_share_series_take_venue_aliases(venues: list[str]) -> None:
    from tests_support import implementations_frame

    from analysis.shares.series import framework_shares

    shares = framework_shares(implementations_frame(), venues=venues, by_venue=True)
    assert set(shares["venue"]) == {"NeurIPS"}
