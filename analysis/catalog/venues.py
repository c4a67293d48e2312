"""Proceeding and conference strings -> canonical (venue, year, is_workshop).

Papers with Code wrote venues as ``"NeurIPS 2018 12"`` (venue, year, month) in its
dumps and ``"iclr-2022-4"`` in its old API; its live catalog says ``"CVPR 2026"`` /
``"cvpr-2026"``; the paper lists say ``"NIPS 2017"``, ``"CVPRW 2019"`` or
``"ICML'19"``. Only the *leading* words of a string may name the venue, and every
word after it must be something a venue string carries (a year, a month, a track
word) unless the string says it is a workshop (whose names are free text). So
``"MM-Wave Radar 2020"`` is not ACM MM and ``"Proceedings of the AAAI ..."`` is not
guessed: unknown strings come back with ``venue=None`` and their raw text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

# Canonical venue -> spellings seen in sources, as space-separated lower-case words.
VENUE_ALIASES: dict[str, tuple[str, ...]] = {
    "NeurIPS": ("neurips", "nips", "neural information processing systems"),
    "ICML": ("icml",), "ICLR": ("iclr",), "CVPR": ("cvpr",), "ICCV": ("iccv",), "ECCV": ("eccv",),
    "ACL": ("acl",), "EMNLP": ("emnlp",), "NAACL": ("naacl", "naacl hlt"), "COLING": ("coling",),
    "EACL": ("eacl",), "AACL": ("aacl", "aacl ijcnlp"), "IJCNLP": ("ijcnlp",), "CoNLL": ("conll",),
    "LREC": ("lrec",), "SemEval": ("semeval",), "TACL": ("tacl",),
    "ACL Findings": ("findings acl", "findings of acl"),
    "EMNLP Findings": ("findings emnlp", "findings of emnlp"),
    "NAACL Findings": ("findings naacl", "findings of naacl"),
    "AAAI": ("aaai",), "IJCAI": ("ijcai",), "KDD": ("kdd", "sigkdd", "acm sigkdd"), "WACV": ("wacv",),
    "BMVC": ("bmvc",), "MICCAI": ("miccai",), "INTERSPEECH": ("interspeech",),
    "ICASSP": ("icassp",), "UAI": ("uai",), "AISTATS": ("aistats",), "COLT": ("colt",),
    "CoRL": ("corl",), "RSS": ("rss", "robotics science and systems"), "SIGIR": ("sigir",),
    "WWW": ("www", "thewebconf", "the web conference", "web conference"),
    "ICRA": ("icra",), "IROS": ("iros",), "WSDM": ("wsdm",), "CIKM": ("cikm",), "ICDM": ("icdm",),
    "SDM": ("sdm",), "FG": ("fg",), "ACCV": ("accv",), "3DV": ("3dv",), "ICPR": ("icpr",),
    "ICIP": ("icip",), "MIDL": ("midl",), "ISBI": ("isbi",), "ECML-PKDD": ("ecml pkdd", "ecml", "pkdd"),
    "MM": ("acm mm", "acmmm", "acm multimedia", "mm"), "RecSys": ("recsys",), "ICDE": ("icde",),
    "SIGGRAPH": ("siggraph",), "SIGGRAPH Asia": ("siggraph asia",), "CHI": ("chi",),
    "L4DC": ("l4dc",), "ALT": ("alt",), "ICLR Blogposts": ("iclr blogposts",),
}  # fmt: skip

_WORKSHOP_WORDS = frozenset({"workshop", "workshops", "ws", "wkshp"})
# Words a venue string may carry after the venue itself without being anything else.
_TRACK_WORDS = frozenset({
    "conference", "main", "proceedings", "short", "long", "papers", "paper", "demo", "demos", "oral", "poster",
    "posters", "spotlight", "track", "volume", "vol", "the", "of", "on", "and", "international", "student",
    "research", "srw", "tutorial", "tutorials", "abstracts", "industry", "system", "demonstrations",
})  # fmt: skip
_ALIASES: dict[tuple[str, ...], str] = {
    tuple(alias.split()): venue for venue, aliases in VENUE_ALIASES.items() for alias in aliases
}
_MAX_ALIAS_WORDS = max(len(a) for a in _ALIASES)
_SPLIT = re.compile(r"[\s\-_/,:;()\[\]|+.&]+")
# A first word glued to a year or a workshop "w": "neurips2019", "cvprw", "iccvw2021", "icml'19".
_GLUED = re.compile(r"^(?P<name>[a-z][a-z0-9]*?)(?P<w>w)?(?:'?(?P<year>(?:19|20)\d\d)|'(?P<yy>\d\d))?$")


@dataclass(frozen=True, slots=True)
class Venue:
    venue: str | None
    year: int | None
    is_workshop: bool = False
    raw: str | None = None


@lru_cache(maxsize=65536)
def parse_venue(raw: str | None) -> Venue:
    """``"NeurIPS 2018 12"`` -> Venue("NeurIPS", 2018); unknown strings keep only ``raw``.

    Cached: the archive repeats a few thousand distinct strings over 576k papers.
    """
    if raw is None or not str(raw).strip():
        return Venue(None, None, raw=raw)
    text = str(raw).strip()
    words = [_expand_apostrophe_year(w) for w in _SPLIT.split(text.lower().replace("\u2019", "'")) if w]
    words = _unglue_first(words)
    is_workshop = any(w in _WORKSHOP_WORDS for w in words)
    year = _find_year(words)
    venue, rest = _leading_venue(words)
    if venue is None:
        return Venue(None, year, is_workshop, text)
    if "findings" in rest and f"{venue} Findings" in VENUE_ALIASES:
        venue, rest = f"{venue} Findings", [w for w in rest if w != "findings"]  # "EMNLP (Findings) 2020"
    if not is_workshop and not all(_is_plain_word(w) for w in rest):
        return Venue(None, year, is_workshop, text)  # extra words we cannot vouch for: do not guess
    return Venue(venue, year, is_workshop, text)


def _unglue_first(words: list[str]) -> list[str]:
    """Split a glued first word ("cvprw2019", "nips'17") into venue, workshop mark and year.

    Only when the bare name is a known one-word alias, so "www" stays WWW and never
    becomes "ww" + workshop, and a word like "mmwave" is left whole.
    """
    if not words:
        return words
    first = words[0]
    if (first,) in _ALIASES:
        return words
    match = _GLUED.match(first)
    if not match or (match.group("name"),) not in _ALIASES:
        return words
    if not (match.group("w") or match.group("year") or match.group("yy")):
        return words
    out = [match.group("name")]
    if match.group("w"):
        out.append("workshop")
    if match.group("year"):
        out.append(match.group("year"))
    elif match.group("yy"):
        out.append(_expand_two_digit_year(match.group("yy")))
    return out + words[1:]


def _expand_apostrophe_year(word: str) -> str:
    """A stand-alone ``'19`` is a year (``"ICML '19"``); anything else is left alone."""
    return _expand_two_digit_year(word[1:]) if re.fullmatch(r"'\d\d", word) else word


