"""The report step: series and charts from the warehouse, written to a folder.

analysis/ computes and draws; this module is where figures and tables get saved:
PNG and SVG per chart (SVGs byte-stable: fixed hash salt, no date), each series as
CSV and Parquet, and one self-contained report.html (charts inlined, no network).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from flows.explore import coverage, implementations
from flows.store import Warehouse, write_parquet

AXES = ("venue-year", "paper-date", "repo-created")
FREQS = ("year", "quarter", "month")
SVG_SALT = "papertrends"
SERIES_FILES = ("shares", "shares_by_venue", "shares_all", "shares_pwc", "shares_official", "shares_repo",
                "shares_implementation", "crossovers", "crossovers_by_venue", "published", "agreement")  # fmt: skip


def write_report(wh: Warehouse, out_dir: str | Path, axis: str = "venue-year", freq: str = "year",
                 venues: Sequence[str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Write every series, chart and report.html; return what was written.

    Keys ``csv``/``png``/``svg`` are the headline series and chart, ``html`` the
    report, ``counts`` a list of (period, counted papers) for printing.
    """
    from analysis.shares import report_series

    if axis not in AXES or freq not in FREQS:
        raise ValueError(f"axis must be one of {AXES} and freq one of {FREQS}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    series = report_series(implementations(wh), axis=axis, freq=freq, venues=venues)
    suffix = f"{axis}_{freq}"
    written: dict[str, Any] = {"series": []}
    for name in SERIES_FILES:
        written["series"] += [str(p) for p in write_series(series[name], out / "series", f"{name}_{suffix}")]
    written["csv"] = out / "series" / f"shares_{suffix}.csv"
    written["parquet"] = out / "series" / f"shares_{suffix}.parquet"
    figures = draw_charts(series, axis, freq, venues)
    images = save_figures(figures, out / "charts", suffix)
    written["charts"] = [str(p) for pair in images.values() for p in pair.values()]
    if "share" in images:
        written["png"], written["svg"] = images["share"]["png"], images["share"]["svg"]
    written["html"] = write_html(out / "report.html", series, images, coverage(wh), axis, freq, venues)
    written["n_periods"] = int(series["shares"]["period"].nunique())
    written["counts"] = period_counts(series["shares"])
    return written


def write_series(frame: pd.DataFrame, folder: Path, stem: str) -> tuple[Path, Path]:
    """One series as CSV (for people) and Parquet (for programs)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = frame.reset_index() if frame.index.name or frame.columns.name else frame
    table.columns = [str(c) for c in table.columns]
    csv_path = folder / f"{stem}.csv"
    table.to_csv(csv_path, index=False, float_format="%.6g")
    return csv_path, write_parquet(table, folder / f"{stem}.parquet")


def draw_charts(series: dict[str, pd.DataFrame], axis: str, freq: str,
                venues: Sequence[str] | None) -> dict[str, Any]:  # fmt: skip
    """The report's Figures by name; none when there is nothing to draw."""
    from analysis.charts import count_bars_chart, share_lines_chart, stacked_share_chart, venue_small_multiples
    from analysis.shares import ShareSpec

    shares = series["shares"]
    if shares.empty:
        return {}
    spec = ShareSpec(axis=axis, freq=freq)
    what = spec.describe() + (f" ({', '.join(venues)})" if venues else "")
    return {
        "share": stacked_share_chart(shares, f"Framework share of {what}"),
        "lines": share_lines_chart(shares, f"Framework share with 95% intervals: {what}",
                                   crossovers=series["crossovers"]),
        "venues": venue_small_multiples(series["shares_by_venue"], f"Framework share by venue: {what}",
                                        crossovers=series["crossovers_by_venue"]),
        "counts": count_bars_chart(series["shares_all"], f"How many: {spec.with_(base='all').describe()}"),
    }  # fmt: skip


def save_figures(figures: dict[str, Any], folder: Path, suffix: str) -> dict[str, dict[str, Path]]:
    """PNG and SVG of each Figure. SVGs are byte-stable: fixed hash salt and no date metadata."""
    import matplotlib

    folder.mkdir(parents=True, exist_ok=True)
    saved: dict[str, dict[str, Path]] = {}
    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT}):
        for name, fig in figures.items():
            png, svg = folder / f"{name}_{suffix}.png", folder / f"{name}_{suffix}.svg"
            fig.savefig(png, dpi=110, format="png")
            fig.savefig(svg, format="svg", metadata={"Date": None})
            saved[name] = {"png": png, "svg": svg}
    return saved


def write_html(path: Path, series: dict[str, pd.DataFrame], images: dict[str, dict[str, Path]],
               counts: dict[str, int], axis: str, freq: str, venues: Sequence[str] | None) -> Path:  # fmt: skip
    from flows.report_html import render_report

    html = render_report(series, {k: v["png"].read_bytes() for k, v in images.items()}, counts, axis, freq, venues)
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(html, encoding="utf-8")
    staging.replace(path)
    return path


def period_counts(shares: pd.DataFrame) -> list[tuple[str, float]]:
    """(period, counted items) for printing beside the chart."""
    if not len(shares):
        return []
    totals = shares.groupby("period")["n_total"].first()
    return [(str(p), float(n)) for p, n in totals.items()]
