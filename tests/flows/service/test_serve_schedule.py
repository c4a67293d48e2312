"""``papertrends serve --cron`` really runs on schedule, with its own server or a given one.

Both serve processes start together (a module fixture), so the two tests wait for the
same next minute of their ``* * * * *`` schedules instead of one minute each; they are
marked slow and use the small test sample to keep the run short.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from flows.service.signals import child_pids
from flows.store.parquet import export_tables
from flows.store.warehouse import Warehouse

PROJECT_ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.slow]


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in child_pids(todo.pop()):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":  # a zombie has ended; only its parent's bookkeeping is left
            alive.add(pid)
    return alive


def _start_serve(name: str, db: Path, sample_dir: Path, env: dict[str, str], cwd: Path,
                 lines: list[str]) -> subprocess.Popen[str]:  # fmt: skip
    """serve in a subprocess, its output collected into ``lines`` by a thread (a full pipe would block it)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows.cli.main", "serve", "--cron", "* * * * *", "--name", name, "--sample",
         "--sample-dir", str(sample_dir), "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
        env={**env, "PYTHONPATH": str(PROJECT_ROOT)},
    )  # fmt: skip
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    return proc


def _api_of(proc: subprocess.Popen[str], given: str | None, lines: list[str], seconds: float = 240) -> str:
    """The API serve uses: the given one, or the one it announces having started."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = "".join(lines)
        if given and "using the Prefect API" in text:
            assert given in text
            return given
        if not given and "started a Prefect server at" in text:
            return text.split("started a Prefect server at ")[1].split()[0]
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    raise AssertionError("serve did not start:\n" + "".join(lines))


def _completed_scheduled_run(api: str, name: str, proc: subprocess.Popen[str], seconds: float = 200) -> dict:
    """The first run of deployment ``name`` that the schedule created and that completed.

    Both serve processes start together, so by the time the second test looks, its serve
    may have run the schedule more than once.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve exited while waiting for a scheduled run"
        body = {"deployments": {"name": {"any_": [name]}}, "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
                "sort": "EXPECTED_START_TIME_ASC"}  # the first: a later minute's run finds nothing new to classify
        runs = requests.post(f"{api}/flow_runs/filter", json=body, timeout=10).json()
        if runs:
            return runs[0]
        time.sleep(2)
    raise AssertionError(f"no scheduled run of {name} completed within {seconds} s")


def _stop_and_check(proc: subprocess.Popen[str], lines: list[str], sig: int = signal.SIGINT) -> None:
    """Ctrl-C (or ``sig``) to serve; it ends, with nothing it started left running."""
    tree = _descendants(proc.pid)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 30  # a killed grandchild is reaped by init when it gets to it
    while _alive(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _alive(tree) == set(), f"left running: {_alive(tree)}\n" + "".join(lines)


def _assert_run_row_completed(db: Path, run: dict) -> None:
    assert run["auto_scheduled"] is True, run  # created by the schedule, not by hand
    with Warehouse(db, read_only=True) as wh:
        rows = wh.query("SELECT status, counts FROM runs WHERE run_id = ?", [run["id"]])
    assert [r["status"] for r in rows] == ["completed"]
    assert json.loads(rows[0]["counts"])["classify"]["classified"] == 8


@dataclass
class Serving:
    """One ``serve`` process under test, with what the test needs to check it."""

    name: str
    db: Path
    home: Path
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    reader: subprocess.Popen[str] | None = None


_READER_CODE = "\n".join([  # what the notebook does, kept open and asking again every half second
    "import sys, time", "from flows.store.queries import coverage, open_warehouse",
    "wh = open_warehouse(sys.argv[1])", "print('open', coverage(wh)['papers'], flush=True)",
    "while True:", "    coverage(wh)", "    time.sleep(0.5)"])  # fmt: skip


@pytest.fixture(scope="module")
def servings(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Serving]]:
    """Both serve processes, started at once: one owning its server, one on the suite's server."""
    from sample_factory import write_sample

    from flows.stages.ingest import ingest_sample as load_sample

    started: dict[str, Serving] = {}
    try:
        own = tmp_path_factory.mktemp("own")
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env["PREFECT_HOME"] = str(own / "prefect-home")  # the server's state, not the suite's
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "240"  # a loaded 2-core machine
        lines: list[str] = []
        proc = _start_serve("own-server", own / "wh.duckdb", write_sample(own / "sample"), env, own, lines)
        started["own"] = Serving("own-server", own / "wh.duckdb", own, proc, lines)

        given = tmp_path_factory.mktemp("given")
        sample_dir = write_sample(given / "sample")
        with Warehouse(given / "wh.duckdb") as wh:  # what an earlier refresh left: a warehouse with exports
            load_sample(wh, sample_dir)
            export_tables(wh, given / "wh-parquet")
        reader = subprocess.Popen([sys.executable, "-c", _READER_CODE, str(given / "wh.duckdb")],
                                  stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)  # fmt: skip
        assert reader.stdout and reader.stdout.readline().startswith("open 9")
        lines = []
        proc = _start_serve("given-server", given / "wh.duckdb", sample_dir, dict(os.environ), given, lines)
        started["given"] = Serving("given-server", given / "wh.duckdb", given, proc, lines, reader)
        yield started
    finally:
        for serving in started.values():
            for p in (serving.proc, serving.reader):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait(timeout=10)


def test_serve_owns_a_server_runs_on_schedule_and_sigterm_leaves_nothing(servings: dict[str, Serving]) -> None:
    own = servings["own"]
    api = _api_of(own.proc, None, own.lines)
    run = _completed_scheduled_run(api, own.name, own.proc)
    _stop_and_check(own.proc, own.lines, signal.SIGTERM)  # how a service manager stops it
    assert own.proc.returncode == 128 + signal.SIGTERM, "".join(own.lines)[-3000:]
    assert "Traceback" not in "".join(own.lines)
    assert (own.home / "prefect-home" / "prefect.db").exists()  # its state lived in PREFECT_HOME
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{api}/health", timeout=5)  # the server is gone
    _assert_run_row_completed(own.db, run)


@pytest.mark.prefect
def test_serve_uses_the_given_server_while_a_reader_stays_open(servings: dict[str, Serving],
                                                               prefect_server: str) -> None:  # fmt: skip
    """A notebook-style reader holds the warehouse across the whole scheduled run; the run completes."""
    given = servings["given"]
    api = _api_of(given.proc, prefect_server, given.lines)
    run = _completed_scheduled_run(api, given.name, given.proc)
    assert given.reader is not None and given.reader.poll() is None  # open the whole time, and still is
    _stop_and_check(given.proc, given.lines)
    assert given.proc.returncode == 128 + signal.SIGINT, "".join(given.lines)
    _assert_run_row_completed(given.db, run)
    assert requests.get(f"{prefect_server}/health", timeout=5).ok  # a server serve did not start is left alone
