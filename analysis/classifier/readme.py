"""A repository's README title: which README, and its first heading (else its first line).

The one definition, used by both crawl paths and by the bundled sample's build
(scripts/sample/): the attribution compares the paper's title with the repository's
name, description and README title, so the title must not depend on the road taken.
It is the sample build's rule, kept as it was so the committed sample data stays what
this function gives:

* the README: a top-level file whose name starts with ``readme`` (any case), preferring
  ``README.md``, ``.rst``, ``.txt``, bare ``README``, ``.markdown``, else the first by name;
  a symlink is not followed (no title);
* its title: the first heading among the first 200 lines (Markdown ``#``, a setext or
  reStructuredText underline, or an HTML ``<h1>``) with words left once markup is
  stripped, else the first non-empty line, markup stripped; at most 200 characters;
  read from the first 64 KiB, decoded as UTF-8 with replacement.

Pure text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_TITLE = 200
README_BYTES = 64 << 10
"""A README's title is near its top: no more is decoded."""
README_ORDER = ("readme.md", "readme.rst", "readme.txt", "readme", "readme.markdown")
_UNDERLINE = re.compile(r"^\s*([=\-~^*#])\1{2,}\s*$")
_ATX = re.compile(r"^\s{0,3}#{1,6}\s+\S")
_HTML_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE)


def pick_readme(paths: Iterable[str]) -> str | None:
    """The top-level README to read (see the module docstring), or None."""
    top = {p.lower(): p for p in paths if "/" not in p and p.lower().startswith("readme")}
    for name in README_ORDER:
        if name in top:
            return top[name]
    return top[sorted(top)[0]] if top else None


def readme_title(text: str) -> str | None:
    """The first heading with words in it, else the first non-empty line; None for a README with no words."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:200]):
        heading = _heading(line, lines[i + 1] if i + 1 < len(lines) else "")
        if heading:
            return heading
    return next((title for line in lines if (title := clean_title(line))), None)


def readme_title_of_bytes(data: bytes) -> str | None:
    """:func:`readme_title` of a README file's bytes (the first ``README_BYTES`` of them)."""
    return readme_title(data[:README_BYTES].decode("utf-8", "replace"))


def _heading(line: str, following: str) -> str:
    if _ATX.match(line):
        return clean_title(line.lstrip().lstrip("#"))
    match = _HTML_H1.search(line)
    if match:
        return clean_title(match.group(1))
    if line.strip() and _UNDERLINE.match(following) and not _UNDERLINE.match(line):
        return clean_title(line)
    return ""


def clean_title(text: str) -> str:
    """Strip HTML tags, Markdown images/links/emphasis and whitespace runs; cap the length."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text).strip(" #=-\t")
    return re.sub(r"\s+", " ", text).strip()[:MAX_TITLE]
