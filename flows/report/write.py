"""The report step: series and charts from the warehouse, written to a folder.

analysis/ computes and draws; this module is where figures and tables get saved:
PNG and SVG per chart (SVGs byte-stable: fixed hash salt, no date), each series as
CSV and Parquet, and one self-contained report.html (charts inlined, no network).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.shares.papers import format_count
from flows.report.budget_section import counted_population, drawn_years
from flows.report.index import selection_folder, write_index, write_manifest
from flows.stages.attribute import current_implementations as implementations
from flows.store.parquet import write_parquet
from flows.store.queries import coverage, sample_strata
from flows.store.warehouse import Warehouse

AXES = ("venue-year", "paper-date", "repo-created")
FREQS = ("year", "quarter", "month")
SVG_SALT = "papertrends"
# The interactive chart covers share and lines; these add per-venue, counts, the published comparison, later ports.
INLINE_CHARTS = ("venues", "counts", "published", "ports")
SERIES_FILES = ("shares", "shares_by_venue", "shares_all", "shares_pwc", "shares_official", "shares_repo",
                "shares_implementation", "crossovers", "crossovers_by_venue", "published", "agreement",
                "ports", "port_flow", "defects", "relabelled", "early_years")  # fmt: skip


def write_report(wh: Warehouse, out_dir: str | Path, axis: str = "venue-year", freq: str = "year",
                 venues: Sequence[str] | None = None, include_ports: bool = False) -> dict[str, Any]:  # fmt: skip
    """Write every series, chart and report.html of one selection; return what was written.

    ``out_dir`` is the reports folder: the default selection writes into it, any other
    into its own sub-folder (:func:`flows.report.index.selection_folder`), and
    ``index.html`` there lists them all. Keys ``csv``/``png``/``svg`` are the headline
    series and chart, ``html`` the report, ``counts`` (period, counted papers) for
    printing, ``empty_reason`` one line when there is nothing to chart, ``n_defects`` the
    plausibility check's count. By default only each paper's own code counts;
    ``include_ports`` counts every linked implementation (a selection of its own).
    """
    from analysis.shares.implementations import prepare_implementations

    check_selection(axis, freq)
    root = Path(out_dir)
    folder = selection_folder(venues, axis, freq)
    if include_ports:  # another selection: never overwrites the default (own code) report
        folder = (folder or f"all_{axis}_{freq}") + "_with-ports"
    out = root / folder
    out.mkdir(parents=True, exist_ok=True)
    frame, strata, population = counted_population(wh, implementations(wh), sample_strata(wh))
    data = prepare_implementations(frame)
    series, papers, payload, empty_reason = compute_report(data, axis, freq, venues, strata, include_ports)
    if population:  # beside every number: a sample of the archive (n of N papers) or its census
        series = {**series, "shares": series["shares"].assign(population=population),
                  "shares_by_venue": series["shares_by_venue"].assign(population=population)}
    suffix = f"{axis}_{freq}"
    written: dict[str, Any] = {"series": [], "folder": out, "empty_reason": empty_reason}
    for name in SERIES_FILES:
        written["series"] += [str(p) for p in write_series(series[name], out / "series", f"{name}_{suffix}")]
    written["series"] += [str(p) for p in write_series(papers, out / "series", "papers")]
    written["csv"] = out / "series" / f"shares_{suffix}.csv"
    written["parquet"] = out / "series" / f"shares_{suffix}.parquet"
    written["papers"] = out / "series" / "papers.csv"
    panels = payload["venues"] or list(venues or [])[:1]  # a one-venue report draws that venue's panel
    images = charts_unchanged(out / "charts", suffix, series, panels, include_ports)
    if images is None:  # drawing and saving is most of a report's time: only when what they show changed
        figures = draw_charts(series, axis, freq, venues, panels, include_ports)
        images = save_figures(figures, out / "charts", suffix)
        record_charts(out / "charts", suffix, series, panels, include_ports, images)
    written["charts"] = [str(p) for pair in images.values() for p in pair.values()]
    if "share" in images:
        written["png"], written["svg"] = images["share"]["png"], images["share"]["svg"]
    selection = {"axis": axis, "freq": freq, "venues": list(venues or []), "include_ports": include_ports,
                 "index": "index.html" if out == root else "../index.html",
                 "title": _title(venues, axis, freq, include_ports),
                 "weighted": axis == "venue-year" and strata is not None and not strata.empty,
                 "population": population,
                 "years": drawn_years(wh, series["shares"]) if population and axis == "venue-year" else None}
    written["html"] = write_html(out / "report.html", series, images, coverage(wh, venues), selection, payload,
                                 empty_reason)  # fmt: skip
    written["n_periods"] = int(series["shares"]["period"].nunique())
    written["counts"] = period_counts(series["shares"])
    written["n_defects"] = len(series["defects"])
    write_manifest(out, {**selection, "n_periods": written["n_periods"],
                         "n_papers": format_count(float(papers["weight"].sum())) if len(papers) else "0",
                         "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M")})  # fmt: skip
    written["index"] = write_index(root)
    return written


def compute_report(data: Any, axis: str, freq: str, venues: Sequence[str] | None,
                   strata: pd.DataFrame | None = None,
                   include_ports: bool = False) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict, str]:
    """The series (crossovers marked notable or not), the per-paper table, the page's payload, why it is empty.

    ``strata``: the bundled sample's, to weight the all-venue shares like the population.
    """
    from analysis.charts.page_data import explorer_payload
    from analysis.shares.early import early_years_sources
    from analysis.shares.papers import counted_papers, explain_empty, mark_notable_crossovers
    from analysis.shares.ports import attribution_series
    from analysis.shares.series import ShareSpec, report_series

    series = report_series(data, axis=axis, freq=freq, venues=venues, strata=strata, include_ports=include_ports)
    series.update(attribution_series(data, axis, freq, venues, include_ports))
    series["crossovers"] = mark_notable_crossovers(series["crossovers"], series["shares"])
    series["crossovers_by_venue"] = mark_notable_crossovers(series["crossovers_by_venue"], series["shares_by_venue"],
                                                            keys=("venue",))  # fmt: skip
    spec = ShareSpec(axis=axis, freq=freq, include_ports=include_ports)
    papers = counted_papers(data, spec, venues)
    # the early years' n and lists are by conference year whatever the axis: the papers of the venue-year series
    by_year = papers if axis == "venue-year" else counted_papers(data, spec.with_(axis="venue-year", freq="year"),
                                                                    venues)  # fmt: skip
    series["early_years"] = early_years_sources(data.frame, by_year, venues)
    payload = explorer_payload(data, axis, freq, venues, strata=strata, include_ports=include_ports)
    empty_reason = explain_empty(data, spec, venues) if series["shares"].empty else ""
    return series, papers, payload, empty_reason


def check_selection(axis: str, freq: str) -> None:
    """A ValueError (one line) for an axis or an axis/frequency pair that means nothing.

    The venue-year axis is the conference's year (a venue has one edition a year), so
    only ``year`` goes with it: a quarter of it would silently be the yearly report again.
    """
    if axis not in AXES or freq not in FREQS:
        raise ValueError(f"axis must be one of {', '.join(AXES)} and freq one of {', '.join(FREQS)}")
    if axis == "venue-year" and freq != "year":
        raise ValueError(f"--freq {freq} means nothing on the venue-year axis (one edition a year); use --axis "
                         f"paper-date or repo-created for {freq}s")  # fmt: skip


def axis_label(axis: str, freq: str) -> str:
    """What the x axis of a chart is, in words."""
    return {"venue-year": "conference year", "paper-date": f"paper date, by {freq}",
            "repo-created": f"repository creation date, by {freq}"}[axis]  # fmt: skip


def _title(venues: Sequence[str] | None, axis: str, freq: str, include_ports: bool = False) -> str:
    """A report's name in the index and on its page: venues, axis and frequency, and what counts."""
    where = " + ".join(venues) if venues else "All venues"
    counted = "every implementation (ports included)" if include_ports else "each paper's own code"
    return f"{where}, by {axis_label(axis, freq)}: {counted}"


