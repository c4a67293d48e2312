"""Where a warm ``papertrends refresh --sample`` spends its time (issue 23: at most 10 s when idle).

All in one run, on copies of one warm demo warehouse (the bundled sample, refreshed once):

- Python's own start (``python -c pass``): the floor every command pays;
- the CLI's start (``papertrends --version``);
- imports of the refresh path in a fresh interpreter (``import prefect``; ``import flows.refresh``,
  which is Prefect, DuckDB, pandas and every stage);
- the bare stages in one process, no Prefect (``ingest_sample``, ``classify_stored``,
  ``attribute_links``, ``export_tables``, ``write_report``), on a warm copy, as the refresh calls them;
- ``papertrends refresh --sample`` on a warm copy with Prefect's temporary server
  (``PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES=0``: a server started and stopped by every run);
- the same with the shared local server papertrends keeps (flows/service/local_server.py): the
  first run starts it, the later ones reuse it. Its keeper is stopped at the end.

Each refresh is split by its own ``runs`` row: before the row is opened (interpreter, imports,
finding or starting a server, creating the flow run), the stages (row opened to closed), and
after (artifacts, the flow run's end, the summary, exit). PREFECT_HOME is a temporary folder,
migrated by a first, cold refresh that is timed but is not part of the warm figures.
Records its figures in BENCHMARKS.md (block ``startup``).

    python bench/startup_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from record import load_now, record  # noqa: E402

TARGET_SECONDS = 10.0
STATE = "papertrends-local-server.json"  # flows.service.local_server.STATE (not imported: no flows in this process)

_STAGES_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from flows.report.write import write_report
from flows.settings import Settings
from flows.stages.attribute import attribute_links
from flows.stages.classify import classify_stored
from flows.stages.ingest import ingest_sample
from flows.store.parquet import export_tables
from flows.store.warehouse import Warehouse
out = {"imports": time.perf_counter() - t0}
settings = Settings.for_db(sys.argv[1])
t = time.perf_counter()
with Warehouse(settings.db_path) as wh:
    out["open"] = time.perf_counter() - t
    for name, stage in [("ingest_sample", lambda: ingest_sample(wh, settings.sample_dir)),
                        ("classify_stored", lambda: classify_stored(wh)),
                        ("attribute_links", lambda: attribute_links(wh)),
                        ("export_tables", lambda: export_tables(wh, settings.parquet_dir)),
                        ("write_report", lambda: write_report(wh, settings.reports_dir))]:
        t = time.perf_counter()
        stage()
        out[name] = time.perf_counter() - t
print(json.dumps(out))
"""


def papertrends() -> list[str]:
    exe = Path(sys.executable).parent / "papertrends"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "flows.cli"]


def base_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp / "prefect"), MPLCONFIGDIR=str(tmp / "matplotlib"), DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONPATH=str(ROOT))  # fmt: skip
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    return env


def wall(cmd: list[str], env: dict[str, str], log: Path | None = None) -> float:
    """Seconds from start to exit of one command; its output goes to ``log`` (or nowhere)."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        started = time.perf_counter()
        code = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
        seconds = time.perf_counter() - started
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    if code:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}" + (f"; see {log}" if log else ""))
    return seconds


def imports_seconds(module: str, env: dict[str, str]) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def last_run(db: Path) -> tuple[float, float, str]:
    """The latest ``runs`` row: its start and end as epoch seconds, and its status."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        started, finished, status = con.execute(
            "SELECT started_at, finished_at, status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return started.replace(tzinfo=UTC).timestamp(), finished.replace(tzinfo=UTC).timestamp(), status


def refresh_parts(db: Path, env: dict[str, str], log: Path) -> dict[str, float]:
    """One ``papertrends refresh --sample``: its wall time, split by its runs row."""
    t0 = time.time()
    total = wall([*papertrends(), "refresh", "--sample", "--db", str(db)], env, log)
    t1 = t0 + total
    started, finished, status = last_run(db)
    if status != "completed" or started < t0:
        raise RuntimeError(f"the refresh's run row is {status!r} (see {log})")
    return {"total": total, "before": started - t0, "stages": finished - started, "after": t1 - finished}


