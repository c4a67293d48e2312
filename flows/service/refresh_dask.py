"""The refresh flow with its batches on a Dask cluster, as a deployable entrypoint.

A deployment's task runner is fixed in code, not a parameter, so prefect.yaml points
at this object for the Dask variant: ``flows/service/refresh_dask.py:refresh_dask``. The
scheduler comes from ``PAPERTRENDS_DASK_ADDRESS`` where the flow run starts (a
worker's environment); without it each run starts a LocalCluster on its machine.
"""

from __future__ import annotations

import os

from flows.refresh import refresh
from flows.service.task_runners import make_task_runner

refresh_dask = refresh.with_options(
    name="refresh-dask",
    task_runner=make_task_runner("dask", os.environ.get("PAPERTRENDS_DASK_ADDRESS") or None),
)