def write_series(frame: pd.DataFrame, folder: Path, stem: str) -> tuple[Path, Path]:
    """One series as CSV (for people) and Parquet (for programs)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = frame.reset_index() if frame.index.name or frame.columns.name else frame
    table.columns = [str(c) for c in table.columns]
    csv_path = folder / f"{stem}.csv"
    table.to_csv(csv_path, index=False, float_format="%.6g")
    return csv_path, write_parquet(table, folder / f"{stem}.parquet")


def draw_charts(series: dict[str, pd.DataFrame], axis: str, freq: str, venues: Sequence[str] | None,
                panels: Sequence[str], include_ports: bool = False) -> dict[str, Any]:  # fmt: skip
    """The report's Figures by name; none when there is nothing to draw. ``panels``: venues drawn on their own."""
    from analysis.charts.figures import count_bars_chart, share_lines_chart, stacked_share_chart, venue_small_multiples
    from analysis.charts.ports import ports_chart
    from analysis.charts.published import published_comparison_chart
    from analysis.shares.series import ShareSpec

    shares = series["shares"]
    if shares.empty:
        return {}
    spec = ShareSpec(axis=axis, freq=freq, include_ports=include_ports)
    what = spec.describe() + (f" ({', '.join(venues)})" if venues else "")
    x = axis_label(axis, freq)
    ports = {"ports": ports_chart(series["ports"], "Later ports per paper period, by the port's framework",
                                  f"the paper's period ({x})")} \
        if len(series.get("ports", ())) else {}  # fmt: skip
    return ports | {
        "share": stacked_share_chart(shares, f"Framework share of {what}", x),
        "lines": share_lines_chart(shares, f"Framework share with 95% intervals: {what}",
                                   crossovers=_notable(series["crossovers"]), xlabel=x),
        **({"venues": venue_small_multiples(series["shares_by_venue"], f"Framework share by venue: {what}",
                                            crossovers=_notable(series["crossovers_by_venue"]), venues=panels,
                                            xlabel=x)} if panels else {}),
        "counts": count_bars_chart(series["shares_all"], f"How many: {spec.with_(base='all').describe()}", x),
    } | ({"published": published_comparison_chart(series["published"], "PyTorch share of PyTorch + TensorFlow: "
                                                  "our code-based numbers and Horace He's paper-text numbers")}
         if len(series["published"]) else {})  # fmt: skip


