"""Charts checked through their artists, labels and data (no golden images)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
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
from analysis.charts.style import full_periods, tick_positions
from analysis.shares.series import ShareSpec, find_crossovers, framework_shares


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return implementations_frame()


@pytest.fixture(scope="module")
def shares(frame: pd.DataFrame) -> pd.DataFrame:
    return framework_shares(frame, ShareSpec(min_count=10))


def _gids(fig: Figure, prefix: str) -> list[str]:
    return sorted({a.get_gid() for a in fig.findobj() if (a.get_gid() or "").startswith(prefix)})


def test_every_framework_has_its_own_colour_and_second_cues() -> None:
    from analysis.classifier.rules import LABELS

    assert set(LABELS) <= set(FRAMEWORK_STYLE), "every label the classifier can give has its own style"
    for cue in ("colour", "hatch", "marker", "dash"):
        values = [getattr(s, cue) for s in FRAMEWORK_STYLE.values()]
        assert len(set(values)) == len(values), f"two frameworks share a {cue}"
    assert style_of("never-heard-of-it") == FRAMEWORK_STYLE["other"]


# Colour-vision deficiency simulation (Viénot, Brettel and Mollon 1999), on linear RGB.
CVD = {"normal": np.eye(3),
       "protanopia": np.array([[0.11238, 0.88762, 0.0], [0.11238, 0.88762, 0.0], [0.00401, -0.00401, 1.0]]),
       "deuteranopia": np.array([[0.29275, 0.70725, 0.0], [0.29275, 0.70725, 0.0], [-0.02234, 0.02234, 1.0]])}


def _lab(hex_colour: str, vision: str) -> np.ndarray:
    """CIELAB (D65) of a colour as a reader with ``vision`` sees it."""
    srgb = np.array(_rgb(hex_colour))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ (
        CVD[vision] @ linear) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _distance(a: str, b: str, vision: str) -> float:
    return float(np.linalg.norm(_lab(style_of(a).colour, vision) - _lab(style_of(b).colour, vision)))


@pytest.mark.parametrize("vision", sorted(CVD))
def test_often_confused_frameworks_differ_most_even_to_colour_blind_readers(vision: str) -> None:
    # pytorch, keras, lua-torch and caffe2 were four similar reds; pytorch and tensorflow are the headline pair
    confused = ["pytorch", "keras", "lua-torch", "caffe2", "tensorflow"]
    pairs = [(a, b) for i, a in enumerate(confused) for b in confused[i + 1:]]
    assert min(_distance(a, b, vision) for a, b in pairs) > 30, [(a, b, round(_distance(a, b, vision)))
                                                                 for a, b in pairs]  # fmt: skip
    frameworks = [f for f in FRAMEWORK_STYLE if f not in ("other", "none", "unclassified")]
    assert min(_distance(a, b, "normal") for i, a in enumerate(frameworks) for b in frameworks[i + 1:]) > 10


def test_stacked_chart_draws_one_bar_set_per_framework_with_its_colour_and_hatch(shares: pd.DataFrame) -> None:
    fig = stacked_share_chart(shares, "Framework share of test papers", xlabel="conference year")
    ax = fig.axes[0]
    bars = [p for p in ax.patches if (p.get_gid() or "").startswith("share-")]
    assert {b.get_gid()[6:] for b in bars if b.get_height() > 0} == set(shares["framework"])
    for bar in bars:
        label = bar.get_gid()[6:]
        assert np.allclose(bar.get_facecolor()[:3], _rgb(style_of(label).colour))
        assert (bar.get_hatch() or "") == style_of(label).hatch
    assert ax.get_title() == "Framework share of test papers"
    assert ax.get_xlabel() == "conference year" and ax.get_ylabel()
    assert ax.get_ylim() == (0.0, 1.0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:2] == ["pytorch", "tensorflow"]


def test_stacked_bars_reach_exactly_the_top_in_every_period(shares: pd.DataFrame) -> None:
    fig = stacked_share_chart(shares, "t")
    tops: dict[float, float] = {}
    for bar in (p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("share-")):
        tops[bar.get_x()] = max(tops.get(bar.get_x(), 0.0), bar.get_y() + bar.get_height())
    assert list(tops.values()) == pytest.approx([1.0] * len(tops))


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
    periods = full_periods(shares["period"].unique())
    expected = shares[shares["framework"] == "pytorch"].set_index("period")["share"].reindex(periods, fill_value=0)
    assert np.allclose(lines["pytorch"].get_ydata(), expected.to_numpy())
    assert lines["tensorflow"].get_linestyle() != lines["pytorch"].get_linestyle()  # a dash, not only a colour
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


# --- time evenly spaced, labels that never overlap, titles that fit -------------------------------------


@pytest.mark.parametrize("found, expected", [
    (["2019", "2017"], ["2017", "2018", "2019"]),
    (["2019Q3", "2020Q2"], ["2019Q3", "2019Q4", "2020Q1", "2020Q2"]),
    (["2019-11", "2020-02"], ["2019-11", "2019-12", "2020-01", "2020-02"]),
    (["b", "a"], ["a", "b"]),  # not a period label: kept as found, sorted
    ([], []),
])  # fmt: skip
def test_full_periods_fill_every_gap_between_the_first_and_the_last(found: list[str], expected: list[str]) -> None:
    assert full_periods(found) == expected


def test_tick_positions_stay_under_the_limit_and_land_on_the_first_quarter() -> None:
    quarters = full_periods(["2014Q2", "2025Q3"])
    shown = tick_positions(quarters, 10)
    assert len(shown) <= 10 and all(quarters[i].endswith("Q1") for i in shown)
    assert tick_positions(["2019", "2020"], 10) == [0, 1]


def _quarterly_shares() -> pd.DataFrame:
    """Shares over 46 quarters with empty quarters between, and several crossovers close together."""
    rows = []
    for k, period in enumerate(full_periods(["2014Q2", "2025Q3"])):
        if k % 5 == 3:
            continue  # an empty quarter: drawn as an empty slot
        pt = min(1.0, k / 20)
        for fw, share in (("pytorch", pt), ("tensorflow", (1 - pt) * 0.6), ("caffe", (1 - pt) * 0.4)):
            rows.append({"period": period, "framework": fw, "n_items": 20 * share, "n_total": 20.0, "share": share,
                         "share_low": max(0.0, share - 0.1), "share_high": min(1.0, share + 0.1), "is_thin": False})
    return pd.DataFrame(rows)


def _boxes(fig: Figure, texts: list) -> list:
    """The texts' own extents (an annotation's get_window_extent also spans its arrow)."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    return [Text.get_window_extent(t, renderer) for t in texts if t.get_visible() and t.get_text()]


