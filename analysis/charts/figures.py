"""Figures of framework share over time. Returns matplotlib Figures; never saves or shows.

Built on ``matplotlib.figure.Figure`` directly, never pyplot, so nothing touches a
global figure registry or a GUI backend. Every chart uses the same colour, hatch and
marker per framework (readable in greyscale), says what it counts in its title, and
shades periods with too few items to trust (``is_thin``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.classifier.taxonomy import order_labels

# One colour per framework everywhere, with hatches and markers so charts survive greyscale.
FRAMEWORK_STYLE: dict[str, tuple[str, str, str]] = {
    "pytorch": ("#ee4c2c", "", "o"), "tensorflow": ("#ff9f1c", "//", "s"), "keras": ("#d00000", "\\\\", "D"),
    "jax": ("#2a9d8f", "..", "^"), "mxnet": ("#3a86ff", "xx", "v"), "paddle": ("#1d3557", "--", "<"),
    "mindspore": ("#8338ec", "++", ">"), "caffe": ("#6d597a", "oo", "p"), "caffe2": ("#b56576", "||", "h"),
    "theano": ("#588157", "**", "*"), "chainer": ("#bc6c25", "/.", "X"), "cntk": ("#023047", "\\.", "d"),
    "lua-torch": ("#9d0208", "x.", "P"), "other": ("#8d99ae", "..", "8"), "none": ("#c9c9c9", "", "."),
    # Mid grey with a dark hatch: white-on-white hid these papers in the counts chart.
    "unclassified": ("#8a8a8a", "\\\\", "_"),
}  # fmt: skip
# Hatch lines take the edge colour: dark on the pale greys, white on the saturated colours.
DARK_EDGE = {"none": "#666666", "unclassified": "#3a3a3a"}
THIN_COLOUR = "#bbbbbb"
THIN_NOTE = "shaded: thin period (too few items to trust)"


def style_of(label: str) -> tuple[str, str, str]:
    """(colour, hatch, marker) of a framework; unknown labels look like ``other``."""
    return FRAMEWORK_STYLE.get(label, FRAMEWORK_STYLE["other"])


def period_axis(shares: pd.DataFrame) -> list[str]:
    """The periods of a share table in time order (labels sort as text)."""
    return sorted(shares["period"].astype(str).unique())


def thin_periods(shares: pd.DataFrame) -> set[str]:
    return set(shares.loc[shares["is_thin"], "period"].astype(str))


def wide_shares(shares: pd.DataFrame, periods: Sequence[str], value: str = "share") -> pd.DataFrame:
    """period x framework table of one column, zeros where a framework had nothing."""
    wide = shares.assign(period=shares["period"].astype(str)).pivot_table(
        index="period", columns="framework", values=value, aggfunc="sum", fill_value=0.0)  # fmt: skip
    return wide.reindex(index=list(periods), columns=order_labels(wide.columns), fill_value=0.0)


def _period_ticks(ax: Axes, periods: Sequence[str], thin: set[str], totals: pd.Series | None = None) -> None:
    """Period labels under the axis (thin ones starred), thinned out when there are many."""
    step = max(1, math.ceil(len(periods) / 24))
    positions = list(range(0, len(periods), step))
    labels = []
    for i in positions:
        text = periods[i] + ("*" if periods[i] in thin else "")
        if totals is not None and step == 1:
            text += f"\nn={totals.get(periods[i], 0):.0f}"
        labels.append(text)
    ax.set_xticks(positions, labels, fontsize=7, rotation=0 if step == 1 and len(periods) <= 14 else 60)
    ax.set_xlim(-0.5, len(periods) - 0.5)


def _shade_thin(ax: Axes, periods: Sequence[str], thin: set[str], on_top: bool = False) -> None:
    """Grey hatched band over each thin period: behind lines, but over filled areas and bars,
    which would otherwise hide it."""
    for i, period in enumerate(periods):
        if period in thin:
            ax.axvspan(i - 0.5, i + 0.5, facecolor=THIN_COLOUR, alpha=0.55 if on_top else 0.35, hatch="xx",
                       edgecolor="#888888", linewidth=0, zorder=3 if on_top else 0, gid="thin-period")  # fmt: skip


def _percent_axis(ax: Axes, label: str) -> None:
    ax.set_ylim(0, 1)
    ax.set_ylabel(label)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")


def _footer(fig: Figure, note: str) -> None:
    fig.text(0.01, 0.01, note, fontsize=7, color="#555555", ha="left", va="bottom")


def _fixed_layout(fig: Figure) -> None:
    """Room for the outside legend and two-line tick labels. Fixed on purpose: tight_layout
    measures every text artist and cost seconds per chart, most of the report's time."""
    fig.subplots_adjust(left=0.07, right=0.84, bottom=0.16, top=0.92)


