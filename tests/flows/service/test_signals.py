"""The CLI's own signal handling, in a real process: exit codes and no stray traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import PROJECT_ROOT

# A command that meets SIGTERM, then the same signal again, as Prefect's flow engine does
# when it passes a SIGTERM it caught back to the process.
_RESENT = """
import os, signal, sys
import flows.cli.main as cli

def main(argv=None):
    try:
        os.kill(os.getpid(), signal.SIGTERM)
    except KeyboardInterrupt:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):
            pass
    return 0

cli.main = main
cli.entrypoint()
"""


def test_a_signal_passed_on_again_ends_with_the_first_signals_code() -> None:
    proc = subprocess.run([sys.executable, "-c", _RESENT], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT_ROOT)  # fmt: skip
    assert proc.returncode == 143, (proc.returncode, proc.stderr)
    assert "stopped by SIGTERM" in proc.stderr and "Traceback" not in proc.stderr


def test_sigterm_before_any_work_ends_with_143() -> None:
    code = "\n".join(["import os, signal, flows.cli.main as c",
                      "c.main = lambda argv=None: os.kill(os.getpid(), signal.SIGTERM) or 0", "c.entrypoint()"])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT_ROOT)  # fmt: skip
    assert proc.returncode == 143, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr


SWALLOWED = """
import os, signal, sys, time
from flows.service.signals import take_over_signals
take_over_signals()

class Dropped:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1_000_000):  # the handler runs here, inside __del__: Python swallows what it raises
            pass

try:
    Dropped()
    for _ in range(500):
        time.sleep(0.01)
    print("not stopped")
except KeyboardInterrupt:
    print("stopped after all")
"""


def test_a_stop_that_python_swallows_in_a_del_is_delivered_again() -> None:
    """A handler's KeyboardInterrupt raised inside ``__del__`` is dropped by Python; the hook re-delivers it."""
    proc = subprocess.run([sys.executable, "-c", SWALLOWED], capture_output=True, text=True, timeout=120,
                          cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})  # fmt: skip
    assert "stopped after all" in proc.stdout, proc.stdout + proc.stderr


_ESCAPED = """
import os, signal
from flows.service.signals import take_over_signals
take_over_signals()
os.kill(os.getpid(), signal.SIGINT)  # as if during the command's imports: no try of ours around it
for _ in range(10_000_000):
    pass
print("not stopped")
"""


def test_a_stop_before_the_commands_try_ends_with_130_and_one_line_not_a_traceback() -> None:
    """The console script imports the command after taking the signals over; a stop there used to reach
    the top as a KeyboardInterrupt: a traceback and a death by SIGINT (-2)."""
    proc = subprocess.run([sys.executable, "-c", _ESCAPED], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})  # fmt: skip
    assert proc.returncode == 130, (proc.returncode, proc.stderr)
    assert proc.stderr.strip() == "papertrends: stopped by SIGINT; what was stored is kept"
    assert "not stopped" not in proc.stdout