def _overlapping(boxes: list) -> list[tuple[int, int]]:
    return [(i, j) for i, a in enumerate(boxes) for j, b in enumerate(boxes) if i < j and a.overlaps(b)]


def test_quarterly_charts_space_time_evenly_and_no_tick_label_or_note_overlaps() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    shares = _quarterly_shares()
    crossovers = pd.DataFrame([{"period": p, "framework": "pytorch", "passed": other, "share": 0.5,
                                "passed_share": 0.4} for p in ("2016Q3", "2016Q4", "2017Q1")
                               for other in ("tensorflow", "caffe")])  # fmt: skip
    long_title = "Framework share with 95% intervals: " + "conference papers (one implementation each), " * 3
    n_notes = 0
    for fig in (stacked_share_chart(shares, long_title), share_lines_chart(shares, long_title, crossovers=crossovers),
                count_bars_chart(shares, long_title)):  # fmt: skip
        FigureCanvasAgg(fig)
        fig.canvas.draw()
        ax = fig.axes[0]
        assert ax.get_xlim() == (-0.5, 45.5)  # 46 quarters, the empty ones included
        assert _overlapping(_boxes(fig, ax.get_xticklabels())) == []
        notes = [t for t in ax.texts if t.get_gid() == "crossover"]
        assert _overlapping(_boxes(fig, notes)) == []
        n_notes = max(n_notes, len(notes))
        title = _boxes(fig, [ax.title])[0]
        assert title.x0 >= 0 and title.x1 <= fig.bbox.width and title.y1 <= fig.bbox.height  # not cut off
        assert ax.get_xlabel() and ax.get_ylabel()
    assert n_notes == 3  # one note per period, naming every framework passed there
