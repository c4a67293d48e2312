"""Which files a repository tells people to run, and which folders are someone else's.

Markers for ``analysis.classifier.provenance``, emitted as evidence rows so that stored evidence
carries them (the classifier is a pure function of stored rows):

* ``@run:<path>``: a README or shell script names ``<path>`` in a command
  (``python tools/train.py``, ``th main.lua``, ``bash scripts/run.sh``,
  ``matlab -r "demo"``): the paper's own entry points.
* ``@license``: a LICENSE/COPYING file; in a sub-folder it marks a copy of someone
  else's code (a vendored Caffe, BERT, cleverhans) that keeps its own licence.
* ``@setup``: a setup.py (emitted by the setup.py reader) and ``@readme``: a README;
  a sub-folder with both is a package someone else wrote and documented (a lone
  ``lib/setup.py`` is usually the paper's own build script for Cython extensions).
* ``@main``: a Python file with an ``if __name__ == "__main__":`` block (a script).

Nothing is run: commands are read as text.
"""

from __future__ import annotations

import re

from analysis.classifier.python_imports import MAIN_MARKER, Found

RUN_PREFIX = "@run:"
LICENSE_MARKER = "@license"
SETUP_MARKER = "@setup"
README_MARKER = "@readme"
PROVENANCE_MARKERS = (LICENSE_MARKER, SETUP_MARKER, README_MARKER, MAIN_MARKER)

# ``python -u -m x`` is a module run (no path); ``python3 ./a/b.py``, ``th main.lua``,
# ``bash run.sh``, ``sh ./x.sh``, ``jupyter notebook x.ipynb``, ``octave x.m``.
_COMMAND = re.compile(
    r"(?:^|[\s`'\"(;|&>])(?:python[\d.]*|pythonw|th|luajit|bash|sh|zsh|source|jupyter(?:\s+notebook|\s+nbconvert)?"
    r"|octave|ipython[\d.]*|CUDA_VISIBLE_DEVICES=\S+\s+python[\d.]*|mpirun\s+(?:-\w+\s+\S+\s+)*python[\d.]*)"
    r"(?:\s+-{1,2}[\w-]+(?:=\S+)?)*\s+[\"']?([\w$./{}~-]+\.(?:py|lua|sh|ipynb|m))\b",
    re.MULTILINE,
)
# ``matlab -r "demo"`` / ``matlab -nodisplay -r run_all`` name a function: ``<name>.m``.
_MATLAB = re.compile(r"\bmatlab\b[^\n]*?-r\s+[\"']?([A-Za-z]\w*)")
_VARIABLE = re.compile(r"^(?:\$\{?\w+\}?/|~/)+")
_SCRIPT_SUFFIX = re.compile(r"\.(?:py|lua|sh|ipynb|m)\b")


def run_commands(text: str) -> tuple[Found, str | None]:
    """``@run:<path>`` markers for the scripts a shell script runs."""
    # Only lines that name a script can hold a command: skip the prose (READMEs are long).
    lines = "\n".join(line for line in text.splitlines() if _SCRIPT_SUFFIX.search(line))
    paths = {_normalise(m.group(1)) for m in _COMMAND.finditer(lines)}
    if "matlab" in text:
        paths.update(f"{name}.m" for name in _MATLAB.findall(text))
    return [(RUN_PREFIX + p, False) for p in sorted(paths) if p], None


def readme_markers(text: str) -> tuple[Found, str | None]:
    """A README: one ``@readme`` marker plus the ``@run:`` markers of its commands."""
    found, problem = run_commands(text)
    return [(README_MARKER, False), *found], problem


def license_marker(text: str) -> tuple[Found, str | None]:
    """A licence file carries one marker whatever it says."""
    return [(LICENSE_MARKER, False)], None


def _normalise(path: str) -> str:
    """``./a/b.py`` -> ``a/b.py``; ``$ROOT/code/main.py`` -> ``code/main.py``."""
    path = _VARIABLE.sub("", path.strip("\"'"))
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/") if "$" not in path and "{" not in path else ""
