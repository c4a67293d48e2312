"""The rules table: which framework each piece of evidence points to.

One table (``MODULE_RULES``) maps Python import names, distribution names (after
``DISTRIBUTION_ALIASES``) and markers from the non-Python readers to labels; small
tables do the same for Lua modules, C/C++ include prefixes, R libraries and Docker
base images. ``analysis.classifier.frameworks`` turns labelled evidence into a decision.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from analysis.classifier.imports import Evidence, FileScan

LABELS = (
    "pytorch", "tensorflow", "keras", "jax", "mxnet", "paddle", "mindspore", "caffe",
    "caffe2", "theano", "chainer", "cntk", "lua-torch", "dynet", "darknet", "matconvnet",
    "mlx", "oneflow", "jittor", "megengine", "none",
)  # fmt: skip

# The one table: Python import name (or distribution name after DISTRIBUTION_ALIASES,
# or a marker emitted by a non-Python reader) -> label. The longest dotted prefix
# wins, so ``tensorflow.keras`` differs from ``keras``. A label written ``?label``
# is context: an ambiguous library that decides only when nothing else does.
_RULES_TABLE = """
# --- PyTorch and what is built on it (ARCHITECTURE: wrappers fold into their base)
torch torchvision torchaudio torchtext torchdata functorch torch_xla      pytorch
pytorch_lightning lightning fairseq detectron2 maskrcnn_benchmark timm    pytorch
mmcv mmdet mmdet3d mmseg mmengine mmcls mmpretrain mmpose mmaction mmocr  pytorch
mmedit mmagic mmrotate mmtrack mmflow mmgen                               pytorch
pyro gpytorch botorch torch_geometric torch_scatter torch_sparse           pytorch
torch_cluster torch_spline_conv allennlp ignite fastai kornia pytorch3d     pytorch
accelerate apex pytorch_pretrained_bert pytorch_transformers torchmetrics  pytorch
deepspeed torchdiffeq torchsde geoopt pytorch_metric_learning peft         pytorch
segmentation_models_pytorch open_clip sentence_transformers skorch        pytorch
stable_baselines3 torchrl tianshou higher learn2learn torchmeta speechbrain pytorch
spconv MinkowskiEngine torchsparse xformers flash_attn torchsummary thop  pytorch
ptflops fvcore lpips pytorch_fid torch_fidelity tensorboardX.torchvis     pytorch
warpctc_pytorch torch_optimizer torchnet pytorch_msssim                   pytorch
diffusers                                                                 pytorch
# --- TensorFlow and its wrappers; libraries built on it
tensorflow tf_slim sonnet tensor2tensor tensorflow_probability            tensorflow
tensorflow_hub tflearn tensorlayer gpflow gpflux edward edward2 tensorpack tensorflow
tensorflow_addons tf_agents tensorflow_text tensorflow_federated          tensorflow
tensorflow_gan tensorflow_model_optimization tensorflow_io trfl lucid     tensorflow
stable_baselines mesh_tensorflow tensorflow_compression magenta tf_keras  tensorflow
object_detection tensorflow.keras                                         tensorflow
# --- Keras standalone (``import keras``); tf.keras is TensorFlow
keras keras_contrib keras_applications keras_preprocessing keras_bert     keras
bert4keras keras_core segmentation_models                                 keras
# --- JAX family
jax jaxlib flax haiku optax trax objax equinox numpyro chex rlax jraph     jax
distrax neural_tangents jaxopt orbax elegy brax oryx                      jax
# --- the rest
mxnet gluoncv gluonnlp gluonts                                            mxnet
gluonts.torch                                                             pytorch
paddle paddlepaddle paddlenlp paddlehub paddleseg ppdet paddleclas ppcls  paddle
paddleocr ppocr parl pgl paddle3d paddlespeech                            paddle
mindspore mindcv mindnlp mindformers                                      mindspore
caffe _caffe caffe.prototxt matcaffe                                      caffe
caffe2                                                                    caffe2
theano lasagne blocks pylearn2 nolearn theanets pymc3 downhill            theano
chainer chainercv chainerrl chainermn chainer_chemistry                   chainer
cntk                                                                      cntk
dynet _dynet dynet_config                                                 dynet
darknet darknet.cfg                                                       darknet
matconvnet                                                                matconvnet
mlx                                                                       mlx
oneflow flowvision                                                        oneflow
jittor                                                                    jittor
megengine                                                                 megengine
# --- context: ambiguous on their own (step 1 of the module docstring)
transformers                                                              ?pytorch
dgl                                                                       ?pytorch
tensorflow_datasets                                                       ?tensorflow
"""


def _parse_rules(table: str) -> dict[str, str]:
    """Rows of 'module module ... label': the label is the last word of its row."""
    rules: dict[str, str] = {}
    for row in table.splitlines():
        words = row.split("#", 1)[0].split()
        if len(words) >= 2:
            rules.update(dict.fromkeys(words[:-1], words[-1]))
    return rules


MODULE_RULES: dict[str, str] = _parse_rules(_RULES_TABLE)
PYTHON_MODULE_LABELS = MODULE_RULES  # the name the first version exported

# Distribution names seen in manifests that differ from their import name.
DISTRIBUTION_ALIASES: dict[str, str] = {
    "pytorch": "torch", "torch-gpu": "torch", "torch-cpu": "torch", "pytorch-cpu": "torch",
    "pytorch-gpu": "torch", "pytorch-lightning": "pytorch_lightning",
    "pytorch-pretrained-bert": "pytorch_pretrained_bert", "pytorch-ignite": "ignite",
    "mmcv-full": "mmcv", "mmcv-lite": "mmcv", "pyro-ppl": "pyro", "open-clip-torch": "open_clip",
    "tensorflow-gpu": "tensorflow", "tensorflow-cpu": "tensorflow", "tf-nightly": "tensorflow",
    "tf-nightly-gpu": "tensorflow", "tensorflow-macos": "tensorflow", "intel-tensorflow": "tensorflow",
    "tensorflow-intel": "tensorflow", "tf-slim": "tf_slim", "dm-sonnet": "sonnet",
    "keras-gpu": "keras", "tf-keras": "tf_keras", "dm-haiku": "haiku", "jax-cuda": "jax",
    "paddlepaddle": "paddle", "paddlepaddle-gpu": "paddle", "mindspore-gpu": "mindspore",
    "mindspore-cpu": "mindspore", "mindspore-ascend": "mindspore", "theano-pymc": "theano",
    "cntk-gpu": "cntk", "dynet38": "dynet", "chainer-cuda": "chainer", "oneflow-cu": "oneflow",
}  # fmt: skip
_MXNET_DIST = re.compile(r"^mxnet(-cu\d+\w*|-mkl|-native)?$")

LUA_MODULE_LABELS = {
    m: "lua-torch" for m in ("torch", "nn", "cunn", "cutorch", "cudnn", "nngraph", "optim", "rnn", "dpnn", "image")
}
# ``#include`` prefixes. PyTorch's 2017-18 C extensions (cffi) include <TH/TH.h> and
# <THC/THC.h>; Lua Torch's C modules include "luaT.h" and bare "TH.h"/"THC.h".
CPP_INCLUDE_LABELS = {
    "torch/": "pytorch", "ATen/": "pytorch", "c10/": "pytorch", "TH/": "pytorch", "THC/": "pytorch",
    "luaT.h": "lua-torch", "TH.h": "lua-torch", "THC.h": "lua-torch",
    "caffe/": "caffe", "caffe2/": "caffe2", "tensorflow/": "tensorflow", "mxnet/": "mxnet",
    "paddle/": "paddle", "darknet.h": "darknet", "dynet/": "dynet", "CNTKLibrary.h": "cntk",
    "oneflow/": "oneflow", "mindspore/": "mindspore",
}  # fmt: skip
_CPP_PREFIXES = tuple(CPP_INCLUDE_LABELS)
R_LIBRARY_LABELS = {
    "keras": "keras", "tensorflow": "tensorflow", "torch": "pytorch", "mxnet": "mxnet",
    "tfprobability": "tensorflow",
}  # fmt: skip
DOCKER_IMAGE_LABELS = {
    "pytorch/": "pytorch", "nvcr.io/nvidia/pytorch": "pytorch", "anibali/pytorch": "pytorch",
    "tensorflow/": "tensorflow", "nvcr.io/nvidia/tensorflow": "tensorflow", "mxnet/": "mxnet",
    "paddlepaddle/": "paddle", "bvlc/caffe": "caffe", "caffe2ai/": "caffe2", "kaixhin/torch": "lua-torch",
    "mindspore/": "mindspore", "chainer/": "chainer",
}  # fmt: skip

CODE_KINDS = {"python", "notebook", "lua", "cpp", "caffe_prototxt", "darknet_cfg", "matlab", "r"}
MANIFEST_KINDS = {"requirements", "setup_py", "setup_cfg", "pyproject", "pipfile", "conda", "dockerfile"}
OTHER_LANGUAGE_KINDS = {"lua", "cpp", "matlab", "r"}


# --- one piece of evidence -> label ---------------------------------------------


@functools.lru_cache(maxsize=65536)
def label_for_module(module: str, kind: str = "python") -> str | None:
    """The framework label one piece of evidence points to, or None.

    Context labels keep their ``?`` prefix here; ``classify_evidence`` resolves them.
    Cached: a corpus repeats the same few thousand modules (``torch.nn``, ``os``) and
    every row is labelled two or three times (storage filter, layout, scoring).
    """
    if kind == "lua":
        return LUA_MODULE_LABELS.get(module.split(".")[0])
    if kind == "cpp":
        if not module.startswith(_CPP_PREFIXES):  # one C-level test rejects <stdio.h> & co.
            return None
        return next((lab for pre, lab in CPP_INCLUDE_LABELS.items() if module.startswith(pre)), None)
    if kind == "r":
        return R_LIBRARY_LABELS.get(module)
    if module.startswith("docker:"):
        return next((lab for pre, lab in DOCKER_IMAGE_LABELS.items() if module[7:].startswith(pre)), None)
    if module.startswith("KERAS_BACKEND="):
        return {"jax": "jax", "torch": "pytorch", "tensorflow": "tensorflow"}.get(module[14:])
    if kind in MANIFEST_KINDS:
        module = _import_name_for_distribution(module)
    return _python_label(module)


def label_pairs(rows: Iterable[Evidence]) -> list[tuple[str, Evidence]]:
    """(label, evidence) for each row that points to a label, in the rows' order."""
    return [(label, e) for e in rows if (label := label_for_module(e.module, e.kind))]


