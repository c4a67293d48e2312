"""Named reads of the ``runs`` table (writes are the warehouse's ``start_run``/``finish_run``)."""

from __future__ import annotations

from typing import Any

from flows.store.warehouse import Warehouse


def run_row(wh: Warehouse, run_id: str) -> dict[str, Any] | None:
    """One run's ``status`` and ``counts`` (JSON text), or None when it left no row."""
    rows = wh.query("SELECT status, counts FROM runs WHERE run_id = ?", [run_id])
    return rows[0] if rows else None


def completed_runs(wh: Warehouse, flow: str) -> list[dict[str, Any]]:
    """``started_at`` and ``parameters`` (JSON text) of a flow's completed runs, newest first."""
    return wh.query("SELECT started_at, parameters FROM runs WHERE flow = ? AND status = 'completed' "
                    "ORDER BY started_at DESC", [flow])  # fmt: skip
