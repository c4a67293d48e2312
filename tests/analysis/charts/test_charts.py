"""Charts checked through their artists, labels and data (no golden images)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from tests_support import implementations_frame

from analysis.charts.figures import (
    FRAMEWORK_STYLE,
    count_bars_chart,
    share_lines_chart,
    stacked_share_chart,
    style_of,
    venue_small_multiples,
)
from analysis.shares.series import ShareSpec, find_crossovers, framework_shares


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return implementations_frame()


@pytest.fixture(scope="module")
def shares(frame: pd.DataFrame) -> pd.DataFrame:
    return framework_shares(frame, ShareSpec(min_count=10))


def _gids(fig: Figure, prefix: str) -> list[str]:
    return sorted({a.get_gid() for a in fig.findobj() if (a.get_gid() or "").startswith(prefix)})


def test_every_framework_has_its_own_colour_and_greyscale_cue() -> None:
    cues = [(hatch, marker) for _colour, hatch, marker in FRAMEWORK_STYLE.values()]
    assert len(set(cues)) == len(cues)
    assert len({colour for colour, _h, _m in FRAMEWORK_STYLE.values()}) == len(FRAMEWORK_STYLE)
    assert style_of("never-heard-of-it") == FRAMEWORK_STYLE["other"]


def test_stacked_chart_draws_one_area_per_framework_in_its_colour(shares: pd.DataFrame) -> None:
    fig = stacked_share_chart(shares, "Framework share of test papers")
    ax = fig.axes[0]
    areas = [c for c in ax.collections if isinstance(c, PolyCollection) and (c.get_gid() or "").startswith("area-")]
    assert {a.get_gid()[5:] for a in areas} == set(shares["framework"])
    for area in areas:
        label = area.get_gid()[5:]
        assert np.allclose(area.get_facecolor()[0][:3], _rgb(style_of(label)[0]))
        assert (area.get_hatch() or "") == style_of(label)[1]
    assert ax.get_title() == "Framework share of test papers"
    assert ax.get_ylim() == (0.0, 1.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["pytorch", "tensorflow"]


def test_stacked_areas_reach_exactly_the_top_in_every_period(shares: pd.DataFrame) -> None:
    fig = stacked_share_chart(shares, "t")
    tops = max((a for a in fig.axes[0].collections if (a.get_gid() or "").startswith("area-")),
               key=lambda a: a.get_paths()[0].vertices[:, 1].max())  # fmt: skip
    assert tops.get_paths()[0].vertices[:, 1].max() == pytest.approx(1.0)


def test_thin_periods_are_shaded_and_starred(shares: pd.DataFrame) -> None:
    thin = sorted(shares.loc[shares["is_thin"], "period"].unique())
    assert thin, "the fixture should contain a thin period"
    fig = stacked_share_chart(shares, "t")
    ax = fig.axes[0]
    spans = [p for p in ax.patches if p.get_gid() == "thin-period"]
    assert len(spans) == len(thin)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert all(any(t.startswith(f"{p}*") for t in ticks) for p in thin)
    assert "thin" in " ".join(t.get_text() for t in fig.texts)


def test_lines_chart_has_a_line_and_band_per_framework_and_marks_the_crossover(shares: pd.DataFrame) -> None:
    crossovers = find_crossovers(shares, ["pytorch", "tensorflow"])
    assert crossovers["period"].tolist() == ["2020"]
    fig = share_lines_chart(shares, "Framework share with intervals", crossovers=crossovers)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines() if (line.get_gid() or "").startswith("line-")}
    assert set(lines) >= {"pytorch", "tensorflow"}
    assert lines["pytorch"].get_marker() == style_of("pytorch")[2]
    periods = sorted(shares["period"].unique())
    expected = shares[shares["framework"] == "pytorch"].set_index("period")["share"].reindex(periods, fill_value=0)
    assert np.allclose(lines["pytorch"].get_ydata(), expected.to_numpy())
    assert set(_gids(fig, "band-")) >= {"band-pytorch", "band-tensorflow"}
    notes = [t for t in ax.texts if t.get_gid() == "crossover"]
    assert [n.get_text() for n in notes] == ["pytorch passes tensorflow\n2020"]
    assert "95%" in ax.get_ylabel()


def test_small_multiples_have_one_panel_per_venue_on_shared_axes(frame: pd.DataFrame) -> None:
    by_venue = framework_shares(frame, ShareSpec(), by_venue=True)
    fig = venue_small_multiples(by_venue, "Framework share by venue")
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert sorted(ax.get_title().split(" (n=")[0] for ax in visible) == sorted(by_venue["venue"].unique())
    assert len({ax.get_ylim() for ax in visible}) == 1 and len({ax.get_xlim() for ax in visible}) == 1
    first = visible[0]
    assert first.get_shared_y_axes().joined(first, visible[-1])
    assert fig.get_suptitle() == "Framework share by venue"


def test_small_multiples_draw_only_the_venues_asked_for_with_readable_period_labels(frame: pd.DataFrame) -> None:
    by_venue = framework_shares(frame, ShareSpec(), by_venue=True)
    fig = venue_small_multiples(by_venue, "t", venues=["CVPR", "ICML"], columns=3)
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title().split(" (n=")[0] for ax in visible] == ["CVPR", "ICML"]
    assert all(ax.get_title().endswith(")") for ax in visible)  # each panel says how many papers it holds
    fig.canvas.draw()
    for ax in visible:  # every panel of the bottom row carries its own labels, and they do not overlap
        labels = [t for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        assert len(labels) >= 2
        boxes = [t.get_window_extent() for t in labels]
        assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False))


def test_counts_chart_shows_unclassified_and_names_every_segment_in_the_legend(frame: pd.DataFrame) -> None:
    from matplotlib.colors import to_rgb

    shares_all = framework_shares(frame, ShareSpec(base="all"))
    ax = count_bars_chart(shares_all, "How many").axes[0]
    segments = {(b.get_gid() or "")[5:] for b in ax.patches if (b.get_gid() or "").startswith("bars-")}
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert segments == legend and "unclassified" in legend
    white = np.array(to_rgb("white"))
    for label in ("none", "unclassified"):  # never white on the white background
        assert np.abs(np.array(to_rgb(style_of(label)[0])) - white).sum() > 0.2


def test_count_bars_stack_to_each_period_total(frame: pd.DataFrame) -> None:
    shares_all = framework_shares(frame, ShareSpec(base="all"))
    fig = count_bars_chart(shares_all, "How many")
    ax = fig.axes[0]
    bars = [p for p in ax.patches if (p.get_gid() or "").startswith("bars-")]
    tops = {}
    for bar in bars:
        x = round(bar.get_x() + bar.get_width() / 2)
        tops[x] = max(tops.get(x, 0.0), bar.get_y() + bar.get_height())
    totals = shares_all.groupby("period")["n_total"].first().sort_index().to_numpy()
    assert np.allclose([tops[i] for i in range(len(totals))], totals)
    assert {b.get_gid() for b in bars} >= {"bars-none", "bars-unclassified"}


def test_charts_module_never_loads_pyplot() -> None:
    code = "import sys, analysis.charts.figures; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    return tuple(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]
