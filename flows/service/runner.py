"""Run the refresh flow from a terminal: progress bars, a summary table, an exit code.

Prefect's own console output (run names, state changes, its temporary server) is
turned off unless ``verbose``; the same lines still reach the Prefect API, so the
UI shows them. Environment switches are set before ``import prefect`` because
Prefect reads its logging configuration once, at import.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.settings import quiet_prefect_defaults


@dataclass
class RefreshOutcome:
    """What the terminal needs from a run: its counts, and why it failed if it did."""

    run_id: str | None
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    is_partial: bool = False

    @property
    def is_ok(self) -> bool:
        return self.error is None


def quiet_prefect(verbose: bool) -> None:
    """Keep Prefect's and Dask's console chatter off the terminal unless asked for."""
    quiet_prefect_defaults()
    if verbose:
        return
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_INTERNAL_LEVEL", "ERROR")
    for name in ("distributed", "distributed.worker", "distributed.scheduler", "distributed.nanny"):
        logging.getLogger(name).setLevel(logging.ERROR)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")


def run_refresh(*, runner: str = "default", address: str | None = None, verbose: bool = False,
                **params: Any) -> RefreshOutcome:  # fmt: skip
    """Call the refresh flow in this process on the chosen task runner; never raises for a failed run.

    SIGINT and SIGTERM raise ``KeyboardInterrupt`` out of here once the run is recorded
    ``interrupted`` (see :mod:`flows.service.signals`).

    Parameter errors (a bad date, an unknown axis) raise ``ValueError`` so the CLI
    can call them usage errors; a failed or partial run comes back as an outcome
    with its counts, read from the warehouse's ``runs`` row.
    """
    quiet_prefect(verbose)
    use_a_kept_server()
    from flows.service.signals import stop_on_signals
    from flows.stopping import STOP

    with stop_on_signals():
        from flows.refresh import refresh
        from flows.service.task_runners import make_task_runner

        flow = refresh.with_options(task_runner=make_task_runner(runner, address))  # type: ignore[arg-type]
        state = flow(**params, return_state=True)
        if STOP.is_set():  # Prefect may hand an interrupted run back as a crashed state instead of raising
            raise KeyboardInterrupt
    run_id = str(state.state_details.flow_run_id) if state.state_details.flow_run_id else None
    if state.is_completed():
        return RefreshOutcome(run_id, state.result())
    error = _failure_message(state)
    counts, status = _stored_counts(params.get("db"), run_id)
    return RefreshOutcome(run_id, counts, error, is_partial=status == "partial")


def use_a_kept_server() -> None:
    """With no Prefect API configured, point Prefect at the shared local server (started if need be)
    instead of letting it start a temporary one for this run (:mod:`flows.service.local_server`)."""
    if os.environ.get("PREFECT_API_URL"):
        return
    from flows.service.local_server import use_shared_server

    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    url = use_shared_server(home)
    if url:
        os.environ["PREFECT_API_URL"] = url


def _failure_message(state: Any) -> str:
    """One line for the terminal: the exception the flow raised, else the state's message.

    Invalid parameters surface here too (Prefect validates them into a failed state
    rather than raising at the call): those are re-raised as ``ValueError``.
    """
    from prefect.exceptions import ParameterTypeError

    try:
        state.result()
    except ParameterTypeError as exc:
        raise ValueError(" ".join(str(exc).split())) from None
    except BaseException as exc:  # noqa: BLE001 - reported in one line, not swallowed
        return " ".join(f"{type(exc).__name__}: {exc}".split())
    return state.message or state.name


def _stored_counts(db: str | None, run_id: str | None) -> tuple[dict[str, Any], str | None]:
    """The counts a failed run managed to record before it stopped."""
    import json

    from flows.settings import Settings
    from flows.store.runs import run_row
    from flows.store.warehouse import Warehouse, WarehouseBusy

    path = db or str(Settings.from_env().db_path)
    if not run_id or not os.path.exists(path):
        return {}, None
    try:
        with Warehouse(path, read_only=True) as wh:
            row = run_row(wh, run_id)
    except WarehouseBusy:  # another process has it by now; the error line still says what went wrong
        return {}, None
    if row is None:
        return {}, None
    return json.loads(row["counts"] or "{}"), row["status"]


def print_summary(outcome: RefreshOutcome, db: str) -> None:
    """The final table: what each stage did and what the warehouse now covers."""
    from rich.console import Console
    from rich.table import Table

    from flows.report.run_summary import coverage_rows, latest_shares, stage_rows

    table = Table(title="papertrends refresh", show_header=True, header_style="bold")
    table.add_column("stage / coverage")
    table.add_column("result", overflow="fold")
    for stage, text in stage_rows(outcome.counts):
        table.add_row(stage, text)
    status = _status_if_free(db)
    if status:
        table.add_section()
        for what, n in coverage_rows(status):
            table.add_row(what, n)
    latest = latest_shares(outcome.counts)
    if latest:
        period, shares = latest
        table.add_section()
        table.add_row(f"shares {period}", ", ".join(f"{fw} {s:.0%}" for fw, s, _ in shares[:6]))
    Console(soft_wrap=False).print(table)


def _status_if_free(db: str) -> dict[str, Any] | None:
    """The warehouse's coverage for the summary; none when another process took the file meanwhile."""
    from flows.store.status import warehouse_status
    from flows.store.warehouse import Warehouse, WarehouseBusy

    if not os.path.exists(db):
        return None
    try:
        with Warehouse(db, read_only=True) as wh:
            return warehouse_status(wh)
    except WarehouseBusy:  # the next refresh already started: its summary will show it
        return None
