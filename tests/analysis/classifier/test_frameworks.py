"""Framework decisions: golden repositories (one per label and per odd case) and properties."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.classifier.frameworks import (
    CLASSIFIER_VERSION,
    CONFIDENT,
    LABELS,
    MODULE_RULES,
    classify_evidence,
    label_for_module,
    relevant_evidence,
)
from analysis.classifier.imports import Evidence, FileScan, scan_file
from analysis.classifier.layout import find_local_packages

GOLDEN = Path(__file__).parent / "golden" / "repos"
REPOS = sorted(p for p in GOLDEN.iterdir() if p.is_dir())


def scan_golden(root: Path) -> list[FileScan]:
    """Scan a golden repo with the pure reader (no flows/ dependency in analysis tests)."""
    return [
        scan_file(p.relative_to(root).as_posix(), p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "EXPECTED"
    ]


@pytest.mark.parametrize("root", REPOS, ids=[p.name for p in REPOS])
def test_golden_repo(root: Path) -> None:
    label, why = (root / "EXPECTED").read_text().splitlines()[:2]
    assert why.startswith("# "), "each golden repo says why it is there"
    decision = classify_evidence(scan_golden(root))
    assert decision.framework == label, (decision.scores, decision.reason)
    assert decision.classifier_version == CLASSIFIER_VERSION


def test_every_label_has_a_golden_repo() -> None:
    covered = {(p / "EXPECTED").read_text().split()[0] for p in REPOS}
    assert set(LABELS) <= covered


def test_rules_table_only_names_known_labels() -> None:
    assert {label.lstrip("?") for label in MODULE_RULES.values()} <= set(LABELS)


@pytest.mark.parametrize(
    ("module", "kind", "label"),
    [
        ("tensorflow.keras.layers", "python", "tensorflow"),
        ("keras.layers", "python", "keras"),
        ("transformers.TFAutoModel", "python", "tensorflow"),
        ("transformers.FlaxBertModel", "python", "jax"),
        ("transformers", "python", "?pytorch"),
        ("tensorflow-gpu", "requirements", "tensorflow"),
        ("tf-nightly", "requirements", "tensorflow"),
        ("pytorch", "conda", "pytorch"),
        ("paddlepaddle-gpu", "requirements", "paddle"),
        ("mxnet-cu112", "requirements", "mxnet"),
        ("dm-haiku", "requirements", "jax"),
        ("torch", "lua", "lua-torch"),
        ("THC/THC.h", "cpp", "pytorch"),
        ("luaT.h", "cpp", "lua-torch"),
        ("numpy", "python", None),
    ],
)
def test_label_for_module(module: str, kind: str, label: str | None) -> None:
    assert label_for_module(module, kind) == label


def test_no_evidence_and_no_framework_are_told_apart() -> None:
    assert classify_evidence([]).reason.startswith("no-evidence")
    plain = classify_evidence([Evidence("a.py", "numpy", "python")])
    assert (plain.framework, plain.reason) == ("none", "no-framework-imports")


def test_relevant_evidence_keeps_the_decision() -> None:
    for root in REPOS:
        scans = scan_golden(root)
        full = [e for s in scans for e in s.evidence]
        if any(s.kind for s in scans) and full:
            assert classify_evidence(relevant_evidence(scans)).framework == classify_evidence(scans).framework


# --- properties -----------------------------------------------------------------

_MODULES = [
    "torch", "tensorflow", "keras", "jax", "flax", "mxnet", "chainer", "theano", "numpy", "os", "transformers",
    "blocks", "@model", "",
]  # fmt: skip
# Paths include a package and a module file named like libraries, so the vendored-copy
# and shadowing rules (analysis.classifier.layout) are exercised too.
_PATHS = [
    "a.py", "b.py", "src/c.py", "tests/t.py", "nb.ipynb", "requirements.txt", "third_party/x.py",
    "keras/__init__.py", "keras/keras/__init__.py", "keras/keras/layers.py", "blocks.py", "sandbox/s.py",
]  # fmt: skip
_EVIDENCE = st.builds(
    Evidence,
    path=st.sampled_from(_PATHS),
    module=st.sampled_from(_MODULES),
    kind=st.sampled_from(["python", "notebook", "requirements"]),
    is_weak=st.booleans(),
)


@given(st.lists(_EVIDENCE, max_size=30), st.randoms())
def test_decision_does_not_depend_on_file_order(evidence: list[Evidence], rnd) -> None:
    shuffled = list(evidence)
    rnd.shuffle(shuffled)
    assert classify_evidence(evidence) == classify_evidence(shuffled)


_UNRELATED = st.builds(
    Evidence,
    path=st.from_regex(r"(src/|lib/|)[a-z]{1,8}\.(py|cpp|m|ipynb)", fullmatch=True),
    module=st.sampled_from(["", "numpy", "os", "vector", "scipy"]),
    kind=st.sampled_from(["python", "cpp", "matlab", "notebook"]),
).filter(lambda e: e.path.rsplit("/", 1)[-1].split(".")[0] not in MODULE_RULES)
# (a file named like a library, e.g. keras.py, is not unrelated: it shadows ``import keras``)


@settings(max_examples=300)
@given(st.lists(_EVIDENCE, min_size=1, max_size=40), _UNRELATED)
def test_an_unrelated_file_never_changes_a_confident_label(evidence: list[Evidence], extra: Evidence) -> None:
    before = classify_evidence(evidence)
    if before.confidence < CONFIDENT or before.framework == "none" or extra.path in {e.path for e in evidence}:
        return
    assert classify_evidence([*evidence, extra]).framework == before.framework


def test_analysis_imports_nothing_heavy() -> None:
    """The CLI's classify path must stay fast: stdlib only at import time."""
    heavy = "('pandas','prefect','matplotlib','requests','duckdb','numpy','flows')"
    code = f"import sys, analysis.classifier.frameworks; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_subpackage_named_like_a_library_is_not_a_copy() -> None:
    """rlkit/torch/ is ``rlkit.torch``, not a top-level torch: its torch imports stay."""
    rows = [
        Evidence("rlkit/__init__.py", "", "python"),
        Evidence("rlkit/torch/__init__.py", "", "python"),
        *(Evidence(f"rlkit/torch/m{i}.py", "torch", "python") for i in range(3)),
    ]
    assert list(find_local_packages({e.path for e in rows})) == []
    assert classify_evidence(rows).scores == {"pytorch": 3.0}


