"""How every chart tells frameworks apart, and how it lays out time. Pure: no matplotlib here.

One fixed palette, shared by the static charts and report.html's interactive chart (the
page's payload carries it): no two frameworks share a colour, and each also has a hatch
(areas and bars), a marker and a dash pattern (lines), so a chart still reads in
greyscale or to a colour-blind reader. The first colours are Okabe and Ito's
colour-blind-safe set (https://jfly.uni-koeln.de/color/), given to the frameworks most
often on one chart together; PyTorch, Keras, Lua Torch and Caffe2 (four similar reds
before) and TensorFlow get colours far apart in hue and lightness, also as readers with
protanopia or deuteranopia see them (tests/analysis/charts/test_charts.py measures it). Rarer frameworks take Paul Tol's
muted and dark colours (https://personal.sron.nl/~pault/); the greys are for "other",
"none" and "unclassified".

Time is evenly spaced: :func:`full_periods` lists every period from the first to the
last, so a quarter or a year without papers is drawn as an empty slot, not skipped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Style(NamedTuple):
    """colour (#rrggbb), hatch (matplotlib's codes), marker (matplotlib's codes), dash (on/off lengths; () solid)."""

    colour: str
    hatch: str
    marker: str
    dash: tuple[float, ...]


FRAMEWORK_STYLE: dict[str, Style] = {
    # Okabe-Ito, for the frameworks most charts show together
    "pytorch": Style("#d55e00", "", "o", ()),  # vermillion
    "tensorflow": Style("#0072b2", "//", "s", (6, 2)),  # blue
    "keras": Style("#009e73", "\\\\", "D", (2, 2)),  # bluish green
    "jax": Style("#cc79a7", "..", "^", (6, 2, 2, 2)),  # reddish purple
    "mxnet": Style("#f0e442", "xx", "v", (4, 4)),  # yellow
    "caffe": Style("#332288", "oo", "p", (8, 3, 2, 3)),  # indigo (Tol): Okabe-Ito's yellow is too faint for a line
    "caffe2": Style("#88ccee", "||", "h", (1, 3)),  # cyan (Tol): far from keras's green even to deuteranopes
    "lua-torch": Style("#252525", "x.", "P", (6, 2, 1, 2, 1, 2)),  # near black
    # Paul Tol's muted and dark sets, for the rarer ones
    "theano": Style("#999933", "**", "*", (10, 3)),  # olive
    "chainer": Style("#882255", "/.", "X", (3, 1)),  # wine
    "cntk": Style("#e69f00", "\\.", "d", (8, 2, 2, 2, 2, 2)),  # orange (Okabe-Ito)
    "paddle": Style("#44aa99", "--", "<", (5, 2, 1, 2)),  # teal
    "mindspore": Style("#aa4499", "++", ">", (2, 4)),  # purple
    "dynet": Style("#ddcc77", "O.", "8", (12, 4)),  # sand
    "darknet": Style("#661100", "-\\", "H", (4, 1, 1, 1)),  # dark brown
    "matconvnet": Style("#56b4e9", "|.", "+", (1, 1)),  # sky blue (Okabe-Ito)
    "mlx": Style("#6699cc", "//.", "x", (7, 3, 1, 3)),  # pale blue
    "oneflow": Style("#117733", "xx.", "1", (3, 3, 9, 3)),  # green
    "jittor": Style("#cc6677", "||.", "2", (9, 2, 3, 2)),  # rose
    "megengine": Style("#ee99aa", "--.", "3", (2, 1, 2, 5)),  # pink
    "other": Style("#bbbbbb", "..o", "4", (1, 2, 4, 2)),
    "none": Style("#dddddd", "...", ".", (1, 4)),
    # Mid grey with a dark hatch: white-on-white hid these papers in the counts chart.
    "unclassified": Style("#8a8a8a", "*.", "_", (3, 6)),
}
# Hatch lines take the edge colour: dark on the pale colours, white on the saturated ones.
DARK_EDGE = {"none": "#666666", "unclassified": "#3a3a3a", "mxnet": "#555555", "dynet": "#555555",
             "other": "#555555", "megengine": "#555555", "caffe2": "#555555"}  # fmt: skip


def style_of(label: str) -> Style:
    """A framework's style; unknown labels look like ``other``."""
    return FRAMEWORK_STYLE.get(label, FRAMEWORK_STYLE["other"])


def edge_of(label: str) -> str:
    return DARK_EDGE.get(label, "#ffffff")


def page_styles(labels: Iterable[str]) -> dict[str, dict[str, object]]:
    """The styles report.html's script draws with: colour, hatch, marker, SVG dash array, hatch colour."""
    return {label: {"colour": s.colour, "hatch": s.hatch, "marker": s.marker, "edge": edge_of(label),
                    "dash": " ".join(f"{v:g}" for v in s.dash)}
            for label in labels for s in [style_of(label)]}  # fmt: skip


# --- time ---------------------------------------------------------------------

_YEAR, _QUARTER, _MONTH = re.compile(r"^\d{4}$"), re.compile(r"^(\d{4})Q([1-4])$"), re.compile(r"^(\d{4})-(\d{2})$")


def full_periods(periods: Iterable[str]) -> list[str]:
    """Every period from the first to the last, evenly spaced: gaps in the data become empty periods.

    Labels are years (``2019``), quarters (``2019Q3``) or months (``2019-07``); labels of
    any other form are returned sorted, as they are.
    """
    found = sorted({str(p) for p in periods})
    if not found:
        return []
    steps = [_to_step(p) for p in found]
    if any(s is None for s in steps) or len({s[0] for s in steps if s}) != 1:  # type: ignore[index]
        return found
    kind = steps[0][0]  # type: ignore[index]
    first, last = min(s[1] for s in steps if s), max(s[1] for s in steps if s)
    return [_from_step(kind, n) for n in range(first, last + 1)]


def _to_step(period: str) -> tuple[str, int] | None:
    if _YEAR.match(period):
        return "year", int(period)
    if m := _QUARTER.match(period):
        return "quarter", int(m[1]) * 4 + int(m[2]) - 1
    if m := _MONTH.match(period):
        return "month", int(m[1]) * 12 + int(m[2]) - 1
    return None


def _from_step(kind: str, n: int) -> str:
    if kind == "year":
        return str(n)
    if kind == "quarter":
        return f"{n // 4}Q{n % 4 + 1}"
    return f"{n // 12}-{n % 12 + 1:02d}"


def tick_positions(periods: Sequence[str], max_labels: int) -> list[int]:
    """Which periods get a label: at most ``max_labels``, evenly stepped, and for quarters and
    months starting on a year's first period where the step allows (labels land on Q1 / January)."""
    if not periods:
        return []
    step = max(1, math.ceil(len(periods) / max(max_labels, 1)))
    per_year = 4 if _QUARTER.match(periods[0]) else 12 if _MONTH.match(periods[0]) else 0
    if per_year and step > 1:
        step = next((s for s in (2, 3, 4, 6, 8, 12, 24, 36, 48) if s >= step and (s % per_year == 0
                     or per_year % s == 0)), step)  # fmt: skip
        start = next((i for i, p in enumerate(periods) if p.endswith(("Q1", "-01"))), 0) % step
        return list(range(start, len(periods), step))
    return list(range(0, len(periods), step))
