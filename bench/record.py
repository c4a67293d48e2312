"""Benchmarks write their own figures: ``record(name, markdown)`` puts them in bench/BENCHMARKS.md.

Each benchmark's figures live in one block of BENCHMARKS.md,

    <!-- bench:NAME -->
    ## TITLE

    _`python bench/X.py ARGS` · DATE UTC, DURATION · nproc N · Python X.Y.Z · load average (1 min)
    L before, L after · commit C_                                                     (one line)

    ...the markdown the script wrote...
    <!-- /bench:NAME -->

replaced whole by the next run of the script (or added when missing, before the history
appendix). The header line is the recorder's, not the script's: the exact command, when it
ran (UTC) and for how long, the machine's cores, Python, the 1-minute load average when the
script started and when it recorded, and the commit, so a figure always says what machine
state and code it came from. Narrative about a benchmark may follow its block, without
figures: nothing outside the blocks is a measurement (tests/bench/test_record.py checks that
no digit is left outside them but in code spans and comments; older hand-pasted figures live in
bench/HISTORY.md, not here).

A benchmark that cannot run here (no repository snapshots, say) calls ``skip(reason)``: one
line, exit 0, and its block stays as the last run that could left it.

``PAPERTRENDS_BENCH_MD`` names another file (tests); ``PAPERTRENDS_BENCH_STATUS`` names a file
``skip`` writes its reason to, so bench/run_all.py can tell a skip from a run.
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HISTORY = "## History (not re-measured; from earlier rounds)"

_STARTED = (time.time(), os.getloadavg()[0])  # when the benchmark process started, and the load then
_NPROC = len(os.sched_getaffinity(0))  # as `nproc` says, before a benchmark pins itself to fewer cores


def benchmarks_md() -> Path:
    return Path(os.environ.get("PAPERTRENDS_BENCH_MD") or ROOT / "bench" / "BENCHMARKS.md")


def command_line(argv: list[str] | None = None) -> str:
    """``python bench/X.py ARGS`` as this process was started (the script's path relative to the project)."""
    argv = list(sys.argv if argv is None else argv)
    script = Path(argv[0]).resolve() if argv else Path("?")
    try:
        shown = str(script.relative_to(ROOT))
    except ValueError:
        shown = argv[0]
    return shlex.join(["python", shown, *argv[1:]])


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    return f"{minutes // 60} h {minutes % 60} min"


def _commit() -> str:
    """The commit measured, with ``+ local changes`` when files other than BENCHMARKS.md differ from it."""
    def git(*args: str) -> str:
        out = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
        return out.stdout.strip() if out.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return "no git commit"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench/BENCHMARKS.md")
    return f"commit {head}" + (" + local changes" if dirty else "")


def header(command: str | None = None, now: float | None = None) -> str:
    """The block's first line: command, date and duration, cores, Python, load before and after, commit."""
    started, load_before = _STARTED
    now = time.time() if now is None else now
    when = datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"_`{command or command_line()}` · {when}, {_duration(now - started)} · nproc {_NPROC} · "
            f"Python {platform.python_version()} · load average (1 min) {load_before:.2f} before, "
            f"{os.getloadavg()[0]:.2f} after · {_commit()}_")  # fmt: skip


def _block_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"<!-- bench:{re.escape(name)} -->\n.*?<!-- /bench:{re.escape(name)} -->\n?", re.DOTALL)


def render(name: str, markdown: str, title: str | None = None, level: int = 2, command: str | None = None) -> str:
    heading = f"{'#' * level} {title}\n\n" if title else ""
    return f"<!-- bench:{name} -->\n{heading}{header(command)}\n\n{markdown.strip()}\n<!-- /bench:{name} -->\n"


def replace_block(text: str, name: str, block: str) -> str:
    """``text`` with block ``name`` replaced by ``block``; a missing one goes before the history appendix
    (or at the end)."""
    pattern = _block_re(name)
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text, count=1)
    addition = block + "\n"
    at = text.find(HISTORY)
    if at == -1:
        return text.rstrip("\n") + "\n\n" + addition
    return text[:at] + addition + text[at:]


def record(name: str, markdown: str, *, title: str | None = None, level: int = 2, command: str | None = None) -> Path:
    """Write ``markdown`` as block ``name`` of BENCHMARKS.md, under a heading ``title`` of ``level`` (both in
    the block), with the recorder's header line (see the module's docstring); print where."""
    path = benchmarks_md()
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    path.write_text(replace_block(text, name, render(name, markdown, title or name, level, command)))
    print(f"recorded bench:{name} in {path}", flush=True)
    return path


def skip(reason: str) -> None:
    """Say in one line why this benchmark cannot run here, and exit 0."""
    script = Path(sys.argv[0]).name if sys.argv else "benchmark"
    print(f"{script}: skipped: {reason}", flush=True)
    status = os.environ.get("PAPERTRENDS_BENCH_STATUS")
    if status:
        Path(status).write_text(f"skipped: {reason}\n")
    sys.exit(0)


def load_now() -> float:
    """The 1-minute load average now (for figures a script takes in stages)."""
    return os.getloadavg()[0]
