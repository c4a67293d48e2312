"""Unit tests or evaluation scripts? Files named like tests, told apart by what they do.

The classifier discounts code in test-named places (``tests/``, ``test_*.py``,
``*_test.py``) and calls a repository ``none`` when only its tests import a framework
(a package whose unit tests compare against TensorFlow is not TensorFlow code). But
research code of the Caffe era names its *evaluation* code that way too:
``test_net.py``, ``face_test_code/test_model.py``, ``test/run_test.py`` run the paper's
trained network on a benchmark. The word "test" alone cannot tell them apart; what
the file does can:

* a **unit test** imports a test framework (``unittest``, ``pytest``, ``nose``,
  ``absl.testing``), subclasses a ``TestCase``, or defines ``test_*`` functions with
  ``assert`` statements and is not itself a program (no ``__main__`` block, no
  argument parsing). The Python reader marks such files ``@unittest``;
* an **evaluation script** sits in a test-named place but is a program (``@main``:
  an ``if __name__ == "__main__":`` block) and is not a unit test.

Evidence stored before the ``@unittest`` marker existed carries ``@main`` already, so a
test-named file with a main block and no marker reads as an evaluation script there
too; a test-named file with neither stays a unit test, as before. Pure string work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

UNIT_TEST_MARKER = "@unittest"
"""Evidence module of a Python file that is a unit test (see :func:`looks_like_unit_test`)."""
MAIN_MARKER = "@main"
"""Evidence module of a script: a file with an ``if __name__ == "__main__":`` block (the Python reader's)."""

TEST_PATH = re.compile(r"(^|/)(tests?|testing|ut)/|(^|/)test_[^/]*\.py$|_(test|ut)\.py$", re.IGNORECASE)
"""A place named like tests: a ``test``/``tests``/``testing``/``ut`` folder or a ``test_*.py``,
``*_test.py``, ``*_ut.py`` file."""

_TEST_FRAMEWORKS = ("unittest", "pytest", "nose", "nose2", "absl.testing")
_TEST_FUNCTION = re.compile(r"^[ \t]*def[ \t]+test\w*[ \t]*\(", re.MULTILINE)
_ASSERT = re.compile(r"^[ \t]*assert\b|\bself\.assert\w*\(", re.MULTILINE)
_PROGRAM = re.compile(r"""if\s+__name__\s*==\s*['"]__main__['"]|\bargparse\b|\bsys\.argv\b""")


def imports_a_test_framework(modules: Iterable[str]) -> bool:
    return any(m == t or m.startswith(t + ".") for m in modules for t in _TEST_FRAMEWORKS)


def looks_like_unit_test(text: str, modules: Iterable[str]) -> bool:
    """Whether a Python source is a unit test: it uses a test framework, or it is a
    pytest-style module (``test_*`` functions with asserts) that is not a program."""
    if imports_a_test_framework(modules) or "TestCase)" in text:
        return True
    return bool(_TEST_FUNCTION.search(text) and _ASSERT.search(text) and not _PROGRAM.search(text))


@dataclass(frozen=True, slots=True)
class FileRoles:
    """A repository's unit tests and evaluation scripts, read from its evidence markers."""

    marked: frozenset[str]
    """Files the reader marked ``@unittest``."""
    mains: frozenset[str]
    """Files with a ``__main__`` block (``@main``)."""

    def is_unit_test(self, path: str) -> bool:
        """Marked a unit test, or in a test-named place and not a program."""
        return path in self.marked or path not in self.mains and TEST_PATH.search(path) is not None

    @property
    def scripts(self) -> frozenset[str]:
        """Evaluation scripts: programs in test-named places that are not unit tests."""
        return frozenset(p for p in self.mains - self.marked if TEST_PATH.search(p))


class _Marker(Protocol):
    """An evidence row as far as the markers go (``analysis.classifier.imports.Evidence`` is one; not
    imported here: the Python reader, which the imports module uses, imports this module)."""

    path: str
    module: str


def read_file_roles(rows: Iterable[_Marker]) -> FileRoles:
    """The markers of one repository's evidence (only marker rows are looked at)."""
    marked, mains = set(), set()
    for e in rows:
        if e.module == UNIT_TEST_MARKER:
            marked.add(e.path)
        elif e.module == MAIN_MARKER:
            mains.add(e.path)
    return FileRoles(frozenset(marked), frozenset(mains))
