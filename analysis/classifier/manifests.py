"""Package manifests -> the distributions they ask for.

requirements files, setup.py (parsed as data, never run), setup.cfg, pyproject.toml,
Pipfile, conda environment files and Dockerfiles. Names are distribution names;
``analysis.classifier.rules`` maps them to import names.
"""

from __future__ import annotations

import ast
import re

from analysis.classifier.entry_points import SETUP_MARKER
from analysis.classifier.python_imports import Found, python_imports

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
    # a manifest defines no model and is no script: drop the file markers of the Python reader
    found = [pair for pair in python_imports(text)[0] if not pair[0].startswith("@")]
    found.append((SETUP_MARKER, False))
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
        if (
            isinstance(node, ast.keyword)
            and node.arg in _REQ_KEYWORDS
            or isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and re.search(r"(?i)req|depend", t.id) for t in node.targets)
        ):
            target = node.value
        if target is not None:
            keys = {id(k) for n in ast.walk(target) if isinstance(n, ast.Dict) for k in n.keys}
            out.extend(
                n.value
                for n in ast.walk(target)
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
