"""Figures of framework share over time. Returns matplotlib Figures; never saves or shows.

Built on ``matplotlib.figure.Figure`` directly, never pyplot, so nothing touches a
global figure registry or a GUI backend. Every chart uses the same colour, hatch, marker
and dash per framework (analysis/charts/style.py: readable in greyscale and to
colour-blind readers), has a title and both axis labels, spaces time evenly (a period
without papers is an empty slot), labels at most as many periods as fit without
overlapping, and shades periods with too few items to trust (``is_thin``).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.charts.style import DARK_EDGE, FRAMEWORK_STYLE, edge_of, full_periods, style_of, tick_positions
from analysis.classifier.taxonomy import order_labels

__all__ = ["DARK_EDGE", "FRAMEWORK_STYLE", "style_of", "stacked_share_chart", "share_lines_chart",
           "venue_small_multiples", "count_bars_chart", "annotate_crossovers", "period_axis"]  # fmt: skip

THIN_COLOUR = "#bbbbbb"
THIN_NOTE = "shaded: thin period (too few items to trust)"
TITLE_CHARACTERS = 95  # a 10-point title wider than this would be cut at the figure's edges: wrapped instead


def period_axis(shares: pd.DataFrame) -> list[str]:
    """Every period from the first to the last of a share table, in time order, gaps included."""
    return full_periods(shares["period"].astype(str).unique())


def thin_periods(shares: pd.DataFrame) -> set[str]:
    return set(shares.loc[shares["is_thin"], "period"].astype(str))


def wide_shares(shares: pd.DataFrame, periods: Sequence[str], value: str = "share") -> pd.DataFrame:
    """period x framework table of one column, zeros where a framework (or the whole period) had nothing."""
    wide = shares.assign(period=shares["period"].astype(str)).pivot_table(
        index="period", columns="framework", values=value, aggfunc="sum", fill_value=0.0)  # fmt: skip
    return wide.reindex(index=list(periods), columns=order_labels(wide.columns), fill_value=0.0)


def line_style(label: str) -> str | tuple[int, tuple[float, ...]]:
    dash = style_of(label).dash
    return (0, dash) if dash else "-"


def _period_ticks(ax: Axes, periods: Sequence[str], thin: set[str], totals: pd.Series | None = None,
                  xlabel: str = "") -> None:  # fmt: skip
    """Period labels under the axis (thin ones starred), as many as fit side by side without overlapping.

    The axes are about 7.7 inches wide; a 7-point label of 7 characters (``2019Q3*``) needs
    about 0.45 inch with its gap, so at most ~16 horizontal labels; years need less.
    """
    width = max((len(p) for p in periods), default=4) + 1
    fits = max(2, int(7.7 / (0.075 * width + 0.12)))
    positions = tick_positions(periods, fits)
    every = len(positions) == len(periods)
    labels = []
    for i in positions:
        text = periods[i] + ("*" if periods[i] in thin else "")
        if totals is not None and every and len(periods) <= 16:
            text += f"\nn={totals.get(periods[i], 0):.0f}"
        labels.append(text)
    ax.set_xticks(positions, labels, fontsize=7)
    if not every:
        ax.set_xticks(range(len(periods)), minor=True)
    ax.set_xlim(-0.5, len(periods) - 0.5)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=9)


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


def _title(ax: Axes, title: str) -> None:
    ax.set_title(textwrap.fill(title, TITLE_CHARACTERS), fontsize=10)


def _footer(fig: Figure, note: str) -> None:
    fig.text(0.01, 0.01, note, fontsize=7, color="#555555", ha="left", va="bottom")


def _fixed_layout(fig: Figure) -> None:
    """Room for the outside legend, a two-line title and two-line tick labels. Fixed on purpose:
    tight_layout measures every text artist and cost seconds per chart, most of the report's time."""
    fig.subplots_adjust(left=0.08, right=0.84, bottom=0.17, top=0.88)


def _legend(ax: Axes, title: str = "framework") -> None:
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, title=title)


def _stacked_bars(ax: Axes, wide: pd.DataFrame, prefix: str) -> None:
    """One bar per period, stacked by framework in the legend's order; empty periods stay empty."""
    x = np.arange(len(wide.index))
    bottom = np.zeros(len(x))
    for label in wide.columns:
        colour, hatch, _marker, _dash = style_of(label)
        values = wide[label].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, width=0.85, color=colour, hatch=hatch, edgecolor=edge_of(label),
               linewidth=0.4, label=label, gid=f"{prefix}-{label}")  # fmt: skip
        bottom += values