def _python_label(module: str) -> str | None:
    """Longest dotted prefix in MODULE_RULES; transformers' TF*/Flax* classes decide themselves."""
    parts = module.split(".")
    if parts[0] in ("transformers", "diffusers") and len(parts) > 1:
        leaf = parts[-1]
        if leaf.startswith("TF") or "modeling_tf_" in module:
            return "tensorflow"
        if leaf.startswith("Flax") or "modeling_flax_" in module:
            return "jax"
    for n in range(len(parts), 0, -1):
        label = MODULE_RULES.get(".".join(parts[:n]))
        if label:
            return label
    return None


def _import_name_for_distribution(name: str) -> str:
    key = name.lower().replace("_", "-")
    if _MXNET_DIST.match(key):
        return "mxnet"
    if key.startswith(("paddlepaddle", "mindspore", "oneflow")):
        return key.split("-")[0].replace("paddlepaddle", "paddle")
    return DISTRIBUTION_ALIASES.get(key, key.replace("-", "_"))


def is_relevant(evidence: Evidence) -> bool:
    """Whether any rule can use this evidence (a framework, context, or a file marker)."""
    if evidence.module == "" or evidence.module.startswith("@"):  # file markers
        return True
    return label_for_module(evidence.module, evidence.kind) is not None


def relevant_evidence(scans: Iterable[FileScan]) -> list[Evidence]:
    """The evidence worth storing: framework and context modules, plus one marker per code
    file that has none (``module=""``), so the classifier still knows how much other code
    there is. On the development corpus this keeps 12,530 of 39,926 rows (31%),
    markers included.
    """
    out: list[Evidence] = []
    for scan in scans:
        kept = [e for e in scan.evidence if is_relevant(e)]
        if not kept and scan.kind in CODE_KINDS:
            kept = [Evidence(scan.path, "", scan.kind)]
        out.extend(kept)
    return out