def _expand_two_digit_year(yy: str) -> str:
    """``'17`` -> 2017; ``'98`` -> 1998 (no conference in our table predates 1980)."""
    value = int(yy)
    return str(2000 + value if value < 80 else 1900 + value)


def _find_year(words: list[str]) -> int | None:
    for word in words:
        if re.fullmatch(r"(19[89]\d|20[0-4]\d)", word):
            return int(word)
    return None


def _leading_venue(words: list[str]) -> tuple[str | None, list[str]]:
    """The venue named by the longest alias at the start of ``words``, and the words after it."""
    for size in range(min(_MAX_ALIAS_WORDS, len(words)), 0, -1):
        venue = _ALIASES.get(tuple(words[:size]))
        if venue:
            return venue, words[size:]
    return None, words


def _is_plain_word(word: str) -> bool:
    """A word a venue string carries besides its venue: a year, a month or day number, a track word."""
    if word in _TRACK_WORDS or word in _WORKSHOP_WORDS:
        return True
    return bool(re.fullmatch(r"(19[89]\d|20[0-4]\d)|0?[1-9]|[12]\d|3[01]", word))


def canonical_venue(name: str) -> str | None:
    """A venue in any spelling the sources use (``NIPS``, ``neurips``, ``NeurIPS``) -> its canonical name, or None."""
    return parse_venue(name).venue


def check_venue_names(names: Sequence[str]) -> None:
    """Raise ``ValueError`` listing the known venues if a name (``CVPR``, ``NIPS 2019``) names none."""
    unknown = [name for name in names if canonical_venue(name) is None]
    if unknown:
        known = ", ".join(sorted(VENUE_ALIASES, key=str.lower))
        raise ValueError(f"unknown venue {unknown[0]!r}; known venues: {known}")


def resolve_venues(names: Sequence[str], held: Collection[str]) -> list[str]:
    """``--venue`` values -> the canonical venues they name, each one the data holds.

    Raises ``ValueError`` with one line naming the venues held, for a name that is no
    venue, an edition (``CVPR 2019``: the axes already split by year) or a venue with
    no papers, so a typo is never an empty chart.
    """
    known = ", ".join(sorted(held, key=str.lower)) or "none"
    resolved = []
    for name in names:
        parsed = parse_venue(name)
        if parsed.venue is None:
            raise ValueError(f"unknown venue {name!r}; venues with papers: {known} (aliases such as NIPS work)")
        if parsed.year is not None:
            raise ValueError(f"--venue takes a venue, not an edition: {name!r}; the axes split it by year")
        if parsed.venue not in held:
            raise ValueError(f"no {parsed.venue} papers in the warehouse; venues with papers: {known}")
        resolved.append(parsed.venue)
    return list(dict.fromkeys(resolved))
