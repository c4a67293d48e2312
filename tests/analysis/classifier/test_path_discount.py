"""The segment-by-segment path test gives the definition's answer (the regex over the whole path)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.classifier.path_discount import DISCOUNTED_PATH, is_discounted

SAMPLE_EVIDENCE = Path(__file__).resolve().parents[3] / "data" / "sample" / "evidence.csv.gz"

# Segments that hit each alternative, near misses, case and Unicode case folds
# (``ſ`` folds to s, ``K`` the Kelvin sign to k), empty segments and a newline (``$``).
_SEGMENTS = [
    "src", "models", "Lib", "lib", "python3.6", "Python", "python2.7.x", "site-packages", "third_party",
    "3rd-party", "thirdparty", "Tests", "test", "teſts", "testing", "ut", "UT", "utils", "docs", "doc",
    "examples", "convert_weights", "converters", "Convert", "contrib", "old", "older", "vendor", "venv",
    "baselines", "benchmark", "deps", "", "train.py", "test_model.py", "model_test.py", "model_ut.py",
    "tf2torch.py", "torch_to_caffe.py", "keras2tf_weights.PY", "export_onnx.py", "port.py", "porting.py",
    "caffe2pytorch.py", "load_tf_weights.py", "tf_to_pytorch.txt", "ſandbox", "KERAS", "x\n", "docs\n",
    "a.py\n", "main.py", "__init__.py", "archive", "legacy_code",
]  # fmt: skip


def _same_answer(path: str) -> bool:
    return is_discounted(path) == (DISCOUNTED_PATH.search(path) is not None)


@settings(max_examples=800)
@given(st.lists(st.sampled_from(_SEGMENTS), min_size=1, max_size=6))
def test_segments_give_the_definitions_answer(segments: list[str]) -> None:
    assert _same_answer("/".join(segments))


@settings(max_examples=300)
@given(st.text(alphabet="abtestuplyohn_-/.2\nTUſ", max_size=40))
def test_any_text_gives_the_definitions_answer(path: str) -> None:
    assert _same_answer(path)


def test_every_sample_path_gives_the_definitions_answer() -> None:
    with gzip.open(SAMPLE_EVIDENCE, "rt", encoding="utf-8", newline="") as fh:
        paths = {row["path"] for row in csv.DictReader(fh)}
    assert len(paths) > 10_000
    assert [p for p in paths if not _same_answer(p)] == []
    assert sum(map(is_discounted, paths)) > 100  # the sample has discounted paths: the check is not vacuous
