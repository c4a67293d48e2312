"""Views over framework labels, so our numbers line up with other people's.

Our classifier keeps fine labels (keras apart from tensorflow, caffe apart from
caffe2, theano, chainer, ...). Papers with Code folded Keras into TensorFlow and drew
only nine series; Horace He's study also counted Keras as TensorFlow. A *view* maps
each fine label to the label it is shown as; folding only renames, so totals never
change (a property the tests check).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

UNCLASSIFIED = "unclassified"
"""Shown for implementations with no decision: not crawled yet, missing, blocked or failed."""

NONE = "none"
OTHER = "other"

# Legend and stacking order: the big frameworks first, then the classics, then the rest.
LABEL_ORDER: tuple[str, ...] = (
    "pytorch", "tensorflow", "keras", "jax", "mxnet", "paddle", "mindspore", "caffe", "caffe2",
    "theano", "chainer", "cntk", "lua-torch", "dynet", "darknet", "mlx", "oneflow", "jittor",
    "megengine", OTHER, NONE, UNCLASSIFIED,
)  # fmt: skip

# Papers with Code's Trends legend (docs/architecture.md, "Outside sources"): Other, PyTorch, TensorFlow, Jax, MXNet,
# PaddlePaddle, torch, Caffe2, MindSpore. Keras was counted as TensorFlow there.
_PWC_KEPT = {"pytorch", "tensorflow", "jax", "mxnet", "paddle", "mindspore", "caffe2", "lua-torch", NONE, UNCLASSIFIED}
_PWC_RENAMED = {"keras": "tensorflow"}

VIEWS = ("full", "pwc")

# Our label -> the value Papers with Code wrote in links.framework. Labels PWC had no
# value for become "other" so the agreement matrix shows where they went.
PWC_CODES: dict[str, str] = {
    "pytorch": "pytorch", "tensorflow": "tf", "keras": "tf", "jax": "jax", "mxnet": "mxnet",
    "paddle": "paddle", "mindspore": "mindspore", "caffe2": "caffe2", "lua-torch": "torch", NONE: "none",
}  # fmt: skip
PWC_CODE_ORDER = ("pytorch", "tf", "jax", "mxnet", "paddle", "mindspore", "caffe2", "torch", "none", OTHER)


def view_label(label: str, view: str = "full") -> str:
    """How one fine label is shown in a view (``full`` keeps it; ``pwc`` folds as PWC did)."""
    if view == "full":
        return label
    if view == "pwc":
        label = _PWC_RENAMED.get(label, label)
        return label if label in _PWC_KEPT else OTHER
    raise ValueError(f"unknown label view {view!r}; expected one of {', '.join(VIEWS)}")


def fold_labels(labels: pd.Series, view: str = "full") -> pd.Series:
    """A label column shown in ``view``; maps each distinct label once (fast on big frames)."""
    if view == "full":
        return labels
    if isinstance(labels.dtype, pd.CategoricalDtype):
        # Remap the categories, not the rows: several may fold into one label.
        folded = [view_label(lab, view) for lab in labels.cat.categories]
        targets = list(dict.fromkeys(folded))
        lookup = np.array([targets.index(f) for f in folded] + [-1], dtype=np.int64)
        codes = lookup[labels.cat.codes.to_numpy()]
        return pd.Series(pd.Categorical.from_codes(codes, categories=targets), index=labels.index, name=labels.name)
    mapping = {lab: view_label(lab, view) for lab in labels.dropna().unique()}
    return labels.map(mapping)


def pwc_code(label: str | None) -> str | None:
    """Our label in Papers with Code's vocabulary (``tensorflow`` -> ``tf``, ``lua-torch`` -> ``torch``)."""
    if label is None or label == UNCLASSIFIED:
        return None
    return PWC_CODES.get(label, OTHER)


def order_labels(labels: Iterable[str]) -> list[str]:
    """Labels in the fixed legend order (unknown labels after the known, alphabetically)."""
    rank = {lab: i for i, lab in enumerate(LABEL_ORDER)}
    return sorted(set(labels), key=lambda lab: (rank.get(lab, rank[OTHER] - 0.5), lab))


def agreement_matrix(frame: pd.DataFrame, repo_codes: np.ndarray | None = None) -> pd.DataFrame:
    """Our label (in PWC's vocabulary) against Papers with Code's own label, per repository.

    Rows are ours, columns PWC's; only repositories that have both a decision and a PWC
    label count, each once per distinct PWC label (the same repository linked from ten
    papers is one repository, not ten agreements). ``repo_codes`` (integer keys of
    ``repo_key``, as :mod:`analysis.shares.series` has them) spares hashing the strings again.
    """
    both = (frame["framework"].notna() & frame["pwc_framework"].notna()).to_numpy()
    repos = repo_codes[both] if repo_codes is not None else pd.factorize(frame["repo_key"][both])[0]
    theirs_codes, raw_names = pd.factorize(frame["pwc_framework"][both])  # clean the few distinct values only
    theirs_names = [str(name).strip().lower() for name in raw_names]
    ours_codes, ours_names = pd.factorize(frame["framework"][both])
    pairs = pd.DataFrame({"repo": repos, "pwc": theirs_codes, "ours": ours_codes}).drop_duplicates(["repo", "pwc"])
    ours = np.asarray([pwc_code(str(x)) for x in ours_names], dtype=object)[pairs["ours"].to_numpy()]
    theirs = np.asarray(theirs_names, dtype=object)[pairs["pwc"].to_numpy()]
    matrix = pd.crosstab(pd.Series(ours, name="ours"), pd.Series(theirs, name="pwc"))
    codes = _code_order(set(matrix.index) | set(matrix.columns))
    return matrix.reindex(index=codes, columns=codes, fill_value=0).astype(int)


def _code_order(codes: Iterable[str]) -> list[str]:
    rank = {code: i for i, code in enumerate(PWC_CODE_ORDER)}
    return sorted(set(codes), key=lambda c: (rank.get(c, len(rank)), c))


def agreement_rate(matrix: pd.DataFrame) -> float:
    """Share of repositories where both labels agree (the diagonal); NaN when none are comparable."""
    total = int(matrix.to_numpy().sum())
    agree = sum(int(matrix.at[c, c]) for c in matrix.index if c in matrix.columns)
    return agree / total if total else float("nan")
