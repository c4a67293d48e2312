"""Whose code each file is: the paper's own, a vendored toolkit, or one backend of several.

Read from evidence rows alone (paths, modules and the markers of
``analysis.classifier.entry_points``), so stored evidence is enough. Three situations of
2016-2019 research code that a plain file count gets wrong:

* **Vendored toolkits.** A copy of someone else's code kept in a sub-folder (an attack
  suite, BERT, pytracking, cleverhans, a Caffe fork): a folder with its own LICENSE or
  setup.py, or one named like a known research codebase. When the paper's own code
  (everything outside such folders) uses a framework, the copies do not vote.
* **Multi-backend trees.** One implementation per framework side by side (``pytorch/``
  and ``tensorflow/``, ``caffe_std11/`` and ``matconvnet_std11/``, ``q_networks_tf.py``):
  a folder or file whose name names the framework its files use. When two or more
  frameworks have such trees, each tree votes once, so the larger tree's file count
  cannot decide; the code outside the trees and the entry points do.
* **Entry points.** Scripts the README or a shell script tells people to run (and the
  scripts those shell scripts run) are the paper's code: their votes count double.

Old evidence without markers gets no entry points and no licence-marked copies; the
name rules still apply, and everything else classifies as before.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from analysis.classifier.entry_points import LICENSE_MARKER, README_MARKER, RUN_PREFIX, SETUP_MARKER
from analysis.classifier.imports import Evidence
from analysis.classifier.rules import CODE_KINDS, label_pairs

ENTRY_FACTOR = 2.0
"""A file the README or a shell script runs counts double (like a model file)."""

# Folder names of research codebases and toolkits that repositories copy in whole.
# (Library packages named like a rules-table module are handled by analysis.classifier.layout.)
KNOWN_TOOLKITS = frozenset({
    "caffe", "caffe-fast-rcnn", "tensorpack", "pytracking", "ltr", "mmdetection", "detectron",
    "detectron2", "maskrcnn-benchmark", "maskrcnn_benchmark", "cleverhans", "foolbox", "bert",
    "baselines", "rllab", "openai-baselines", "py-faster-rcnn", "darknet", "matconvnet",
    "flownet2", "flownet2-pytorch", "openpose", "pix2pix", "cyclegan", "deeplab", "slim",
    "pysot", "pyvotkit", "dopamine", "robustness", "fairseq", "opennmt", "opennmt-py",
})  # fmt: skip

# Name tokens that say which framework a folder or file implements.
_BACKEND_TOKENS = {
    "tf": "tensorflow", "tensorflow": "tensorflow", "torch": "pytorch", "pytorch": "pytorch",
    "theano": "theano", "lasagne": "theano", "caffe": "caffe", "matcaffe": "caffe", "keras": "keras",
    "mxnet": "mxnet", "gluon": "mxnet", "chainer": "chainer", "matconvnet": "matconvnet",
    "jax": "jax", "flax": "jax", "paddle": "paddle", "mindspore": "mindspore",
}  # fmt: skip
_TOKEN = re.compile(r"[a-z0-9]+")
# Every token above contains one of these: a path without any names no framework.
_ANY_BACKEND_TOKEN = re.compile(
    "tf|tensorflow|torch|theano|lasagne|caffe|keras|mxnet|gluon|chainer|matconvnet|jax|flax|paddle|mindspore"
)
_FOLDER_MARKERS = frozenset({LICENSE_MARKER, SETUP_MARKER, README_MARKER})


@dataclass(frozen=True, slots=True)
class Provenance:
    """Per-file vote multipliers and what they rest on (for explanations and tests)."""

    factors: dict[str, float] = field(default_factory=dict)
    """path -> multiplier of its votes (absent = 1)."""
    vendored: tuple[str, ...] = ()
    """Folders whose files do not vote because the paper's own code decides."""
    backend_trees: dict[str, str] = field(default_factory=dict)
    """Folder or file of one backend -> its framework, when several backends sit side by
    side. Each votes once when code outside the trees uses a framework; otherwise the
    trees are all there is and vote as usual, and the decision is uncertain."""
    entries: tuple[str, ...] = ()
    """Code files a README or shell script runs."""
    own_labels: frozenset[str] = frozenset()
    """Frameworks the code outside vendored copies uses: a copy votes only for these."""
    only_backends: bool = False
    """Backend trees of several frameworks and no framework code beside them: nothing
    but the trees' sizes can choose, so the decision is uncertain."""
    vendored_paths: frozenset[str] = frozenset()
    """Every evidence path inside a vendored copy (set lookups, not prefix scans)."""

    def weight(self, path: str, label: str) -> float:
        """Multiplier of one file's vote for one label; 0 for a vendored copy's vote for a
        framework the paper's own code does not use."""
        if path in self.vendored_paths and label.lstrip("?") not in self.own_labels:
            return 0.0
        return self.factors.get(path, 1.0)

    def is_vendored(self, path: str) -> bool:
        return path in self.vendored_paths


