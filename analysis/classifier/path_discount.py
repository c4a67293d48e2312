"""Which paths hold code that counts a fifth: copies, tests, docs, examples, conversions.

``DISCOUNTED_PATH`` is the definition. Run over every path of a repository it was the
classifier's single largest cost (a search tries all its alternatives at every
character), so ``is_discounted`` asks the same question one path segment at a time:
segments repeat across paths and repositories (``src``, ``models``, ``train.py``), and
each distinct one is matched once (a cache of the last 65,536).
tests/analysis/classifier/test_path_discount.py checks that both give the same answer.
"""

from __future__ import annotations

import functools
import re

DISCOUNTED_PATH = re.compile(
    r"(^|/)(third[_-]?party|3rd[_-]?party|external|externals|vendor|vendored|extern|deps|submodules?"
    r"|lib/python[\d.]*|site-packages|node_modules|venv|tests?|testing|docs?|examples?|tutorials?"
    r"|legacy|deprecated|old|archive|unused|baselines?|benchmarks?|convert\w*|converters?|sandbox|contrib)(/|$)"
    r"|(^|/)(convert|conversion|export|port|load_tf|tf2|torch2|caffe2pytorch)[^/]*\.py$"
    r"|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)ut/|_ut\.py$"
    r"|(tf|tensorflow|caffe|keras|torch|pytorch|mxnet|jax|flax|paddle|chainer|onnx)_?(2|to)_?"
    r"(tf|tensorflow|caffe|keras|torch|pytorch|mxnet|jax|flax|paddle|chainer|onnx)[^/]*\.py$",
    re.IGNORECASE,
)
"""A path whose code counts ``PATH_DISCOUNT`` (analysis.classifier.frameworks)."""

# The same alternatives, by segment. Each file-name pattern ends in ``[^/]*\.py$``, so it
# can only match within the last segment; ``lib/python*`` spans two segments (below).
_SEGMENT = re.compile(
    r"third[_-]?party|3rd[_-]?party|external|externals|vendor|vendored|extern|deps|submodules?"
    r"|site-packages|node_modules|venv|tests?|testing|docs?|examples?|tutorials?"
    r"|legacy|deprecated|old|archive|unused|baselines?|benchmarks?|convert\w*|converters?|sandbox|contrib",
    re.IGNORECASE,
)
_FILE_NAME = re.compile(
    r"^(convert|conversion|export|port|load_tf|tf2|torch2|caffe2pytorch)[^/]*\.py$"
    r"|^test_[^/]*\.py$|_test\.py$|_ut\.py$"
    r"|(tf|tensorflow|caffe|keras|torch|pytorch|mxnet|jax|flax|paddle|chainer|onnx)_?(2|to)_?"
    r"(tf|tensorflow|caffe|keras|torch|pytorch|mxnet|jax|flax|paddle|chainer|onnx)[^/]*\.py$",
    re.IGNORECASE,
)
_LIB = re.compile("lib", re.IGNORECASE)
_PYTHON = re.compile(r"python[\d.]*", re.IGNORECASE)
_UT = re.compile("ut", re.IGNORECASE)

_PLAIN, _DISCOUNTED, _LIB_FOLDER = 0, 1, 2


def is_discounted(path: str) -> bool:
    """``DISCOUNTED_PATH.search(path)``, answered segment by segment.

    Only segments are cached, not whole paths: a path belongs to one repository, and a
    cache that a synthetic corpus of repeated repositories hits would flatter benchmarks.
    """
    if "\n" in path:  # ``$`` also matches before a final newline: leave such paths to the definition
        return DISCOUNTED_PATH.search(path) is not None
    *folders, name = path.split("/")
    if _file_name_is_discounted(name):
        return True
    after_lib = False
    for folder in folders:
        kind = _folder_kind(folder)
        if kind == _DISCOUNTED or after_lib and _PYTHON.fullmatch(folder):
            return True
        after_lib = kind == _LIB_FOLDER
    return after_lib and _PYTHON.fullmatch(name) is not None


@functools.lru_cache(maxsize=65536)
def _file_name_is_discounted(name: str) -> bool:
    return _SEGMENT.fullmatch(name) is not None or _FILE_NAME.search(name) is not None


@functools.lru_cache(maxsize=65536)
def _folder_kind(folder: str) -> int:
    if _SEGMENT.fullmatch(folder) or _UT.fullmatch(folder):
        return _DISCOUNTED
    return _LIB_FOLDER if _LIB.fullmatch(folder) else _PLAIN


# The alternatives of DISCOUNTED_PATH that name tests; an evaluation script there counts fully.
_BEYOND_TESTS = re.compile(
    r"(^|/)(third[_-]?party|3rd[_-]?party|external|externals|vendor|vendored|extern|deps|submodules?"
    r"|lib/python[\d.]*|site-packages|node_modules|venv|docs?|examples?|tutorials?"
    r"|legacy|deprecated|old|archive|unused|baselines?|benchmarks?|convert\w*|converters?|sandbox|contrib)(/|$)"
    r"|(^|/)(convert|conversion|export|port|load_tf|tf2|torch2|caffe2pytorch)[^/]*\.py$"
    r"|(tf|tensorflow|caffe|keras|torch|pytorch|mxnet|jax|flax|paddle|chainer|onnx)_?(2|to)_?"
    r"(tf|tensorflow|caffe|keras|torch|pytorch|mxnet|jax|flax|paddle|chainer|onnx)[^/]*\.py$",
    re.IGNORECASE,
)


def is_discounted_beyond_tests(path: str) -> bool:
    """``is_discounted`` without the test alternatives: for an evaluation script in a
    test-named place (analysis.classifier.test_files), which counts like any code unless it also
    sits in a copy, the docs, examples or a conversion."""
    return _BEYOND_TESTS.search(path) is not None