def stop_keeper(home: Path) -> str:
    """Stop the shared server's keeper (it stops its server); say what happened."""
    state = home / STATE
    if not state.exists():
        return "no keeper was running"
    pid = int(json.loads(state.read_text())["keeper_pid"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return f"keeper {pid} had already stopped"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return f"keeper {pid} stopped"
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    return f"keeper {pid} killed after 60 s"


def median_parts(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def measure(tmp: Path, repeat: int) -> dict[str, Any]:
    env = base_env(tmp)
    log = tmp / "refresh.log"
    seed = tmp / "seed" / "warehouse.duckdb"
    seed.parent.mkdir()
    results: dict[str, Any] = {"load": {"start": load_now()}}

    def warm_copy(name: str) -> Path:
        folder = tmp / name
        shutil.copytree(seed.parent, folder)
        return folder / "warehouse.duckdb"

    temporary = {**env, "PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES": "0"}
    # the demo warehouse, and Prefect's database migrated: a cold first run, not part of the warm figures
    results["cold_first_refresh"] = refresh_parts(seed, temporary, log)
    results["python"] = statistics.median(wall([sys.executable, "-c", "pass"], env) for _ in range(5))
    results["version"] = statistics.median(wall([*papertrends(), "--version"], env) for _ in range(5))
    results["import_prefect"] = statistics.median(imports_seconds("prefect", env) for _ in range(repeat))
    results["import_refresh"] = statistics.median(imports_seconds("flows.refresh", env) for _ in range(repeat))
    stages = []
    for _ in range(repeat):
        db = warm_copy(f"bare-{len(stages)}")
        out = subprocess.run([sys.executable, "-c", _STAGES_CHILD, str(db)], env=env, capture_output=True, text=True,
                             check=True)  # fmt: skip
        stages.append(json.loads(out.stdout.strip().splitlines()[-1]))
    results["bare_stages"] = median_parts(stages)
    results["load"]["before_refreshes"] = load_now()
    db = warm_copy("temporary")
    results["refresh_temporary"] = median_parts([refresh_parts(db, temporary, log) for _ in range(repeat)])
    results["load"]["between"] = load_now()
    shared = {**env, "PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES": "10"}
    db = warm_copy("shared")
    try:
        results["refresh_shared_first"] = refresh_parts(db, shared, log)
        results["refresh_shared"] = median_parts([refresh_parts(db, shared, log) for _ in range(repeat)])
    finally:
        results["keeper"] = stop_keeper(tmp / "prefect")
    results["load"]["end"] = load_now()
    return results


def markdown(r: dict[str, Any], repeat: int) -> str:
    warm, temp = r["refresh_shared"], r["refresh_temporary"]
    first, cold = r["refresh_shared_first"], r["cold_first_refresh"]
    bare = r["bare_stages"]
    bare_total = sum(v for k, v in bare.items() if k != "imports")
    load = r["load"]

    def share(seconds: float) -> str:
        return f"{seconds:.2f} s | {seconds / warm['total']:.0%}"

    verdict = "within" if warm["total"] <= TARGET_SECONDS else "over"
    lines = [
        f"Medians of {repeat} unless it says otherwise. A warm refresh is `papertrends refresh --sample` on a copy of "
        "a demo warehouse that has been refreshed once (the sample unchanged, so nothing to load or decide again); "
        "PREFECT_HOME is a temporary folder whose database a first, cold refresh migrated. Each refresh is split by "
        "its own `runs` row (opened when the flow body starts, closed when its stages are done). "
        f"Load average (1 min): {load['start']:.1f} at the start, {load['before_refreshes']:.1f} before the timed "
        f"refreshes, {load['between']:.1f} between the two server modes, {load['end']:.1f} at the end: "
        + ("the machine was **not idle**, so these are upper bounds for the idle target." if load["end"] > 1.5
           or load["start"] > 1.5 else "the machine was about idle."), "",
        "| warm `refresh --sample` | total | before the run row | stages (run row open) | after (artifacts, "
        "summary, exit) |", "|---|---:|---:|---:|---:|",
    ]  # fmt: skip
    for name, parts in (("shared local server, reused", warm),
                        ("shared local server, first run (starts it; one run)", first),
                        ("Prefect's temporary server (`PAPERTRENDS_PREFECT_SERVER_IDLE_MINUTES=0`)", temp),
                        ("cold: empty PREFECT_HOME, temporary server, empty warehouse (one run; not warm)", cold)):
        lines.append(f"| {name} | **{parts['total']:.2f} s** | {parts['before']:.2f} s | {parts['stages']:.2f} s "
                     f"| {parts['after']:.2f} s |")  # fmt: skip
    prefect_start = warm["before"] - r["import_refresh"] - r["python"]
    lines += [
        "", f"Where the warm refresh on the shared server goes ({warm['total']:.2f} s), with the parts measured on "
        "their own in the same run:", "",
        "| part | seconds | share of the warm refresh |", "|---|---:|---:|",
        f"| Python's start (`python -c pass`) | {share(r['python'])} |",
        f"| imports of the refresh path (`import flows.refresh` in a fresh interpreter; of it `import prefect` "
        f"{r['import_prefect']:.2f} s) | {share(r['import_refresh'])} |",
        f"| the rest before the run row: reaching the server, creating the flow run (derived: before - imports - "
        f"Python's start) | {share(prefect_start)} |",
        f"| stages under Prefect (run row open) | {share(warm['stages'])} |",
        f"| after the run row: artifacts, the flow run's end, the summary, exit | {share(warm['after'])} |", "",
        f"For reference, same run: `papertrends --version` (the CLI's start, no Prefect) {r['version']:.2f} s; the "
        f"bare stages in one process with no Prefect on a warm copy {bare_total:.2f} s ("
        + ", ".join(f"`{k}` {v:.2f} s" for k, v in bare.items() if k != "imports")
        + f"; their imports {bare['imports']:.2f} s). The stages under Prefect took {warm['stages']:.2f} s, "
        f"{warm['stages'] / bare_total:.1f}x the bare ones.", "",
        f"Target (issue 23): a warm refresh in at most {TARGET_SECONDS:.0f} s on this machine when idle. This run, "
        f"at the load above: **{warm['total']:.2f} s, {verdict}** with the shared server; {temp['total']:.2f} s "
        f"with a temporary server per run ({temp['total'] / warm['total']:.1f}x). Keeper: {r['keeper']}.",
    ]  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (logs, warehouses)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = measure(work, args.repeat)
    print(json.dumps(results, indent=1))
    record("startup", markdown(results, args.repeat), title="Start-up: a warm `refresh --sample`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
