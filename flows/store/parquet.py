"""Parquet out of the warehouse: the tables' hive-partitioned exports and the report's series files.

Both are written under a temporary name and swapped in, so a reader never sees half an
export and a crash leaves the previous one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flows.store.schema import PARTITION_BY
from flows.store.warehouse import Warehouse, sql_path


def export_tables(wh: Warehouse, out_dir: str | Path) -> dict[str, Path]:
    """Write each table as hive-partitioned Parquet under ``out_dir/<table>/``.

    Each table is written to a fresh folder and then swapped in, so a reader never
    sees a half-written export and a crash mid-export leaves the previous one.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for table, part in PARTITION_BY.items():
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
        written[table] = final
    return written



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
