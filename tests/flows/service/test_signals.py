"""The CLI's own signal handling, in a real process: exit codes and no stray traceback."""

from __future__ import annotations

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
