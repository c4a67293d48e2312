"""Ten SIGINTs (or SIGTERMs) spread over a whole ``papertrends refresh --sample``, the summary included.

Issue 20's check of the signal handling as a person meets it: a real refresh of the bundled
sample, signalled at evenly spread moments of its life, from start-up to after its summary.
Every stop must end within 15 s with 130 / 143 (or 0 when the signal came after the process
had decided to exit), one line, no traceback, never a death by signal, and a run row that
agrees with the exit code; a last refresh must complete. The tests prove the same at named
moments (tests/reliability/test_interrupts.py); this measures it with a clock, which is what
a benchmark may do and a test may not.

    python bench/interrupt_walk.py [--signal INT|TERM] [--tries 10]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent


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
    first = refresh(db, env)
    first.communicate()
    whole = time.monotonic() - started  # a cold first run; later ones are warmer and shorter
    rows = []
    for i in range(args.tries):
        at = whole * i / max(args.tries - 1, 1) * 0.8 + 0.2  # spread from start-up to past the summary
        before = len(run_statuses(db))
        run = refresh(db, env)
        time.sleep(at)
        sent = time.monotonic()
        if run.poll() is None:
            run.send_signal(sig)
        out, err = run.communicate(timeout=120)
        took = time.monotonic() - sent
        text = err.decode(errors="replace")
        stops = [line for line in text.splitlines() if "stopped by" in line]
        rows.append({"at_s": round(at, 1), "code": run.returncode, "exit_s": round(took, 1),
                     "stop_lines": len(stops), "after_work": any("everything is stored" in s for s in stops),
                     "traceback": "Traceback" in text,
                     "row": (run_statuses(db)[before:] or [None])[-1],  # None: stopped before its row was written
                     "summary_printed": "papertrends refresh" in out.decode(errors="replace")})  # fmt: skip
    final = refresh(db, env)
    final.communicate()
    ok = all(as_promised(r, sig) for r in rows) and final.returncode == 0 and last_run(db) == "completed"
    load = os.getloadavg()[0]
    print(f"# {args.tries} {sig.name}s over `refresh --sample` (a first run took {whole:.1f} s; load {load:.1f})")
    print("| signal at (s) | exit code | exit after (s) | stop lines | traceback | run row | summary printed |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['at_s']} | {r['code']} | {r['exit_s']} | {r['stop_lines']} | {r['traceback']} | {r['row']} | "
              f"{r['summary_printed']} |")
    print(f"final refresh: exit {final.returncode}, run row {last_run(db)}; all as promised: {ok}")
    (work / "walk.json").write_text(json.dumps(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
