"""The one settings object: where a warehouse's outputs go."""

from __future__ import annotations

from pathlib import Path

from flows.settings import Settings


def test_outputs_go_beside_the_warehouse_named_by_db() -> None:
    env = {"PAPERTRENDS_DATA_DIR": "data"}
    default = Settings.for_db(None, env)
    assert (default.db_path, default.parquet_dir, default.reports_dir) == (
        Path("data/warehouse.duckdb"), Path("data/parquet"), Path("data/reports"))  # fmt: skip
    elsewhere = Settings.for_db("runs/2026/warehouse.duckdb", env)
    assert (elsewhere.parquet_dir, elsewhere.reports_dir) == (Path("runs/2026/parquet"), Path("runs/2026/reports"))
    # another name in the default folder: its own folders, never the default warehouse's
    other = Settings.for_db("data/test.duckdb", env)
    assert (other.db_path, other.parquet_dir, other.reports_dir, other.cache_dir) == (
        Path("data/test.duckdb"), Path("data/test-parquet"), Path("data/test-reports"), Path("data/cache"))  # fmt: skip
