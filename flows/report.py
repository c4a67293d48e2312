"""The report step: series and charts from the warehouse, written to a folder.

analysis/ computes and draws; this module is where figures and tables get saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.frameworks import CLASSIFIER_VERSION
from flows.store import Warehouse

AXES = ("venue-year", "paper-date", "repo-created")
FREQS = ("year", "quarter", "month")


def write_report(wh: Warehouse, out_dir: str | Path, axis: str = "venue-year", freq: str = "year") -> dict[str, Any]:
    """Write the share series (CSV) and the share-over-time chart (PNG, SVG); return what was written."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "papertrends"  # byte-stable SVGs
    from analysis.charts import stacked_share_chart
    from analysis.shares import framework_shares

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    implementations = wh.implementations(CLASSIFIER_VERSION)
    shares = framework_shares(implementations, axis=axis, freq=freq)
    csv_path = out / f"shares_{axis}_{freq}.csv"
    shares.to_csv(csv_path, index=False, float_format="%.6g")
    written: dict[str, Any] = {"csv": csv_path, "n_periods": int(shares["period"].nunique()) if len(shares) else 0}
    if len(shares):
        fig = stacked_share_chart(shares, f"Framework share of conference-paper code, by {axis.replace('-', ' ')}")
        for ext in ("png", "svg"):
            path = out / f"share_{axis}_{freq}.{ext}"
            fig.savefig(path, dpi=120, metadata={"Date": None} if ext == "svg" else None)
            written[ext] = path
    written["counts"] = period_counts(shares)
    return written


def period_counts(shares: Any) -> list[tuple[str, float]]:
    """(period, classified implementations) for printing beside the chart."""
    if not len(shares):
        return []
    totals = shares.groupby("period")["n_total"].first()
    return [(str(p), float(n)) for p, n in totals.items()]
