"""SIGKILL a real ``papertrends refresh`` at each stage, on either crawl path (API and git); the next
run ends with exactly the warehouse a clean run produces (table contents compared without
timestamps and run ids).

The kills are chained on one data directory, as a user's crashes would be: killed while
downloading the archive, while ingesting it, mid-crawl, then at the classify, export and
report markers of the progress bars on stderr; then one run to completion. The stage a
kill really landed in is read from what the process had printed and asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from pprint import pformat

import duckdb
import pytest
from reliability.warehouse_compare import warehouse_differences
from reliability.world import World, fake_world, start_cli

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

N_REPOS = 40
N_PADDING_PAPERS = 20_000  # makes the papers file a few MB: a download and an ingest long enough to land in


def _cdn_bytes_done(world: World, name: str) -> bool:
    return any("/cdn/" in path and name in path and kind == "ok" for _m, path, kind in list(world.hf_proxy.log))


def _markers(text: str) -> list[str]:
    """The stages whose progress bar has appeared, in order."""
    return [s for s in ("crawl", "classify", "export", "report") if f"{s:<9}:" in text]


KILL_POINTS = [
    # (name, when to pull the trigger)
    ("download", lambda w, r: w.hf_proxy.n_bytes_relayed > 256 * 1024),
    ("ingest", lambda w, r: _cdn_bytes_done(w, "papers") and w.hf_proxy.n_bytes_relayed > 0 and not _markers(r.text())),
    ("crawl", lambda w, r: w.github.counts["raw"] + w.github.counts["git"] >= 40),  # file reads: raw or git
    ("classify", lambda w, r: "classify" in _markers(r.text())),
    ("export", lambda w, r: "export" in _markers(r.text())),
    ("report", lambda w, r: "report" in _markers(r.text())),
]


@pytest.mark.parametrize("via", ["api", "git"])
def test_refresh_killed_at_every_stage_resumes_to_the_clean_warehouse(tmp_path: Path, prefect_server: str,
                                                                      via: str) -> None:  # fmt: skip
    with fake_world(N_REPOS, n_padding_papers=N_PADDING_PAPERS) as world:
        clean = start_cli(world.refresh_args(), world.env(tmp_path / "clean", via), tmp_path)
        assert clean.finish() == 0, clean.text()[-2000:]

        landed = []
        for name, trigger in KILL_POINTS:
            slow = name in ("download", "ingest")
            world.hf_proxy.chunk_delay = 0.05 if slow else 0.0
            world.github.latency = 0.05 if name == "crawl" else 0.0
            world.reset_counters()  # triggers count this run's traffic only
            run = start_cli(world.refresh_args(), world.env(tmp_path / "killed", via), tmp_path)
            run.wait_for(lambda run=run, trigger=trigger: trigger(world, run), timeout=120)
            run.kill()
            landed.append((name, _markers(run.text())[-1:] or ["before-crawl"]))
        world.hf_proxy.chunk_delay, world.github.latency = 0.0, 0.0
        final = start_cli(world.refresh_args(), world.env(tmp_path / "killed", via), tmp_path)
        assert final.finish() == 0, final.text()[-2000:]

    print(f"kills: {landed}")  # figures for docs
    # Each kill landed where it was meant to (the progress bars say which stage was running).
    assert [stage for _n, (stage,) in landed[:3]] == ["before-crawl", "before-crawl", "crawl"], landed
    assert [stage for _n, (stage,) in landed[3:]] == ["classify", "export", "report"], landed
    clean_db, resumed_db = tmp_path / "clean" / "warehouse.duckdb", tmp_path / "killed" / "warehouse.duckdb"
    differences = warehouse_differences(clean_db, resumed_db)
    assert differences == {}, pformat(differences, width=200)
    _assert_runs_recorded(resumed_db, n_killed=len(KILL_POINTS))
    _assert_exports_match(resumed_db, tmp_path / "killed" / "parquet")


def _assert_runs_recorded(db: Path, n_killed: int) -> None:
    """The last run completed; no killed run pretends it did."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT status, counts FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    statuses = [r[0] for r in rows]
    assert statuses[-1] == "completed" and json.loads(rows[-1][1])["crawl"] is not None
    assert statuses.count("completed") == 1, statuses  # only the final run finished
    # A run killed before it wrote its start row leaves none; at least the later kills left one each.
    assert len(statuses) >= 1 + n_killed - 2, statuses


def _assert_exports_match(db: Path, parquet_dir: Path) -> None:
    """The Parquet exports of the resumed run hold exactly the warehouse's rows."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in ("papers", "links", "repos", "repo_evidence", "classifications"):
            n_db = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            n_pq = con.execute(f"SELECT count(*) FROM read_parquet('{parquet_dir / table}/**/*.parquet')").fetchall()
            assert n_pq[0][0] == n_db, table
    finally:
        con.close()
