"""Does a repository's name (description, README title) name the paper it is linked to?

Paper lists and Papers with Code sometimes link a paper to a repository that has
nothing to do with it (a PHP course exercise for a CVPR paper). The cheapest evidence
is the name: the code of a paper, or a port of it, nearly always carries a distinctive
word of the title or the method's acronym (``lopq`` for "Locally Optimized Product
Quantization", ``CNNIQA`` for "Convolutional Neural Networks for No-Reference Image
Quality Assessment"). Pure string work; the rules are general, not a list of repos.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# English function words and words every title or repository name may carry: they
# name no method. Framework, venue and "code" words are what repositories add to a
# method's name (``colorization-pytorch``, ``CVPR2019-code``).
STOP_WORDS = _word_set("""
a an the of for and or with without in on at to by from via using into onto over under upon as is
are be its it their our we you your this that these those what how why when which who do does can
not no all any towards toward beyond through between across among vs versus than more most less very
""")
GENERIC_WORDS = _word_set("""
code codes src source official implementation implementations impl reimplementation repo repository
project paper papers release demo demos github master main public version final new test tests
example examples pytorch torch tensorflow tf keras caffe caffe2 theano mxnet gluon jax flax
chainer paddle mindspore lasagne matlab python py cuda cpp lua matconvnet cvpr iccv eccv nips
neurips icml iclr aaai ijcai acl emnlp naacl coling wacv corl icassp interspeech fg bmvc accv miccai
kdd arxiv workshop conf conference deep learning learn learned neural network networks net nets
model models based approach method methods
readme introduction intro overview installation install setup requirements usage getting started
abstract citation news updates update todo contents table
""")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
MIN_ACRONYM = 3
MAX_SKIPPED_WORDS = 3
"""Title words an acronym may skip between the words it uses (``CNNIQA`` skips "No-Reference")."""


def split_words(text: str | None) -> list[str]:
    """Lower-case words of a name or title: camelCase, snake_case, kebab-case and digits split."""
    if not text:
        return []
    words: list[str] = []
    for chunk in _SPLIT.split(text):
        if chunk.lower() in GENERIC_WORDS:  # "TensorFlow" is a framework, not the words "tensor" and "flow"
            words.append(chunk.lower())
            continue
        pieces = [w.lower() for w in _CAMEL.findall(chunk)]
        words += pieces
        if len(pieces) > 1 and any(p not in GENERIC_WORDS and not p.isdigit() for p in pieces):
            words.append(chunk.lower())  # "PredNet" is also "prednet", "GA3C" also "ga3c"
    return words


def distinctive_words(text: str | None) -> list[str]:
    """Words that can name a method: no stop or generic words, no numbers, no single letters."""
    return [w for w in split_words(text) if len(w) > 1 and not w.isdigit() and w not in STOP_WORDS | GENERIC_WORDS]


def words_match(a: str, b: str) -> bool:
    """Same word, a plural or stem of it (shared prefix of 4+), or one inside the other (5+ letters).

    ``rankings`` ~ ``ranking``, ``colorful`` ~ ``colorization``, ``imageqa`` ~ ``image``,
    ``cliquecnn`` ~ ``clique``.
    """
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short):
        return True
    if len(short) >= 5 and short in long_:
        return True
    prefix = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        prefix += 1
    return prefix >= 5


def is_acronym_of(word: str, title: str) -> bool:
    """``word`` is built from leading letters of two or more title words, in order.

    Each word used gives a prefix (``GAT``: Graph ATtention; ``CoaT``: CO-scale ...
    Attentional ... Transformers); up to ``MAX_SKIPPED_WORDS`` words in between may be
    skipped. Stop words may be used (``YOLO``: You Only Look Once) or skipped for free;
    generic words are kept (``Net`` is often the N).
    """
    if not (MIN_ACRONYM <= len(word) <= 12 and word.isalnum()):
        return False
    words = split_words(title)
    return any(_spells(word, words, start, 0) for start in range(len(words)) if words[start][0] == word[0])


def _spells(rest: str, words: list[str], j: int, used: int, skipped: int = 0) -> bool:
    """Can ``rest`` be spelled by prefixes of ``words[j:]`` (search bounded by the skip budget)?"""
    if not rest:
        return used >= 2
    if j >= len(words):
        return False
    word = words[j]
    for k in range(min(len(word), len(rest)), 0, -1):
        if rest[:k] == word[:k] and _spells(rest[k:], words, j + 1, used + 1, skipped):
            return True
    if word in STOP_WORDS:  # "for", "of", "the": skipping them is free
        return used > 0 and _spells(rest, words, j + 1, used, skipped)
    return used > 0 and skipped < MAX_SKIPPED_WORDS and _spells(rest, words, j + 1, used, skipped + 1)


@dataclass(frozen=True)
class NameOverlap:
    """What a repository's texts share with a paper title."""

    shared: tuple[str, ...]  # repository words that match a title word or spell its acronym
    repo_words: tuple[str, ...]
    title_words: tuple[str, ...]

    @property
    def is_judgeable(self) -> bool:
        """Both sides have distinctive words; otherwise the name says nothing either way."""
        return bool(self.repo_words) and bool(self.title_words)

    @property
    def has_overlap(self) -> bool:
        return bool(self.shared)

    @property
    def shared_share(self) -> float:
        """Fraction of the repository's distinctive words that the title shares (0 when it has none)."""
        return len(self.shared) / len(self.repo_words) if self.repo_words else 0.0


def name_overlap(title: str | None, *texts: str | None) -> NameOverlap:
    """Distinctive words of the repository's texts that the title also has (or spells as an acronym)."""
    title_words = distinctive_words(title)
    repo_words = list(dict.fromkeys(w for text in texts for w in distinctive_words(text)))
    shared = [
        w for w in repo_words
        if any(words_match(w, t) for t in title_words) or is_acronym_of(w, title or "")
    ]  # fmt: skip
    return NameOverlap(tuple(shared), tuple(repo_words), tuple(dict.fromkeys(title_words)))
