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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
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
    _ignore_further_signals()
    from flows.stopping import exit_code

    code = exit_code()
    print(f"papertrends {args.command}: stopped by {signal.Signals(code - 128).name}; what was stored is kept "
          "and the next run resumes from there", file=sys.stderr)  # fmt: skip
    return code


def _ignore_further_signals() -> None:
    """The command is stopping: a late or repeated signal must not surface as a second,
    uncaught ``KeyboardInterrupt`` (Python then ends the process by SIGINT, exit -2)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


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


def _stop_on_signals_early() -> None:
    """Make SIGINT and SIGTERM unwind from the first moment, remembering which signal it was.

    Python's default for SIGTERM ends the process with no word and no exit code of ours,
    and its default SIGINT is not seen by the threads; a refresh installs its own handlers
    only once Prefect has been imported, seconds later.
    """
    from flows.service.signals import on_repeated_signal
    from flows.stopping import request_stop

    def handle(signum: int, frame: object) -> None:
        on_repeated_signal(signum)
        request_stop(signum)
        raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handle)


def entrypoint() -> None:
    _stop_on_signals_early()
    try:
        code = main()
    except KeyboardInterrupt:  # a signal before main's own handling was reached (parsing the options)
        from flows.stopping import exit_code

        code = exit_code()
    if code >= 128:
        _ignore_further_signals()
    try:
        sys.stdout.flush()  # output still buffered meets a closed pipe here, not in the interpreter's shutdown
    except BrokenPipeError:
        _silence_stdout()
    except KeyboardInterrupt:  # the first signal arrived just as the command ended
        from flows.stopping import exit_code

        code = exit_code()
    sys.exit(code)


if __name__ == "__main__":
    entrypoint()
