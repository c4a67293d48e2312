"""Two descriptive facts per sampled repository: its README's title and its dominant language.

Why this exists: telling a paper's own code from a later port or an unrelated
repository (link attribution) needs a little more than the evidence: what the
repository calls itself, and what it is mostly written in. Both are derived facts
(one line of text, one word), so they can be committed where the code cannot.

* ``readme_title``: the first heading of the top-level README (Markdown ``#``,
  a setext or reStructuredText underline, or an HTML ``<h1>``), else its first
  non-empty line, with markup stripped, at most 200 characters.
* ``language``: the language with the most files among recognised source
  extensions (ties by name); empty when the tree has none.
"""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path, PurePosixPath

MAX_TITLE = 200
README_ORDER = ("readme.md", "readme.rst", "readme.txt", "readme", "readme.markdown")
LANGUAGES = {
    ".py": "Python", ".ipynb": "Jupyter Notebook", ".pyx": "Cython", ".m": "MATLAB", ".lua": "Lua",
    ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".cxx": "C++", ".hpp": "C++", ".hh": "C++",
    ".cu": "Cuda", ".cuh": "Cuda", ".java": "Java", ".scala": "Scala", ".js": "JavaScript",
    ".ts": "TypeScript", ".jl": "Julia", ".r": "R", ".go": "Go", ".rs": "Rust", ".sh": "Shell",
    ".swift": "Swift", ".cs": "C#", ".hs": "Haskell", ".ml": "OCaml", ".f90": "Fortran",
}  # fmt: skip
_UNDERLINE = re.compile(r"^\s*([=\-~^*#])\1{2,}\s*$")


def dominant_language(paths: list[str]) -> str:
    """The language with most files among recognised extensions (ties by name), or ''."""
    counts = collections.Counter(LANGUAGES.get(PurePosixPath(p).suffix.lower(), "") for p in paths)
    counts.pop("", None)
    if not counts:
        return ""
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def pick_readme(paths: list[str]) -> str | None:
    """The top-level README to read, preferring Markdown, then reST, text, bare."""
    top = {p.lower(): p for p in paths if "/" not in p and p.lower().startswith("readme")}
    for name in README_ORDER:
        if name in top:
            return top[name]
    return top[sorted(top)[0]] if top else None


def readme_title(text: str) -> str:
    """First heading of a README (see the module docstring), else its first non-empty line."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:200]):
        heading = _heading(line, lines[i + 1] if i + 1 < len(lines) else "")
        if heading:
            return heading
    first = next((clean_title(line) for line in lines if clean_title(line)), "")
    return first


def _heading(line: str, following: str) -> str:
    if re.match(r"^\s{0,3}#{1,6}\s+\S", line):
        return clean_title(line.lstrip().lstrip("#"))
    match = re.search(r"<h1[^>]*>(.*?)</h1>", line, re.IGNORECASE)
    if match:
        return clean_title(match.group(1))
    if line.strip() and _UNDERLINE.match(following) and not _UNDERLINE.match(line):
        return clean_title(line)
    return ""


def clean_title(text: str) -> str:
    """Strip HTML tags, Markdown images/links/emphasis and whitespace runs; cap the length."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text).strip(" #=-\t")
    return re.sub(r"\s+", " ", text).strip()[:MAX_TITLE]


def git_readme_title(git_dir: Path, paths: list[str]) -> str:
    """Read the README blob of HEAD with git plumbing (never a work tree) and take its title."""
    name = pick_readme(paths)
    if name is None:
        return ""
    blob = subprocess.run(["git", "-C", str(git_dir), "cat-file", "-p", f"HEAD:{name}"], capture_output=True)
    if blob.returncode != 0:
        return ""
    return readme_title(blob.stdout[:65536].decode("utf-8", "replace"))


def file_readme_title(root: Path, paths: list[str]) -> str:
    """The same for a work tree; symlinks are not followed."""
    name = pick_readme(paths)
    if name is None or (root / name).is_symlink():
        return ""
    return readme_title((root / name).read_bytes()[:65536].decode("utf-8", "replace"))
