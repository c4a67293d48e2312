"""Source text -> the modules it imports, as framework evidence.

Every reader here takes the bytes of one file and never raises for bad content:
a file that cannot be read as intended yields what could be salvaged plus a
``problem`` string saying why, so nothing is silently dropped.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass, field

MAX_READ_BYTES = 2_000_000
"""Bytes of one file that are looked at; imports live near the top of a file."""


@dataclass(frozen=True, slots=True, order=True)
class Evidence:
    """One module (or package) a file asks for."""

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
    "environment.yml": "conda",
    "environment.yaml": "conda",
    "conda.yml": "conda",
    "conda.yaml": "conda",
}
_CPP_SUFFIXES = (".cpp", ".cc", ".cxx", ".cu", ".h", ".hpp", ".hh", ".cuh")


def evidence_kind(path: str) -> str | None:
    """The reader for ``path``, or None when the file cannot carry framework evidence."""
    name = path.rsplit("/", 1)[-1].lower()
    if name in _MANIFEST_NAMES:
        return _MANIFEST_NAMES[name]
    if name.endswith((".py", ".pyw")):
        return "python"
    if name.endswith(".ipynb"):
        return "notebook"
    if name.endswith(".txt") and (name.startswith("requirement") or "/requirements/" in path.lower()):
        return "requirements"
    if name.endswith(".lua"):
        return "lua"
    if name.endswith(_CPP_SUFFIXES):
        return "cpp"
    if name.endswith(".prototxt"):
        return "caffe_prototxt"
    return None


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
    if "\ufffd" in text and problem is None:
        problem = "invalid-utf8"
    modules, read_problem = _READERS[kind](text)
    evidence = tuple(sorted({Evidence(path, m, kind, weak) for m, weak in _strongest(modules)}))
    return FileScan(path, kind, evidence, read_problem or problem)


def _strongest(pairs: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """One entry per module: strong if any use of it is strong."""
    weak: dict[str, bool] = {}
    for module, is_weak in pairs:
        weak[module] = weak.get(module, True) and is_weak
    return list(weak.items())


# --- Python ---------------------------------------------------------------------

_DYNAMIC_IMPORT_FUNCS = {"__import__", "import_module"}


def python_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """(module, is_weak) pairs of a Python 2 or 3 source; falls back to a line scan."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _scan_python_lines(text), "python-fallback"
    visitor = _ImportVisitor()
    visitor.visit(tree)
    return visitor.found, None


class _ImportVisitor(ast.NodeVisitor):
    """Collects absolute imports; marks those inside ``try`` as weak (optional)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, bool]] = []
        self._try_depth = 0

    def visit_Try(self, node: ast.Try) -> None:
        self._try_depth += 1
        for stmt in node.body:
            self.visit(stmt)
        self._try_depth -= 1
        for part in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(part)

    visit_TryStar = visit_Try  # type: ignore[assignment]

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name, self._try_depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return  # relative imports name the repo's own code
        self.found.append((node.module, self._try_depth > 0))
        for alias in node.names:
            if alias.name != "*":
                self.found.append((f"{node.module}.{alias.name}", self._try_depth > 0))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in _DYNAMIC_IMPORT_FUNCS and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                if not arg.value.startswith("."):
                    self.found.append((arg.value, True))
        self.generic_visit(node)


_IMPORT_LINE = re.compile(r"^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)")
_FROM_LINE = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?\s*([\w\s,]+)")


def _scan_python_lines(text: str) -> list[tuple[str, bool]]:
    """Imports of a file ``ast`` rejects (Python 2, syntax errors), line by line.

    Lines inside strings are skipped by tokenizing when possible; otherwise every
    line that looks like an import statement counts.
    """
    found: list[tuple[str, bool]] = []
    for line in _code_lines(text):
        if m := _IMPORT_LINE.match(line):
            for part in m.group(1).split(","):
                found.append((part.split(" as ")[0].strip(), False))
        elif (m := _FROM_LINE.match(line)) and not m.group(1).startswith("."):
            found.append((m.group(1), False))
            for name in m.group(2).split(","):
                name = name.strip().split(" as ")[0].strip()
                if name:
                    found.append((f"{m.group(1)}.{name}", False))
    return found


def _code_lines(text: str) -> list[str]:
    """Lines that start outside a string literal (best effort for broken files)."""
    in_string: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                in_string.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return [line for n, line in enumerate(text.splitlines(), 1) if n not in in_string]


# --- notebooks ------------------------------------------------------------------


def notebook_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """Imports of an .ipynb's code cells; magics and shell lines are skipped."""
    try:
        nb = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return [], "invalid-json"
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if cells is None and isinstance(nb, dict):  # nbformat 3 keeps cells in worksheets
        cells = [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        return [], "not-a-notebook"
    found: list[tuple[str, bool]] = []
    problem = None
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        lines = [ln for ln in str(source).splitlines() if not ln.lstrip().startswith(("%", "!", "?"))]
        modules, cell_problem = python_imports("\n".join(lines))
        found.extend(modules)
        problem = problem or cell_problem
    return found, problem


# --- manifests ------------------------------------------------------------------

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_names(lines: list[str]) -> list[str]:
    """Distribution names from requirement specifiers (``torch>=1.7``, ``jax[cuda]``)."""
    names = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("-", "git+", "http:", "https:", "file:")):
            egg = re.search(r"#egg=([A-Za-z0-9._-]+)", raw)
            if egg:
                names.append(egg.group(1))
            continue
        if m := _REQUIREMENT_NAME.match(line):
            names.append(m.group(1))
    return names


