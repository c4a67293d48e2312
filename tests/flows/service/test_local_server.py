"""The shared local Prefect server: started by the first refresh, used by the next, stopped when idle.

README ("Configuration", PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES) promises: "a refresh run
from a terminal with no PREFECT_API_URL uses a local Prefect server papertrends keeps ...".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT
from sample_factory import write_sample

pytestmark = [pytest.mark.slow]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_second_refresh_uses_the_first_ones_server_which_stops_once_idle(tmp_path: Path) -> None:
    home = tmp_path / "prefect-home"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PREFECT_HOME": str(home),
           "PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES": "0.05"}  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    args = [sys.executable, "-m", "flows.cli", "refresh", "--sample", "--sample-dir",
            str(write_sample(tmp_path / "sample")), "--db", str(tmp_path / "w.duckdb"), "--no-progress"]  # fmt: skip
    state = home / "papertrends-local-server.json"
    first = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    kept = json.loads(state.read_text())
    second = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    assert json.loads(state.read_text()) == kept  # the same server, not a second one
    deadline = time.monotonic() + 120  # idle after 3 s, checked every 2 s; the bound is for a stuck keeper
    while _alive(kept["keeper_pid"]) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(kept["keeper_pid"]) and not state.exists()
    import requests

    with pytest.raises(requests.ConnectionError):  # the server went with its keeper
        requests.get(f"{kept['url']}/health", timeout=5)
