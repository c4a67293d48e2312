"""The refresh flow: ingest -> crawl -> classify -> store -> report.

Each stage is a Prefect task wrapping a plain function that takes the warehouse
path, so the same work runs from the CLI, a schedule or a notebook, and tests call
the functions directly. Stages open the warehouse, do their work, commit and close:
DuckDB allows a single writer, and a crash loses at most the stage in flight.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flows.settings import Settings, quiet_prefect_defaults

quiet_prefect_defaults()

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.runtime import flow_run  # noqa: E402

from flows.classify import classify_stored  # noqa: E402
from flows.report import write_report  # noqa: E402
from flows.sources.sample import load_sample  # noqa: E402
from flows.store import Warehouse  # noqa: E402


@task(name="load_sample")
def load_sample_task(db_path: str, sample_dir: str) -> dict[str, int]:
    with Warehouse(db_path) as wh:
        return load_sample(wh, Path(sample_dir))


@task(name="classify_stored")
def classify_task(db_path: str, force: bool = False) -> dict[str, int]:
    with Warehouse(db_path) as wh:
        return classify_stored(wh, force=force)


@task(name="export_parquet")
def export_task(db_path: str, parquet_dir: str) -> list[str]:
    with Warehouse(db_path) as wh:
        return sorted(str(p) for p in wh.export_parquet(parquet_dir).values())


@task(name="write_report")
def report_task(db_path: str, out_dir: str, axis: str, freq: str) -> dict[str, Any]:
    with Warehouse(db_path) as wh:
        written = write_report(wh, out_dir, axis=axis, freq=freq)
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in written.items()}


@flow(name="refresh")
def refresh(
    sample: bool = False,
    db: str | None = None,
    reports_dir: str | None = None,
    parquet_dir: str | None = None,
    reclassify: bool = False,
    axis: str = "venue-year",
    freq: str = "year",
) -> dict[str, Any]:
    """Bring the warehouse up to date and redraw the report.

    ``sample=True`` reads the bundled sample (no network). Parameters hold paths and
    switches only: the GitHub token is read from the environment inside the tasks.
    """
    settings = Settings.from_env()
    db_path = db or str(settings.db_path)
    logger = get_run_logger()
    run_id = str(flow_run.get_id() or uuid.uuid4())
    with Warehouse(db_path) as wh:
        wh.start_run(run_id, "refresh", {"sample": sample, "reclassify": reclassify, "axis": axis, "freq": freq})
    counts: dict[str, Any] = {}
    try:
        if sample:
            counts["sample"] = load_sample_task(db_path, str(settings.sample_dir))
            logger.info("sample loaded: %s", counts["sample"])
        counts["classify"] = classify_task(db_path, force=reclassify)
        logger.info("classified: %s", counts["classify"])
        counts["export"] = len(export_task(db_path, parquet_dir or str(settings.parquet_dir)))
        counts["report"] = report_task(db_path, reports_dir or str(settings.reports_dir), axis, freq)
    except BaseException as exc:
        with Warehouse(db_path) as wh:
            wh.finish_run(run_id, "failed", counts, error=f"{type(exc).__name__}: {exc}")
        raise
    with Warehouse(db_path) as wh:
        wh.finish_run(run_id, "completed", counts)
    create_markdown_artifact(key="refresh-summary", markdown=_summary_markdown(counts), description="papertrends refresh")
    return counts


def _summary_markdown(counts: dict[str, Any]) -> str:
    lines = ["| stage | result |", "|---|---|"]
    lines += [f"| {stage} | {result} |" for stage, result in counts.items() if stage != "report"]
    report = counts.get("report", {})
    lines += [f"| period {p} | n={n:g} |" for p, n in report.get("counts", [])]
    return "\n".join(lines)
