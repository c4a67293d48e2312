"""Run the refresh flow from a terminal: Prefect's noise off unless asked for."""

from __future__ import annotations

import logging
from typing import Any

from flows.settings import quiet_prefect_defaults


def run_refresh(*, verbose: bool = False, **params: Any) -> dict[str, Any]:
    """Call the refresh flow in this process and return its counts."""
    import os

    quiet_prefect_defaults()
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "true")
    from flows.refresh import refresh

    if not verbose:
        for name in ("prefect", "prefect.flow_runs", "prefect.task_runs", "httpx", "uvicorn"):
            logging.getLogger(name).setLevel(logging.WARNING)
    return refresh(**params)
