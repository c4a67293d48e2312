"""Source text -> the modules it imports, as framework evidence.

Every reader here takes the bytes of one file and never raises for bad content:
a file that cannot be read as intended yields what could be salvaged plus a
``problem`` string saying why, so nothing is silently dropped. Nothing read is
ever imported, executed or evaluated (setup.py is parsed, never run).

Python is read by a line scanner, not ``ast``: the same code path serves Python 2
and 3 and files with syntax errors, and it is ~10x faster than parsing, which
matters at 200k repositories (tests check it against ``ast`` on real files).
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_READ_BYTES = 2_000_000
"""Bytes of one file that are looked at; imports live near the top of a file, and a
notebook cut here is still read by the notebook fallback."""


@dataclass(frozen=True, slots=True, order=True)
class Evidence:
    """One module (or package, or framework marker) a file asks for.

    ``module == ""`` is a file marker: a code file with no framework evidence, kept so
    the classifier knows how much code the repository holds (see
    ``analysis.frameworks.relevant_evidence``).
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


Found = list[tuple[str, bool]]
"""(module, is_weak) pairs, as every reader returns them."""

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
    ".r": "r", ".rmd": "r",
}  # fmt: skip
_REQUIREMENTS = re.compile(r"(^|/)([\w.-]*requirements?[\w.-]*\.(txt|in|pip)|requirements/[^/]+\.txt)$")
_CONDA = re.compile(r"(^|/)(environment|conda|env)[\w.-]*\.ya?ml$")


def evidence_kind(path: str) -> str | None:
    """The reader for ``path``, or None when the file cannot carry framework evidence."""
    lower = path.lower()
    name = lower.rsplit("/", 1)[-1]
    if name in _MANIFEST_NAMES:
        return _MANIFEST_NAMES[name]
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


# --- Python ---------------------------------------------------------------------

# One statement per match: ``import a.b as c, d`` or ``from a import (b, c as d)``.
# The parenthesised form may span lines; a backslash continuation is folded in too.
_PY_STMT = re.compile(
    r"^([ \t]*)(?:import[ \t]+((?:[^\n#;\\]|\\\n)+)"
    r"|from[ \t]+(\.*[\w.]*)(?:[ \t]|\\\n)+import[ \t]*(\([^)]*\)|(?:[^\n#;\\]|\\\n)*))",
    re.MULTILINE,
)
_DYNAMIC = re.compile(r"""(?:__import__|import_module)\(\s*['"]([\w.]+)['"]\s*[,)]""")
_KERAS_BACKEND = re.compile(r"""KERAS_BACKEND['"]?[\s\]),=]+\s*['"](\w+)['"]""")
_IDENT = re.compile(r"[A-Za-z_][\w.]*")
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def python_imports(text: str) -> tuple[Found, str | None]:
    """(module, is_weak) pairs of a Python 2 or 3 source.

    Relative imports are skipped (they name the repo's own code). An import is weak
    when it sits in a ``try``/``except`` block (optional) or its name is never used
    again in the file (left over); ``__import__``/``import_module`` with a literal is
    weak too (usually a probe for an optional backend).
    """
    statements = _import_statements(text)
    spans = [(m.start(), m.end()) for m in statements]
    found: Found = []
    for m in statements:
        pairs = _statement_imports(m)
        if not pairs:
            continue
        optional = bool(m.group(1)) and _is_optional(text, m.start(), len(m.group(1)))
        weak = optional or not _all_used(text, pairs, spans, m.end())
        found.extend((module, weak) for module, _bound in pairs)
    if "__import__" in text or "import_module" in text:
        found.extend((name, True) for name in _DYNAMIC.findall(text))
    if "KERAS_BACKEND" in text:
        found.extend((f"KERAS_BACKEND={b}", False) for b in _KERAS_BACKEND.findall(text))
    return found, None


def _import_statements(text: str) -> list[re.Match[str]]:
    """Import statements, found from the word ``import`` outwards.

    ``str.find`` jumps between the few places the word occurs, then the statement
    regex is tried only at that line's start: ~3x faster than a MULTILINE regex
    search over the whole file. Lines inside triple-quoted strings are dropped.
    """
    found: list[re.Match[str]] = []
    last_line = -1
    pos = text.find("import")
    while pos >= 0:
        line = text.rfind("\n", 0, pos) + 1
        if line != last_line:
            last_line = line
            if text.startswith("\\\n", line - 2):  # from a.b \<newline> import c
                line = text.rfind("\n", 0, line - 2) + 1
            m = _PY_STMT.match(text, line)
            if m and m.end() > pos:
                found.append(m)
                pos = m.end() - 6  # the next search starts right after the statement
        pos = text.find("import", pos + 6)
    if found and ('"""' in text or "'''" in text):
        bounds = _string_regions(text, found[-1].start())
        found = [m for m in found if not _inside(bounds, m.start())]
    return found


