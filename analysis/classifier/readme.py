"""A README's title: the first heading of its text (Markdown, reStructuredText or HTML).

Used to tell a paper's own code from a repository that merely mentions the paper: the
attribution compares the paper's title with the repository's name, description and
README title. Pure text in, text out.
"""

from __future__ import annotations

import re

README_NAMES = re.compile(r"readme(\.(md|markdown|rst|txt))?", re.IGNORECASE)
MAX_TITLE = 300
_ATX = re.compile(r"#{1,6}[ \t]+(.+?)[ \t#]*")
_UNDERLINE = re.compile(r"(=+|-+|~+|\^+|\*+)[ \t]*")
_HTML_HEADING = re.compile(r"<h[12][^>]*>(.*?)</h[12]>", re.IGNORECASE | re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")


def is_readme(path: str) -> bool:
    """A README at the top of the repository (where GitHub shows it)."""
    return "/" not in path and bool(README_NAMES.fullmatch(path))


def readme_title(text: str) -> str | None:
    """The first heading, cleaned of markup; None when the README has no heading with words in it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        candidate = None
        if m := _ATX.fullmatch(stripped) or _HTML_HEADING.search(stripped):
            candidate = m.group(1)
        elif stripped and i + 1 < len(lines) and _UNDERLINE.fullmatch(lines[i + 1].strip()) and len(
                lines[i + 1].strip()) >= min(3, len(stripped)):  # fmt: skip
            candidate = stripped
        if candidate is not None and (title := clean(candidate)):
            return title
    return None


def clean(text: str) -> str:
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = re.sub(r"[*_`]+", "", text)
    text = " ".join(text.split())
    return text[:MAX_TITLE] if re.search(r"\w", text) else ""
