"""What the warehouse holds: coverage, decisions by framework and venue, last runs.

Repository states are the README's words ("Which repositories a crawl visits"), each
counted on its own, in the text and the JSON alike: ``crawled`` is ``ok``; ``pending``
(not visited yet), ``failed`` (network or server trouble, retried), and the gone ones
``missing``, ``blocked``, ``disabled``, ``empty`` (and ``renamed`` under an old name).
"""

from __future__ import annotations

import json
from typing import Any

from analysis.classifier.frameworks import CLASSIFIER_VERSION
from flows.store.budget import draw_summary, stored_years
from flows.store.warehouse import Warehouse

REPO_STATES = ("pending", "failed", "missing", "blocked", "disabled", "empty", "renamed")
"""Every repository state besides ``ok`` (crawled), in the order the status text lists them."""


def _pairs(wh: Warehouse, sql: str, params: list[Any] | None = None) -> dict[str, int]:
    return {str(k): int(v) for k, v in wh.con.execute(sql, params or []).fetchall()}


def warehouse_status(wh: Warehouse) -> dict[str, Any]:
    """Counts for ``papertrends status``.

    Keys papers/links/repos/classified/by_framework/by_attribution/last_runs are a contract.
    """
    repos_by_status = _pairs(wh, "SELECT status, count(*) FROM repos GROUP BY 1 ORDER BY 1")
    return {
        "papers": wh.count("papers"),
        "conference_papers": wh.scalar("SELECT count(*) FROM papers WHERE venue IS NOT NULL"),
        "links": wh.count("links"),
        "links_skipped": _pairs(
            wh, "SELECT skip_reason, count(*) FROM links WHERE skip_reason IS NOT NULL GROUP BY 1 ORDER BY 1"
        ),
        "repos": wh.count("repos"),
        "repos_by_status": repos_by_status,
        "crawled": repos_by_status.get("ok", 0),
        # each state on its own: `failed` is the repositories whose status is failed, as in repos_by_status
        **{state: repos_by_status.get(state, 0) for state in REPO_STATES},
        "classified": wh.scalar(
            "SELECT count(*) FROM classifications WHERE classifier_version = ?", [CLASSIFIER_VERSION]
        ),
        "classifier_version": CLASSIFIER_VERSION,
        "by_framework": _pairs(
            wh,
            "SELECT framework, count(*) FROM classifications WHERE classifier_version = ? "
            "GROUP BY 1 ORDER BY 2 DESC, 1",
            [CLASSIFIER_VERSION],
        ),
        "by_attribution": _pairs(
            wh, "SELECT coalesce(attribution, 'not attributed'), count(*) FROM links GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        "conference_papers_by_venue": _pairs(
            wh, "SELECT venue, count(*) FROM papers WHERE venue IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        "workshop_papers": wh.scalar("SELECT count(*) FROM papers WHERE venue IS NOT NULL AND is_workshop"),
        "papers_by_source": _pairs(wh, "SELECT source, count(*) FROM papers GROUP BY 1 ORDER BY 1"),
        "unknown_proceedings": _pairs(
            wh,
            "SELECT proceeding, count(*) FROM papers WHERE venue IS NULL AND proceeding IS NOT NULL "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
        ),
        "budget": budget_status(wh),
        "last_runs": [
            {**r, "counts": json.loads(r["counts"]) if r["counts"] else None}
            for r in wh.query(
                "SELECT run_id, flow, status, started_at::VARCHAR AS started_at, finished_at::VARCHAR AS finished_at, "
                "counts, error FROM runs ORDER BY started_at DESC LIMIT 5"
            )
        ],
    }


def budget_status(wh: Warehouse) -> dict[str, Any] | None:
    """The drawn sample of the archive (``refresh --budget``): what it is and, per year as of the last refresh,
    papers in the archive, drawn, crawled, classified and the PyTorch share's interval; None without a draw."""
    summary = draw_summary(wh)
    if summary is None:
        return None
    kind = "census" if summary["is_census"] else "sample"
    years = [{**row, "interval_width": None if row["share_low"] is None else row["share_high"] - row["share_low"]}
             for row in stored_years(wh)]  # fmt: skip
    return {"kind": kind, "label": _population_label(summary), **summary, "by_year": years}


def _population_label(summary: dict[str, Any]) -> str:
    if summary["is_census"]:
        return f"census of the archive: all {summary['n_population']:,} papers"
    return f"sample of the archive: {summary['n_drawn']:,} of {summary['n_population']:,} papers"


def format_status(status: dict[str, Any]) -> str:
    """A short human-readable summary of :func:`warehouse_status`."""
    lines = [
        f"papers            {status['papers']:>9,}  (conference papers {status['conference_papers']:,})",
        f"links             {status['links']:>9,}  (not crawlable: {sum(status['links_skipped'].values()):,})",
        f"repos             {status['repos']:>9,}  " + repo_states(status),
        f"classified        {status['classified']:>9,}  (classifier {status['classifier_version']})",
    ]
    if status["by_framework"]:
        lines.append("by framework      " + ", ".join(f"{k} {v}" for k, v in status["by_framework"].items()))
    if status["by_attribution"]:
        lines.append("by attribution    " + ", ".join(f"{k} {v}" for k, v in status["by_attribution"].items()))
    if status["conference_papers_by_venue"]:
        lines.append(
            "by venue          " + ", ".join(f"{k} {v}" for k, v in status["conference_papers_by_venue"].items())
        )
    if status["links_skipped"]:
        lines.append("links skipped     " + ", ".join(f"{k} {v}" for k, v in status["links_skipped"].items()))
    if status["unknown_proceedings"]:
        lines.append("unknown venues    " + ", ".join(f"{k!r} {v}" for k, v in status["unknown_proceedings"].items()))
    lines += _budget_lines(status.get("budget"))
    for run in status["last_runs"]:
        lines.append(
            f"run {run['started_at'][:19]}  {run['flow']:<8} {run['status']}"
            + (f"  {run['error']}" if run["error"] else "")
        )
    return "\n".join(lines)


def repo_states(status: dict[str, Any], crawled: bool = True) -> str:
    """``crawled 1,234, pending 207, failed 9, missing 50``: every state that has repositories, each on its own."""
    parts = [f"crawled {status['crawled']:,}"] if crawled else []
    parts += [f"{state} {status[state]:,}" for state in REPO_STATES if status.get(state)]
    other = {k: v for k, v in status.get("repos_by_status", {}).items() if k not in {"ok", *REPO_STATES}}
    parts += [f"{state} {n:,}" for state, n in other.items()]
    return ", ".join(parts)


def _budget_lines(budget: dict[str, Any] | None) -> list[str]:
    """Per year: drawn / crawled / classified of the archive's papers and the PyTorch estimate, saying which it is."""
    if not budget:
        return []
    lines = [f"drawn             {budget['label']} (seed {budget['seed']}, {budget['rounds']} round(s))"]
    for row in budget["by_year"]:
        share = "" if row["share_pytorch"] is None else (
            f"  pytorch {row['share_pytorch']:.1%} [{row['share_low']:.1%}, {row['share_high']:.1%}] "
            f"width {row['interval_width']:.3f} ({budget['kind']})")  # fmt: skip
        lines.append(f"  {row['year']}  drawn {row['n_drawn']:,} of {row['n_population']:,}, crawled "
                     f"{row['n_crawled']:,}, classified {row['n_classified']:,}{share}")  # fmt: skip
    return lines