def _statement_imports(m: re.Match[str]) -> list[tuple[str, str]]:
    """(module, bound name) pairs of one matched statement; ``*`` binds '*'."""
    if m.group(2) is not None:  # import a.b as c, d
        out = []
        for part in m.group(2).replace("\\\n", " ").split(","):
            words = part.split()
            if words and _IDENT.fullmatch(words[0]):
                bound = words[2] if len(words) >= 3 and words[1] == "as" else words[0].split(".")[0]
                out.append((words[0], bound))
        return out
    base = m.group(3)
    if not base or base.startswith(".") or not _IDENT.fullmatch(base):
        return []
    out = [(base, "")]
    for part in m.group(4).strip("()").replace("\\\n", " ").split(","):
        words = part.split()
        if words and (words[0] == "*" or words[0].isidentifier()):
            bound = words[2] if len(words) >= 3 and words[1] == "as" else words[0]
            out.append((f"{base}.{words[0]}" if words[0] != "*" else base, bound))
    return out if len(out) > 1 else []


def _all_used(text: str, pairs: list[tuple[str, str]], spans: list[tuple[int, int]], after: int) -> bool:
    """Whether some name the statement binds is used outside import statements.

    Looks after the statement first (where uses almost always are), then before it.
    """
    names = {bound for _module, bound in pairs if bound}
    if "*" in names:
        return True
    return any(_is_used(text, name, spans, after) or _is_used(text, name, spans, 0) for name in names)


def _is_used(text: str, name: str, spans: list[tuple[int, int]], start: int) -> bool:
    """A whole-word occurrence of ``name`` from ``start`` on, outside every import statement."""
    starts = [s for s, _e in spans]
    pos = text.find(name, start)
    while pos >= 0:
        end = pos + len(name)
        if (pos == 0 or text[pos - 1] not in _ID_CHARS) and (end >= len(text) or text[end] not in _ID_CHARS):
            i = bisect.bisect_right(starts, pos) - 1
            if i < 0 or pos >= spans[i][1]:
                return True
        pos = text.find(name, end)
    return False


def _is_optional(text: str, start: int, indent: int) -> bool:
    """Whether the indented line at ``start`` sits under ``try:`` or ``except ...:``.

    Walks up to the enclosing block header, through ``if``/``else`` headers (an
    import under ``if PY2:`` inside ``try:`` is still optional); bounded, so a huge
    indented file costs little.
    """
    end = start
    for _ in range(400):
        if end <= 0:
            return False
        begin = text.rfind("\n", 0, end - 1) + 1
        line = text[begin:end]
        end = begin
        stripped = line.lstrip()
        if not stripped.strip() or stripped.startswith("#"):
            continue
        line_indent = len(line) - len(stripped)
        if line_indent >= indent:
            continue
        if stripped.startswith(("try", "except")):
            return True
        if not stripped.startswith(("if", "elif", "else")):
            return False
        indent = line_indent
    return False


def _string_regions(text: str, until: int) -> list[int]:
    """Sorted start/end offsets of triple-quoted strings opened before ``until``, flattened."""
    bounds: list[int] = []
    pos, quote = 0, ""
    while True:
        if not quote:
            a, b = text.find('"""', pos), text.find("'''", pos)
            if (a < 0 and b < 0) or min(x for x in (a, b) if x >= 0) > until:
                return bounds
            pos, quote = (a, '"""') if b < 0 or 0 <= a < b else (b, "'''")
        else:
            pos = text.find(quote, pos)
            if pos < 0:
                bounds.append(len(text))
                return bounds
            quote = ""
        bounds.append(pos)
        pos += 3


def _inside(bounds: list[int], offset: int) -> bool:
    """Whether ``offset`` falls between an opening and a closing triple quote."""
    return bisect.bisect_right(bounds, offset) % 2 == 1


# --- notebooks ------------------------------------------------------------------

_MAGIC = re.compile(r"^[ \t]*[%!?].*$", re.MULTILINE)
_NB_SOURCE_LINE = re.compile(r'\s*"((?:[^"\\]|\\.)*)"')


