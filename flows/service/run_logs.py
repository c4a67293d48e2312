"""papertrends' own log lines (``papertrends.*``) in the Prefect flow run's log.

Prefect sends a record to its API only when it can tell which run it belongs to,
from the record or from the run context of the thread that logged it. The crawler
logs from its own worker threads (rate-limit waits, for one), which carry no Prefect
context, so those lines would be dropped. While a flow runs, a handler on the
``papertrends`` logger stamps such records with the run's id: one flow run per
process (the CLI's, or each scheduled run's subprocess), so the id is unambiguous.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

LOGGER = "papertrends"


class _StampRunId(logging.Filter):
    """Give a record with no run of its own (a thread without Prefect context) the flow run's id."""

    def __init__(self, flow_run_id: str) -> None:
        super().__init__()
        self.flow_run_id = flow_run_id

    def filter(self, record: logging.LogRecord) -> bool:
        from prefect.context import FlowRunContext, TaskRunContext

        if not getattr(record, "flow_run_id", None) and not (FlowRunContext.get() or TaskRunContext.get()):
            record.flow_run_id = self.flow_run_id
        return True


@contextmanager
def logs_to_flow_run(flow_run_id: str, level: int = logging.INFO) -> Iterator[None]:
    """Send ``papertrends.*`` records at ``level`` and above to the flow run's log while inside."""
    from prefect.logging.handlers import APILogHandler

    handler = APILogHandler(level=level)
    handler.addFilter(_StampRunId(flow_run_id))
    logger = logging.getLogger(LOGGER)
    previous = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > level:
        logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