def read_provenance(rows: Iterable[Evidence], pairs: list[tuple[str, Evidence]] | None = None) -> Provenance:
    """Vendored folders, backend trees and entry points of one repository's evidence
    (``pairs``: the rows' ``label_pairs``, when the caller has them)."""
    rows = list(rows)
    labelled = [(e, lab.lstrip("?")) for lab, e in (label_pairs(rows) if pairs is None else pairs)]
    code_paths = {e.path for e in rows if e.kind in CODE_KINDS}
    paths = {e.path for e in rows}
    named = _named_roots(labelled)
    trees = named if len(set(named.values())) >= 2 else {}
    # A folder named after the framework it uses (``pytorch/`` beside Caffe prototxts) is
    # the paper's code in that framework, even with its own LICENSE: not a third-party copy.
    roots = _copy_roots(rows, paths)
    copies = [r for r in roots if not any(r == t or _is_under(r, t) or _is_under(t, r) for t in named)]
    in_copy = _paths_under(paths, copies)
    own_labels = frozenset(label for e, label in labelled if not e.is_weak and e.path not in in_copy)
    vendored = tuple(copies) if own_labels else ()
    entries = _entry_files(rows, code_paths, in_copy if vendored else {})
    vendored = tuple(root for root in vendored if not any(_is_under(p, root) for p in entries))
    vendored_paths = frozenset(p for p, root in in_copy.items() if root in vendored)
    factors: dict[str, float] = dict.fromkeys(entries, ENTRY_FACTOR)
    in_tree = _paths_under({e.path for e, _ in labelled}, list(trees))
    outside = any(not e.is_weak and e.path not in vendored_paths and e.path not in in_tree for e, _ in labelled)
    if outside:  # the code beside the trees decides; each tree votes once
        members: dict[str, set[str]] = defaultdict(set)
        for path, root in in_tree.items():
            members[root].add(path)
        for paths in members.values():
            for path in paths:
                factors[path] = factors.get(path, 1.0) / len(paths)
    only_backends = bool(trees) and not outside
    return Provenance(factors, vendored, trees, tuple(sorted(entries)), own_labels, only_backends, vendored_paths)


def _paths_under(paths: set[str], roots: list[str]) -> dict[str, str]:
    """path -> the root it lies in (or is), for the paths inside any of ``roots``."""
    if not roots:
        return {}
    wanted = set(roots)
    found: dict[str, str] = {}
    for path in paths:
        cut = len(path)
        while cut > 0:
            if path[:cut] in wanted:
                found[path] = path[:cut]
            cut = path.rfind("/", 0, cut)
    return found


def _copy_roots(rows: list[Evidence], paths: set[str]) -> list[str]:
    """Outermost sub-folders holding someone else's code: their own LICENSE, their own
    setup.py beside a README, or a folder named like a known toolkit (``paths``: the rows' paths)."""
    roots = set()
    setups, readmes = set(), set()
    for e in rows:
        if e.module not in _FOLDER_MARKERS:
            continue
        directory = e.path.rpartition("/")[0]
        if directory and e.module == LICENSE_MARKER:
            roots.add(directory)
        elif directory and e.module == SETUP_MARKER:
            setups.add(directory)
        elif directory and e.module == README_MARKER:
            readmes.add(directory)
    roots |= setups & readmes
    for directory in {p.rpartition("/")[0] for p in paths}:
        parts = directory.split("/") if directory else []
        for i, part in enumerate(parts):
            if _is_toolkit_name(part):
                roots.add("/".join(parts[: i + 1]))
                break
    return sorted(r for r in roots if not any(r != o and _is_under(r, o) for o in roots))


