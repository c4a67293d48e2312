"""Ctrl-C (SIGINT) and SIGTERM at every moment of a real ``papertrends refresh``.

No timers and no reading of progress bars: each run is held at a named moment of its life
(``PAPERTRENDS_PAUSE_AT``, :func:`flows.stopping.pause_point`) or at a barrier of the fake
world (the archive's download stops half-way until released), and the signal is sent while
that moment provably lasts. Every stop must end the command with 130 / 143 and exactly one
line, no traceback, and a run row that agrees: ``interrupted`` while the work was going,
``completed`` when the signal came after it had been recorded (and the line says so); a
stop before the run started leaves no row. The next run finishes the job.

README ("Reliability") promises this: "Ctrl-C or SIGTERM at any moment ...".
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import duckdb
import pytest
from reliability.trees import PROJECT_ROOT
from reliability.world import CliRun, World, fake_world, start_cli
from sample_factory import write_sample

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

# Every moment of a sample refresh's life, in order. Before the run's row exists, a stop
# leaves no row; from "run-started" to the report it leaves the row interrupted; after the
# run was recorded completed (the summary printed, the process exiting) it stays completed.
SAMPLE_MOMENTS = [
    ("refresh:before-prefect", None),
    ("refresh:run-started", "interrupted"),
    ("stage:sample", "interrupted"),
    ("stage:classify", "interrupted"),
    ("stage:attribute", "interrupted"),
    ("stage:export", "interrupted"),
    ("stage:report", "interrupted"),
    ("refresh:after-summary", "completed"),
    ("cli:exiting", "completed"),
]


def _runs(db: Path) -> list[tuple[str, dict, str | None]]:
    if not db.exists():
        return []
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT status, counts, error FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    return [(status, json.loads(counts or "{}"), error) for status, counts, error in rows]


def _sample_env(data: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PAPERTRENDS_DATA_DIR": str(data)}
    env.pop("GITHUB_TOKEN", None)
    return env


def _signal_at(run: CliRun, point: str, sig: int) -> int:
    run.wait_paused(point)
    os.kill(run.proc.pid, sig)
    return run.finish(timeout=120)


def _assert_one_clean_stop(run: CliRun, code: int, sig: int, after_work: bool) -> None:
    name = signal.Signals(sig).name
    text = run.text()
    assert code == 128 + sig, (code, text[-3000:])
    assert "Traceback" not in text, text[-3000:]
    lines = run.stop_lines()
    assert len(lines) == 1 and f"stopped by {name}" in lines[0], lines
    assert ("everything is stored" in lines[0]) == after_work, lines  # a stop after the work says so


# The walk's signal at each moment: SIGINT and SIGTERM in turn, so each kind of ending (no row,
# interrupted, completed) meets both; the moment before Prefect, the only one of its kind, gets
# both. Both signals reach the same handler; walking every moment with each (20 refreshes instead
# of 11) cost the suite about 35 s of its 5 minutes on two cores.
SAMPLE_WALK = [("refresh:before-prefect", None, signal.SIGTERM)] + [
    (point, row_after, signal.SIGINT if i % 2 == 0 else signal.SIGTERM)
    for i, (point, row_after) in enumerate(SAMPLE_MOMENTS)
]


def test_a_signal_at_every_moment_of_a_sample_refresh_ends_it_cleanly_and_recorded(
    tmp_path: Path, prefect_server: str
) -> None:
    """README ("Command line": exit codes, a signal after the work was recorded; "Reliability": Ctrl-C /
    SIGTERM at every moment, a stop before the run's row existed leaves none)."""
    sample = write_sample(tmp_path / "sample")
    data = tmp_path / "data"
    db = data / "warehouse.duckdb"
    args = ["refresh", "--sample", "--sample-dir", str(sample), "--no-progress"]
    for point, row_after, sig in SAMPLE_WALK:
        n_rows = len(_runs(db))
        run = start_cli(args, _sample_env(data), tmp_path, pause_at=point)
        code = _signal_at(run, point, sig)
        _assert_one_clean_stop(run, code, sig, after_work=row_after == "completed")
        runs = _runs(db)
        if row_after is None:  # stopped before the run began: nothing recorded
            assert len(runs) == n_rows, (point, runs)
        else:
            assert len(runs) == n_rows + 1 and runs[-1][0] == row_after, (point, runs[-1:])
            if row_after == "interrupted":
                assert runs[-1][2] == f"stopped by {signal.Signals(sig).name}", runs[-1]
    final = start_cli(args, _sample_env(data), tmp_path)
    assert final.finish() == 0, final.text()[-3000:]
    assert _runs(db)[-1][0] == "completed"


# --- the network stages: a download held half-way, a crawl and an ingest between batches ---------

N_REPOS = 24
N_PADDING_PAPERS = 20_000  # a papers file of a few MB: a download to hold half-way


def _held_download(world: World, data: Path, cwd: Path, sig: int) -> tuple[CliRun, int]:
    world.hf_proxy.hold_after_bytes = 256 * 1024
    world.hf_proxy.holding.clear()
    world.hf_proxy.release.clear()
    run = start_cli(world.refresh_args(), world.env(data), cwd)
    try:
        run.wait_for(world.hf_proxy.holding.is_set, timeout=300)
        os.kill(run.proc.pid, sig)
        return run, run.finish(timeout=120)
    finally:
        world.hf_proxy.release.set()
        world.hf_proxy.hold_after_bytes = None


@pytest.mark.parametrize("first", [signal.SIGINT, signal.SIGTERM], ids=["sigint-first", "sigterm-first"])
def test_signals_in_the_download_the_ingest_and_the_crawl_stop_at_once_and_the_next_run_resumes(
    tmp_path: Path, prefect_server: str, first: int
) -> None:
    other = signal.SIGTERM if first == signal.SIGINT else signal.SIGINT
    data = tmp_path / "data"
    db = data / "warehouse.duckdb"
    with fake_world(N_REPOS, n_padding_papers=N_PADDING_PAPERS) as world:
        world.env_extra["PAPERTRENDS_CRAWL_BATCH"] = "8"  # three batches: a stop after the first stored one
        run, code = _held_download(world, data, tmp_path, first)
        _assert_one_clean_stop(run, code, first, after_work=False)
        assert _runs(db)[-1][0] == "interrupted"

        run = start_cli(world.refresh_args(), world.env(data), tmp_path, pause_at="ingest:batch-stored")
        _assert_one_clean_stop(run, _signal_at(run, "ingest:batch-stored", other), other, after_work=False)
        assert _runs(db)[-1][0] == "interrupted"

        run = start_cli(world.refresh_args(), world.env(data), tmp_path, pause_at="crawl:batch-stored")
        _assert_one_clean_stop(run, _signal_at(run, "crawl:batch-stored", first), first, after_work=False)
        assert _runs(db)[-1][0] == "interrupted"
        con = duckdb.connect(str(db), read_only=True)
        try:
            n_crawled = con.execute("SELECT count(*) FROM repos WHERE status = 'ok'").fetchall()[0][0]
        finally:
            con.close()
        assert 0 < n_crawled < N_REPOS  # one batch was stored before the stop; the rest was not

        final = start_cli(world.refresh_args(), world.env(data), tmp_path)
        assert final.finish() == 0, final.text()[-3000:]
    runs = _runs(db)
    assert [status for status, _c, _e in runs] == ["interrupted"] * 3 + ["completed"]
    assert runs[-1][1]["crawl"]["selected"] == N_REPOS - n_crawled  # resumed: nothing stored was crawled again
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM repos WHERE status = 'ok'").fetchall()[0][0] == N_REPOS
        assert con.execute("SELECT count(DISTINCT repo_key) FROM classifications").fetchall()[0][0] == N_REPOS
    finally:
        con.close()
