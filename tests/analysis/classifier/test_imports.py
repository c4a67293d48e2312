"""Import extraction: golden files (one per odd input) plus properties of the scanner."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.classifier.imports import MAX_READ_BYTES, evidence_kind, python_imports, scan_file

GOLDEN = Path(__file__).parent / "golden" / "files"
CASES = sorted(p for p in GOLDEN.iterdir() if p.suffix != ".expected")


def _expected(path: Path) -> tuple[set[tuple[str, bool]], str | None]:
    """A .expected file: '# why it is odd', then 'module [weak]' lines and 'problem: x'."""
    modules, problem = set(), None
    for line in Path(f"{path}.expected").read_text().splitlines():
        if line.startswith("problem: "):
            problem = line.removeprefix("problem: ")
        elif line and not line.startswith("#"):
            name, *flag = line.split()
            modules.add((name, flag == ["weak"]))
    return modules, problem


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_golden_file(path: Path) -> None:
    scan = scan_file(path.name, path.read_bytes())
    modules, problem = _expected(path)
    assert {(e.module, e.is_weak) for e in scan.evidence} == modules
    assert scan.problem == problem


def test_every_golden_file_says_why_it_is_odd() -> None:
    for path in CASES:
        assert Path(f"{path}.expected").read_text().startswith("# "), path


def test_huge_file_is_cut_and_says_so() -> None:
    data = b"import torch\ntorch.x()\n" + b"x = 1\n" * (MAX_READ_BYTES // 6 + 10)
    scan = scan_file("big.py", data)
    assert scan.problem == "truncated"
    assert [e.module for e in scan.evidence] == ["torch"]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("a/b/train.py", "python"),
        ("requirements-dev.txt", "requirements"),
        ("requirements/base.txt", "requirements"),
        ("docs/requirements.in", "requirements"),
        ("environment-gpu.yml", "conda"),
        ("docker/Dockerfile.gpu", "dockerfile"),
        ("cfg/yolov3.cfg", "darknet_cfg"),
        ("README.md", "readme"),
        ("caffe/LICENSE", "license"),
        ("scripts/train.sh", "shell"),
        ("licenses.py", "python"),
        ("weights.caffemodel", None),
        ("notes.txt", None),  # a .txt that is not a requirements file
    ],
)
def test_evidence_kind(path: str, kind: str | None) -> None:
    assert evidence_kind(path) == kind


def _ast_modules(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module)
    return found


_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,6}(\.[a-z][a-z0-9_]{0,5}){0,2}", fullmatch=True).filter(
    lambda s: not any(
        w in {"import", "from", "as", "if", "in", "is", "or", "and", "not", "def", "for"} for w in s.split(".")
    )
)
_STATEMENT = st.one_of(
    _NAMES.map(lambda m: f"import {m}"),
    st.tuples(_NAMES, _NAMES).map(lambda t: f"import {t[0]} as {t[1].split('.')[0]}_"),
    st.tuples(_NAMES, _NAMES).map(lambda t: f"from {t[0]} import {t[1].split('.')[0]}"),
    st.tuples(_NAMES, _NAMES).map(lambda t: f"from {t[0]} import (\n    {t[1].split('.')[0]},\n)"),
    _NAMES.map(lambda m: f"def f():\n    import {m}"),
    _NAMES.map(lambda m: f"try:\n    import {m}\nexcept ImportError:\n    pass"),
)


@given(st.lists(_STATEMENT, min_size=1, max_size=8))
def test_line_scanner_finds_what_ast_finds(statements: list[str]) -> None:
    source = "\n".join(statements) + "\n"
    found = {m for m, _weak in python_imports(source)[0]}
    assert _ast_modules(source) <= found
