"""``papertrends serve`` registers a cron deployment and stops on Ctrl-C; prefect.yaml deploys."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def _deployments(api: str, name: str) -> list[dict]:
    body = {"deployments": {"name": {"any_": [name]}}}
    return requests.post(f"{api}/deployments/filter", json=body, timeout=60).json()


def _wait_until_polling(api: str, name: str, proc: subprocess.Popen[str], seconds: float = 90) -> dict:
    """The deployment once its runner polls for runs (status READY): serving has really begun."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        found = _deployments(api, name)
        if found and found[0]["status"] == "READY":
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"deployment {name} not served within {seconds} s")


@pytest.mark.prefect
def test_serve_registers_its_cron_schedule_and_stops_on_ctrl_c(prefect_server: str, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli.main", "serve", "--cron", "*/30 * * * *", "--name", "test-serve",
         "--catalog", "--venue", "CVPR", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )  # fmt: skip
    try:
        deployment = _wait_until_polling(prefect_server, "test-serve", proc)
        assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["*/30 * * * *"]
        assert deployment["schedules"][0]["active"] is True
        assert deployment["parameters"] == {"sample": False, "catalog": True, "venues": ["CVPR"], "db": str(db)}
        assert deployment["entrypoint"] == "flows.refresh.refresh"  # module path: works from any folder
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGINT, output
    assert "papertrends serve: SIGINT received; stopping" in output  # named as it came, whatever Prefect logs
    assert "Traceback" not in output
    # Prefect pauses a served schedule on shutdown: no runs pile up with nobody to run them.
    assert _deployments(prefect_server, "test-serve")[0]["paused"] is True, output


@pytest.mark.prefect
def test_prefect_yaml_deploys_both_deployments_to_a_work_pool(prefect_server: str) -> None:
    requests.post(f"{prefect_server}/work_pools/", json={"name": "papertrends", "type": "process"}, timeout=10)
    proc = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
        capture_output=True, text=True, timeout=240, cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PAPERTRENDS_ROOT": str(PROJECT_ROOT)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    daily = _deployments(prefect_server, "papertrends-daily")[0]
    assert daily["work_pool_name"] == "papertrends"
    assert daily["entrypoint"] == "flows/refresh.py:refresh"
    assert [s["schedule"]["cron"] for s in daily["schedules"]] == ["0 3 * * *"]
    assert daily["parameters"]["catalog"] is True
    assert daily["pull_steps"][0]["prefect.deployments.steps.set_working_directory"]["directory"] == str(PROJECT_ROOT)
    schema = daily["parameter_openapi_schema"]["properties"]
    assert schema["axis"]["enum"] == ["venue-year", "paper-date", "repo-created"]  # Literal hints became choices
    weekly = _deployments(prefect_server, "papertrends-weekly-dask")[0]
    assert weekly["entrypoint"] == "flows/service/refresh_dask.py:refresh_dask"
    assert weekly["schedules"][0]["active"] is False
