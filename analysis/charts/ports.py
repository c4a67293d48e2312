"""The later-ports chart: ports per paper period, stacked by the port's framework."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.charts.style import edge_of, full_periods, style_of, tick_positions
from analysis.classifier.taxonomy import order_labels


def ports_chart(counts: pd.DataFrame, title: str, xlabel: str = "the paper's period") -> Figure:
    """Stacked bars: later ports per paper period, coloured by the port's framework."""
    fig = Figure(figsize=(10, 5.0))
    ax = fig.add_subplot()
    periods = full_periods(counts["period"].astype(str).unique())  # evenly spaced: a period with no port stays empty
    wide = counts.pivot_table(index="period", columns="framework", values="n_ports", aggfunc="sum", fill_value=0)
    wide = wide.reindex(index=periods, columns=order_labels(wide.columns), fill_value=0)
    x = np.arange(len(periods))
    bottom = np.zeros(len(periods))
    for label in wide.columns:
        colour, hatch, _marker, _dash = style_of(label)
        values = wide[label].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, color=colour, hatch=hatch, edgecolor=edge_of(label), label=label,
               gid=f"ports-{label}")
        bottom += values
    shown = tick_positions(periods, 14)
    ax.set_xticks(shown, [periods[i] for i in shown], fontsize=8)
    ax.set_xlim(-0.5, len(periods) - 0.5)
    ax.set_ylabel("later ports (links)")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, title="port's framework")
    fig.subplots_adjust(left=0.07, right=0.84, bottom=0.16, top=0.92)
    return fig
