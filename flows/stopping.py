"""The process's one stop flag: set by a signal (or by code), checked by every long wait.

A signal lands in the main thread; work on other threads (crawl batches waiting on
GitHub, git processes, HTTP retries) learns of it here, before each request and while
it waits, so thread pools drain at once instead of finishing their batches. Which
signal came first decides the exit code (130 for SIGINT, 143 for SIGTERM). This module
imports nothing of the project, so the lowest layers (the HTTP client) may use it.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

STOP = threading.Event()
"""Set once the process has been asked to stop; long waits and new requests check it."""


_received: list[int] = []
_done: list[str] = []


class StopRequested(RuntimeError):
    """Raised by work that notices :data:`STOP` (a request not sent, a wait cut short)."""


def request_stop(signum: int | None = None) -> None:
    """Tell every thread of this process to stop at its next check."""
    if signum is not None:
        _received.append(signum)
    STOP.set()


def check_stop() -> None:
    """Raise :class:`StopRequested` when the process has been asked to stop."""
    if STOP.is_set():
        raise StopRequested("stopped: the run was interrupted")


def sleep_unless_stopped(seconds: float) -> None:
    """``time.sleep`` that returns early, raising :class:`StopRequested`, when a stop is requested."""
    if STOP.wait(seconds):
        check_stop()


def mark_work_done(what: str) -> None:
    """Say that the command's work is finished and recorded (``what``: e.g. "the refresh run"), so a
    signal that arrives after it is reported as such: the stored state is complete, nothing to resume."""
    _done.append(what)


def forget_work_done() -> None:
    """A new run in the same process (serve's scheduled runs, a notebook) starts with nothing done."""
    _done.clear()


def work_done() -> str | None:
    """What :func:`mark_work_done` said, or None while the work is still going."""
    return _done[0] if _done else None


def signal_received() -> bool:
    """True once SIGINT or SIGTERM reached this process (not merely a stop asked by code)."""
    return bool(_received)


def first_signal() -> int:
    """The first signal received (SIGINT when the stop was asked by code)."""
    return _received[0] if _received else signal.SIGINT


def exit_code() -> int:
    """128 + the first signal received (130 for Ctrl-C), the shell's convention."""
    return 128 + first_signal()


def pause_point(name: str) -> None:
    """Hold the process here while ``PAPERTRENDS_PAUSE_AT`` names this point (for tests and debugging).

    With ``PAPERTRENDS_PAUSE_AT=name[,name...]`` the process writes its pid to
    ``<PAPERTRENDS_PAUSE_DIR>/<name>.reached`` and waits until ``<name>.release`` exists.
    A test can then signal it while it provably is at that moment of its life (a stage
    running, the summary printed) instead of guessing with timers. A stop request ends
    the wait (:class:`StopRequested`); in the main thread a signal's handler raises out
    of it as it would out of any other work. Unset (always, outside tests), it costs one
    dictionary lookup.
    """
    wanted = os.environ.get("PAPERTRENDS_PAUSE_AT")
    if not wanted or name not in wanted.split(","):
        return
    folder = Path(os.environ.get("PAPERTRENDS_PAUSE_DIR") or ".")
    (folder / f"{name}.reached").write_text(str(os.getpid()))
    release = folder / f"{name}.release"
    while not release.exists():
        if STOP.wait(0.02):
            check_stop()