def requirements_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    return [(n, False) for n in requirement_names(text.splitlines())], None


def setup_py_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """install_requires of a setup.py, read as data from its syntax tree; never run.

    Also counts the file's own imports (``from torch.utils.cpp_extension import ...``
    is strong evidence of a PyTorch extension).
    """
    found, problem = python_imports(text)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return found, problem
    strings = _requirement_strings(tree)
    found.extend((n, False) for n in requirement_names(strings))
    return found, problem


def _requirement_strings(tree: ast.AST) -> list[str]:
    """String literals given to install_requires/extras_require/requires, or in REQUIRE-ish lists."""
    out: list[str] = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.keyword) and node.arg in {"install_requires", "extras_require", "requires", "setup_requires"}:
            target = node.value
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and re.search(r"(?i)req|depend", t.id) for t in node.targets
        ):
            target = node.value
        if target is not None:
            out.extend(
                n.value for n in ast.walk(target) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            )
    return out


def setup_cfg_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """install_requires under [options] (continuation lines) of a setup.cfg."""
    lines, active = [], False
    for line in text.splitlines():
        if re.match(r"^\s*(install_requires|[\w-]+\s*=)", line) and not line.startswith((" ", "\t")):
            active = line.split("=", 1)[0].strip() == "install_requires"
            rest = line.split("=", 1)[1] if "=" in line else ""
            if active and rest.strip():
                lines.append(rest)
        elif line.startswith("["):
            active = False
        elif active:
            lines.append(line)
    return [(n, False) for n in requirement_names(lines)], None


def pyproject_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """PEP 621 dependencies, optional-dependencies and Poetry dependency tables."""
    import tomllib

    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return [], "invalid-toml"
    project = doc.get("project", {}) or {}
    specs: list[str] = list(project.get("dependencies", []) or [])
    for group in (project.get("optional-dependencies", {}) or {}).values():
        specs.extend(group or [])
    poetry = (doc.get("tool", {}) or {}).get("poetry", {}) or {}
    for table in ("dependencies", "dev-dependencies"):
        specs.extend((poetry.get(table, {}) or {}).keys())
    specs = [s for s in specs if isinstance(s, str)]
    return [(n, False) for n in requirement_names(specs) if n.lower() != "python"], None


def pipfile_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    import tomllib

    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return [], "invalid-toml"
    names = [*(doc.get("packages", {}) or {}), *(doc.get("dev-packages", {}) or {})]
    return [(n, False) for n in names if isinstance(n, str)], None


_CONDA_DEP = re.compile(r"^\s*-\s*([A-Za-z0-9][A-Za-z0-9._-]*(?:::[A-Za-z0-9._-]+)?)")


def conda_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """Dependencies of an environment.yml, including its nested pip: list; a line scan, so
    broken YAML still yields its package names."""
    names = []
    for line in text.splitlines():
        if m := _CONDA_DEP.match(line.split("#", 1)[0]):
            name = m.group(1).split("::")[-1]
            if name.lower() not in {"pip", "python"}:
                names.append(name)
    return [(n, False) for n in names], None


# --- Lua, C++, Caffe ------------------------------------------------------------

_LUA_REQUIRE = re.compile(r"""\brequire\s*\(?\s*['"]([\w.]+)['"]""")
_CPP_INCLUDE = re.compile(r"""^\s*#\s*include\s*[<"]([\w./+-]+)[>"]""", re.MULTILINE)


def lua_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """``require 'nn'`` / ``require("torch")``: Lua Torch's module system."""
    return [(m, False) for m in _LUA_REQUIRE.findall(text)], None


def cpp_includes(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """``#include <torch/extension.h>`` -> ``torch/extension.h`` (path kept, not dotted)."""
    return [(m, False) for m in _CPP_INCLUDE.findall(text)], None


def prototxt_imports(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """A Caffe network or solver definition: a ``layer {`` or ``layers {`` block is Caffe."""
    if re.search(r"^\s*layers?\s*\{", text, re.MULTILINE) or re.search(r"^\s*base_lr\s*:", text, re.MULTILINE):
        return [("caffe.prototxt", False)], None
    return [], None


_READERS = {
    "python": python_imports,
    "notebook": notebook_imports,
    "requirements": requirements_imports,
    "setup_py": setup_py_imports,
    "setup_cfg": setup_cfg_imports,
    "pyproject": pyproject_imports,
    "pipfile": pipfile_imports,
    "conda": conda_imports,
    "lua": lua_imports,
    "cpp": cpp_includes,
    "caffe_prototxt": prototxt_imports,
}
