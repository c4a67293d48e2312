"""Round 3 of the classifier: vendored copies, side-by-side backends, entry points, thin evidence.

Each case is a small repository written as the evidence rows the extractor stores
(the classifier never sees anything else), shaped like a real corpus-2 repository.
"""

from __future__ import annotations

from analysis.classifier.frameworks import UNCERTAIN_BELOW, classify_evidence, is_uncertain
from analysis.classifier.imports import Evidence, scan_file
from analysis.classifier.provenance import ENTRY_FACTOR, read_provenance


def py(path: str, *modules: str, weak: bool = False) -> list[Evidence]:
    return [Evidence(path, m, "python", weak) for m in modules]


def marker(path: str, module: str, kind: str) -> Evidence:
    return Evidence(path, module, kind)


def attack_suite(n: int) -> list[Evidence]:
    """n vendored TF attack folders, each with its own LICENSE (Guided-Denoise's Attackset/)."""
    rows = []
    for i in range(n):
        rows.append(marker(f"Attackset/attack{i}/LICENSE", "@license", "license"))
        rows += py(f"Attackset/attack{i}/attack_iter.py", "tensorflow")
        rows += py(f"Attackset/attack{i}/nets/inception.py", "tensorflow", "@model")
    return rows


def test_vendored_copies_of_another_framework_do_not_outvote_the_papers_code() -> None:
    own = py("GD_train/main.py", "torch", "@model") + py("GD_train/train.py", "torch") + py("PD_train/main.py", "torch")
    decision = classify_evidence(own + attack_suite(20))
    assert decision.framework == "pytorch"
    assert not decision.is_uncertain


def test_without_licence_markers_the_copies_count_as_before() -> None:
    """Old stored evidence has no @license rows: the same repository stays a file count."""
    rows = [e for e in attack_suite(20) if e.module != "@license"]
    own = py("GD_train/main.py", "torch", "@model") + py("GD_train/train.py", "torch")
    assert classify_evidence(own + rows).framework == "tensorflow"


def test_a_copy_is_the_repository_when_nothing_outside_it_uses_a_framework() -> None:
    rows = [marker("Reference Code/LICENSE", "@license", "license")]
    rows += py("Reference Code/lib/model.py", "torch", "@model") + py("Reference Code/tools/train.py", "torch")
    rows += py("kitti_vis.py", "")
    provenance = read_provenance(rows)
    assert provenance.vendored == ()
    assert classify_evidence(rows).framework == "pytorch"


def test_a_copy_of_the_same_framework_still_votes() -> None:
    """A vendored MatConvNet under MATLAB code that calls it is the repository's framework."""
    rows = [Evidence("matconvnet/matlab/vl_simplenn.m", "matconvnet", "matlab") for _ in range(1)]
    rows += [Evidence(f"matconvnet/matlab/vl_nn{i}.m", "matconvnet", "matlab") for i in range(10)]
    rows += [Evidence("demo.m", "matconvnet", "matlab"), Evidence("deblur.m", "matconvnet", "matlab")]
    rows += [Evidence(f"utils/u{i}.m", "", "matlab") for i in range(40)]
    assert classify_evidence(rows).framework == "matconvnet"


def test_a_folder_named_after_its_framework_is_a_backend_not_a_copy() -> None:
    """GazeCapture: pytorch/ with its own LICENSE is the paper's port, not third-party code."""
    rows = [marker("pytorch/LICENSE.md", "@license", "license")]
    rows += py("pytorch/ITrackerModel.py", "torch", "@model") + py("pytorch/main.py", "torch")
    rows += [Evidence(f"models/itracker_{n}.prototxt", "caffe.prototxt", "caffe_prototxt") for n in ("a", "b", "c")]
    assert read_provenance(rows).vendored == ()
    assert classify_evidence(rows).framework == "pytorch"


def test_side_by_side_backends_vote_once_each_when_code_beside_them_decides() -> None:
    """DeepGuidedFilter: a PyTorch and a TF package of the layer; the applications are PyTorch."""
    rows = []
    for i in range(9):
        rows += py(f"GuidedFilter_TF/guided_filter_tf/f{i}.py", "tensorflow")
    rows += py("GuidedFilter_PyTorch/guided_filter_pytorch/f.py", "torch")
    rows += py("ImageProcessing/train.py", "torch", "@model") + py("ImageProcessing/predict.py", "torch")
    provenance = read_provenance(rows)
    assert set(provenance.backend_trees.values()) == {"tensorflow", "pytorch"}
    assert not provenance.only_backends
    assert classify_evidence(rows).framework == "pytorch"


