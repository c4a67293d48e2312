"""The process's one stop flag: set by a signal (or by code), checked by every long wait.

A signal lands in the main thread; work on other threads (crawl batches waiting on
GitHub, git processes, HTTP retries) learns of it here, before each request and while
it waits, so thread pools drain at once instead of finishing their batches. Which
signal came first decides the exit code (130 for SIGINT, 143 for SIGTERM). This module
imports nothing of the project, so the lowest layers (the HTTP client) may use it.
"""

from __future__ import annotations

import signal
import threading

STOP = threading.Event()
"""Set once the process has been asked to stop; long waits and new requests check it."""


_received: list[int] = []


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


def signal_received() -> bool:
    """True once SIGINT or SIGTERM reached this process (not merely a stop asked by code)."""
    return bool(_received)


def first_signal() -> int:
    """The first signal received (SIGINT when the stop was asked by code)."""
    return _received[0] if _received else signal.SIGINT


def exit_code() -> int:
    """128 + the first signal received (130 for Ctrl-C), the shell's convention."""
    return 128 + first_signal()
