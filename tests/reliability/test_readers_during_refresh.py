"""``status`` and ``report`` while another process holds the warehouse for writing.

DuckDB refuses even read-only opens from a second process while a writer holds the file,
so these commands fall back to the last Parquet export (said on stderr) instead of failing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability.trees import PROJECT_ROOT

from flows.cli.main import main
from flows.stages.classify import classify_stored
from flows.stages.ingest import ingest_sample as load_sample
from flows.store.parquet import export_tables
from flows.store.warehouse import Warehouse, WarehouseBusy


@pytest.fixture
def data_dir(tmp_path: Path, sample_dir: Path) -> Path:
    data = tmp_path / "data"
    with Warehouse(data / "warehouse.duckdb") as wh:
        load_sample(wh, sample_dir)
        classify_stored(wh)
        export_tables(wh, data / "parquet")
    return data


@pytest.fixture
def writer(data_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the warehouse open for writing, as a running refresh does."""
    code = ("import sys, time; from flows.store.warehouse import Warehouse; wh = Warehouse(sys.argv[1]); "
            "print('open', flush=True); time.sleep(120)")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", code, str(data_dir / "warehouse.duckdb")], text=True,
                            stdout=subprocess.PIPE, cwd=PROJECT_ROOT)  # fmt: skip
    assert proc.stdout and proc.stdout.readline().strip() == "open"
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def test_status_reads_the_exports_while_the_warehouse_is_locked(
    data_dir: Path, writer: object, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(data_dir / "warehouse.duckdb")
    with pytest.raises(WarehouseBusy):
        Warehouse(db, read_only=True)  # the lock the fallback exists for
    assert main(["status", "--db", db, "--json"]) == 0
    captured = capsys.readouterr()
    during = json.loads(captured.out)
    assert "in use by a refresh" in captured.err and len(captured.err.strip().splitlines()) == 1
    with Warehouse.from_exports(data_dir / "parquet") as wh:
        assert wh.count("repos") == during["repos"] > 0
    assert during["classified"] > 0 and sum(during["by_framework"].values()) == during["classified"]


def test_status_from_exports_equals_status_from_the_warehouse(data_dir: Path) -> None:
    from flows.store.status import warehouse_status

    with Warehouse(data_dir / "warehouse.duckdb", read_only=True) as wh:
        direct = warehouse_status(wh)
    with Warehouse.from_exports(data_dir / "parquet") as wh:
        exported = warehouse_status(wh)
    assert json.dumps(exported, default=str, sort_keys=True) == json.dumps(direct, default=str, sort_keys=True)


def test_report_works_while_the_warehouse_is_locked(data_dir: Path, writer: object, tmp_path: Path) -> None:
    assert main(["report", "--db", str(data_dir / "warehouse.duckdb"), "--out", str(tmp_path / "rep")]) == 0
    assert any((tmp_path / "rep").iterdir())


def test_without_exports_the_busy_error_stands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "warehouse.duckdb"
    Warehouse(db).close()
    code = (f"import time; from flows.store.warehouse import Warehouse; wh = Warehouse({str(db)!r}); "
            "print('open', flush=True); time.sleep(60)")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", code], text=True, stdout=subprocess.PIPE, cwd=PROJECT_ROOT)
    try:
        assert proc.stdout and proc.stdout.readline().strip() == "open"
        assert main(["status", "--db", str(db)]) == 1
        assert "in use" in capsys.readouterr().err
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _open_writer_in_a_subprocess(db: Path, wait_seconds: float = 0.0) -> subprocess.CompletedProcess[str]:
    code = ("import sys; from flows.store.warehouse import Warehouse; "
            f"Warehouse.open_writer(sys.argv[1], wait_seconds={wait_seconds}).close(); print('wrote')")  # fmt: skip
    return subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=60,
                          cwd=PROJECT_ROOT)  # fmt: skip


@pytest.mark.parametrize("with_exports", [True, False])
def test_the_notebooks_reader_holds_no_lock(data_dir: Path, with_exports: bool) -> None:
    """The notebook stays open for hours: its reader must never keep a refresh from writing."""
    import shutil

    from flows.store.queries import coverage, open_warehouse

    if not with_exports:
        shutil.rmtree(data_dir / "parquet")
    with open_warehouse(data_dir / "warehouse.duckdb") as reader:
        before = coverage(reader)
        proc = _open_writer_in_a_subprocess(data_dir / "warehouse.duckdb")
        assert proc.returncode == 0 and "wrote" in proc.stdout, proc.stderr
        assert coverage(reader) == before and before["repos_classified"] > 0


def test_the_writer_waits_out_a_short_lived_reader(data_dir: Path) -> None:
    db = data_dir / "warehouse.duckdb"
    code = ("import sys, time; from flows.store.warehouse import Warehouse; "
            "wh = Warehouse(sys.argv[1], read_only=True); "
            "print('open', flush=True); time.sleep(5); wh.close(); time.sleep(30)")  # fmt: skip
    reader = subprocess.Popen([sys.executable, "-c", code, str(db)], text=True, stdout=subprocess.PIPE,
                              cwd=PROJECT_ROOT)  # fmt: skip
    try:
        assert reader.stdout and reader.stdout.readline().strip() == "open"
        assert _open_writer_in_a_subprocess(db).returncode != 0  # no patience: the lock is there
        proc = _open_writer_in_a_subprocess(db, wait_seconds=30)
        assert proc.returncode == 0, proc.stderr
    finally:
        reader.kill()
        reader.wait(timeout=10)