def _notable(crossovers: pd.DataFrame) -> pd.DataFrame:
    return crossovers[crossovers["is_notable"].astype(bool)] if len(crossovers) else crossovers


CHART_SERIES = ("shares", "crossovers", "shares_by_venue", "crossovers_by_venue", "shares_all", "published", "ports")
"""The series the charts are drawn from: with the same values (and the same drawing code) they are the same."""


def charts_fingerprint(suffix: str, series: dict[str, pd.DataFrame], panels: Sequence[str],
                       include_ports: bool) -> str:  # fmt: skip
    """A digest of everything a report's charts show and of the code that draws them."""
    import hashlib

    from analysis import charts

    digest = hashlib.sha256(f"{suffix}|{list(panels)}|{include_ports}".encode())
    for name in CHART_SERIES:
        if name in series:
            digest.update(name.encode() + series[name].to_csv(index=False).encode())
    for source in sorted(Path(charts.__file__).parent.glob("*.py")) + [Path(__file__)]:
        digest.update(source.read_bytes())
    return digest.hexdigest()


def charts_unchanged(folder: Path, suffix: str, series: dict[str, pd.DataFrame], panels: Sequence[str],
                     include_ports: bool) -> dict[str, dict[str, Path]] | None:  # fmt: skip
    """The charts already in ``folder`` when they show exactly what would be drawn now, else None."""
    import json

    try:
        recorded = json.loads((folder / f".charts_{suffix}.json").read_text())
    except (OSError, ValueError):
        return None
    if recorded.get("fingerprint") != charts_fingerprint(suffix, series, panels, include_ports):
        return None
    images = {name: {kind: folder / file for kind, file in files.items()} for name, files in recorded["images"].items()}
    return images if all(p.exists() for pair in images.values() for p in pair.values()) else None


def record_charts(folder: Path, suffix: str, series: dict[str, pd.DataFrame], panels: Sequence[str],
                  include_ports: bool, images: dict[str, dict[str, Path]]) -> None:  # fmt: skip
    import json

    folder.mkdir(parents=True, exist_ok=True)
    record = {"fingerprint": charts_fingerprint(suffix, series, panels, include_ports),
              "images": {name: {kind: path.name for kind, path in pair.items()} for name, pair in images.items()}}
    (folder / f".charts_{suffix}.json").write_text(json.dumps(record, sort_keys=True))


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
               counts: dict[str, int], selection: dict[str, Any], payload: dict[str, Any],
               empty_reason: str) -> Path:  # fmt: skip
    """report.html, swapped in whole; the venue panels and counts are inlined, the other charts linked."""
    from flows.report.page import render_report

    inline = {k: images[k]["png"].read_bytes() for k in INLINE_CHARTS if k in images}
    files = [p.name for k in images if k not in INLINE_CHARTS for p in images[k].values()]
    html = render_report(series, inline, counts, selection, payload, empty_reason, files)
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
