"""Does a paper's title read like deep learning? The title stratum of the early sample.

Why this exists: in 2014-2017 most conference papers with code use no deep-learning
framework (MATLAB, C++), so a simple random sample of a venue-year spends most of its
snapshots on repositories that say nothing about Caffe, Theano, Torch or TensorFlow.
The sample therefore splits each early venue-year into two title strata, ``dl`` (the
title has a word of :data:`DL_TITLE_WORDS`) and ``other``, draws ``dl`` at a higher
rate and weights back (``data/sample/strata.csv``). The word list is fixed and
written down here, so the strata are a function of the title alone and the draw can
be repeated; it is a design variable, not a classifier: a paper in ``other`` that
uses a framework is still counted, only at its own stratum's weight.

Matching: the title is lower-cased and split into words at every character that is
not a letter or a digit (so ``R-CNN`` gives ``r`` and ``cnn``, ``Auto-Encoders``
gives ``auto`` and ``encoders``); a title is ``dl`` when one of its words is in
:data:`DL_TITLE_WORDS`, or two consecutive words form a pair of
:data:`DL_TITLE_PAIRS`. Whole words only: ``deep`` matches "Deep Networks" but not
"DeepFace" (one word, ``deepface``), ``network`` matches "Network" and "Networks"
(plurals are listed), not "Networked". Pure string work.
"""

from __future__ import annotations

import re

DL = "dl"
OTHER = "other"
ALL = "all"
"""The title stratum of venue-years that are not split (2018 on): one cell per venue-year."""

TITLE_STRATUM_YEARS = range(2014, 2018)
"""Venue-years whose sample is split by title stratum."""



def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


DL_TITLE_WORDS: frozenset[str] = _word_set("""
neural neurons deep deeply network networks convolutional convolution convolutions deconvolution
deconvolutional convnet convnets cnn cnns rcnn recurrent rnn rnns lstm lstms gru grus gan gans
adversarial autoencoder autoencoders encoder decoder embedding embeddings attention attentive
residual resnet resnets dropout backpropagation perceptron perceptrons boltzmann rbm rbms
transformer transformers seq2seq word2vec vae vaes
""")
"""Single words that mark a deep-learning title (the issue's list plus close variants)."""

DL_TITLE_PAIRS: frozenset[tuple[str, str]] = frozenset({
    ("auto", "encoder"), ("auto", "encoders"), ("sequence", "sequence"), ("batch", "normalization"),
    ("memory", "networks"), ("representation", "learning"), ("feature", "learning"),
})
"""Two consecutive words that mark one (``Auto-Encoders``; ``Sequence to Sequence`` skips ``to``)."""

_WORD = re.compile(r"[a-z0-9]+")
_SKIP = frozenset({"to"})


def title_words(title: str) -> list[str]:
    """The title's lower-case words: runs of letters and digits."""
    return _WORD.findall(title.lower())


def matched_words(title: str) -> list[str]:
    """The words (or ``a b`` pairs) of the title that put it in the ``dl`` stratum, in order."""
    words = title_words(title)
    found = [w for w in words if w in DL_TITLE_WORDS]
    content = [w for w in words if w not in _SKIP]
    found += [f"{a} {b}" for a, b in zip(content, content[1:], strict=False) if (a, b) in DL_TITLE_PAIRS]
    return found


def title_stratum(title: str, year: int) -> str:
    """``dl`` or ``other`` for a title of an early year (``TITLE_STRATUM_YEARS``), else ``all``."""
    if year not in TITLE_STRATUM_YEARS:
        return ALL
    return DL if matched_words(title) else OTHER
