"""README titles from the first heading, whatever the markup."""

from __future__ import annotations

import pytest

from analysis.classifier.readme import is_readme, readme_title


@pytest.mark.parametrize(("text", "title"), [
    ("# Deep Residual Learning\n\nCode for the paper.", "Deep Residual Learning"),
    ("![badge](https://x/y.svg)\n\n## [PointNet++](https://arxiv.org/abs/1706.02413): Deep *Hierarchical* ##\n",
     "PointNet++: Deep Hierarchical"),  # a badge line first, a link and emphasis in the heading
    ('<p align="center"><img src="logo.png"></p>\n<h1 align="center">YOLOv7</h1>\n', "YOLOv7"),  # HTML only
    ("Attention Is All You Need\n=========================\n\nbody", "Attention Is All You Need"),  # setext / rst
    ("#\n# \n## ![logo](a.png)\n# Real Title", "Real Title"),  # headings without words are skipped
    ("just some text\nwithout any heading\n", None),
    ("", None),
])  # fmt: skip
def test_the_first_heading_with_words_is_the_title(text: str, title: str | None) -> None:
    assert readme_title(text) == title


def test_only_a_top_level_readme_counts() -> None:
    assert is_readme("README.md") and is_readme("readme") and is_readme("Readme.rst")
    assert not is_readme("docs/README.md") and not is_readme("README.md.bak") and not is_readme("readme.py")
