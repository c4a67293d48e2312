"""Ten SIGINTs (or SIGTERMs) spread over a whole ``papertrends refresh --sample``, the summary included.

Issue 20's check of the signal handling as a person meets it: a real refresh of the bundled
sample, signalled at evenly spread moments of its life, from start-up to after its summary.
Every stop must end within 15 s with 130 / 143 (or 0 when the signal came after the process
had decided to exit), one line, no traceback, never a death by signal, and a run row that
agrees with the exit code; a last refresh must complete. The tests prove the same at named
moments (tests/reliability/test_interrupts.py); this measures it with a clock, which is what
a benchmark may do and a test may not. Records its table in BENCHMARKS.md (block
``interrupt-walk``, or ``interrupt-walk-term`` for SIGTERM) and exits 1 when a stop broke
the promise.

    python bench/interrupt_walk.py [--signal INT|TERM] [--tries 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from record import record  # noqa: E402


def refresh(db: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "flows.cli", "refresh", "--sample", "--db", str(db), "--no-progress"]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_statuses(db: Path) -> list[str]:
    if not db.exists():
        return []
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [row[0] for row in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]
    finally:
        con.close()


def last_run(db: Path) -> str | None:
    statuses = run_statuses(db)
    return statuses[-1] if statuses else None


def papertrends_has_taken_over(pid: int) -> bool:
    """Whether the process catches SIGTERM yet: Python does not by itself, papertrends does from the moment
    ``flows.cli`` is imported (flows/service/signals.py). Before that the process is in Python's own start-up
    (``site``, runpy), where a SIGINT ends it with Python's KeyboardInterrupt, or kills it, before any code of
    ours has run."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # gone, or no /proc: nothing to wait for
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def as_promised(r: dict, sig: int) -> bool:
    """Exit 0 (the signal came as it exited, the run completed) or 128 + signal with one line, within 15 s,
    no traceback, and a run row that agrees: interrupted, or completed when the line says the work was done."""
    if r["code"] == 0:
        agrees = r["row"] == "completed" and r["stop_lines"] == 0
    else:
        agrees = r["code"] == 128 + sig and r["stop_lines"] == 1 and (
            r["row"] == ("completed" if r["after_work"] else "interrupted") or r["row"] is None)
    return agrees and r["exit_s"] <= 15 and not r["traceback"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signal", choices=["INT", "TERM"], default="INT")
    parser.add_argument("--tries", type=int, default=10)
    args = parser.parse_args()
    sig = signal.Signals[f"SIG{args.signal}"]
    work = Path(tempfile.mkdtemp(prefix="interrupt-walk-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(work / "prefect"), "DO_NOT_TRACK": "1",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES": "0"}  # fmt: skip
    env.pop("PREFECT_API_URL", None)
    db = work / "warehouse.duckdb"
    started = time.monotonic()
    refresh(db, env).communicate()
    cold = time.monotonic() - started
    started = time.monotonic()
    refresh(db, env).communicate()  # a warm one: the length the signals are spread over
    whole = time.monotonic() - started
    rows = []
    for i in range(args.tries):
        at = 0.2 + whole * 1.05 * i / max(args.tries - 1, 1)  # from start-up to just past the summary
        before = len(run_statuses(db))
        run = refresh(db, env)
        launched = time.monotonic()
        time.sleep(at)
        while run.poll() is None and not papertrends_has_taken_over(run.pid):
            time.sleep(0.005)  # still Python's own start-up: the signal waits for it (a benchmark may poll)
        sent = time.monotonic()
        at = sent - launched
        signalled = run.poll() is None  # False: it had already exited (the row then says so)
        if signalled:
            run.send_signal(sig)
        out, err = run.communicate(timeout=120)
        took = time.monotonic() - sent
        text = err.decode(errors="replace")
        stops = [line for line in text.splitlines() if "stopped by" in line]
        rows.append({"at_s": round(at, 1), "sent": signalled, "code": run.returncode, "exit_s": round(took, 1),
                     "stop_lines": len(stops), "after_work": any("everything is stored" in s for s in stops),
                     "traceback": "Traceback" in text,
                     "row": (run_statuses(db)[before:] or [None])[-1],  # None: stopped before its row was written
                     "summary_printed": "papertrends refresh" in out.decode(errors="replace")})  # fmt: skip
    final = refresh(db, env)
    final.communicate()
    ok = all(as_promised(r, sig) for r in rows) and final.returncode == 0 and last_run(db) == "completed"
    lines = [f"A cold `refresh --sample` (its own PREFECT_HOME, a temporary Prefect server per run) took "
             f"{cold:.1f} s, a warm one {whole:.1f} s; then {args.tries} warm refreshes, each sent SIG{args.signal} "
             "at a moment spread from start-up to just past the warm one's length (so the last land after the "
             "summary, or after the exit: then no signal is sent), and a last refresh left alone. A signal due "
             "while the process is still in Python's own start-up (`site`, runpy: no papertrends code has run, "
             "so nothing of ours can answer it) waits until papertrends has taken the signals over; the first "
             "column is when it was sent. "
             "Promised: exit 128 + signal with one line saying so (or 0 when the work had finished), within 15 s, "
             "no traceback, never a death by signal, a run row that agrees.", "",
             "| signal at (s) | sent | exit code | exit after (s) | stop lines | traceback | run row | summary |",
             "|---:|---|---:|---:|---:|---|---|---|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['at_s']} | {r['sent']} | {r['code']} | {r['exit_s']} | {r['stop_lines']} | "
                     f"{r['traceback']} | {r['row']} | {'printed' if r['summary_printed'] else 'none'} |")
    lines += ["", f"Last refresh: exit {final.returncode}, run row {last_run(db)}. "
              f"Every stop as promised: **{'yes' if ok else 'no'}**."]
    print("\n".join(lines))
    suffix = "" if sig == signal.SIGINT else "-term"
    record(f"interrupt-walk{suffix}", "\n".join(lines), title=f"SIG{args.signal} over a whole `refresh --sample`")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
