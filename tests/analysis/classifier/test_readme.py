"""README titles: which README, then its first heading whatever the markup, else its first line.

The one definition serves both crawl paths and the sample build (scripts/sample/repo_facts.py).
"""

from __future__ import annotations

import pytest

from analysis.classifier.readme import MAX_TITLE, pick_readme, readme_title, readme_title_of_bytes


@pytest.mark.parametrize(("text", "title"), [
    ("# Deep Residual Learning\n\nCode for the paper.", "Deep Residual Learning"),
    ("![badge](https://x/y.svg)\n\n## [PointNet++](https://arxiv.org/abs/1706.02413): Deep *Hierarchical* ##\n",
     "PointNet++: Deep Hierarchical"),  # a badge line first, a link and emphasis in the heading
    ('<p align="center"><img src="logo.png"></p>\n<h1 align="center">YOLOv7</h1>\n', "YOLOv7"),  # HTML only
    ("Attention Is All You Need\n=========================\n\nbody", "Attention Is All You Need"),  # setext / rst
    ("#\n# \n## ![logo](a.png)\n# Real Title", "Real Title"),  # headings without words are skipped
    ("just some text\nwithout any heading\n", "just some text"),  # no heading: the first non-empty line
    ("![logo](a.png)\n\n**Bold** first line\n", "Bold first line"),  # a line of only an image has no words
    ("", None),
    ("\n   \n![x](y.png)\n", None),  # nothing with words at all
])  # fmt: skip
def test_the_first_heading_with_words_else_the_first_line_is_the_title(text: str, title: str | None) -> None:
    assert readme_title(text) == title


def test_titles_are_capped_and_read_from_the_first_64_kib() -> None:
    assert readme_title("# " + "word " * 100) == ("word " * 100).strip()[:MAX_TITLE]
    assert readme_title_of_bytes(b"\n" * (64 << 10) + b"# Too Late\n") is None
    assert readme_title_of_bytes(b"# Caf\xc3\xa9 \xff\n") == "Caf\u00e9 \ufffd"  # bad UTF-8 is replaced, not fatal


@pytest.mark.parametrize(("paths", "chosen"), [
    (["README.md", "README.rst", "readme.txt"], "README.md"),  # Markdown first
    (["Readme.rst", "README", "docs/README.md"], "Readme.rst"),  # then reST; only the top level counts
    (["README_zh.md", "README-en.md"], "README-en.md"),  # none of the preferred names: the first by name
    (["docs/README.md", "setup.py"], None),
])  # fmt: skip
def test_the_readme_read_is_the_top_level_one_in_the_preference_order(paths: list[str], chosen: str | None) -> None:
    assert pick_readme(paths) == chosen