def notebook_imports(text: str) -> tuple[Found, str | None]:
    """Imports of an .ipynb's code cells; magics and shell lines are skipped.

    Invalid JSON (a truncated or merge-conflicted notebook) is still read: the
    JSON string lines are scanned as code, and the problem is recorded.
    """
    try:
        nb = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return python_imports(_salvage_notebook_code(text))[0], "invalid-json"
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if cells is None and isinstance(nb, dict):  # nbformat 3 keeps cells in worksheets
        cells = [c for ws in nb.get("worksheets", []) or [] if isinstance(ws, dict) for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        return [], "not-a-notebook"
    return python_imports(_MAGIC.sub("", "\n".join(_code_cells(cells))))[0], None


def _code_cells(cells: list[object]) -> list[str]:
    """Source of each code cell (nbformat 4 ``source``, nbformat 3 ``input``)."""
    out = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", cell.get("input", ""))
            if isinstance(source, list):
                source = "".join(s for s in source if isinstance(s, str))
            out.append(str(source))
    return out


def _salvage_notebook_code(text: str) -> str:
    """Code lines of a notebook whose JSON does not parse: each JSON string line that
    mentions ``import``, unescaped. Only those lines are touched, so megabytes of
    base64 output images cost one ``split``."""
    lines = []
    for line in text.split("\n"):
        if "import" in line and (m := _NB_SOURCE_LINE.match(line)):
            lines.append(_unescape_json(m.group(1)))
    return _MAGIC.sub("", "\n".join(lines))


def _unescape_json(s: str) -> str:
    try:
        return str(json.loads(f'"{s}"')).rstrip("\n")
    except json.JSONDecodeError:
        return s


# --- manifests ------------------------------------------------------------------

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EGG = re.compile(r"#egg=([A-Za-z0-9._-]+)")


def requirement_names(lines: list[str]) -> list[str]:
    """Distribution names from requirement specifiers (``torch>=1.7``, ``jax[cuda]``)."""
    names = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("-", "git+", "http:", "https:", "file:")):
            if egg := _EGG.search(raw):
                names.append(egg.group(1))
            continue
        if m := _REQUIREMENT_NAME.match(line):
            names.append(m.group(1))
    return names


def requirements_imports(text: str) -> tuple[Found, str | None]:
    return [(n, False) for n in requirement_names(text.splitlines())], None


_INSTALL_REQUIRES = re.compile(r"(?:install_requires|requirements|REQUIRED)\w*\s*=\s*\[([^\]]*)\]", re.IGNORECASE)


def setup_py_imports(text: str) -> tuple[Found, str | None]:
    """install_requires of a setup.py, read as data from its syntax tree; never run.

    Also counts the file's own imports (``from torch.utils.cpp_extension import ...``
    is strong evidence of a PyTorch extension). A Python 2 setup.py that ``ast``
    rejects falls back to the string literals of its ``install_requires = [...]``.
    """
    found, _ = python_imports(text)
    try:
        strings = _requirement_strings(ast.parse(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        strings = [s for block in _INSTALL_REQUIRES.findall(text) for s in re.findall(r"""['"]([^'"]+)['"]""", block)]
    found.extend((n, False) for n in requirement_names(strings))
    return found, None


_REQ_KEYWORDS = {"install_requires", "extras_require", "requires", "setup_requires"}


def _requirement_strings(tree: ast.AST) -> list[str]:
    """String literals given to install_requires/extras_require/requires, or in REQUIRE-ish lists."""
    out: list[str] = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.keyword) and node.arg in _REQ_KEYWORDS:
            target = node.value
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and re.search(r"(?i)req|depend", t.id) for t in node.targets
        ):
            target = node.value
        if target is not None:
            keys = {id(k) for n in ast.walk(target) if isinstance(n, ast.Dict) for k in n.keys}
            out.extend(
                n.value for n in ast.walk(target)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in keys
            )  # fmt: skip  (extras_require keys name extras, not packages)
    return out


def setup_cfg_imports(text: str) -> tuple[Found, str | None]:
    """install_requires under [options] (continuation lines) of a setup.cfg."""
    lines, active = [], False
    for line in text.splitlines():
        if re.match(r"^[\w-]+\s*=", line):
            key, _, rest = line.partition("=")
            active = key.strip() == "install_requires"
            if active and rest.strip():
                lines.append(rest)
        elif line.startswith("["):
            active = False
        elif active:
            lines.append(line)
    return [(n, False) for n in requirement_names(lines)], None


def pyproject_imports(text: str) -> tuple[Found, str | None]:
    """PEP 621 dependencies, optional-dependencies and Poetry dependency tables."""
    import tomllib  # stdlib; imported here because few repositories have one

    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return [], "invalid-toml"
    project = doc.get("project", {}) or {}
    specs: list[object] = list(project.get("dependencies", []) or [])
    for group in (project.get("optional-dependencies", {}) or {}).values():
        specs.extend(group or [])
    poetry = (doc.get("tool", {}) or {}).get("poetry", {}) or {}
    for table in ("dependencies", "dev-dependencies"):
        specs.extend((poetry.get(table, {}) or {}).keys())
    names = requirement_names([s for s in specs if isinstance(s, str)])
    return [(n, False) for n in names if n.lower() != "python"], None


