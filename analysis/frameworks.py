"""Which deep-learning framework a repository uses, decided from its imports.

The decision is a pure function of the stored evidence and ``CLASSIFIER_VERSION``:
change the rules, bump the version, and stored evidence is re-classified without
crawling again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from analysis.imports import Evidence

CLASSIFIER_VERSION = "2026.11.1"

LABELS = (
    "pytorch", "tensorflow", "keras", "jax", "mxnet", "paddle", "mindspore", "caffe",
    "caffe2", "theano", "chainer", "cntk", "lua-torch", "dynet", "darknet", "mlx",
    "oneflow", "jittor", "megengine", "none",
)  # fmt: skip

# Python import names and distribution names -> label. The longest matching dotted
# prefix wins, so ``tensorflow.keras`` can differ from ``keras``. Wrappers fold into
# the framework they run on (ARCHITECTURE.md, "Framework labels").
PYTHON_MODULE_LABELS: dict[str, str] = {
    # PyTorch and what is built on it
    "torch": "pytorch", "torchvision": "pytorch", "torchaudio": "pytorch",
    "torchtext": "pytorch", "pytorch_lightning": "pytorch", "lightning": "pytorch",
    "fairseq": "pytorch", "detectron2": "pytorch", "mmcv": "pytorch", "mmdet": "pytorch",
    "mmseg": "pytorch", "mmengine": "pytorch", "timm": "pytorch", "pyro": "pytorch",
    "gpytorch": "pytorch", "torch_geometric": "pytorch", "torch_scatter": "pytorch",
    "allennlp": "pytorch", "ignite": "pytorch", "fastai": "pytorch", "kornia": "pytorch",
    "pytorch3d": "pytorch", "botorch": "pytorch", "accelerate": "pytorch", "apex": "pytorch",
    "pytorch_pretrained_bert": "pytorch", "torchmetrics": "pytorch", "deepspeed": "pytorch",
    # TensorFlow and its wrappers
    "tensorflow": "tensorflow", "tf_slim": "tensorflow", "sonnet": "tensorflow",
    "tensor2tensor": "tensorflow", "tensorflow_probability": "tensorflow",
    "tensorflow_hub": "tensorflow", "tflearn": "tensorflow", "tensorlayer": "tensorflow",
    "gpflow": "tensorflow", "edward": "tensorflow", "edward2": "tensorflow",
    "tensorpack": "tensorflow", "tensorflow_addons": "tensorflow", "tf_agents": "tensorflow",
    "tensorflow.keras": "tensorflow",
    # Keras standalone (Keras 3 multi-backend is resolved from context)
    "keras": "keras",
    # JAX family
    "jax": "jax", "jaxlib": "jax", "flax": "jax", "haiku": "jax", "optax": "jax", "trax": "jax",
    "objax": "jax", "equinox": "jax", "numpyro": "jax", "chex": "jax", "dm_haiku": "jax",
    # Others
    "mxnet": "mxnet", "gluon": "mxnet", "gluoncv": "mxnet", "gluonnlp": "mxnet",
    "paddle": "paddle", "paddlepaddle": "paddle", "paddlenlp": "paddle", "paddlehub": "paddle",
    "mindspore": "mindspore", "caffe": "caffe", "caffe2": "caffe2",
    "theano": "theano", "lasagne": "theano", "blocks": "theano", "pylearn2": "theano",
    "chainer": "chainer", "chainercv": "chainer", "cupy_chainer": "chainer",
    "cntk": "cntk", "dynet": "dynet", "_dynet": "dynet", "darknet": "darknet",
    "mlx": "mlx", "oneflow": "oneflow", "jittor": "jittor", "megengine": "megengine",
}  # fmt: skip

# Distribution names seen in manifests that differ from their import name.
DISTRIBUTION_ALIASES: dict[str, str] = {
    "pytorch": "torch", "torch-gpu": "torch", "torch-cpu": "torch",
    "pytorch-lightning": "pytorch_lightning", "pytorch-pretrained-bert": "pytorch_pretrained_bert",
    "torch-geometric": "torch_geometric", "torch-scatter": "torch_scatter",
    "pytorch-ignite": "ignite", "mmcv-full": "mmcv",
    "tensorflow-gpu": "tensorflow", "tensorflow-cpu": "tensorflow", "tf-nightly": "tensorflow",
    "tf-nightly-gpu": "tensorflow", "tensorflow-macos": "tensorflow", "intel-tensorflow": "tensorflow",
    "tensorflow-probability": "tensorflow_probability", "tensorflow-hub": "tensorflow_hub",
    "tf-slim": "tf_slim", "dm-sonnet": "sonnet", "tensorflow-addons": "tensorflow_addons",
    "dm-haiku": "haiku", "jax-cuda": "jax",
    "paddlepaddle": "paddle", "paddlepaddle-gpu": "paddle",
    "mindspore-gpu": "mindspore", "mindspore-ascend": "mindspore",
    "theano-pymc": "theano", "cntk-gpu": "cntk", "dynet38": "dynet",
}  # fmt: skip
_MXNET_DIST = re.compile(r"^mxnet(-cu\d+\w*|-mkl|-native)?$")

LUA_MODULE_LABELS = {m: "lua-torch" for m in ("torch", "nn", "cunn", "cutorch", "cudnn", "nngraph", "optim", "rnn", "dpnn")}
CPP_INCLUDE_LABELS = {
    "torch/": "pytorch", "ATen/": "pytorch", "c10/": "pytorch", "THC/": "pytorch",
    "caffe/": "caffe", "caffe2/": "caffe2", "tensorflow/": "tensorflow", "mxnet/": "mxnet",
    "paddle/": "paddle", "TH/": "lua-torch", "luaT.h": "lua-torch",
}  # fmt: skip

CODE_KINDS = {"python", "notebook", "lua", "cpp", "caffe_prototxt"}
MANIFEST_KINDS = {"requirements", "setup_py", "setup_cfg", "pyproject", "pipfile", "conda"}

# How much one file counts, by what kind of file it is and where it lives.
KIND_WEIGHT = {"python": 1.0, "notebook": 0.8, "lua": 1.0, "cpp": 0.6, "caffe_prototxt": 0.5}
MANIFEST_WEIGHT = 0.5
WEAK_FACTOR = 0.25
_DISCOUNTED_PATH = re.compile(
    r"(^|/)(third_party|thirdparty|3rdparty|external|vendor|vendored|extern|deps|lib/python[\d.]*|site-packages"
    r"|tests?|docs?|examples?|legacy|baselines?)(/|$)"
    r"|(^|/)(convert|conversion)[^/]*\.py$|_to_(tf|pytorch|torch|keras|caffe|onnx)[^/]*\.py$",
    re.IGNORECASE,
)
PATH_DISCOUNT = 0.2


@dataclass(frozen=True, slots=True)
class Decision:
    """A repository's framework, the scores behind it and the evidence that drove it."""

    framework: str
    scores: dict[str, float]
    confidence: float
    evidence: tuple[Evidence, ...]
    reason: str
    classifier_version: str = CLASSIFIER_VERSION


