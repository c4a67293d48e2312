"""Python source and Jupyter notebooks -> the modules they import.

Python is read by a line scanner, not ``ast``: the same code path serves Python 2
and 3 and files with syntax errors, and it is ~10x faster than parsing, which
matters at 200k repositories (tests check it against ``ast`` on real files).
Nothing read is ever imported, executed or evaluated.
"""

from __future__ import annotations

import bisect
import json
import re

from analysis.classifier.test_files import MAIN_MARKER, UNIT_TEST_MARKER, looks_like_unit_test

Found = list[tuple[str, bool]]
"""(module, is_weak) pairs, as every reader returns them."""


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
    if found and defines_or_trains_a_model(text):
        found.append((MODEL_MARKER, False))
    if "__main__" in text and _has_main_block(text):
        found.append((MAIN_MARKER, False))
    if found and "test" in text and looks_like_unit_test(text, (m for m, _ in found)):
        found.append((UNIT_TEST_MARKER, False))
    return found, None


MODEL_MARKER = "@model"
_MAIN_BLOCK = re.compile(r"""if\s+__name__\s*==\s*['"]__main__['"]""")


def _has_main_block(text: str) -> bool:
    """``if __name__ == "__main__":`` at the start of a line (found from the rare word, not
    by a regex over the whole file)."""
    at = text.find("__main__")
    while at != -1:
        start = text.rfind("\n", 0, at) + 1
        if _MAIN_BLOCK.match(text, start, at + 10):
            return True
        at = text.find("__main__", at + 8)
    return False
"""Evidence module of a file that defines or trains a network (see ``defines_or_trains_a_model``)."""

# Substrings, not a regex: ``in`` scans run at memory speed and stop at the first hit.
_MODEL_HINTS = (
    "Module)", "Model)", "Layer)", "Block)", "Chain)",  # class Net(nn.Module), (keras.Model), (gluon.HybridBlock)
    ".backward(", "optimizer.step(", "sess.run(", "GradientTape", ".minimize(",  # training steps
    "value_and_grad(", ".fit(", "Sequential(", "slim.conv2d", "tf.layers.",  # JAX, Keras, TF1 graphs
)  # fmt: skip


def defines_or_trains_a_model(text: str) -> bool:
    """Whether the source subclasses a network base class or runs a training step.

    The corpus labelling rule is "the framework of the repository's model/training
    code": files that define or train a network say more than data scripts that merely
    use tensors (DJ-RN's TF model beside torch-based data generation).
    """
    return any(hint in text for hint in _MODEL_HINTS)


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
