"""Which deep-learning framework a repository uses, decided from its imports.

The decision is a pure function of the stored evidence and ``CLASSIFIER_VERSION``:
change the rules, bump the version, and stored evidence is re-classified without
crawling again.

How a repository is decided (each step is one small function below):

0. ``analysis.classifier.layout``: a vendored library copy (a top-level package named like a
   library, using that library's framework) becomes one vote for the library and
   loses its imports of other frameworks; ``import blocks`` beside a local
   ``blocks.py`` is the repository's own module, not a library.
1. Every piece of evidence maps to a label through ``MODULE_RULES`` (one table, in
   ``analysis.classifier.rules``). Ambiguous libraries (``transformers``, ``dgl``,
   ``tensorflow_datasets``...) are *context*: they vote only when no unambiguous
   framework evidence exists.
2. Each file votes once per label, weighted by what it is (code over manifests),
   where it lives (third-party copies, sandbox/contrib, tests, docs, examples and
   one-off conversion scripts count a fifth), how it imports (optional or unused
   imports a quarter) and whether it defines or trains a network (``@model``
   marker: double).
3. In a file that imports JAX, TensorFlow and PyTorch imports are its data
   pipeline (tf.data, tfds, DataLoader) and become context.
4. Standalone Keras beside at least as much TensorFlow folds into TensorFlow (tf.keras
   era); Keras 3 with an explicit ``KERAS_BACKEND`` folds into that backend.
5. The label with the highest score wins; confidence is its share of all scores
   times a volume factor, so one file never makes a confident label. A label that
   rests on a notebook or two in a codebase of other languages is ``none``
   (strength, coverage and these doubts: ``analysis.classifier.support``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from analysis.classifier.imports import Evidence, FileScan
from analysis.classifier.layout import VENDORED_KIND, resolve_layout
from analysis.classifier.path_discount import is_discounted, is_discounted_beyond_tests
from analysis.classifier.provenance import Provenance, read_provenance
from analysis.classifier.python_imports import MAIN_MARKER, MODEL_MARKER
from analysis.classifier.rules import (
    CODE_KINDS,
    CPP_INCLUDE_LABELS,
    DISTRIBUTION_ALIASES,
    DOCKER_IMAGE_LABELS,
    LABELS,
    LUA_MODULE_LABELS,
    MANIFEST_KINDS,
    MODULE_RULES,
    PYTHON_MODULE_LABELS,
    R_LIBRARY_LABELS,
    is_relevant,
    label_for_module,
    label_pairs,
    relevant_evidence,
)
from analysis.classifier.support import (
    MIN_SUPPORT,
    coverage_of,
    is_minor_port,
    is_tutorial_only,
    thin_evidence,
    winner_strength,
)
from analysis.classifier.test_files import read_file_roles

__all__ = [
    "CLASSIFIER_VERSION", "CONFIDENT", "MIN_SUPPORT", "Decision", "classify_evidence", "score_evidence", "file_weight",
    "LABELS", "MODULE_RULES", "PYTHON_MODULE_LABELS", "DISTRIBUTION_ALIASES", "LUA_MODULE_LABELS",
    "CPP_INCLUDE_LABELS", "R_LIBRARY_LABELS", "DOCKER_IMAGE_LABELS", "CODE_KINDS", "MANIFEST_KINDS",
    "label_for_module", "is_relevant", "relevant_evidence",
]  # fmt: skip

CLASSIFIER_VERSION = "2026.12.4"


# How much one file counts, by what kind of file it is and where it lives.
KIND_WEIGHT = {
    "python": 1.0, "notebook": 0.8, "lua": 1.0, "cpp": 0.6, "caffe_prototxt": 0.5,
    "darknet_cfg": 0.5, "matlab": 1.0, "r": 1.0, VENDORED_KIND: 1.0,
}  # fmt: skip
MANIFEST_WEIGHT = 0.5
WEAK_FACTOR = 0.25
MODEL_FACTOR = 2.0
"""A file that defines or trains a network (``@model`` marker) counts double: the labelling
rule is the framework of the model/training code, not of data scripts."""
PATH_DISCOUNT = 0.2
"""What code counts in a path that ``analysis.classifier.path_discount.DISCOUNTED_PATH`` matches."""
CONFIDENT = 0.75
"""A decision at or above this confidence is 'confident' (the property tests use it)."""
UNCERTAIN_BELOW = 0.5
"""A decision below this confidence is reported as uncertain: on the two development
corpora those are right far less often than the rest (calibration table in
bench/BENCHMARKS.md)."""


@dataclass(frozen=True, slots=True)
class Decision:
    """A repository's framework, the scores behind it and the evidence that drove it."""

    framework: str
    scores: dict[str, float]
    confidence: float
    evidence: tuple[Evidence, ...]
    reason: str
    classifier_version: str = CLASSIFIER_VERSION
    n_files: int = 0
    """Files the decision saw (evidence files and file markers)."""
    context: dict[str, float] = field(default_factory=dict)
    """Scores of context-only evidence (ambiguous libraries), kept for inspection."""

    @property
    def is_uncertain(self) -> bool:
        """Below ``UNCERTAIN_BELOW``: say so wherever the decision is shown."""
        return is_uncertain(self.confidence)


