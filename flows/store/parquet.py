"""Parquet out of the warehouse: the tables' hive-partitioned exports and the report's series files.

Both are written under a temporary name and swapped in, so a reader never sees half an
export and a crash leaves the previous one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from flows.store.schema import PARTITION_BY
from flows.store.warehouse import Warehouse, sql_path


def export_tables(wh: Warehouse, out_dir: str | Path) -> dict[str, Path]:
    """Write each table as hive-partitioned Parquet under ``out_dir/<table>/``.

    Each table is written to a fresh folder and then swapped in, so a reader never
    sees a half-written export and a crash mid-export leaves the previous one. A table
    whose rows are what the last export held (same count and order-free checksum,
    recorded in ``out_dir/.fingerprints.json``) is left as it is: a refresh that changed
    nothing rewrites only its own run row.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / ".fingerprints.json"
    previous = _read_json(manifest)
    current: dict[str, str] = {}
    written = {}
    for table, part in PARTITION_BY.items():
        final = out / table
        current[table] = table_fingerprint(wh, table)
        if previous.get(table) == current[table] and final.is_dir():
            written[table] = final
            continue
        _export_table(wh, table, part, out)
        written[table] = final
    manifest.write_text(json.dumps(current, sort_keys=True))
    return written


def table_fingerprint(wh: Warehouse, table: str) -> str:
    """Row count and an order-free checksum of every row (xor of row hashes): equal means the same rows."""
    n, checksum = wh.con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {table} t").fetchone() or (0, 0)
    return f"{n}:{checksum or 0}"


def _export_table(wh: Warehouse, table: str, part: str, out: Path) -> None:
    staging = out / f".{table}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    if wh.count(table):
        wh.con.execute(
            f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{sql_path(staging)}' "
            f"(FORMAT parquet, PARTITION_BY ({part}), OVERWRITE_OR_IGNORE true)"
        )
    final = out / table
    backup = out / f".{table}.old"
    shutil.rmtree(backup, ignore_errors=True)
    if final.exists():
        final.rename(backup)
    staging.rename(final)
    shutil.rmtree(backup, ignore_errors=True)


def _read_json(path: Path) -> dict[str, str]:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


def write_parquet(frame: Any, path: str | Path) -> Path:
    """Write one DataFrame (a report series) as a single Parquet file, atomically.

    The report's series are small tables, not warehouse tables, but Parquet writing
    stays in this module: written to a temporary name, then renamed, so a reader never
    sees half a file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.tmp")
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), staging)
    staging.replace(target)
    return target
