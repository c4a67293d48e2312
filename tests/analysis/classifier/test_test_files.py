"""Unit tests and evaluation scripts told apart by what they do, not by the word "test"."""

from __future__ import annotations

import pytest

from analysis.classifier.imports import Evidence
from analysis.classifier.python_imports import python_imports
from analysis.classifier.test_files import UNIT_TEST_MARKER, FileRoles, looks_like_unit_test, read_file_roles

PYTEST_MODULE = "import torch\n\ndef test_shapes():\n    assert torch.zeros(2).shape == (2,)\n"
EVAL_SCRIPT = ("import argparse\nimport caffe\n\ndef test_model(net):\n    assert net is not None\n"
               "    return net.forward()\n\nif __name__ == '__main__':\n    test_model(caffe.Net('d', 'w', 1))\n")


@pytest.mark.parametrize(("text", "expected"), [
    ("import unittest\nimport tensorflow as tf\n", True),
    ("from absl.testing import absltest\n", True),
    ("import tensorflow as tf\nclass T(tf.test.TestCase):\n    pass\n", True),  # TestCase without an import of it
    (PYTEST_MODULE, True),
    (EVAL_SCRIPT, False),  # a program (main block, argparse) that happens to define test_model
    ("import caffe\nnet = caffe.Net('deploy.prototxt', 'w.caffemodel', caffe.TEST)\n", False),
])  # fmt: skip
def test_looks_like_unit_test(text: str, expected: bool) -> None:
    modules = [m for m, _ in python_imports(text)[0]]
    assert looks_like_unit_test(text, modules) is expected
    assert (UNIT_TEST_MARKER in modules) is expected  # the reader marks exactly those files


def test_test_named_programs_are_scripts_and_the_rest_unit_tests() -> None:
    rows = [
        Evidence("eval_test_code/test_lfw.py", "@main", "python", False),  # a program: evaluation
        Evidence("eval_test_code/test_lfw.py", "caffe", "python", False),
        Evidence("tests/test_model.py", "@main", "python", False),  # unittest.main(): still a unit test
        Evidence("tests/test_model.py", UNIT_TEST_MARKER, "python", False),
        Evidence("tests/test_old.py", "tensorflow", "python", False),  # stored before the marker: by path
        Evidence("train.py", "@main", "python", False),
    ]
    tests = read_file_roles(rows)
    assert tests.scripts == {"eval_test_code/test_lfw.py"}
    assert not tests.is_unit_test("eval_test_code/test_lfw.py")
    assert tests.is_unit_test("tests/test_model.py") and tests.is_unit_test("tests/test_old.py")
    assert not tests.is_unit_test("train.py")
    assert FileRoles(frozenset({"check.py"}), frozenset()).is_unit_test("check.py")  # by content, anywhere
