"""``papertrends serve``: the refresh flow as a scheduled Prefect deployment in this process.

Prefect's ``flow.serve`` registers a deployment with a cron schedule and polls for
its runs, but only a real Prefect API schedules anything: against the temporary
server a plain flow call starts, it logs "Cannot schedule flows on an ephemeral
server" and waits forever. So with no ``PREFECT_API_URL`` configured, serve starts
and owns a local ``prefect server start`` (its state in ``PREFECT_HOME``, on a free
port), waits until it is healthy, and stops it (its whole process group) on exit.

Prefect stops serving gracefully on SIGTERM (cancels runs in flight, pauses the
schedule) but, measured here, not on Ctrl-C: the KeyboardInterrupt lands inside its
event loop and the process lingered past 10 s. So SIGINT is converted to the SIGTERM
path once Prefect's runner has started, and a watchdog ends everything (the owned
server included) if shutting down takes longer than the promised 15 s. Either signal
is remembered, so serve exits 130 / 143 like any command a signal ended.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

from flows.stopping import first_signal, request_stop

DEPLOYMENT_NAME = "papertrends-daily"
DEFAULT_CRON = "0 3 * * *"
SHUTDOWN_SECONDS = 13.0
"""From the first signal to the process gone, whatever Prefect is doing (the promise is 15 s)."""


class ServerStartFailed(RuntimeError):
    """The local Prefect server serve meant to own did not come up."""


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


def serve_refresh(cron: str = DEFAULT_CRON, *, name: str = DEPLOYMENT_NAME,
                  parameters: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Serve the refresh flow on ``cron`` until Ctrl-C or SIGTERM; blocks.

    Uses the Prefect API configured (``PREFECT_API_URL``, a profile, Prefect Cloud);
    with none, a local server this process starts and stops.
    """
    from prefect.settings import PREFECT_API_URL

    configured = PREFECT_API_URL.value()
    watchdog = _Watchdog()
    signal.signal(signal.SIGINT, watchdog.on_signal)
    signal.signal(signal.SIGTERM, watchdog.on_signal)
    if configured:
        print(f"papertrends serve: using the Prefect API at {configured}", flush=True)
        _serve(cron, name, parameters or {}, watchdog)
        return
    with own_prefect_server() as (url, server):
        watchdog.server = server
        print(f"papertrends serve: started a Prefect server at {url} (UI: {url.removesuffix('/api')}, "
              f"state in {_prefect_home()}); it stops when serve does", flush=True)  # fmt: skip
        from prefect.settings import temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: url}):
            _serve(cron, name, parameters or {}, watchdog)


def _serve(cron: str, name: str, parameters: dict[str, Any], watchdog: _Watchdog) -> None:
    """Prefect's serve loop, as ``flow.serve`` runs it, with every stop timed by the watchdog.

    Prefect's runner installs its own SIGTERM handler when it starts; the subclass keeps
    that graceful stop and tells the watchdog first, so a SIGTERM (how service managers
    stop a service) is timed and remembered for the exit code like a Ctrl-C. The
    deployment's entrypoint is a module path, so runs work from any folder.
    """
    import asyncio

    from prefect.deployments.runner import EntrypointType
    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner

    from flows.refresh import refresh

    class _Runner(Runner):
        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            watchdog.on_sigterm()
            super().handle_sigterm(*args, **kwargs)

    # limit=1: one writer per warehouse, a run due while one is going waits for it instead of failing
    runner = _Runner(name=name, pause_on_shutdown=True, limit=1)
    runner.add_flow(refresh, name=name, cron=validate_cron(cron), parameters=parameters, tags=["papertrends"],
                    description="papertrends: ingest new papers, crawl changed repositories, classify, export, report",
                    entrypoint_type=EntrypointType.MODULE_PATH)  # fmt: skip
    def graceful_stop() -> bool:  # Prefect's own stop, without the subclass's notice (the watchdog knows)
        if not runner.started:
            return False
        Runner.handle_sigterm(runner)
        return True

    watchdog.graceful_stop = graceful_stop
    print(f"papertrends serve: serving 'refresh/{name}' on cron '{cron}'; Ctrl-C or SIGTERM stops it. "
          f"A run now: prefect deployment run 'refresh/{name}'", flush=True)  # fmt: skip
    with suppress(KeyboardInterrupt, TerminationSignal):  # a stop before the runner took over
        asyncio.run(runner.start())


