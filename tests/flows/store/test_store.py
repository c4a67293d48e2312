"""The warehouse: schema, migrations, idempotent upserts, exports, the single-writer lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from flows.clock import utcnow
from flows.store.parquet import export_tables
from flows.store.queries import implementation_rows
from flows.store.schema import MIGRATIONS, PARTITION_BY, PRIMARY_KEYS, SCHEMA_VERSION
from flows.store.warehouse import Warehouse, WarehouseBusy


def paper(paper_id: str, title: str, year: int | None = 2019) -> dict[str, object]:
    return {"paper_id": paper_id, "title": title, "year": year, "source": "test", "ingested_at": utcnow()}


def test_new_warehouse_has_every_table_at_the_current_schema_version(warehouse: Warehouse) -> None:
    assert warehouse.schema_version() == SCHEMA_VERSION
    tables = {r[0] for r in warehouse.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert set(PRIMARY_KEYS) <= tables


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.upsert("papers", [paper("p1", "A")])
    with Warehouse(tmp_path / "w.duckdb") as wh:
        assert wh.schema_version() == SCHEMA_VERSION
        assert wh.count("schema_version") == len(MIGRATIONS)
        assert wh.count("papers") == 1


def test_upsert_is_idempotent_and_the_last_duplicate_in_a_batch_wins(warehouse: Warehouse) -> None:
    batch = [paper("p1", "first"), paper("p2", "other"), paper("p1", "second")]
    assert warehouse.upsert("papers", batch) == 2
    warehouse.upsert("papers", batch)
    rows = warehouse.query("SELECT paper_id, title FROM papers ORDER BY paper_id")
    assert rows == [{"paper_id": "p1", "title": "second"}, {"paper_id": "p2", "title": "other"}]


def test_upsert_accepts_dataframes_and_rejects_unknown_columns(warehouse: Warehouse) -> None:
    frame = pd.DataFrame([paper("p1", "A"), paper("p2", "B")])
    assert warehouse.upsert("papers", frame) == 2
    with pytest.raises(ValueError, match="unknown columns"):
        warehouse.upsert("papers", [{**paper("p3", "C"), "not_a_column": 1}])


def test_insert_new_never_overwrites_a_crawled_repository(warehouse: Warehouse) -> None:
    warehouse.upsert("repos", [{"repo_key": "a/b", "full_name": "A/B", "status": "ok", "n_stars": 5}])
    added = warehouse.insert_new(
        "repos", [{"repo_key": "a/b", "status": "pending"}, {"repo_key": "c/d", "status": "pending"}]
    )
    assert added == 1
    assert warehouse.query("SELECT repo_key, status FROM repos ORDER BY 1") == [
        {"repo_key": "a/b", "status": "ok"}, {"repo_key": "c/d", "status": "pending"}]  # fmt: skip


def test_replace_repo_files_swaps_evidence_atomically(warehouse: Warehouse) -> None:
    ev = lambda module: {"repo_key": "a/b", "path": "m.py", "module": module, "kind": "python", "is_weak": False}  # noqa: E731
    files = [{"repo_key": "a/b", "path": "m.py", "kind": "python", "n_bytes": 10}]
    warehouse.replace_repo_files("a/b", files, [ev("tensorflow")])
    warehouse.replace_repo_files("a/b", files, [ev("torch")])
    assert warehouse.query("SELECT module FROM repo_evidence") == [{"module": "torch"}]


def test_a_failed_transaction_leaves_nothing_behind(warehouse: Warehouse) -> None:
    with pytest.raises(RuntimeError), warehouse.transaction():
        warehouse.upsert("papers", [paper("p1", "A")])
        raise RuntimeError("crash mid-write")
    assert warehouse.count("papers") == 0


def test_export_writes_hive_partitions_readable_by_duckdb(warehouse: Warehouse, tmp_path: Path) -> None:
    warehouse.upsert("papers", [paper("p1", "A", 2018), paper("p2", "B", 2019), paper("p3", "C", 2019)])
    written = export_tables(warehouse, tmp_path / "pq")
    assert set(written) == set(PARTITION_BY)
    assert sorted(p.name for p in (tmp_path / "pq" / "papers").iterdir()) == ["year=2018", "year=2019"]
    again = export_tables(warehouse, tmp_path / "pq")  # a second export replaces, never duplicates
    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{again['papers']}/**/*.parquet', hive_partitioning=true)")
    assert n.fetchall()[0][0] == 3


def test_a_second_writer_gets_a_clear_busy_error(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,sys,time; c=duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout and holder.stdout.readline().strip() == b"ok"
        with pytest.raises(WarehouseBusy, match="in use"):
            Warehouse(db)
    finally:
        holder.kill()
        holder.wait()


def test_read_only_open_of_a_missing_warehouse_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="papertrends refresh"):
        Warehouse(tmp_path / "absent.duckdb", read_only=True)


def test_a_migration_missing_below_the_highest_applied_one_is_still_applied(tmp_path: Path) -> None:
    # Migrations are written on separate branches: a file at version 3 may lack 2.
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.con.execute("DELETE FROM schema_version WHERE version = 3")  # applied later than a (fictional) 4
    with Warehouse(tmp_path / "w.duckdb") as wh:
        assert wh.count("schema_version") == len(MIGRATIONS)


def test_implementations_follow_a_renamed_repository_to_its_new_key(warehouse: Warehouse) -> None:
    warehouse.upsert("papers", [paper("p1", "A")])
    warehouse.upsert("links", [{"paper_id": "p1", "repo_url": "https://github.com/old/name", "repo_key": "old/name",
                                "source": "test", "ingested_at": utcnow()}])  # fmt: skip
    warehouse.upsert("repos", [{"repo_key": "old/name", "status": "renamed", "renamed_to": "new/name"},
                               {"repo_key": "new/name", "status": "ok"}])  # fmt: skip
    warehouse.upsert("classifications", [{"repo_key": "new/name", "classifier_version": "v", "framework": "jax",
                                          "classified_at": utcnow()}])  # fmt: skip
    rows = implementation_rows(warehouse, "v")
    assert rows[["repo_key", "framework"]].to_dict("records") == [{"repo_key": "new/name", "framework": "jax"}]


def test_a_run_whose_process_died_is_marked_interrupted_by_the_next(warehouse: Warehouse) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    warehouse.start_run("killed", "refresh", {})
    warehouse.con.execute("UPDATE runs SET pid = ? WHERE run_id = 'killed'", [int(dead.stdout)])
    warehouse.start_run("alive", "refresh", {})  # this process: still running
    warehouse.start_run("next", "refresh", {})
    statuses = dict(warehouse.con.execute("SELECT run_id, status FROM runs").fetchall())
    assert statuses == {"killed": "interrupted", "alive": "running", "next": "running"}
