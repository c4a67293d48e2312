"""Proceeding and conference strings -> canonical (venue, year, is_workshop).

Papers with Code wrote venues as ``"NeurIPS 2018 12"`` in its dumps and
``"iclr-2022-4"`` in its old API; the paper lists say ``"NIPS 2017"``. Unknown
strings are returned as unknown, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Canonical venue -> lower-case spellings seen in sources (first token of the string).
VENUE_ALIASES: dict[str, tuple[str, ...]] = {
    "NeurIPS": ("neurips", "nips"),
    "ICML": ("icml",), "ICLR": ("iclr",), "CVPR": ("cvpr",), "ICCV": ("iccv",), "ECCV": ("eccv",),
    "ACL": ("acl",), "EMNLP": ("emnlp",), "NAACL": ("naacl", "naacl-hlt"), "COLING": ("coling",),
    "AAAI": ("aaai",), "IJCAI": ("ijcai",), "KDD": ("kdd", "sigkdd"), "WACV": ("wacv",),
    "BMVC": ("bmvc",), "MICCAI": ("miccai",), "INTERSPEECH": ("interspeech",),
    "ICASSP": ("icassp",), "UAI": ("uai",), "AISTATS": ("aistats",), "COLT": ("colt",),
    "CoRL": ("corl",), "RSS": ("rss",), "SIGIR": ("sigir",), "WWW": ("www", "thewebconf"),
    "EACL": ("eacl",), "CONLL": ("conll",), "ICRA": ("icra",), "IROS": ("iros",),
    "WSDM": ("wsdm",), "CIKM": ("cikm",), "ICDM": ("icdm",), "SDM": ("sdm",), "FG": ("fg",),
    "ACCV": ("accv",), "3DV": ("3dv",), "MM": ("acm-mm", "acmmm", "mm"), "TACL": ("tacl",),
}  # fmt: skip
_ALIAS_TO_VENUE = {alias: venue for venue, aliases in VENUE_ALIASES.items() for alias in aliases}
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")


@dataclass(frozen=True, slots=True)
class Venue:
    venue: str | None
    year: int | None
    is_workshop: bool = False
    raw: str | None = None


def parse_venue(raw: str | None) -> Venue:
    """``"NeurIPS 2018 12"`` -> Venue("NeurIPS", 2018); unknown strings keep only ``raw``."""
    if not raw or not str(raw).strip():
        return Venue(None, None, raw=raw)
    text = str(raw).strip()
    tokens = [t for t in re.split(r"[\s\-_/,:()]+", text.lower()) if t]
    is_workshop = any(t.startswith(("workshop", "ws")) or t == "w" for t in tokens)
    year_match = _YEAR.search(text)
    year = int(year_match.group(1)) if year_match else None
    for token in tokens:
        venue = _ALIAS_TO_VENUE.get(re.sub(r"\d+$", "", token) or token)
        if venue:
            return Venue(venue, year, is_workshop, text)
    return Venue(None, year, is_workshop, text)