def test_backends_with_nothing_beside_them_keep_their_counts_and_are_uncertain() -> None:
    """mean-teacher: pytorch/ and tensorflow/ trees and nothing else to choose between them."""
    rows = []
    for i in range(6):
        rows += py(f"tensorflow/experiments/run{i}.py", "tensorflow")
    for i in range(3):
        rows += py(f"pytorch/mean_teacher/m{i}.py", "torch")
    decision = classify_evidence(rows)
    assert read_provenance(rows).only_backends
    assert decision.framework == "tensorflow"
    assert decision.is_uncertain


def test_a_converter_naming_two_frameworks_is_no_backend_tree() -> None:
    rows = py("model/bert/convert_tf_checkpoint_to_pytorch.py", "tensorflow", "torch")
    rows += py("model/torch_utils.py", "torch") + py("model/attention.py", "torch")
    assert read_provenance(rows).backend_trees == {}


def test_scripts_named_by_the_readme_and_shell_scripts_count_double() -> None:
    rows = [marker("README.md", "@readme", "readme"), marker("README.md", "@run:scripts/train.sh", "readme")]
    rows += [marker("scripts/train.sh", "@run:tools/train_net.py", "shell")]
    rows += py("tools/train_net.py", "torch") + py("lib/other.py", "tensorflow")
    provenance = read_provenance(rows)
    assert provenance.entries == ("tools/train_net.py",)
    assert provenance.factors["tools/train_net.py"] == ENTRY_FACTOR
    assert classify_evidence(rows).framework == "pytorch"


def test_an_optional_import_alone_is_not_the_repositorys_framework() -> None:
    """videoavatars: ``try: import tensorflow`` for a matrix inverse in a chumpy codebase."""
    rows = py("lib/frame.py", "tensorflow", weak=True) + [Evidence(f"lib/m{i}.py", "", "python") for i in range(20)]
    decision = classify_evidence(rows)
    assert decision.framework == "none"
    assert decision.reason.startswith("evidence-too-weak")
    assert decision.scores == {"tensorflow": 0.25}  # the weak evidence stays listed


def test_a_framework_only_unit_tests_import_is_not_the_repositorys_framework() -> None:
    rows = py("influence_boosting/ut/loss_ut.py", "tensorflow")
    rows += py("influence_boosting/influence/ut/l_ut.py", "tensorflow")
    rows += [Evidence(f"influence_boosting/m{i}.py", "", "python") for i in range(15)]
    assert classify_evidence(rows).framework == "none"


def test_one_real_network_file_in_a_numpy_codebase_still_decides() -> None:
    """action-sets: the frame classifier is the only torch file among eight."""
    rows = py("utils/network.py", "torch", "@model") + [Evidence(f"utils/u{i}.py", "", "python") for i in range(7)]
    decision = classify_evidence(rows)
    assert decision.framework == "pytorch"
    assert decision.is_uncertain


def test_keras_model_files_own_their_tensorflow_ops() -> None:
    """keras-yolo: the notebook builds YOLO with keras layers and writes the loss in tf."""
    rows = [Evidence("yolo.ipynb", m, "notebook") for m in ("keras.models", "keras.layers", "tensorflow")]
    rows += py("utils.py", "tensorflow", weak=True)
    assert classify_evidence(rows).framework == "keras"


def test_uncertainty_is_a_confidence_threshold_for_stored_rows_too() -> None:
    assert is_uncertain(UNCERTAIN_BELOW - 0.01) and not is_uncertain(UNCERTAIN_BELOW) and not is_uncertain(None)


def test_markers_come_from_the_extractor() -> None:
    """The rules above rest on rows the extractor emits (README, shell, LICENSE, setup.py)."""
    assert {e.module for e in scan_file("caffe/LICENSE", b"BSD").evidence} == {"@license"}
    assert {e.module for e in scan_file("x/setup.py", b"from setuptools import setup").evidence} >= {"@setup"}
    readme = scan_file("README.md", b"Run `python tools/train.py`.\n").evidence
    assert {e.module for e in readme} == {"@readme", "@run:tools/train.py"}


def test_the_quick_backend_filter_lets_every_framework_name_through() -> None:
    """``_named_segments`` skips paths the filter rejects: no framework name may be rejected."""
    from analysis.classifier.provenance import _ANY_BACKEND_TOKEN, _BACKEND_TOKENS, _named_segments

    assert [token for token in _BACKEND_TOKENS if not _ANY_BACKEND_TOKEN.search(token)] == []
    assert _named_segments("src/PyTorch/model.py") == (("src/PyTorch", "pytorch"),)
    assert _named_segments("tf_impl/tf_to_torch.py") == (("tf_impl", "tensorflow"),)
    assert _named_segments("src/models/resnet.py") == ()