def is_uncertain(confidence: float | None) -> bool:
    """Whether a (stored) confidence is too low to present the label as settled."""
    return confidence is not None and confidence < UNCERTAIN_BELOW


# --- scoring --------------------------------------------------------------------


def file_weight(evidence: Evidence, is_script: bool = False) -> float:
    """How much one file's vote counts: code over manifests, the repo's own code over copies.

    ``is_script``: an evaluation script in a test-named place (analysis.classifier.test_files) is
    not discounted for its name, only for being in a copy, the docs or examples.
    """
    weight = KIND_WEIGHT.get(evidence.kind, MANIFEST_WEIGHT)
    if is_discounted_beyond_tests(evidence.path) if is_script else is_discounted(evidence.path):
        weight *= PATH_DISCOUNT
    if evidence.is_weak:
        weight *= WEAK_FACTOR
    return weight


def _labelled(
    evidence: list[Evidence], pairs: list[tuple[str, Evidence]] | None = None
) -> list[tuple[str, Evidence]]:
    """(label, evidence) pairs; in a file that imports JAX, TF and PyTorch turn to context.

    JAX code loads data with tf.data/tfds or torch's DataLoader: those imports say
    nothing about the model's framework.
    """
    pairs = label_pairs(evidence) if pairs is None else pairs
    jax_files = {e.path for label, e in pairs if label == "jax" and not e.is_weak}
    keras_models = {e.path for label, e in pairs if label == "keras" and e.module.startswith(_KERAS_BUILDERS)}
    if not jax_files and not keras_models:
        return pairs
    return [
        ("?" + label if e.path in jax_files and label in ("tensorflow", "pytorch")
         or e.path in keras_models and label == "tensorflow" and e.module.split(".")[0] == "tensorflow" else label, e)
        for label, e in pairs
    ]  # fmt: skip


# Standalone Keras modules that build a network: beside them, ``import tensorflow`` is the
# Keras backend's raw ops (a custom loss), not a second framework.
_KERAS_BUILDERS = ("keras.layers", "keras.models", "keras.engine")


def _file_votes(
    pairs: list[tuple[str, Evidence]], model_files: set[str], provenance: Provenance,
    scripts: frozenset[str] = frozenset(),
) -> dict[tuple[str, str], tuple[float, Evidence]]:
    """Each (label, file) votes once, with the weight of its strongest evidence, times
    what the file is to the paper (entry point, vendored copy, one backend of several)."""
    votes: dict[tuple[str, str], tuple[float, Evidence]] = {}
    file_weights: dict[tuple[str, str, bool], float] = {}  # a file's path comes once per import
    plain = not provenance.factors and not provenance.vendored_paths  # every file's multiplier is 1
    for label, ev in pairs:
        file_key = (ev.path, ev.kind, ev.is_weak)
        weight = file_weights.get(file_key)
        if weight is None:
            weight = file_weights[file_key] = file_weight(ev, ev.path in scripts)
        if not plain:
            weight *= provenance.weight(ev.path, label)
        if not weight:
            continue
        key = (label, ev.path)
        if ev.path in model_files:
            weight *= MODEL_FACTOR
        # the heavier vote, then the smaller evidence: (-weight, ev) < (-kept weight, kept ev)
        kept = votes.get(key)
        if kept is None or weight > kept[0] or weight == kept[0] and ev < kept[1]:
            votes[key] = (weight, ev)
    return votes


