"""``papertrends serve``: the refresh flow as a scheduled Prefect deployment in this process.

Prefect's ``flow.serve`` registers a deployment with a cron schedule and polls for
its runs. It stops gracefully on SIGTERM (cancels runs in flight, pauses the
schedule) but, measured here, not on Ctrl-C: the KeyboardInterrupt lands inside its
event loop and the process lingered past 10 s. So SIGINT is converted to the
SIGTERM path once Prefect has installed its handler.
"""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Any

DEPLOYMENT_NAME = "papertrends-daily"
DEFAULT_CRON = "0 3 * * *"


def validate_cron(expression: str) -> str:
    """The expression if it is a valid 5-field cron (Prefect's own parser decides), else ``ValueError``."""
    problem = f"not a cron expression (5 fields, e.g. '0 3 * * *'): {expression!r}"
    if len(expression.split()) != 5:
        raise ValueError(problem)
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    try:
        CronSchedule(cron=expression)
    except ValidationError:
        raise ValueError(problem) from None
    return expression


def sigint_as_sigterm(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C -> Prefect's graceful SIGTERM shutdown; before serving starts, a plain interrupt."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        raise KeyboardInterrupt
    os.kill(os.getpid(), signal.SIGTERM)


def serve_refresh(cron: str = DEFAULT_CRON, *, name: str = DEPLOYMENT_NAME,
                  parameters: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Serve the refresh flow on ``cron`` until Ctrl-C or SIGTERM; blocks.

    The deployment's entrypoint is the module path ``flows.refresh:refresh``, so scheduled
    runs (subprocesses of this one) find the flow wherever the package is installed.
    Prefect's log lines stay on: a service's log is how one sees it work.
    """
    from prefect.deployments.runner import EntrypointType

    from flows.refresh import refresh

    signal.signal(signal.SIGINT, sigint_as_sigterm)
    refresh.serve(
        name=name,
        cron=validate_cron(cron),
        parameters=parameters or {},
        description="papertrends: ingest new papers, crawl changed repositories, classify, export, report",
        tags=["papertrends"],
        entrypoint_type=EntrypointType.MODULE_PATH,
        print_starting_message=True,
    )
