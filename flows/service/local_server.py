"""A local Prefect server shared by the refreshes run from a terminal, kept a while after the last one.

With no ``PREFECT_API_URL``, Prefect starts a temporary server for every flow run (about 6 s
on this machine, 14 s the first time): most of a warm ``refresh --sample``. Instead, a
refresh from the command line uses a server papertrends keeps in ``PREFECT_HOME``: the first
refresh starts it (under a keeper process in its own session, so a terminal's Ctrl-C meant
for the refresh does not reach it), later ones find it healthy and use it, and the keeper
stops it once no refresh has used it for ``PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES``
(default 10; 0 keeps none: every run then gets Prefect's temporary server). A refresh holds
a shared lock on the server while it runs, so however long a run takes the server outlives
it; the kernel drops the lock of a killed run. The run history stays in Prefect's database
in ``PREFECT_HOME`` either way.

Run as ``python -m flows.service.local_server --home DIR --idle MINUTES`` it is the keeper.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

STATE = "papertrends-local-server.json"
"""Where the keeper says which server it keeps: ``{"url", "keeper_pid"}``."""
USERS = "papertrends-local-server.users"
"""A refresh holds a shared lock on it for its whole run; the keeper's exclusive try tells it if anyone does."""
DEFAULT_IDLE_MINUTES = 10.0
_HELD: list[int] = []  # this process's shared lock on USERS, kept until it exits


def idle_minutes() -> float:
    return float(os.environ.get("PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES") or DEFAULT_IDLE_MINUTES)


def use_shared_server(home: Path, minutes: float | None = None, startup_seconds: float = 90.0) -> str | None:
    """The API URL of this ``PREFECT_HOME``'s shared server, started if there is none; None when turned off.

    The caller is counted as a user until it exits. Two refreshes starting together
    start one server (the start is done under a lock).
    """
    minutes = idle_minutes() if minutes is None else minutes
    if minutes <= 0:
        return None
    home.mkdir(parents=True, exist_ok=True)
    _hold_users_lock(home)
    with _exclusive(home / "papertrends-local-server.lock"):
        url = _healthy_url(home)
        if url:
            return url
        log = open(home / "papertrends-local-server.log", "ab")  # noqa: SIM115 - the keeper owns it now
        subprocess.Popen([sys.executable, "-m", "flows.service.local_server", "--home", str(home), "--idle",
                          str(minutes)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                         env={**os.environ, "PREFECT_API_URL": ""})  # fmt: skip
        log.close()
        deadline = time.monotonic() + startup_seconds
        while time.monotonic() < deadline:
            url = _healthy_url(home)
            if url:
                return url
            time.sleep(0.2)
    raise RuntimeError(f"the shared Prefect server did not start within {startup_seconds:g} s; see "
                       f"{home / 'papertrends-local-server.log'}")  # fmt: skip


def _healthy_url(home: Path) -> str | None:
    import requests

    try:
        state = json.loads((home / STATE).read_text())
        os.kill(int(state["keeper_pid"]), 0)
        if requests.get(f"{state['url']}/health", timeout=2).ok:
            return str(state["url"])
    except (OSError, ValueError, KeyError, requests.RequestException):
        return None
    return None


def _hold_users_lock(home: Path) -> None:
    if _HELD:
        return
    fd = os.open(home / USERS, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_SH)
    _HELD.append(fd)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# --- the keeper -------------------------------------------------------------------------------


def keep(home: Path, minutes: float, poll_seconds: float = 2.0) -> int:
    """Start ``prefect server start``, say where it is, and stop it after ``minutes`` without users."""
    from flows.service.serve import free_port, stop_server, wait_until_healthy

    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], start_new_session=True,
                              env={**os.environ, "PREFECT_API_URL": "", "PREFECT_HOME": str(home)})  # fmt: skip
    state = home / STATE
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    try:
        wait_until_healthy(url, server, 90.0, log_path=home / "papertrends-local-server.log")
        state.write_text(json.dumps({"url": url, "keeper_pid": os.getpid()}))
        last_used = time.monotonic()
        users = os.open(home / USERS, os.O_RDWR | os.O_CREAT, 0o644)
        while not stopping and server.poll() is None:
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody holds it: nobody uses the server
                fcntl.flock(users, fcntl.LOCK_UN)
            except BlockingIOError:
                last_used = time.monotonic()
            if time.monotonic() - last_used > minutes * 60:
                break
            time.sleep(poll_seconds)
    finally:
        with suppress(OSError):
            if json.loads(state.read_text()).get("keeper_pid") == os.getpid():
                state.unlink()
        stop_server(server, wait_seconds=15.0)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="keep a shared local Prefect server while refreshes use it")
    parser.add_argument("--home", required=True, help="PREFECT_HOME of the server")
    parser.add_argument("--idle", type=float, default=DEFAULT_IDLE_MINUTES,
                        help="minutes without users before it stops")
    args = parser.parse_args(argv)
    return keep(Path(args.home), args.idle)


if __name__ == "__main__":
    sys.exit(main())