def stacked_share_chart(shares: pd.DataFrame, title: str, xlabel: str = "period") -> Figure:
    """100% stacked bars of framework share per period; each period's count under its label."""
    periods = period_axis(shares)
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    _stacked_bars(ax, wide_shares(shares, periods), "share")
    thin = thin_periods(shares)
    _shade_thin(ax, periods, thin, on_top=True)
    _period_ticks(ax, periods, thin, shares.groupby("period")["n_total"].first(), xlabel)
    _percent_axis(ax, "share of papers using a DL framework")
    _title(ax, title)
    _legend(ax)
    _footer(fig, THIN_NOTE + " (* on the axis); an empty slot: no paper in that period")
    _fixed_layout(fig)
    return fig


def share_lines_chart(shares: pd.DataFrame, title: str, frameworks: Sequence[str] | None = None,
                      crossovers: pd.DataFrame | None = None, top: int = 6,
                      xlabel: str = "period") -> Figure:  # fmt: skip
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
    _period_ticks(ax, periods, thin, xlabel=xlabel)
    _percent_axis(ax, "share (band: Wilson 95% interval)")
    ax.grid(axis="y", color="#eeeeee")
    _title(ax, title)
    _legend(ax)
    _footer(fig, THIN_NOTE + "; hollow markers: thin; a gap in a line: no paper in that period")
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
        colour, _hatch, marker, _dash = style_of(label)
        ax.fill_between(x, full["share_low"].fillna(0.0).where(counted), full["share_high"].fillna(0.0).where(counted),
                        color=colour, alpha=0.18,
                        linewidth=0, gid=f"band-{label}")  # fmt: skip
        ax.plot(x, y, color=colour, marker=marker, markersize=5, linewidth=1.8, linestyle=line_style(label),
                label=label, gid=f"line-{label}")  # fmt: skip
        thin_x = [index[p] for p in rows.loc[rows["is_thin"], "period"].astype(str)]
        ax.plot(thin_x, y[thin_x], linestyle="none", marker=marker, markersize=7, markerfacecolor="white",
                markeredgecolor=colour, gid=f"thin-{label}")  # fmt: skip


def annotate_crossovers(ax: Axes, crossovers: pd.DataFrame, periods: Sequence[str],
                        fontsize: float = 7) -> list[object]:  # fmt: skip
    """One note per period where a framework first passed others (``pytorch passes caffe and
    tensorflow``), with an arrow to the leader's point. Notes sit in lanes along the top so
    that no two overlap: each goes in the highest lane whose last note ends (in estimated
    text width) before this one starts."""
    index = {p: i for i, p in enumerate(periods)}
    per_period_in = ax.get_position().width * ax.figure.get_figwidth() / max(len(periods), 1)
    lanes: list[float] = []  # the right edge (in periods) of the last note in each lane
    notes = []
    rows = crossovers[crossovers["period"].astype(str).isin(index)] if len(crossovers) else crossovers
    for period, group in (rows.groupby(rows["period"].astype(str), sort=True) if len(rows) else []):
        x = index[period]
        leaders = group.groupby("framework", sort=False)
        text = "\n".join(f"{fw} passes {' and '.join(sorted(g['passed'].astype(str)))}" for fw, g in leaders)
        text += f"\n{period}"
        half = 0.5 * max(len(line) for line in text.splitlines()) * 0.6 * fontsize / 72 / per_period_in + 0.1
        lane = next((k for k, right in enumerate(lanes) if right < x - half), len(lanes))
        lanes[lane:lane + 1] = [x + half]
        top = float(group["share"].max())
        notes.append(ax.annotate(text, xy=(x, top), xytext=(x, 0.98 - 0.13 * lane), fontsize=fontsize,
                                 textcoords=("data", "axes fraction"), ha="center", va="top",
                                 bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
                                 arrowprops={"arrowstyle": "->", "color": "#333333", "shrinkA": 0, "shrinkB": 3},
                                 gid="crossover"))  # fmt: skip
    return notes