class _Watchdog:
    """The first signal starts an orderly stop and a timer; the timer, or a second signal, ends it all."""

    def __init__(self) -> None:
        self.server: subprocess.Popen[bytes] | None = None
        self.signalled = False
        self.graceful_stop: Callable[[], bool] | None = None

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        """SIGINT while serving, and SIGTERM before the runner installed its own handler."""
        if self.signalled:
            self.end_now()
        self._start(signum)
        if self.graceful_stop is not None and self.graceful_stop():
            return  # Prefect's graceful stop (cancels runs in flight, pauses the schedule) is under way
        raise KeyboardInterrupt  # before serving began: a plain interrupt

    def on_sigterm(self) -> None:
        """SIGTERM after the runner took over: remembered and timed; a second signal ends it all."""
        if self.signalled:
            self.end_now()
        self._start(signal.SIGTERM)

    def _start(self, signum: int) -> None:
        self.signalled = True
        request_stop(signum)  # remembered for the exit code (130 / 143)
        # Prefect's own line says "SIGTERM received" whatever came (SIGINT is passed to it as its
        # graceful stop): ours names the real one. os.write: no buffered stream in a handler.
        with suppress(OSError):
            os.write(2, f"papertrends serve: {signal.Signals(signum).name} received; stopping\n".encode())
        timer = threading.Timer(SHUTDOWN_SECONDS, self.end_now)
        timer.daemon = True
        timer.start()

    def end_now(self) -> None:
        if self.server is not None:
            stop_server(self.server, wait_seconds=1.0)
        os._exit(128 + first_signal())


@contextmanager
def own_prefect_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A ``prefect server start`` on a free loopback port, healthy, for as long as the block runs.

    Its database lives in ``PREFECT_HOME`` (so deployments and run history survive a
    restart of serve); its log goes to ``PREFECT_HOME/papertrends-server.log``. Started
    in its own session so a Ctrl-C meant for serve reaches it only through serve, which
    stops the whole process group on the way out.
    """
    home = _prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    with open(home / "papertrends-server.log", "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PREFECT_API_URL": "", "PREFECT_HOME": str(home)},
        )  # fmt: skip
    try:
        wait_until_healthy(url, server, _startup_seconds(), log_path=home / "papertrends-server.log")
        yield url, server
    finally:
        stop_server(server)


def wait_until_healthy(url: str, server: subprocess.Popen[bytes], seconds: float, log_path: Path) -> None:
    """Poll ``/health`` until it answers, the server exits, or ``seconds`` pass (then ``ServerStartFailed``)."""
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerStartFailed(f"the Prefect server exited with code {server.returncode}; see {log_path}")
        with suppress(requests.RequestException):
            if requests.get(f"{url}/health", timeout=2).ok:
                return
        time.sleep(0.5)
    raise ServerStartFailed(f"the Prefect server was not healthy within {seconds:g} s "
                            f"(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS); see {log_path}")  # fmt: skip


def stop_server(server: subprocess.Popen[bytes], wait_seconds: float = 5.0) -> None:
    """SIGTERM to the server's process group, SIGKILL if it lingers; nothing of it is left running."""
    for sig, wait in ((signal.SIGTERM, wait_seconds), (signal.SIGKILL, 5.0)):
        with suppress(ProcessLookupError):
            os.killpg(server.pid, sig)
        try:
            server.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        with suppress(ProcessLookupError):  # children that outlived the leader
            os.killpg(server.pid, signal.SIGKILL)
        return


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prefect_home() -> Path:
    from prefect.settings import PREFECT_HOME

    return Path(PREFECT_HOME.value()).expanduser()


def _startup_seconds() -> float:
    return float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90"))
