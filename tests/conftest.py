"""Test isolation: nothing writes outside tmp dirs, and Prefect flows share one server.

Prefect, Jupyter and matplotlib write state under the home directory unless told
otherwise; these variables point them into a session temp dir before anything
imports them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Hypothesis fails an example slower than 200 ms by default: a wall-clock assertion, which a
# shared 2-core machine trips (a classifier property took 346 ms once, 0.5 ms on the rerun).
hypothesis_settings.register_profile("papertrends", deadline=None)
hypothesis_settings.load_profile("papertrends")

_STATE = Path(tempfile.mkdtemp(prefix="papertrends-tests-"))
for var, sub in {
    "PREFECT_HOME": "prefect", "MPLCONFIGDIR": "mpl", "IPYTHONDIR": "ipython",
    "JUPYTER_DATA_DIR": "jupyter-data", "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
}.items():  # fmt: skip
    os.environ[var] = str(_STATE / sub)
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "90"
os.environ.pop("GITHUB_TOKEN", None)  # a developer's real token never reaches a test
# A test that does not name its crawl path gets the API's; every end-to-end crawl test names both
# (parametrised via="api"/"git"); git's scratch folders stay in the session's temp dir.
os.environ["PAPERTRENDS_CRAWL_VIA"] = "api"
# No shared local Prefect server outliving a test (tests/flows/service/test_local_server.py turns it on).
os.environ["PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES"] = "0"
os.environ["PAPERTRENDS_GIT_WORK_DIR"] = str(_STATE / "git-work")

sys.path.insert(0, str(Path(__file__).parent))  # tests/fakes and sample_factory


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the modules holding slow tests start first, spread over the workers.

    xdist's load scheduling first sends each worker a batch of consecutive tests (a quarter of
    its share), then more as it drains. tests/reliability sorts last, so its minute-long signal
    and kill chains used to start near the end and set the run's length while the other workers
    stood idle. Here each worker's first batch opens with whole modules of slow tests, dealt in
    turn (a module stays together: its module-scoped fixtures are built once).
    """
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers < 2:
        return
    by_module: dict[str, list[pytest.Item]] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::")[0], []).append(item)
    slow = [m for m, tests in by_module.items() if any(t.get_closest_marker("slow") for t in tests)]
    slow.sort(key=lambda m: -sum(bool(t.get_closest_marker("slow")) for t in by_module[m]))
    heads: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for i, module in enumerate(slow):
        heads[i % workers] += by_module[module]
    rest = [t for m, tests in by_module.items() if m not in slow for t in tests]
    batch = max(len(items) // workers // 4, 2)  # the size of xdist's first batch per worker
    ordered: list[pytest.Item] = []
    for head in heads:
        fill = max(batch - len(head), 0)
        ordered += head + rest[:fill]
        rest = rest[fill:]
    items[:] = ordered + rest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SERVER_HOME = _STATE / "prefect"
"""The shared test server's PREFECT_HOME (its database and logs); each test gets a home of its own."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """One real ``prefect server`` for the whole run; far cheaper than a harness per test.

    Exported as PREFECT_API_URL so flows in this process, CLI subprocesses and Dask
    workers all talk to it. Started with a bounded health wait, stopped by its PID.
    """
    import requests

    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    log = open(_STATE / "prefect-server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PREFECT_API_URL": "", "PREFECT_HOME": str(SERVER_HOME)},
    )  # fmt: skip
    deadline = time.monotonic() + 300  # a shared 2-core machine under load can take minutes
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited early; see {log.name}")
        try:
            if requests.get(f"{url}/health", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("prefect server did not become healthy within 300 s")
    from prefect.settings import PREFECT_API_URL, temporary_settings

    os.environ["PREFECT_API_URL"] = url
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url
        _flush_prefect_logs()
    os.environ.pop("PREFECT_API_URL", None)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _flush_prefect_logs() -> None:
    """Send buffered flow logs while the server still listens, so teardown is quiet."""
    try:
        from prefect.logging.handlers import APILogHandler

        APILogHandler().flush()
    except Exception as exc:  # flushing is a courtesy; never fail a run over it
        print(f"note: could not flush Prefect logs: {exc}")


@pytest.fixture(autouse=True)
def own_prefect_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test its own PREFECT_HOME: what one test's runs leave (results, storage) never meets another's.

    Child processes read it from the environment; flows run in this process get it through
    Prefect's settings context when Prefect is already imported (importing it here would
    cost every plain test a second).
    """
    home = tmp_path_factory.mktemp("prefect-home")
    monkeypatch.setenv("PREFECT_HOME", str(home))
    if "prefect.settings" not in sys.modules:
        yield home
        return
    from prefect.settings import PREFECT_HOME, temporary_settings

    with temporary_settings(updates={PREFECT_HOME: home}):
        yield home


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[object]:
    from flows.store.warehouse import Warehouse

    with Warehouse(tmp_path / "warehouse.duckdb") as wh:
        yield wh


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    from sample_factory import write_sample

    return write_sample(tmp_path / "sample")