def test_a_vendored_copy_keeps_its_own_framework_and_drops_others() -> None:
    """A transformers copy: its torch files still count, its TF files do not."""
    rows = [
        Evidence("transformers/__init__.py", "", "python"),
        Evidence("transformers/modeling_bert.py", "torch", "python"),
        Evidence("transformers/modeling_tf_bert.py", "tensorflow", "python"),
        Evidence("run.py", "torch", "python"),
    ]
    assert classify_evidence(rows).scores == {"pytorch": 2.0}
    assert classify_evidence(rows).context == {"pytorch": 1.0}


def test_folded_keras_is_shown_as_evidence_but_does_not_inflate_coverage() -> None:
    """1 TensorFlow file + 1 keras.layers file + 8 plain files: the Keras file folds into TensorFlow's score and is
    listed among its evidence, but coverage counts the one file importing TensorFlow (confidence 2/3 x 0.5)."""
    rows = [Evidence("tf_model.py", "tensorflow", "python"), Evidence("keras_model.py", "keras.layers", "python"),
            *(Evidence(f"util{i}.py", "", "python") for i in range(8))]  # fmt: skip
    decision = classify_evidence(rows)
    assert decision.framework == "tensorflow" and decision.confidence == pytest.approx(0.3333)
    assert decision.is_uncertain
    assert {e.path for e in decision.evidence} == {"tf_model.py", "keras_model.py"}
    assert classify_evidence(list(reversed(rows))).confidence == decision.confidence  # order-free, no state left


def test_keras_on_torch_is_not_tensorflow_evidence() -> None:
    rows = [*(Evidence(f"tf{i}.py", "tensorflow", "python") for i in range(3)),
            Evidence("k.py", "keras.layers", "python"), Evidence("k.py", "KERAS_BACKEND=torch", "python")]  # fmt: skip
    decision = classify_evidence(rows)
    assert decision.framework == "tensorflow"
    assert "k.py" not in {e.path for e in decision.evidence}