def stacked_share_chart(shares: pd.DataFrame, title: str) -> Figure:
    """100% stacked area of framework share per period; each period's count under its label."""
    periods = period_axis(shares)
    wide = wide_shares(shares, periods)
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    x = np.arange(len(periods))
    stacks = ax.stackplot(x, *[wide[c].to_numpy() for c in wide.columns], labels=list(wide.columns),
                          colors=[style_of(c)[0] for c in wide.columns])  # fmt: skip
    for poly, label in zip(stacks, wide.columns, strict=True):
        poly.set_hatch(style_of(label)[1])
        poly.set_edgecolor(DARK_EDGE.get(label, "white"))
        poly.set_gid(f"area-{label}")
    thin = thin_periods(shares)
    _shade_thin(ax, periods, thin, on_top=True)
    _period_ticks(ax, periods, thin, shares.groupby("period")["n_total"].first())
    _percent_axis(ax, "share")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, title="framework")
    _footer(fig, THIN_NOTE + " (* on the axis)")
    _fixed_layout(fig)
    return fig


def share_lines_chart(shares: pd.DataFrame, title: str, frameworks: Sequence[str] | None = None,
                      crossovers: pd.DataFrame | None = None, top: int = 6) -> Figure:  # fmt: skip
    """Share lines with their Wilson 95% bands; hollow markers on thin periods; crossovers marked."""
    periods = period_axis(shares)
    frameworks = list(frameworks or _top_frameworks(shares, top))
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    _draw_lines(ax, shares, periods, frameworks)
    thin = thin_periods(shares)
    _shade_thin(ax, periods, thin)
    if crossovers is not None:
        annotate_crossovers(ax, crossovers, periods)
    _period_ticks(ax, periods, thin)
    _percent_axis(ax, "share (band: Wilson 95% interval)")
    ax.grid(axis="y", color="#eeeeee")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, title="framework")
    _footer(fig, THIN_NOTE + "; hollow markers: thin")
    _fixed_layout(fig)
    return fig


def _top_frameworks(shares: pd.DataFrame, top: int) -> list[str]:
    totals = shares.groupby("framework")["n_items"].sum()
    return order_labels(totals.nlargest(top).index)


def _draw_lines(ax: Axes, shares: pd.DataFrame, periods: Sequence[str], frameworks: Sequence[str]) -> None:
    index = {p: i for i, p in enumerate(periods)}
    # A period with no items at all is a gap; a framework absent from a counted period is 0.
    counted = np.isin(np.asarray(periods, dtype=object), shares["period"].astype(str).unique())
    for label in frameworks:
        rows = shares[shares["framework"] == label]
        full = rows.set_index(rows["period"].astype(str)).reindex(periods).fillna({"share": 0.0})
        full.loc[~counted, ["share", "share_low", "share_high"]] = np.nan
        x = np.arange(len(periods))
        y = full["share"].to_numpy(dtype=float)
        colour, _hatch, marker = style_of(label)
        ax.fill_between(x, full["share_low"].fillna(0.0).where(counted), full["share_high"].fillna(0.0).where(counted),
                        color=colour, alpha=0.18,
                        linewidth=0, gid=f"band-{label}")  # fmt: skip
        ax.plot(x, y, color=colour, marker=marker, markersize=5, linewidth=1.8, label=label, gid=f"line-{label}")
        thin_x = [index[p] for p in rows.loc[rows["is_thin"], "period"].astype(str)]
        ax.plot(thin_x, y[thin_x], linestyle="none", marker=marker, markersize=7, markerfacecolor="white",
                markeredgecolor=colour, gid=f"thin-{label}")  # fmt: skip


def annotate_crossovers(ax: Axes, crossovers: pd.DataFrame, periods: Sequence[str]) -> list[object]:
    """Arrow and text at each period where a framework first passed another."""
    index = {p: i for i, p in enumerate(periods)}
    notes = []
    stacked: dict[int, int] = {}  # several passes in one period: stagger their labels
    for row in crossovers.itertuples(index=False):
        if str(row.period) not in index:
            continue
        x = index[str(row.period)]
        level = stacked[x] = stacked.get(x, -1) + 1
        text = f"{row.framework} passes {row.passed}\n{row.period}"
        y_text = min(row.share + 0.2 + 0.1 * level, 0.86)
        notes.append(ax.annotate(text, xy=(x, row.share), xytext=(x, y_text), fontsize=7,
                                 ha="center", arrowprops={"arrowstyle": "->", "color": "#333333"},
                                 gid="crossover"))  # fmt: skip
    return notes


