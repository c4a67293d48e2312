"""Which task runner runs the refresh flow's batches: threads here, or a Dask cluster.

Only the crawl and classify batches are submitted to the runner; they take rows and
return rows, so Dask workers never open the warehouse (DuckDB allows one writer)
and may live on other machines. Workers read GITHUB_TOKEN, GITHUB_API_URL and
PREFECT_API_URL from their own environment: a LocalCluster inherits this process's;
for a remote cluster set them where the workers start. Against Prefect's temporary
server, worker processes would each try to start their own: run a real server
(``prefect server start``) and export PREFECT_API_URL.
"""

from __future__ import annotations

from typing import Any, Literal

Runner = Literal["default", "dask"]
DEFAULT_THREADS = 4
DASK_INSTALL = "pip install -e '.[dask]' in the papertrends checkout"
LOCAL_WORKERS = 2


def make_task_runner(runner: Runner = "default", address: str | None = None,
                     n_workers: int = LOCAL_WORKERS) -> Any:  # fmt: skip
    """A Prefect task runner: a thread pool, or prefect-dask's DaskTaskRunner.

    ``address`` (``tcp://host:8786``) joins an existing Dask scheduler; without one a
    LocalCluster of ``n_workers`` single-threaded worker processes is started for
    the run and closed after it.
    """
    if runner == "default":
        if address:
            raise ValueError("--address needs --runner dask")
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=DEFAULT_THREADS)
    if runner != "dask":
        raise ValueError(f"unknown runner {runner!r}: use default or dask")
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:  # the optional extra is not installed
        raise RuntimeError(f"--runner dask needs prefect-dask, which is not installed: {DASK_INSTALL}") from exc
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": n_workers, "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None})  # fmt: skip
