"""Source text -> the modules it imports, as framework evidence.

Every reader here takes the bytes of one file and never raises for bad content:
a file that cannot be read as intended yields what could be salvaged plus a
``problem`` string saying why, so nothing is silently dropped. Nothing read is
ever imported, executed or evaluated (setup.py is parsed, never run).

The readers live in ``analysis.classifier.python_imports`` (Python, notebooks),
``analysis.classifier.manifests`` (requirements, setup.py, pyproject, conda, Dockerfile) and
``analysis.classifier.other_imports`` (Lua, C/C++, Caffe, Darknet, MATLAB, R); this module picks
the reader for a path and is the public entry point.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from analysis.classifier.entry_points import license_marker, readme_markers, run_commands
from analysis.classifier.manifests import (
    conda_imports,
    dockerfile_imports,
    pipfile_imports,
    pyproject_imports,
    requirement_names,
    requirements_imports,
    setup_cfg_imports,
    setup_py_imports,
)
from analysis.classifier.other_imports import (
    cpp_includes,
    darknet_cfg_imports,
    lua_imports,
    matlab_imports,
    prototxt_imports,
    r_imports,
)
from analysis.classifier.python_imports import Found, notebook_imports, python_imports

__all__ = [
    "MAX_READ_BYTES", "Evidence", "FileScan", "Found", "evidence_kind", "scan_file",
    "python_imports", "notebook_imports", "requirement_names", "requirements_imports",
    "setup_py_imports", "setup_cfg_imports", "pyproject_imports", "pipfile_imports",
    "conda_imports", "dockerfile_imports", "lua_imports", "cpp_includes", "prototxt_imports",
    "darknet_cfg_imports", "matlab_imports", "r_imports",
]  # fmt: skip

MAX_READ_BYTES = 2_000_000
"""Bytes of one file that are looked at; imports live near the top of a file, and a
notebook cut here is still read by the notebook fallback."""


class Evidence(NamedTuple):
    """One module (or package, or framework marker) a file asks for.

    ``module == ""`` is a file marker: a code file with no framework evidence, kept so
    the classifier knows how much code the repository holds (see
    ``analysis.classifier.frameworks.relevant_evidence``).

    A named tuple, not a dataclass: a reclassification builds, hashes and sorts some
    40 million of them, and a tuple does each in C (about 3x faster to build). Its
    order is the fields' order, the same as the frozen ordered dataclass it replaced.
    """

    path: str
    module: str
    kind: str
    is_weak: bool = False
    """Optional (inside try/except), dynamic, or never used: counts for less."""


@dataclass(frozen=True, slots=True)
class FileScan:
    """What one file yielded: its evidence, and the problem met reading it, if any."""

    path: str
    kind: str | None
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    problem: str | None = None


# --- which files carry evidence -------------------------------------------------

_MANIFEST_NAMES = {
    "setup.py": "setup_py",
    "setup.cfg": "setup_cfg",
    "pyproject.toml": "pyproject",
    "pipfile": "pipfile",
    "dockerfile": "dockerfile",
}
_SUFFIX_KINDS = {
    ".py": "python", ".pyw": "python", ".ipynb": "notebook", ".lua": "lua",
    ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".cu": "cpp", ".c": "cpp", ".h": "cpp",
    ".hpp": "cpp", ".hh": "cpp", ".cuh": "cpp",
    ".prototxt": "caffe_prototxt", ".cfg": "darknet_cfg", ".m": "matlab",
    ".r": "r", ".rmd": "r", ".sh": "shell",
}  # fmt: skip
# Files that carry provenance markers (``analysis.classifier.entry_points``), not framework evidence.
_LICENSE_NAMES = ("license", "licence", "copying")
_REQUIREMENTS = re.compile(r"(^|/)([\w.-]*requirements?[\w.-]*\.(txt|in|pip)|requirements/[^/]+\.txt)$")
_CONDA = re.compile(r"(^|/)(environment|conda|env)[\w.-]*\.ya?ml$")


def evidence_kind(path: str) -> str | None:
    """The reader for ``path``, or None when the file cannot carry framework evidence."""
    lower = path.lower()
    name = lower.rsplit("/", 1)[-1]
    if name in _MANIFEST_NAMES:
        return _MANIFEST_NAMES[name]
    if name.startswith("readme"):
        return "readme"
    if name.split(".", 1)[0] in _LICENSE_NAMES:
        return "license"
    if name.startswith("dockerfile") or name.endswith(".dockerfile"):
        return "dockerfile"
    if "requirement" in lower and _REQUIREMENTS.search(lower):  # substring test first: cheap
        return "requirements"
    if name.endswith((".yml", ".yaml")) and _CONDA.search(lower):
        return "conda"
    dot = name.rfind(".")
    return _SUFFIX_KINDS.get(name[dot:]) if dot > 0 else None


def scan_file(path: str, data: bytes) -> FileScan:
    """Read one file's bytes into evidence; never raises for bad content."""
    kind = evidence_kind(path)
    if kind is None:
        return FileScan(path, None)
    problem = None
    if len(data) > MAX_READ_BYTES:
        data, problem = data[:MAX_READ_BYTES], "truncated"
    if b"\x00" in data[:8192]:
        return FileScan(path, kind, (), "binary")
    text = data.decode("utf-8", errors="replace")
    if problem is None and "\ufffd" in text:
        problem = "invalid-utf8"  # decoded with replacement: imports are ASCII anyway
    modules, read_problem = _READERS[kind](text)
    evidence = tuple(Evidence(path, m, kind, weak) for m, weak in sorted(_strongest(modules)))
    return FileScan(path, kind, evidence, read_problem or problem)


def _strongest(pairs: Found) -> Found:
    """One entry per module: strong if any use of it is strong."""
    weak: dict[str, bool] = {}
    for module, is_weak in pairs:
        weak[module] = weak.get(module, True) and is_weak
    return list(weak.items())


_READERS: dict[str, Callable[[str], tuple[Found, str | None]]] = {
    "python": python_imports,
    "notebook": notebook_imports,
    "requirements": requirements_imports,
    "setup_py": setup_py_imports,
    "setup_cfg": setup_cfg_imports,
    "pyproject": pyproject_imports,
    "pipfile": pipfile_imports,
    "conda": conda_imports,
    "dockerfile": dockerfile_imports,
    "lua": lua_imports,
    "cpp": cpp_includes,
    "caffe_prototxt": prototxt_imports,
    "darknet_cfg": darknet_cfg_imports,
    "matlab": matlab_imports,
    "r": r_imports,
    "readme": readme_markers,
    "shell": run_commands,
    "license": license_marker,
}