@functools.lru_cache(maxsize=4096)
def _is_toolkit_name(name: str) -> bool:
    lower = name.lower()
    return lower in KNOWN_TOOLKITS or lower.split("-", 1)[0] in ("caffe", "darknet", "matconvnet")


def _entry_files(rows: list[Evidence], code_paths: set[str], in_copy: dict[str, str]) -> set[str]:
    """Code files named by ``@run:`` markers of READMEs and shell scripts outside vendored
    copies, following shell scripts that run other scripts (three levels)."""
    runs: dict[str, list[str]] = defaultdict(list)
    for e in rows:
        if e.module.startswith(RUN_PREFIX) and e.path not in in_copy:
            runs[e.path].append(e.module[len(RUN_PREFIX) :])
    if not runs:
        return set()
    by_suffix = _index_suffixes(code_paths | set(runs))
    found: set[str] = set()
    frontier = [p for p in runs if not p.endswith(".sh")]  # READMEs first; scripts when named
    frontier += [p for p in runs if p.endswith(".sh") and "/" not in p]  # top-level scripts run by hand
    seen = set(frontier)
    for _ in range(3):
        nxt = []
        for source in frontier:
            base = source.rpartition("/")[0]
            for target in runs.get(source, []):
                for path in _resolve(target, base, by_suffix):
                    if path.endswith(".sh"):
                        if path not in seen:
                            seen.add(path)
                            nxt.append(path)
                    elif path in code_paths and path not in in_copy:
                        found.add(path)
        frontier = nxt
    return found


def _index_suffixes(paths: set[str]) -> dict[str, list[str]]:
    """file name -> paths ending with it (a command names ``train.py`` or ``tools/train.py``)."""
    index: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        index[p.rpartition("/")[2]].append(p)
    return index


def _resolve(target: str, base: str, by_suffix: dict[str, list[str]]) -> list[str]:
    """Paths a command's target may mean: relative to the script's folder, to the root, or
    any file ending with it (commands are often run from a sub-folder)."""
    candidates = by_suffix.get(target.rpartition("/")[2], [])
    exact = [p for p in candidates if p in (target, f"{base}/{target}" if base else target)]
    return exact or [p for p in candidates if p.endswith("/" + target) or p == target]


def _named_roots(labelled: list[tuple[Evidence, str]]) -> dict[str, str]:
    """Folder or file named after the framework its files use -> that framework. They are
    backend trees when at least two frameworks have one (otherwise ``torch_utils.py`` is
    just a helper)."""
    trees: dict[str, str] = {}
    segments: dict[str, tuple[tuple[str, str], ...]] = {}  # a file's path comes once per import
    for e, label in labelled:
        if e.kind not in CODE_KINDS or e.is_weak:
            continue
        named = segments.get(e.path)
        if named is None:
            named = segments[e.path] = _named_segments(e.path)
        root = next((root for root, framework in named if framework == label), "") if named else ""
        if root:
            trees.setdefault(root, label)
    return dict(sorted(trees.items()))


def _named_segments(path: str) -> tuple[tuple[str, str], ...]:
    """(path up to the segment, framework) for each segment naming exactly one framework,
    outermost first (the first one naming a label is its backend root); most paths name none."""
    if not _ANY_BACKEND_TOKEN.search(path.lower()):
        return ()
    parts = path.split("/")
    found = []
    for i, part in enumerate(parts):
        stem = part.rsplit(".", 1)[0] if i == len(parts) - 1 else part
        named = _named_frameworks(stem)
        if len(named) == 1:  # two frameworks in one name is a converter (tf_to_pytorch)
            found.append(("/".join(parts[: i + 1]), next(iter(named))))
    return tuple(found)


@functools.lru_cache(maxsize=16384)
def _named_frameworks(name: str) -> frozenset[str]:
    return frozenset(_BACKEND_TOKENS[tok] for tok in _TOKEN.findall(name.lower()) if tok in _BACKEND_TOKENS)


def _is_under(path: str, root: str) -> bool:
    return path.startswith(root + "/")