def venue_small_multiples(shares_by_venue: pd.DataFrame, title: str, frameworks: Sequence[str] | None = None,
                          crossovers: pd.DataFrame | None = None, top: int = 4, columns: int = 3,
                          venues: Sequence[str] | None = None, max_panels: int = 12,
                          xlabel: str = "period") -> Figure:  # fmt: skip
    """One panel per venue, shared axes, the same framework lines in each; thin periods shaded.

    ``venues`` picks the panels (the report passes the venues with enough papers); by
    default the ``max_panels`` largest. Every bottom panel carries its own period labels,
    thinned so neighbouring labels never run together.
    """
    if venues is None:
        venues = [str(v) for v in shares_by_venue.groupby("venue")["n_items"].sum().nlargest(max_panels).index]
    venues = sorted(venues)
    periods = period_axis(shares_by_venue)
    frameworks = list(frameworks or _top_frameworks(shares_by_venue, top))
    n_cols = min(columns, max(len(venues), 1))
    rows = max(1, math.ceil(len(venues) / columns))
    width = 4 * n_cols if n_cols > 1 else 7
    fig = Figure(figsize=(width, 2.8 * rows + 1.9))
    axes = fig.subplots(rows, n_cols, sharex=True, sharey=True, squeeze=False)
    for ax, venue in zip(axes.flat, venues, strict=False):
        panel = shares_by_venue[shares_by_venue["venue"] == venue]
        _draw_lines(ax, panel, periods, [f for f in frameworks if f in set(panel["framework"])])
        _shade_thin(ax, periods, thin_periods(panel))
        if crossovers is not None and "venue" in crossovers:
            annotate_crossovers(ax, crossovers[crossovers["venue"] == venue], periods, fontsize=6)
        n = panel.groupby("period")["n_total"].first().sum()
        ax.set_title(f"{venue} (n={n:.0f})", fontsize=9)
        _percent_axis(ax, "")
    _panel_ticks(axes, periods, len(venues), width / n_cols)
    for ax in list(axes.flat)[len(venues):]:
        ax.set_visible(False)
    handles = [axes.flat[0].plot([], [], color=style_of(f).colour, marker=style_of(f).marker, linestyle=line_style(f),
                                 label=f)[0] for f in frameworks]  # fmt: skip
    height = fig.get_figheight()
    # title top left (wrapped to half the width), legend top right, axis label under the lowest tick labels
    fig.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.99, 0.99), fontsize=8, ncols=2,
               title="framework", title_fontsize=8)  # fmt: skip
    fig.suptitle(textwrap.fill(title, int(TITLE_CHARACTERS * width / 10 * 0.5)), fontsize=10, x=0.01, y=0.99,
                 ha="left", va="top")  # fmt: skip
    fig.supylabel("share of papers using a DL framework", fontsize=8)
    fig.supxlabel(xlabel, fontsize=8, y=0.3 / height)
    _footer(fig, THIN_NOTE)
    fig.subplots_adjust(left=0.09 if n_cols > 1 else 0.11, right=0.99, bottom=0.95 / height, top=1 - 1.0 / height,
                        hspace=0.5, wspace=0.08)  # fmt: skip
    return fig


def _panel_ticks(axes: np.ndarray, periods: Sequence[str], n_panels: int, panel_inches: float) -> None:
    """As many labels per panel as fit its width, under the lowest panel of each column (shared x)."""
    slanted = len(periods[0]) > 4 if periods else False
    fits = max(2, int(panel_inches / (0.3 if slanted else 0.32)))
    positions = tick_positions(periods, fits)
    labels = [periods[i] if len(periods[i]) != 4 or len(positions) <= 6 else f"'{periods[i][2:]}"
              for i in positions]  # fmt: skip
    for index, ax in enumerate(axes.flat):
        ax.set_xticks(positions, labels, fontsize=7, rotation=45 if slanted else 0, ha="right" if slanted else "center")
        ax.set_xlim(-0.5, len(periods) - 0.5)
        # With shared x, matplotlib hides labels on all but the bottom row; a column whose
        # bottom panel is empty (hidden) needs them on its last used panel.
        if index + axes.shape[1] >= n_panels and index < n_panels:
            ax.tick_params(axis="x", labelbottom=True)


def count_bars_chart(shares: pd.DataFrame, title: str, xlabel: str = "period") -> Figure:
    """Stacked bars of counted items per period and framework (the absolute numbers)."""
    periods = period_axis(shares)
    fig = Figure(figsize=(10, 5.5))
    ax = fig.add_subplot()
    _stacked_bars(ax, wide_shares(shares, periods, value="n_items"), "bars")
    thin = thin_periods(shares)
    _shade_thin(ax, periods, thin, on_top=True)
    _period_ticks(ax, periods, thin, xlabel=xlabel)
    ax.set_ylabel("papers counted (a count; fractional where a paper\nsplits between repositories)", fontsize=9)
    _title(ax, title)
    _legend(ax)
    _footer(fig, THIN_NOTE + " (* on the axis)")
    _fixed_layout(fig)
    return fig
