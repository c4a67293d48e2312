"""The title stratum of the early sample: a fixed word list, whole words only."""

from __future__ import annotations

import pytest

from analysis.shares.title_strata import matched_words, title_stratum


@pytest.mark.parametrize(("title", "year", "stratum"), [
    ("Convolutional Neural Networks for Sentence Classification", 2014, "dl"),
    ("Fast R-CNN", 2015, "dl"),  # "-" splits words: "cnn" is one
    ("Stacked Denoising Auto-Encoders for Text", 2016, "dl"),  # a listed pair across the hyphen
    ("Sequence to Sequence Learning", 2014, "dl"),  # "to" is skipped inside the pair
    ("DeepFace: Closing the Gap to Human-Level Performance", 2014, "other"),  # one word: not "deep"
    ("Face Alignment at 3000 FPS via Regressing Local Binary Features", 2014, "other"),
    ("A Networked Approach", 2016, "other"),  # "networked" is not a listed word
    ("Deep Residual Learning", 2018, "all"),  # later years are not split
])  # fmt: skip
def test_title_stratum(title: str, year: int, stratum: str) -> None:
    assert title_stratum(title, year) == stratum


def test_matched_words_say_why() -> None:
    assert matched_words("Generative Adversarial Nets") == ["adversarial"]
    assert matched_words("Batch Normalization: Accelerating Deep Network Training") == [
        "deep", "network", "batch normalization"]
