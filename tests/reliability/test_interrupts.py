"""Ctrl-C (SIGINT) and SIGTERM at every stage of a real ``papertrends refresh``.

Chained on one data folder, as a user's interruptions would be: at start-up, while
downloading the archive, mid-crawl, then at the classify, export and report markers of
the progress bars. Each must end the command within 15 s with 130 / 143, leave the
run's row ``interrupted`` (never ``completed``), and the next run must finish the job.
Two chains swap the signals, so each stage sees both.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import duckdb
import pytest
from reliability.world import CliRun, World, fake_world, start_cli

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

N_REPOS = 24
N_PADDING_PAPERS = 20_000  # a papers file of a few MB: a download long enough to land in


def _markers(text: str) -> list[str]:
    return [s for s in ("crawl", "classify", "attribute", "export", "report") if f"{s:<9}:" in text]


class _After:
    """True once ``seconds`` have passed since the first time it is asked (the process's start)."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.t0 = seconds, None

    def __call__(self, world: World, run: CliRun) -> bool:
        self.t0 = self.t0 or time.monotonic()
        return time.monotonic() - self.t0 > self.seconds


def _triggers() -> list[tuple[str, object]]:
    """(stage, when to send the signal); made anew per test, so a clock starts with its own process."""
    return [
        ("start-up", _After(2.5)),  # Prefect importing and starting the flow run
        ("download", lambda w, r: w.hf_proxy.n_bytes_relayed > 256 * 1024),
        ("crawl", lambda w, r: w.github.counts["raw"] >= 10),
        ("classify", lambda w, r: "classify" in _markers(r.text())),
        ("export", lambda w, r: "export" in _markers(r.text())),
        ("report", lambda w, r: "report" in _markers(r.text())),
    ]


def _runs(db: Path) -> list[tuple[str, dict]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT status, counts FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    return [(status, json.loads(counts or "{}")) for status, counts in rows]


def _interrupt(world: World, data: Path, cwd: Path, stage: str, trigger: object, sig: int) -> tuple[int, float, str]:
    world.hf_proxy.chunk_delay = 0.05 if stage == "download" else 0.0
    world.github.latency = 0.2 if stage == "crawl" else 0.0
    world.reset_counters()
    run: CliRun = start_cli(world.refresh_args(), world.env(data), cwd)
    run.wait_for(lambda: trigger(world, run), timeout=180)  # type: ignore[operator]
    sent = time.monotonic()
    os.kill(run.proc.pid, sig)
    code = run.finish(timeout=60)
    return code, time.monotonic() - sent, run.text()


@pytest.mark.parametrize("first", [signal.SIGINT, signal.SIGTERM], ids=["sigint-first", "sigterm-first"])
def test_interrupts_at_every_stage_end_fast_are_recorded_and_resume(tmp_path: Path, prefect_server: str,
                                                                   first: int) -> None:  # fmt: skip
    other = signal.SIGTERM if first == signal.SIGINT else signal.SIGINT
    data = tmp_path / "data"
    outcomes = []
    triggers = _triggers()
    with fake_world(N_REPOS, n_padding_papers=N_PADDING_PAPERS) as world:
        for i, (stage, trigger) in enumerate(triggers):
            sig = first if i % 2 == 0 else other
            n_rows = len(_runs(data / "warehouse.duckdb")) if (data / "warehouse.duckdb").exists() else 0
            code, took, text = _interrupt(world, data, tmp_path, stage, trigger, sig)
            outcomes.append((stage, signal.Signals(sig).name, code, round(took, 1)))
            assert code == 128 + sig, (stage, code, text[-2000:])
            assert took < 15, (stage, took, text[-2000:])
            assert "Traceback" not in text and f"stopped by {signal.Signals(sig).name}" in text, text[-2000:]
            runs = _runs(data / "warehouse.duckdb") if (data / "warehouse.duckdb").exists() else []
            assert "completed" not in [status for status, _ in runs], (stage, runs)
            if len(runs) > n_rows:  # a run that got as far as its start row says it was interrupted
                assert runs[-1][0] == "interrupted", (stage, runs[-1])
        world.hf_proxy.chunk_delay, world.github.latency = 0.0, 0.0
        final = start_cli(world.refresh_args(), world.env(data), tmp_path)
        assert final.finish() == 0, final.text()[-2000:]
    print(f"interrupts: {outcomes}")  # figures for the docs
    runs = _runs(data / "warehouse.duckdb")
    # the start-up interrupt may come before the run wrote its row
    assert [status for status, _ in runs].count("interrupted") >= len(triggers) - 1, runs
    status, counts = runs[-1]
    assert status == "completed"
    assert counts["crawl"]["selected"] < N_REPOS  # resumed: what the interrupted runs stored was not crawled again
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM repos WHERE status = 'ok'").fetchall()[0][0] == N_REPOS
        assert con.execute("SELECT count(DISTINCT repo_key) FROM classifications").fetchall()[0][0] == N_REPOS
    finally:
        con.close()
