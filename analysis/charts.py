"""Figures of framework share over time. Returns matplotlib Figures; never saves or shows."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

# One colour per framework everywhere, with hatches so charts survive greyscale.
FRAMEWORK_STYLE: dict[str, tuple[str, str]] = {
    "pytorch": ("#ee4c2c", ""), "tensorflow": ("#ff9f1c", "//"), "keras": ("#d00000", "\\\\"),
    "jax": ("#2a9d8f", ".."), "mxnet": ("#3a86ff", "xx"), "paddle": ("#1d3557", "--"),
    "mindspore": ("#8338ec", "++"), "caffe": ("#6d597a", "oo"), "caffe2": ("#b56576", "||"),
    "theano": ("#588157", "**"), "chainer": ("#bc6c25", "//"), "cntk": ("#023047", "\\\\"),
    "lua-torch": ("#9d0208", "xx"), "none": ("#cccccc", ""), "other": ("#8d99ae", ".."),
}  # fmt: skip


def style_of(label: str) -> tuple[str, str]:
    return FRAMEWORK_STYLE.get(label, FRAMEWORK_STYLE["other"])


def stacked_share_chart(shares: pd.DataFrame, title: str) -> Figure:
    """100% stacked area of framework share per period, with each period's count on top."""
    wide = shares.pivot_table(index="period", columns="framework", values="share", fill_value=0.0)
    wide = wide.sort_index()
    order = wide.sum().sort_values(ascending=False).index.tolist()
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    x = range(len(wide.index))
    stacks = ax.stackplot(x, *[wide[c].to_numpy() for c in order], labels=order,
                          colors=[style_of(c)[0] for c in order])  # fmt: skip
    for poly, label in zip(stacks, order, strict=True):
        poly.set_hatch(style_of(label)[1])
        poly.set_edgecolor("white")
    totals = shares.groupby("period")["n_total"].first().reindex(wide.index)
    ax.set_xticks(list(x), [f"{p}\nn={t:g}" for p, t in zip(wide.index, totals, strict=True)], fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of classified implementations")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.tight_layout()
    return fig