def pipfile_imports(text: str) -> tuple[Found, str | None]:
    import tomllib

    try:
        doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return [], "invalid-toml"
    names = [*(doc.get("packages", {}) or {}), *(doc.get("dev-packages", {}) or {})]
    return [(n, False) for n in names if isinstance(n, str)], None


_CONDA_DEP = re.compile(r"^\s*-\s*([A-Za-z0-9][A-Za-z0-9._-]*(?:::[A-Za-z0-9._-]+)?)", re.MULTILINE)


def conda_imports(text: str) -> tuple[Found, str | None]:
    """Dependencies of an environment.yml, including its nested pip: list; a line scan, so
    broken YAML still yields its package names."""
    names = [m.split("::")[-1] for m in _CONDA_DEP.findall(re.sub(r"#.*", "", text))]
    return [(n, False) for n in names if n.lower() not in {"pip", "python"}], None


_DOCKER_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)?(\S+)", re.MULTILINE | re.IGNORECASE)
_PIP_INSTALL = re.compile(r"(?:pip3?|conda)\s+install\s+((?:[^\n&;|\\]|\\\n)*)")


def dockerfile_imports(text: str) -> tuple[Found, str | None]:
    """A Dockerfile's base image (``docker:pytorch/pytorch``) and ``pip install`` names."""
    found: Found = [(f"docker:{image.split(':')[0].lower()}", False) for image in _DOCKER_FROM.findall(text)]
    for args in _PIP_INSTALL.findall(text):
        words = [w for w in args.replace("\\\n", " ").split() if not w.startswith("-")]
        found.extend((n, False) for n in requirement_names([w.strip("'\"") for w in words]))
    return found, None


# --- Lua, C/C++, Caffe, Darknet, MATLAB, R --------------------------------------

_LUA_REQUIRE = re.compile(r"""\brequire\s*\(?\s*['"]([\w.]+)['"]""")
_CPP_INCLUDE = re.compile(r"""^[ \t]*#[ \t]*include[ \t]*[<"]([\w./+-]+)[>"]""", re.MULTILINE)
_PROTOTXT = re.compile(r"^\s*(layers?\s*\{|base_lr\s*:|input_shape\s*\{|net\s*:)", re.MULTILINE)
_DARKNET = re.compile(r"^\[(convolutional|yolo|region|maxpool|route|shortcut|connected)\]", re.MULTILINE)
_MATCONVNET = re.compile(r"\b(vl_simplenn\w*|vl_nn\w+|vl_setupnn|dagnn\.\w+)")
_MATCAFFE = re.compile(r"\bcaffe\s*(\.\s*(Net|Solver|set_mode_\w+|set_device|reset_all)\b|\(\s*'\w+')")
_R_LIBRARY = re.compile(r"""\b(?:library|require|requireNamespace)\(\s*['"]?([\w.]+)""")


def lua_imports(text: str) -> tuple[Found, str | None]:
    """``require 'nn'`` / ``require("torch")``: Lua Torch's module system."""
    return [(m, False) for m in _LUA_REQUIRE.findall(text)], None


def cpp_includes(text: str) -> tuple[Found, str | None]:
    """``#include <torch/extension.h>`` -> ``torch/extension.h`` (path kept, not dotted).

    Includes sit at the top: the regex runs up to the last ``#include`` only.
    """
    end = text.rfind("include")
    if end < 0:
        return [], None
    return [(m, False) for m in _CPP_INCLUDE.findall(text, 0, text.find("\n", end) % (len(text) + 1))], None


def prototxt_imports(text: str) -> tuple[Found, str | None]:
    """A Caffe network or solver definition: ``layer {``, ``base_lr:``... is Caffe."""
    return ([("caffe.prototxt", False)] if _PROTOTXT.search(text) else []), None


def darknet_cfg_imports(text: str) -> tuple[Found, str | None]:
    """A Darknet network .cfg: a ``[net]`` section plus layer sections like ``[convolutional]``.

    Other .cfg files (tox, flake8, INI) carry no evidence.
    """
    is_darknet = ("[net]" in text or "[network]" in text) and _DARKNET.search(text)
    return ([("darknet.cfg", False)] if is_darknet else []), None


def matlab_imports(text: str) -> tuple[Found, str | None]:
    """MatConvNet (``vl_simplenn``, ``dagnn.DagNN``) and matcaffe (``caffe.Net(...)``) calls.

    MATLAB has no imports; these calls are the evidence. A plain .m file yields
    nothing (an Objective-C .m file too).
    """
    found: Found = [("matconvnet", False)] if _MATCONVNET.search(text) else []
    if "caffe" in text and _MATCAFFE.search(text):
        found.append(("matcaffe", False))
    return found, None


def r_imports(text: str) -> tuple[Found, str | None]:
    """``library(keras)`` / ``require(torch)`` in R and R Markdown."""
    return [(m, False) for m in _R_LIBRARY.findall(text)], None


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
}
