"""``papertrends``: parse, call the command, print one line on errors, exit with the contract's codes.

Exit codes: 0 ok, 1 failure, 2 usage error, 130 SIGINT, 143 SIGTERM. Errors are one line
with no traceback unless ``--debug``. The commands are flows/cli/commands.py, the
options flows/cli/parser.py.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from flows.cli.commands import EXIT_FAILURE, EXIT_USAGE, UsageError, one_line
from flows.cli.parser import COMMANDS, build_parser
from flows.service.signals import take_over_signals

_COMMAND: list[str] = []
"""The command being run, for lines printed after it returned (a late signal)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    _COMMAND[:] = [args.command]
    try:
        return COMMANDS[args.command][0](args)
    except BrokenPipeError:  # the reader went away (`papertrends explain X | head`): not an error to report
        _silence_stdout()
        return EXIT_FAILURE
    except Exception as exc:
        if not _stopping():
            return _report_error(args, exc)
        # the signal surfaced wrapped in another error (e.g. Prefect's parameter serialisation)
    except KeyboardInterrupt:
        pass
    return _report_stop(args.command)


def _report_stop(command: str | None) -> int:
    """The one line a signal ends a command with, and its exit code (130 for SIGINT, 143 for SIGTERM).

    When the command's work had finished and was recorded before the signal came, the
    line says so: nothing is left to resume.
    """
    from flows.stopping import exit_code, work_done

    code = exit_code()
    who = f"papertrends {command}" if command else "papertrends"
    name = signal.Signals(code - 128).name
    done = work_done()
    if done:
        print(f"{who}: stopped by {name} after {done}; everything is stored", file=sys.stderr)
    else:
        print(f"{who}: stopped by {name}; what was stored is kept and the next run resumes from there",
              file=sys.stderr)  # fmt: skip
    return code


def _ignore_further_signals() -> None:
    """The process is leaving: a late or repeated signal must not surface as an uncaught
    ``KeyboardInterrupt`` (Python then ends the process by SIGINT, exit -2, no line)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def _record_late_signals() -> None:
    """From the moment the command has returned, a signal is remembered (it sets the exit code
    and its line) but raises nothing: there is no work left for it to interrupt."""
    from flows.stopping import request_stop, signal_received

    def remember(signum: int, frame: object) -> None:
        if not signal_received():
            request_stop(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, remember)


def _stopping() -> bool:
    """True once SIGINT/SIGTERM was received (cheap: flows.stopping imports nothing)."""
    from flows.stopping import signal_received

    return signal_received()


def _report_error(args: argparse.Namespace, exc: Exception) -> int:
    """One line for the user (the traceback with --debug); 2 for usage errors, else 1."""
    if isinstance(exc, UsageError):
        print(f"papertrends {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.debug:
        raise exc
    print(f"papertrends {args.command}: error: {one_line(exc)}", file=sys.stderr)
    return EXIT_FAILURE


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush into a closed pipe stays quiet."""
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def entrypoint() -> None:
    """The ``papertrends`` script: exit codes 0/1/2, 130/143 for a signal at any moment, never a death by one."""
    take_over_signals()
    try:
        code = main()
        _record_late_signals()  # inside the try: a signal just before it is still caught below
    except KeyboardInterrupt:  # a signal before main's own handling was reached (parsing the options)
        code = _report_stop(_COMMAND[0] if _COMMAND else None)
        _record_late_signals()
    from flows.stopping import StopRequested, pause_point, signal_received

    try:
        pause_point("cli:exiting")
        sys.stdout.flush()  # output still buffered meets a closed pipe here, not in the interpreter's shutdown
    except BrokenPipeError:
        _silence_stdout()
    except StopRequested:  # a signal ended the pause
        pass
    if code < 128 and signal_received():  # it came as the command ended: its code and its line
        code = _report_stop(_COMMAND[0] if _COMMAND else None)
    _ignore_further_signals()  # the interpreter's shutdown is no place for a KeyboardInterrupt
    sys.exit(code)


if __name__ == "__main__":
    entrypoint()
