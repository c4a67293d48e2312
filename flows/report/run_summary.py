"""What a refresh did, as text: the Prefect markdown artifact and the terminal table.

Both read the same two things, the warehouse status after the run and the run's
stage counts, so the UI and the terminal never disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows.store.status import repo_states


def coverage_rows(status: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, how many) for the coverage table: from papers down to decisions."""
    return [
        ("papers", f"{status['papers']:,}"),
        ("conference papers", f"{status['conference_papers']:,}"),
        ("links", f"{status['links']:,}"),
        ("repositories", f"{status['repos']:,}"),
        ("crawled", f"{status['crawled']:,}"),
        ("not crawled", repo_states(status, crawled=False) or "0"),
        ("classified", f"{status['classified']:,} (classifier {status['classifier_version']})"),
    ]


def stage_rows(counts: dict[str, Any]) -> list[tuple[str, str]]:
    """(stage, what it did) with the noisy parts (file lists, chart paths) left out."""
    rows = []
    for stage, result in counts.items():
        if stage == "report":
            rows.append((stage, f"{result.get('n_periods', 0)} periods, chart {result.get('png', '(none)')}, "
                                f"page {result.get('html', '(none)')}"))
            if result.get("counts"):  # the denominators belong next to the chart
                per_period = ", ".join(f"{p} n={n:g}" for p, n in result["counts"])
                rows.append(("classified per period", per_period))
        elif stage == "export":
            rows.append((stage, f"{len(result)} tables -> {_common_parent(result)}"))
        elif isinstance(result, dict):
            rows.append((stage, _flat(result)))
        else:
            rows.append((stage, str(result)))
    return rows


def latest_shares(counts: dict[str, Any]) -> tuple[str, list[tuple[str, float, float]]] | None:
    """(period, [(framework, share, n)]) of the latest period in the report's CSV, largest first.

    Frameworks not met that period (rows with n 0, kept in the CSV for their upper bound) are left out.
    """
    csv_path = counts.get("report", {}).get("csv")
    if not csv_path or not Path(csv_path).exists():
        return None
    import pandas as pd

    shares = pd.read_csv(csv_path, dtype={"period": str})
    if shares.empty:
        return None
    period = sorted(shares["period"].dropna().unique())[-1]
    latest = shares[(shares["period"] == period) & (shares["n_items"] > 0)].sort_values("share", ascending=False)
    return period, [(str(r.framework), float(r.share), float(r.n_items)) for r in latest.itertuples()]


def summary_markdown(status: dict[str, Any], counts: dict[str, Any]) -> str:
    """The run's markdown artifact: coverage, the latest period's shares, each stage's counts."""
    lines = ["## Coverage", "", "| | |", "|---|---:|"]
    lines += [f"| {what} | {n} |" for what, n in coverage_rows(status)]
    latest = latest_shares(counts)
    if latest:
        period, shares = latest
        lines += ["", f"## Shares, {period}", "", "| framework | share | n |", "|---|---:|---:|"]
        lines += [f"| {fw} | {share:.1%} | {n:g} |" for fw, share, n in shares]
    lines += ["", "## Stages", "", "| stage | result |", "|---|---|"]
    lines += [f"| {stage} | {text} |" for stage, text in stage_rows(counts)]
    return "\n".join(lines) + "\n"


def _flat(result: dict[str, Any]) -> str:
    parts = []
    for key, value in result.items():
        parts.append(f"{key} {_flat(value)}" if isinstance(value, dict) else f"{key} {value}")
    return ", ".join(parts) or "nothing to do"


def _common_parent(paths: list[str]) -> str:
    if not paths:
        return "(none)"
    return paths[0].rsplit("/", 1)[0]


def publish_artifacts(status: dict[str, Any], counts: dict[str, Any]) -> None:
    """A markdown summary (coverage, latest shares, stage counts) and a table of the latest shares.

    Both carry their content: a link to a local file would be dead in any remote UI.
    """
    from prefect.artifacts import create_markdown_artifact, create_table_artifact  # the terminal's summary needs none

    create_markdown_artifact(key="refresh-summary", markdown=summary_markdown(status, counts),
                             description="papertrends refresh: coverage and latest shares")  # fmt: skip
    latest = latest_shares(counts)
    if latest:
        period, shares = latest
        rows = [{"period": period, "framework": fw, "share": round(share, 4), "n_papers": n} for fw, share, n in shares]
        create_table_artifact(key="refresh-shares", table=rows,
                              description=f"framework shares of the latest period ({period})")  # fmt: skip
