"""The comparison chart: our PyTorch / (PyTorch + TensorFlow) per venue-year beside Horace He's.

Ours: points with 95% interval bars (grey and hollow when thin); his: black diamonds.
One row per venue-year, so the eye reads each pair on one line and the interval
says at once whether his value is inside it. Returns a Figure; never saves or shows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

OURS, THEIRS, THIN = "#1f77b4", "#000000", "#aaaaaa"


def published_comparison_chart(published: pd.DataFrame, title: str) -> Figure:
    """Horizontal dot-and-interval chart of the ``published`` series (analysis.shares.published.COMPARISON_COLUMNS)."""
    table = published.sort_values(["venue", "year"], ascending=[True, True]).reset_index(drop=True)
    fig = Figure(figsize=(8, 1.2 + 0.38 * max(len(table), 1)))
    ax = fig.add_subplot()
    y = np.arange(len(table))[::-1]
    for row, pos in zip(table.itertuples(index=False), y, strict=True):
        colour = THIN if row.is_thin else OURS
        ax.plot([100 * row.share_low, 100 * row.share_high], [pos, pos], color=colour, linewidth=2.2,
                solid_capstyle="butt", gid=f"interval-{row.venue}-{row.year}")  # fmt: skip
        ax.plot(100 * row.pytorch_share, pos, "o", color=colour, markersize=6,
                markerfacecolor="white" if row.is_thin else colour)  # fmt: skip
        ax.plot(100 * row.published_share, pos, "D", color=THEIRS, markersize=5)
        n = int(round(row.n_pytorch + row.n_tensorflow))
        ax.annotate(f"n={n}", (101, pos), va="center", fontsize=7, color="#555", annotation_clip=False)
    ax.set_yticks(y, [f"{v} {yr}" for v, yr in zip(table["venue"], table["year"], strict=True)], fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("PyTorch / (PyTorch + TensorFlow), %")
    ax.grid(axis="x", color="#eee")
    ax.set_title(title, fontsize=10)
    fig.subplots_adjust(left=0.15, right=0.9, top=1 - 0.5 / fig.get_figheight(), bottom=0.7 / fig.get_figheight())
    return fig