def venue_small_multiples(shares_by_venue: pd.DataFrame, title: str, frameworks: Sequence[str] | None = None,
                          crossovers: pd.DataFrame | None = None, top: int = 4, columns: int = 3,
                          venues: Sequence[str] | None = None, max_panels: int = 12) -> Figure:  # fmt: skip
    """One panel per venue, shared axes, the same framework lines in each; thin periods shaded.

    ``venues`` picks the panels (the report passes the venues with enough papers); by
    default the ``max_panels`` largest. Every bottom panel carries its own period labels,
    thinned to at most eight so neighbouring years never run together.
    """
    if venues is None:
        venues = [str(v) for v in shares_by_venue.groupby("venue")["n_items"].sum().nlargest(max_panels).index]
    venues = sorted(venues)
    periods = period_axis(shares_by_venue)
    frameworks = list(frameworks or _top_frameworks(shares_by_venue, top))
    n_cols = min(columns, max(len(venues), 1))
    rows = max(1, math.ceil(len(venues) / columns))
    fig = Figure(figsize=(4 * n_cols, 2.8 * rows + 1.0))
    axes = fig.subplots(rows, n_cols, sharex=True, sharey=True, squeeze=False)
    for ax, venue in zip(axes.flat, venues, strict=False):
        panel = shares_by_venue[shares_by_venue["venue"] == venue]
        _draw_lines(ax, panel, periods, [f for f in frameworks if f in set(panel["framework"])])
        _shade_thin(ax, periods, thin_periods(panel))
        if crossovers is not None and "venue" in crossovers:
            annotate_crossovers(ax, crossovers[crossovers["venue"] == venue], periods)
        n = panel.groupby("period")["n_total"].first().sum()
        ax.set_title(f"{venue} (n={n:.0f})", fontsize=9)
        _percent_axis(ax, "")
    _panel_ticks(axes, periods, len(venues))
    for ax in list(axes.flat)[len(venues):]:
        ax.set_visible(False)
    handles = [axes.flat[0].plot([], [], color=style_of(f)[0], marker=style_of(f)[2], label=f)[0] for f in frameworks]
    fig.legend(handles=handles, loc="lower right", fontsize=8, ncols=len(frameworks))
    fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    _footer(fig, THIN_NOTE)
    fig.subplots_adjust(left=0.05, right=0.99, bottom=0.16 if rows == 1 else 0.12, top=0.9, hspace=0.45, wspace=0.08)
    return fig


def _panel_ticks(axes: np.ndarray, periods: Sequence[str], n_panels: int) -> None:
    """At most eight labels per panel, shown under the lowest panel of each column (shared x)."""
    step = max(1, math.ceil(len(periods) / 8))
    positions = list(range(0, len(periods), step))
    labels = [periods[i] if len(periods[i]) != 4 or step > 1 or len(periods) <= 6 else f"'{periods[i][2:]}"
              for i in positions]  # fmt: skip
    for index, ax in enumerate(axes.flat):
        ax.set_xticks(positions, labels, fontsize=7, rotation=45 if len(labels[0]) > 4 else 0)
        ax.set_xlim(-0.5, len(periods) - 0.5)
        # With shared x, matplotlib hides labels on all but the bottom row; a column whose
        # bottom panel is empty (hidden) needs them on its last used panel.
        if index + axes.shape[1] >= n_panels and index < n_panels:
            ax.tick_params(axis="x", labelbottom=True)


def count_bars_chart(shares: pd.DataFrame, title: str) -> Figure:
    """Stacked bars of counted items per period and framework (the absolute numbers)."""
    periods = period_axis(shares)
    wide = wide_shares(shares, periods, value="n_items")
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    x = np.arange(len(periods))
    bottom = np.zeros(len(periods))
    for label in wide.columns:
        colour, hatch, _marker = style_of(label)
        values = wide[label].to_numpy()
        ax.bar(x, values, bottom=bottom, color=colour, hatch=hatch, edgecolor=DARK_EDGE.get(label, "white"),
               linewidth=0.6, label=label, gid=f"bars-{label}")
        bottom += values
    thin = thin_periods(shares)
    _shade_thin(ax, periods, thin, on_top=True)
    _period_ticks(ax, periods, thin)
    ax.set_ylabel("count (fractional where a paper splits between repositories)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, title="framework")
    _footer(fig, THIN_NOTE + " (* on the axis)")
    _fixed_layout(fig)
    return fig
