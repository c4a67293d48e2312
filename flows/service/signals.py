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

import _thread
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

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


_redelivering: list[int] = []  # a swallowed first signal waiting to be raised again
_in_hook: list[bool] = []  # the main thread is inside the unraisable hook: a stop raised there is dropped too
_missed: list[bool] = []  # the re-delivery reached the handler inside the hook: deliver it once more


def raise_stop(signum: int, grace_seconds: float | None = None) -> None:
    """What every SIGINT/SIGTERM handler of ours does: remember the signal, tell the other threads,
    start the watchdog (``grace_seconds``), and unwind the main thread with ``KeyboardInterrupt``.

    A repeat ends the process at once (:func:`on_repeated_signal`), except our own re-delivery
    of a first signal that Python swallowed (:func:`redeliver_swallowed_stops`).
    """
    if _redelivering:
        if _in_hook:  # raising here would be swallowed again, by the hook's own caller
            _missed.append(True)
            return
        _redelivering.clear()
        raise KeyboardInterrupt(f"stopped by {signal.Signals(first_signal()).name}")
    on_repeated_signal(signum)
    request_stop(signum)
    if grace_seconds is not None:
        _start_watchdog(grace_seconds)
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


@contextmanager
def stop_on_signals(grace_seconds: float = GRACE_SECONDS) -> Iterator[None]:
    """SIGINT and SIGTERM raise ``KeyboardInterrupt`` in the main thread and stop the others.

    A second signal, or a stall past ``grace_seconds``, ends the process at once.
    """

    def handle(signum: int, frame: FrameType | None) -> None:
        raise_stop(signum, grace_seconds)

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def take_over_signals() -> None:
    """Make SIGINT and SIGTERM unwind from the first moment, remembering which signal it was.

    Python's default for SIGTERM ends the process with no word and no exit code of ours,
    and its default SIGINT is not seen by the threads; a refresh installs its own handlers
    (:func:`stop_on_signals`) only once Prefect has been imported, seconds later. A stop
    Python swallows is delivered again (:func:`redeliver_swallowed_stops`).
    """

    def handle(signum: int, frame: FrameType | None) -> None:
        raise_stop(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handle)
    if not _HOOKED:
        _HOOKED.append(True)
        redeliver_swallowed_stops()
        end_escaped_stops()


def end_escaped_stops() -> None:
    """A stop no code of ours caught ends the process with its code and one line, not a traceback.

    Between taking the signals over and the command's own ``try`` the console script still
    imports the command (seconds on a loaded machine); a ``KeyboardInterrupt`` of ours raised
    there reached the top, printed a traceback and, Python's rule for an uncaught
    KeyboardInterrupt, ended the process by SIGINT itself (exit -2).
    """
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        if issubclass(kind, KeyboardInterrupt) and signal_received():
            hard_exit(first_signal())
        previous(kind, exc, tb)

    sys.excepthook = hook


_HOOKED: list[bool] = []


def redeliver_swallowed_stops() -> None:
    """Make a stop that Python swallowed take effect after all.

    A handler's ``KeyboardInterrupt`` (ours) or ``TerminationSignal`` (Prefect's SIGTERM
    bridge) raised while the main thread runs a ``__del__``, a weakref callback or a C
    callback is printed as "Exception ignored" and dropped: the run would go on until the
    watchdog. The hook below delivers the stop again, from a thread of its own (called from
    the hook itself it would be swallowed the same way), through ``_thread.interrupt_main``,
    which runs our SIGINT handler at the main thread's next safe point -- once the hook has
    returned: on a loaded machine the timer fired while the hook was still starting it, and
    the handler's stop, raised inside the hook, was dropped a second time.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        exc = unraisable.exc_value
        if not (isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "TerminationSignal") or work_done():
            previous(unraisable)
            return
        _in_hook.append(True)
        try:
            if not signal_received():  # Prefect's bridge raised it: nothing of ours has seen the signal
                request_stop(getattr(exc, "signal", signal.SIGTERM))
                _start_watchdog(GRACE_SECONDS)
            if not _redelivering:
                _redelivering.append(first_signal())
                threading.Thread(target=_redeliver, name="papertrends-redeliver-stop", daemon=True).start()
        finally:
            _in_hook.clear()

    sys.unraisablehook = hook


def _redeliver() -> None:
    """From a thread of its own: interrupt the main thread until its handler has raised the stop
    outside the hook (the watchdog ends the process if the main thread never gets there)."""
    while _redelivering:
        while _in_hook:
            time.sleep(0.005)
        _missed.clear()
        _thread.interrupt_main(signal.SIGINT)
        while _redelivering and not _missed:  # the handler takes it, or says it ran inside the hook
            time.sleep(0.005)


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