def score_evidence(
    evidence: Iterable[Evidence], provenance: Provenance | None = None, pairs: list[tuple[str, Evidence]] | None = None
) -> tuple[dict[str, float], dict[str, list[Evidence]]]:
    """Per-label scores (context labels keep their ``?``) and the evidence behind each
    (``pairs``: the rows' ``label_pairs``, when the caller has them)."""
    scores: dict[str, float] = defaultdict(float)
    drivers: dict[str, list[Evidence]] = defaultdict(list)
    rows = list(evidence)
    pairs = label_pairs(rows) if pairs is None else pairs
    provenance = provenance if provenance is not None else read_provenance(rows, pairs)
    model_files = {e.path for e in rows if e.module == MODEL_MARKER}
    scripts = read_file_roles(rows).scripts
    votes = _file_votes(_labelled(rows, pairs), model_files, provenance, scripts)
    for (label, _path), (weight, ev) in sorted(votes.items()):
        scores[label] += weight
        drivers[label].append(ev)
    return dict(scores), drivers


def _resolve_context(scores: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """Split off context scores; they become real votes only when nothing else voted."""
    decisive = {k: v for k, v in scores.items() if not k.startswith("?")}
    context = {k[1:]: v for k, v in scores.items() if k.startswith("?")}
    if decisive:
        return decisive, context
    return dict(context), context


def _fold_keras(scores: dict[str, float], evidence: list[Evidence]) -> str | None:
    """Standalone Keras folds into TensorFlow when TensorFlow weighs as much or more (Keras 2
    code mixing ``import keras`` with raw TF ops; ``from tensorflow import keras`` beside a
    pinned keras==2.x, which is tf.keras), or into the backend a Keras 3 repo sets with
    ``KERAS_BACKEND``. ``import keras`` as the main evidence stays keras (ARCHITECTURE).
    Returns the label Keras folded into (None when it stays keras).
    """
    if not scores.get("keras"):
        return None
    backends = {e.module[14:] for e in evidence if e.module.startswith("KERAS_BACKEND=")}
    backend = {"jax": "jax", "torch": "pytorch", "tensorflow": "tensorflow"}.get(min(backends, default=""))
    if backend is None and scores.get("tensorflow", 0) >= scores["keras"]:
        backend = "tensorflow"
    if backend:
        scores[backend] = scores.get(backend, 0) + scores.pop("keras")
    return backend


# --- the decision ---------------------------------------------------------------


def classify_evidence(evidence: Iterable[Evidence | FileScan]) -> Decision:
    """One repository-level decision from all of its evidence; independent of order.

    Takes evidence rows (as stored) or the FileScans of ``scan_directory``; scans are
    reduced with ``relevant_evidence`` first, so both give the same answer.
    """
    rows = _rows(evidence)
    n_files = len({e.path for e in rows})
    if not rows:
        return Decision("none", {}, 0.0, (), "no-evidence: no file that can carry framework evidence")
    pairs = label_pairs(rows)
    provenance = read_provenance(rows, pairs)
    raw, drivers = score_evidence(rows, provenance, pairs)
    scores, context = _resolve_context(raw)
    keras_into = _fold_keras(scores, rows)
    scores = {k: round(v, 6) for k, v in sorted(scores.items()) if v > 0}
    context = {k: round(v, 6) for k, v in sorted(context.items())}
    if not scores:
        return Decision("none", {}, 1.0, (), "no-framework-imports", n_files=n_files, context=context)
    best = _pick_best(scores, rows)
    top = _top_drivers(drivers, best, keras_into)
    strength = winner_strength(scores, best)
    # coverage over the code that can vote for the winner: a vendored copy of another
    # framework is neither for nor against it
    voters = {e.path for e in drivers.get(best) or drivers.get("?" + best, [])}
    own = [e for e in rows if e.path in voters or not provenance.is_vendored(e.path)] if provenance.vendored else rows
    coverage = coverage_of(own, drivers, best)
    confidence = round(strength * min(1.0, 5 * coverage), 4)
    if is_tutorial_only(rows, top) and strength < CONFIDENT or is_minor_port(own, drivers, best, coverage):
        reason = "framework-only-in-a-minor-part-of-another-language-codebase"
        return Decision("none", scores, round(1 - confidence, 4), top, reason, n_files=n_files, context=context)
    if thin := thin_evidence(scores, drivers, best, read_file_roles(rows)):
        return Decision("none", scores, round(1 - confidence, 4), top, thin, n_files=n_files, context=context)
    if (
        len(scores) > 1 and sorted(scores.values())[-2] == scores[best]
        or _only_backends_decide(provenance, scores)
        or _copies_decide(rows, provenance, best)
    ):
        confidence = min(confidence, round(UNCERTAIN_BELOW - 0.01, 4))  # a tie is never settled
    return Decision(best, scores, confidence, top, "imports", n_files=n_files, context=context)


def _rows(evidence: Iterable[Evidence | FileScan]) -> list[Evidence]:
    items = evidence if isinstance(evidence, list | tuple) else list(evidence)
    # rows as stored need no conversion (one C-level look at their types)
    return resolve_layout(set(_as_evidence(items)) if FileScan in set(map(type, items)) else set(items))


def evidence_by_label(evidence: Iterable[Evidence | FileScan], limit: int = 10) -> dict[str, tuple[Evidence, ...]]:
    """The evidence behind every label the decision scores (``classify`` lists each), heaviest first.

    ``Decision.evidence`` keeps the winner's only; a runner-up's score (a Keras 0.25
    beside PyTorch) needs its files shown too. Context labels (``?x``) count as ``x``.
    """
    rows = _rows(evidence)
    if not rows:
        return {}
    _scores, drivers = score_evidence(rows)
    found: dict[str, list[Evidence]] = defaultdict(list)
    for label, evs in drivers.items():
        found[label.removeprefix("?")] += evs
    return {label: tuple(sorted(set(evs), key=lambda e: (-file_weight(e), e))[:limit]) for label, evs in found.items()}


def _only_backends_decide(provenance: Provenance, scores: dict[str, float]) -> bool:
    """Side-by-side backends of different frameworks and no code outside them to choose:
    the label rests on which tree has more files."""
    return provenance.only_backends and len(set(provenance.backend_trees.values()) & set(scores)) >= 2


def _copies_decide(rows: list[Evidence], provenance: Provenance, best: str) -> bool:
    """The winner owes its place to vendored copies: the paper's own code alone would pick
    another framework (pytracking copies outvoting a TF meta-learner)."""
    if not provenance.vendored or len(provenance.own_labels) < 2:
        return False
    own_rows = [e for e in rows if not provenance.is_vendored(e.path)]
    own_scores, _ = score_evidence(own_rows, provenance)
    decisive = {k: v for k, v in own_scores.items() if not k.startswith("?")}
    return bool(decisive) and max(sorted(decisive), key=lambda k: decisive[k]) != best


def _pick_best(scores: dict[str, float], rows: list[Evidence]) -> str:
    """The highest score; a tie goes to the label with more scripts (``@main`` files),
    then alphabetically."""
    high = max(scores.values())
    tied = sorted(label for label, v in scores.items() if v == high)
    if len(tied) == 1:
        return tied[0]
    mains = {e.path for e in rows if e.module == MAIN_MARKER}
    per_label: dict[str, int] = defaultdict(int)
    for label, e in _labelled(rows):
        if e.path in mains and label in tied:
            per_label[label] += 1
    return max(tied, key=lambda label: per_label[label])


def _as_evidence(items: Iterable[Evidence | FileScan]) -> Iterable[Evidence]:
    for item in items:
        if isinstance(item, FileScan):
            yield from relevant_evidence([item])
        else:
            yield item


def _top_drivers(drivers: dict[str, list[Evidence]], best: str, keras_into: str | None) -> tuple[Evidence, ...]:
    """The ten strongest pieces of evidence for ``best``, with Keras's when Keras folded into it.

    Builds a new list: the winner's drivers are also what coverage counts, and adding
    the folded Keras files to them in place made coverage (and confidence) count files
    that do not import the winner (issue 26). Keras files are evidence only for the
    label they folded into: with ``KERAS_BACKEND=torch`` not for TensorFlow.
    """
    found = list(drivers.get(best) or drivers.get("?" + best, []))
    if keras_into == best:
        found += drivers.get("keras", [])
    return tuple(sorted(found, key=lambda e: (-file_weight(e), e))[:10])
