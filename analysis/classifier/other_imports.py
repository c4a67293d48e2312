"""Other languages and model files -> framework markers.

Lua Torch ``require``, C/C++ ``#include``, Caffe prototxt, Darknet .cfg, MATLAB
(MatConvNet, matcaffe) and R ``library()`` calls.
"""

from __future__ import annotations

import re

from analysis.classifier.python_imports import Found

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