def label_for_module(module: str, kind: str = "python") -> str | None:
    """The framework label one piece of evidence points to, or None."""
    if kind == "lua":
        return LUA_MODULE_LABELS.get(module.split(".")[0])
    if kind == "cpp":
        return next((lab for pre, lab in CPP_INCLUDE_LABELS.items() if module.startswith(pre)), None)
    if kind == "caffe_prototxt":
        return "caffe" if module == "caffe.prototxt" else None
    if kind in MANIFEST_KINDS:
        module = _import_name_for_distribution(module)
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        label = PYTHON_MODULE_LABELS.get(".".join(parts[:n]))
        if label:
            return label
    return None


def _import_name_for_distribution(name: str) -> str:
    key = name.lower().replace("_", "-")
    if _MXNET_DIST.match(key):
        return "mxnet"
    return DISTRIBUTION_ALIASES.get(key, key.replace("-", "_"))


def file_weight(evidence: Evidence) -> float:
    """How much one file's vote counts: code over manifests, the repo's own code over copies."""
    weight = KIND_WEIGHT.get(evidence.kind, MANIFEST_WEIGHT)
    if _DISCOUNTED_PATH.search(evidence.path):
        weight *= PATH_DISCOUNT
    if evidence.is_weak:
        weight *= WEAK_FACTOR
    return weight


def score_evidence(evidence: Iterable[Evidence]) -> tuple[dict[str, float], dict[str, list[Evidence]]]:
    """Per-label scores: each file votes once per label, with its weight."""
    votes: dict[tuple[str, str], tuple[float, Evidence]] = {}
    for ev in evidence:
        label = label_for_module(ev.module, ev.kind)
        if label is None:
            continue
        weight = file_weight(ev)
        key = (label, ev.path)
        if key not in votes or weight > votes[key][0] or (weight == votes[key][0] and ev < votes[key][1]):
            votes[key] = (weight, ev)
    scores: dict[str, float] = defaultdict(float)
    drivers: dict[str, list[Evidence]] = defaultdict(list)
    for (label, _), (weight, ev) in sorted(votes.items()):
        scores[label] += weight
        drivers[label].append(ev)
    _fold_keras_into_backend(scores)
    return {k: round(v, 6) for k, v in sorted(scores.items())}, drivers


def _fold_keras_into_backend(scores: dict[str, float]) -> None:
    """Standalone Keras beside heavier TensorFlow code is TensorFlow code using tf.keras-style APIs.

    Keras stays its own label when it is the main evidence (ARCHITECTURE: ``import keras``
    is keras); it only folds when TensorFlow's own score is larger.
    """
    if scores.get("keras") and scores.get("tensorflow", 0) > scores["keras"]:
        scores["tensorflow"] += scores.pop("keras")


def classify_evidence(evidence: Iterable[Evidence]) -> Decision:
    """One repository-level decision from all of its evidence; independent of order."""
    evidence = sorted(set(evidence))
    if not evidence:
        return Decision("none", {}, 0.0, (), "no-evidence")
    scores, drivers = score_evidence(evidence)
    if not scores:
        return Decision("none", {}, 1.0, (), "no-framework-imports")
    total = sum(scores.values())
    best = max(sorted(scores), key=lambda label: scores[label])
    confidence = round(scores[best] / total, 4)
    top = tuple(sorted(drivers[best], key=lambda e: (-file_weight(e), e))[:10])
    return Decision(best, scores, confidence, top, "imports")
