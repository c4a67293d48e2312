"""Ctrl-C and SIGTERM that stop a run within seconds, whatever it is doing.

A signal lands in the main thread (the flow's), which unwinds: the run's row is
recorded ``interrupted`` and the open transaction rolled back. Work on other threads
(crawl batches waiting on GitHub) is told to stop through :data:`STOP`, which the
HTTP client checks before each request and while it waits, so the thread pools
drain at once instead of finishing their batches. If unwinding still stalls (an
unreachable Prefect API retried, a C call that does not return), a watchdog ends
the process after a grace period with the conventional code (130 for SIGINT, 143
for SIGTERM), stopping the child processes it started first.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

from flows.stopping import StopRequested, first_signal, request_stop, signal_received, work_done

GRACE_SECONDS = 8.0
"""Time the unwinding gets before the watchdog ends the process (the promise is 15 s).

Recording the run takes milliseconds and an orderly stop about 4 s on a busy machine;
what stalls is Prefect reporting to a temporary server that the same Ctrl-C (sent to
the whole process group by a terminal) has already stopped."""


def on_repeated_signal(signum: int) -> None:
    """A signal after the first ends the process at once, with the first one's code.

    The repeat is a second Ctrl-C, or the same SIGTERM passed on again: Prefect's flow
    engine re-sends a SIGTERM it caught to the process after restoring our handler. Raising
    another ``KeyboardInterrupt`` then would cut short the unwinding of the first, or
    escape after the command has printed its result and end the process by SIGINT.
    """
    if signal_received():
        hard_exit(first_signal())


@contextmanager
def stop_on_signals(grace_seconds: float = GRACE_SECONDS) -> Iterator[None]:
    """SIGINT and SIGTERM raise ``KeyboardInterrupt`` in the main thread and stop the others.

    A second signal, or a stall past ``grace_seconds``, ends the process at once.
    """

    def handle(signum: int, frame: FrameType | None) -> None:
        on_repeated_signal(signum)
        request_stop(signum)
        _start_watchdog(grace_seconds)
        raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _start_watchdog(grace_seconds: float) -> None:
    timer = threading.Timer(grace_seconds, lambda: hard_exit(first_signal()))
    timer.daemon = True
    timer.start()


def hard_exit(signum: int) -> None:
    """End the process now with 128 + ``signum``, after asking its child processes to stop."""
    done = work_done()
    after = f" after {done}; everything is stored" if done else "; what was stored is kept"
    with suppress(OSError):
        os.write(2, f"papertrends: stopped by {signal.Signals(signum).name}{after}\n".encode())
    for pid in child_pids():
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    os._exit(128 + signum)


def child_pids(parent: int | None = None) -> list[int]:
    """Direct children of ``parent`` (default: this process), from /proc; empty where there is none."""
    parent = os.getpid() if parent is None else parent
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def is_interrupt(exc: BaseException) -> bool:
    """Ctrl-C, SIGTERM (Prefect's TerminationSignal, also how a cancelled run is stopped), or a noticed stop."""
    from prefect.exceptions import TerminationSignal

    # After a signal, whatever surfaces is the interrupt in another guise: DuckDB, for one,
    # answers Ctrl-C during a COPY with its own InterruptException.
    return isinstance(exc, KeyboardInterrupt | TerminationSignal | StopRequested) or signal_received()
