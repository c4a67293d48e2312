"""Whose code a file is: vendored copies of libraries, and local modules named like one.

Read from the evidence paths alone (every code file leaves a row, a file marker at
least), so it works on stored evidence as well as on fresh scans.

Two quirks of research code this handles:

* **Vendored copies.** A repository that ships its own (often patched) copy of a
  library -- Keras 0.x in ``keras/keras/``, ``transformers/`` with the paper's
  adapters, a Caffe fork in ``caffe-fast-rcnn/`` -- uses that library: the copy is one
  vote for it. The copy's imports of other frameworks (Keras's Theano backend,
  transformers' TensorFlow and Flax models) are the library's business, not the
  repository's, and are dropped.
* **Local modules shadowing a library name.** ``blocks.py`` next to ``train.py`` makes
  ``import blocks`` load the repository's file, not Theano's Blocks library.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass

from analysis.classifier.imports import Evidence
from analysis.classifier.rules import MODULE_RULES, label_for_module

VENDORED_KIND = "vendored"
"""Evidence kind of the one row that stands for a vendored library copy."""

_IMPORT_KINDS = ("python", "notebook")
# A Keras copy imports its backend, not keras: those labels confirm a Keras copy too.
_BACKENDS = {"keras": {"theano", "tensorflow", "cntk", "jax", "pytorch"}}


@dataclass(frozen=True, slots=True)
class LocalPackage:
    """A directory or module file of the repository named like a library.

    ``root`` is where its files live (for a vendored copy, the outermost folder of the
    copy: ``keras`` for ``keras/keras/__init__.py``); ``scope`` is the directory whose
    files resolve ``import <name>`` to it.
    """

    name: str
    root: str
    scope: str
    is_module_file: bool


def resolve_layout(rows: Iterable[Evidence]) -> list[Evidence]:
    """Evidence with each vendored copy replaced by one vote for its library, and imports
    that a local module shadows dropped. Rows are returned sorted by path."""
    rows = sorted(rows)  # Evidence is a tuple: (path, module, kind, is_weak) order
    locals_ = list(find_local_packages({e.path for e in rows}))
    if not locals_:
        return rows
    for local in locals_:
        if not local.is_module_file and _is_vendored_copy(rows, local):
            rows = _replace_copy(rows, local)
        else:  # (a shadowed import starts with the local name: a cheap test first)
            rows = [e for e in rows if not (e.module.startswith(local.name) and _is_shadowed(e, local))]
    return rows


def find_local_packages(paths: set[str]) -> Iterable[LocalPackage]:
    """Top-level packages (``<dir>/__init__.py`` whose parent is no package) and module
    files (``<name>.py``) named exactly like a library in the rules table."""
    packages = {p[: -len("/__init__.py")] for p in paths if p.endswith("/__init__.py")}
    for package in sorted(packages):
        parent, _, name = package.rpartition("/")
        if name in MODULE_RULES and parent not in packages:
            yield LocalPackage(name, _copy_root(package, name), parent, False)
    # the few files named like a library first: sorting every path of a repository cost more
    named = [p for p in paths if p.endswith(".py") and p.rpartition("/")[2][:-3] in MODULE_RULES]
    for path in sorted(named):
        parent, _, file_name = path.rpartition("/")
        if parent not in packages:
            yield LocalPackage(file_name[:-3], path, parent, True)


def _copy_root(package: str, name: str) -> str:
    """The outermost ancestor named like the library (``keras/keras`` -> ``keras``,
    ``caffe-fast-rcnn/python/caffe`` -> ``caffe-fast-rcnn``), else the package itself."""
    parts = package.split("/")
    for i, part in enumerate(parts[:-1]):
        lower = part.lower()
        if lower == name or lower.startswith((name + "-", name + "_")):
            return "/".join(parts[: i + 1])
    return package


def _is_vendored_copy(rows: list[Evidence], local: LocalPackage) -> bool:
    """Whether the package's own files use the library's framework (a Keras copy imports
    Theano, a transformers copy imports torch); a repo's own ``blocks/`` importing torch
    is not a copy of Theano's Blocks."""
    library = (MODULE_RULES[local.name]).lstrip("?")
    start, end = _span_under(rows, local.root)
    inside = [e for e in rows[start:end] if e.module.split(".")[0] != local.name]
    labels = {label.lstrip("?") for e in inside if (label := label_for_module(e.module, e.kind))}
    return library in labels or bool(labels & _BACKENDS.get(library, set()))


def _replace_copy(rows: list[Evidence], local: LocalPackage) -> list[Evidence]:
    """The copy's rows that point to its own library stay (a fork of mmdet with the
    paper's heads inside is still PyTorch code); those of other frameworks go (Keras's
    Theano backend, transformers' TF models); one row stands for the copy itself."""
    library = MODULE_RULES[local.name].lstrip("?")
    start, end = _span_under(rows, local.root)
    kept = rows[:start] + [e for e in rows[start:end] if _points_to(e, library)] + rows[end:]
    insort(kept, Evidence(local.root, local.name, VENDORED_KIND))
    return kept


def _span_under(rows: list[Evidence], root: str) -> tuple[int, int]:
    """The rows whose path lies under ``root``, as a slice of ``rows`` (sorted by path):
    they sit together, between ``root + "/"`` and ``root + "0"`` (the next character)."""
    return bisect_left(rows, root + "/", key=_path_of), bisect_left(rows, root + "0", key=_path_of)


def _path_of(e: Evidence) -> str:
    return e.path


def _points_to(e: Evidence, library: str) -> bool:
    """A file marker, or evidence whose label is ``library`` (context or not)."""
    if not e.module or e.module.startswith("@"):
        return True
    label = label_for_module(e.module, e.kind)
    return label is not None and label.lstrip("?") == library


def _is_shadowed(e: Evidence, local: LocalPackage) -> bool:
    """``import <name>`` from a file beside the local module (or inside the local package)
    loads the local code. Files elsewhere are left alone: they may run with another path."""
    if e.kind not in _IMPORT_KINDS or e.module.split(".")[0] != local.name:
        return False
    directory = e.path.rpartition("/")[0]
    return directory == local.scope or (not local.is_module_file and _is_under(e.path, local.root))


def _is_under(path: str, root: str) -> bool:
    return path.startswith(root + "/")
