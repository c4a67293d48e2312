"""SIGKILL a real ``papertrends refresh`` at each stage, on either crawl path (API and git); the next
run ends with exactly the warehouse a clean run produces (table contents compared without
timestamps and run ids).

The kills are chained on one data directory, as a user's crashes would be: killed while
downloading the archive (the fake world holds the download half-way), inside the
archive's ingest transaction, between crawl batches, between classify batches, in the
export and in the report (each a named moment the run is held at:
:func:`flows.stopping.pause_point`); then one run to completion. No timers: each kill
lands while its moment provably lasts.
"""

from __future__ import annotations

import json
from pathlib import Path
from pprint import pformat

import duckdb
import pytest
from reliability.warehouse_compare import warehouse_differences
from reliability.world import fake_world, start_cli

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

N_REPOS = 40
N_PADDING_PAPERS = 20_000  # makes the papers file a few MB: a download to hold half-way
KILL_POINTS = ["ingest:batch-stored", "crawl:batch-stored", "classify:batch-stored", "stage:export", "stage:report"]


@pytest.mark.parametrize("via", ["api", "git"])
def test_refresh_killed_at_every_stage_resumes_to_the_clean_warehouse(tmp_path: Path, prefect_server: str,
                                                                      via: str) -> None:  # fmt: skip
    """README ("Reliability"): 6 kills survived on each crawl path; every killed run is recorded interrupted,
    none completed."""
    with fake_world(N_REPOS, n_padding_papers=N_PADDING_PAPERS) as world:
        world.env_extra["PAPERTRENDS_CRAWL_BATCH"] = "10"  # several batches, so a kill lands between two
        clean = start_cli(world.refresh_args(), world.env(tmp_path / "clean", via), tmp_path)
        assert clean.finish() == 0, clean.text()[-2000:]

        killed = tmp_path / "killed"
        world.hf_proxy.hold_after_bytes = 256 * 1024  # the download: held half-way, killed there
        world.hf_proxy.holding.clear()
        run = start_cli(world.refresh_args(), world.env(killed, via), tmp_path)
        run.wait_for(world.hf_proxy.holding.is_set, timeout=300)
        run.kill()
        world.hf_proxy.hold_after_bytes = None
        world.hf_proxy.release.set()
        for point in KILL_POINTS:
            run = start_cli(world.refresh_args(), world.env(killed, via), tmp_path, pause_at=point)
            run.wait_paused(point)
            run.kill()
        final = start_cli(world.refresh_args(), world.env(killed, via), tmp_path)
        assert final.finish() == 0, final.text()[-2000:]

    clean_db, resumed_db = tmp_path / "clean" / "warehouse.duckdb", killed / "warehouse.duckdb"
    differences = warehouse_differences(clean_db, resumed_db)
    assert differences == {}, pformat(differences, width=200)
    _assert_runs_recorded(resumed_db, n_killed=1 + len(KILL_POINTS))
    _assert_exports_match(resumed_db, killed / "parquet")


def _assert_runs_recorded(db: Path, n_killed: int) -> None:
    """The last run completed; no killed run pretends it did."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT status, counts FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    statuses = [r[0] for r in rows]
    assert statuses[-1] == "completed" and json.loads(rows[-1][1])["crawl"] is not None
    # every killed run left its row (each was killed after its row was written); a later run's start
    # found its process gone and closed the row as interrupted
    assert statuses == ["interrupted"] * n_killed + ["completed"], statuses


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
