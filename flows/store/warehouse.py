"""The warehouse: the only module that opens DuckDB or writes Parquet.

DuckDB is the system of record. Every write is an idempotent upsert keyed on the
table's primary key, so re-running any step changes nothing it already did.
DuckDB allows one read-write process per file: a second writer gets a clear
``WarehouseBusy`` error instead of waiting or corrupting anything.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb

from flows.clock import utcnow
from flows.store.schema import MIGRATIONS, PARTITION_BY, PRIMARY_KEYS
from flows.store.writer_lock import WarehouseBusy, claim_writer, release_writer


class Warehouse:
    """A DuckDB warehouse file with the papertrends schema."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise FileNotFoundError(f"no warehouse at {self.path}: run `papertrends refresh` first")
        self.con = self._connect(read_only)
        try:
            if not read_only:
                self.migrate()
            elif self._lacks_migrations():
                self._migrate_for_reading()
        except BaseException:  # a connection left open would refuse the next one in this process
            self.con.close()
            raise

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        from flows.settings import Settings

        # DuckDB keeps every block it reads until it reaches its memory limit, 80% of the
        # machine by default: a reclassification reading 7 GB of evidence would hold it all.
        config = {"memory_limit": Settings.from_env().duckdb_memory}
        try:
            try:
                return duckdb.connect(str(self.path), read_only=read_only, config=config)
            except duckdb.ConnectionException as exc:
                if "different configuration" not in str(exc):
                    raise
                # This process already holds the file open (a notebook's own connection):
                # DuckDB shares that database, so join it with the settings it has.
                return duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WarehouseBusy(
                    f"warehouse {self.path} is in use by another papertrends process; "
                    "wait for it to finish, or read the Parquet exports"
                ) from None
            raise

    def _lacks_migrations(self) -> bool:
        if not self.schema_version():
            return True
        applied = {r[0] for r in self.con.execute("SELECT version FROM schema_version").fetchall()}
        return bool(set(MIGRATIONS) - applied)

    def _migrate_for_reading(self) -> None:
        """Bring a file written by an older papertrends up to date before reading it.

        Readers query today's columns (``links.attribution``, ...); a file nobody has
        refreshed since an upgrade lacks them. Migrations only add, so a short writer
        connection applies them, as the next refresh would. No writer can be running:
        DuckDB's lock would have refused the read-only open. If another reader holds the
        file, or it cannot be written at all, the file is read as it is.
        """
        self.con.close()
        try:
            with Warehouse(self.path):
                pass
        except (WarehouseBusy, duckdb.Error, OSError):
            pass
        self.con = self._connect(read_only=True)

    @classmethod
    def open_writer(cls, path: str | Path, wait_seconds: float = 15.0) -> Warehouse:
        """The warehouse for a run's one writer connection, patient with readers only.

        A refresh first claims the warehouse (:mod:`flows.store.writer_lock`; the command
        already did when it started): if another refresh holds it, it is refused at once.
        DuckDB's own lock may then still be held by a reader (``status``, ``report`` keep
        theirs short), so the open is retried for up to ``wait_seconds``.
        """
        import time

        claim_writer(path)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                wh = cls(path)
            except BaseException as exc:
                if isinstance(exc, WarehouseBusy) and time.monotonic() < deadline:
                    time.sleep(0.25)
                    continue
                release_writer(path)
                raise
            wh._claimed = True
            return wh

    @classmethod
    def from_exports(cls, parquet_dir: str | Path) -> Warehouse:
        """A read-only, in-memory view of the last Parquet export, table names unchanged.

        DuckDB's lock also refuses read-only opens from other processes while a refresh
        writes, so readers (``status``, ``report``) fall back to the exports the last
        refresh left; tables with no export yet stay empty with the full schema.
        """
        folder = Path(parquet_dir)
        if not any((folder / t).is_dir() for t in PARTITION_BY):
            raise FileNotFoundError(f"no Parquet exports in {folder}")
        wh = cls(":memory:")  # the schema, empty; then each exported table replaced by a view of its files
        for table in PARTITION_BY:
            if any((folder / table).rglob("*.parquet")):
                source = sql_path(folder / table) + "/**/*.parquet"
                wh.con.execute(f"DROP TABLE {table}")
                wh.con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{source}', hive_partitioning = 1)")
        wh.path, wh.read_only = folder, True
        return wh

    @classmethod
    def snapshot(cls, path: str | Path) -> Warehouse:
        """An in-memory copy of the warehouse file, its lock released as soon as the copy is made.

        For readers that stay open (a notebook) on a warehouse with no Parquet export yet:
        holding even a read-only connection would keep a refresh from opening the file.
        """
        source = Path(path)
        if not source.exists():
            raise FileNotFoundError(f"no warehouse at {source}: run `papertrends refresh` first")
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"ATTACH '{sql_path(source)}' AS source (READ_ONLY)")
        except duckdb.IOException as exc:
            con.close()
            if "lock" in str(exc).lower():
                raise WarehouseBusy(f"warehouse {source} is in use by a refresh; read its Parquet exports") from None
            raise
        con.execute("COPY FROM DATABASE source TO memory")
        con.execute("DETACH source")
        wh = cls.__new__(cls)
        wh.path, wh.read_only, wh.con = source, True, con
        return wh

    def close(self) -> None:
        self.con.close()
        if getattr(self, "_claimed", False):
            self._claimed = False
            release_writer(self.path)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema -----------------------------------------------------------------

    def schema_version(self) -> int:
        exists = self.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'")
        if not exists:
            return 0
        return int(self.scalar("SELECT max(version) FROM schema_version") or 0)

    def migrate(self) -> int:
        """Apply every migration the file has not had yet, in order, each in one transaction.

        Missing versions are applied even below the file's highest one: migrations are
        written on separate branches, and a file migrated to 3 must still get 2. Each
        migration is therefore written to be safe after later ones (ADD COLUMN IF NOT EXISTS).
        """
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"
        )
        applied = {row[0] for row in self.con.execute("SELECT version FROM schema_version").fetchall()}
        for version in sorted(v for v in MIGRATIONS if v not in applied):
            with self.transaction():
                self.con.execute(MIGRATIONS[version])
                self.con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, utcnow()])
        return self.schema_version()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def abort_transaction(self) -> None:
        """Roll back a transaction left open (an interrupt between BEGIN and its guard); else nothing."""
        with suppress(duckdb.TransactionException):  # none was open: the usual case
            self.con.execute("ROLLBACK")

    def columns(self, table: str) -> list[str]:
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        return [r[0] for r in rows]

    # --- writes -----------------------------------------------------------------

    def upsert(self, table: str, rows: Iterable[Mapping[str, Any]] | Any) -> int:
        """Insert or replace rows by primary key; returns the number of distinct rows written.

        ``rows`` is an iterable of mappings, a pandas DataFrame or a pyarrow Table.
        Duplicates within one batch keep the last occurrence: DuckDB itself would keep
        the first silently, which turns "latest wins" into "earliest wins".
        """
        return self._insert(table, rows, "INSERT OR REPLACE")

    def insert_new(self, table: str, rows: Iterable[Mapping[str, Any]] | Any) -> int:
        """Insert only rows whose key is not stored yet; existing rows are left alone.

        Used for placeholders (a ``pending`` repository) that must never overwrite
        what a crawl already recorded. Returns the number of rows inserted.
        """
        before = self.count(table)
        self._insert(table, rows, "INSERT OR IGNORE")
        return self.count(table) - before

    def _insert(self, table: str, rows: Iterable[Mapping[str, Any]] | Any, verb: str) -> int:
        """Write one de-duplicated batch with ``verb``; returns the batch's distinct rows."""
        table_data = _to_arrow(rows, self.columns(table))
        if table_data.num_rows == 0:
            return 0
        table_data = _dedupe_last(table_data, PRIMARY_KEYS[table])
        with self.registered("_write_batch", table_data):
            cols = ", ".join(f'"{c}"' for c in table_data.column_names)
            self.con.execute(f"{verb} INTO {table} ({cols}) SELECT {cols} FROM _write_batch")
        return int(table_data.num_rows)

    @contextmanager
    def registered(self, name: str, data: Any) -> Iterator[None]:
        """``data`` (Arrow or pandas) queryable as ``name`` for the block.

        After an interrupted statement DuckDB refuses every call in the aborted transaction,
        unregistering too; the rollback that follows drops the registration anyway, and the
        interrupt, not that refusal, is what must surface (it named a stopped run's error).
        """
        self.con.register(name, data)
        try:
            yield
        finally:
            with suppress(duckdb.TransactionException):
                self.con.unregister(name)

    def replace_repo_files(self, repo_key: str, files: Sequence[Mapping[str, Any]],
                           evidence: Sequence[Mapping[str, Any]]) -> None:  # fmt: skip
        """Swap one repository's file list and evidence for a new crawl's, atomically."""
        with self.transaction():
            self.con.execute("DELETE FROM repo_evidence WHERE repo_key = ?", [repo_key])
            self.con.execute("DELETE FROM repo_files WHERE repo_key = ?", [repo_key])
            self.upsert("repo_files", files)
            self.upsert("repo_evidence", evidence)

    def start_run(self, run_id: str, flow: str, parameters: Mapping[str, Any]) -> None:
        self.mark_interrupted_runs()
        self.upsert("runs", [{
            "run_id": run_id, "flow": flow, "started_at": utcnow(), "status": "running",
            "parameters": json.dumps(parameters, default=str, sort_keys=True),
            "pid": os.getpid(), "host": socket.gethostname(),
        }])  # fmt: skip

    def mark_interrupted_runs(self) -> int:
        """Close the rows of runs whose process died (killed, rebooted) as ``interrupted``.

        Only runs started on this host are judged, by whether their process still
        exists; a run elsewhere, or one with no pid (older rows), is left alone.
        """
        running = self.con.execute(
            "SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL",
            [socket.gethostname()],
        ).fetchall()
        dead = [run_id for run_id, pid in running if pid != os.getpid() and not _process_exists(pid)]
        for run_id in dead:
            self.con.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ?, "
                "error = 'its process ended without finishing (killed or crashed)' WHERE run_id = ?",
                [utcnow(), run_id],
            )
        return len(dead)

    def finish_run(self, run_id: str, status: str, counts: Mapping[str, Any], error: str | None = None) -> None:
        self.con.execute(
            "UPDATE runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE run_id = ?",
            [utcnow(), status, json.dumps(counts, default=str, sort_keys=True), error, run_id],
        )

    # --- reads ------------------------------------------------------------------

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The first value of a query's only row.

        Always fetches the whole result: DuckDB 2.0 refuses further work on a
        connection whose last result was not read to the end.
        """
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def relation(self, sql: str) -> duckdb.DuckDBPyRelation:
        return self.con.sql(sql)



def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _to_arrow(rows: Any, table_columns: list[str]) -> Any:
    """Rows as a pyarrow Table restricted to the table's columns (unknown keys are an error)."""
    import pyarrow as pa

    if isinstance(rows, pa.Table):
        data = rows
    elif hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a pandas DataFrame
        data = pa.Table.from_pandas(rows, preserve_index=False)
    else:
        records = [dict(r) for r in rows]
        if not records:
            return pa.table({})
        names = list(dict.fromkeys(k for r in records for k in r))
        data = pa.table({n: [r.get(n) for r in records] for n in names})
    unknown = set(data.column_names) - set(table_columns)
    if unknown:
        raise ValueError(f"unknown columns for this table: {sorted(unknown)}")
    return data


def _dedupe_last(data: Any, key: tuple[str, ...]) -> Any:
    """Keep the last row of each key (batch order), as a later record supersedes an earlier one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = data.num_rows
    indexed = data.append_column("_row", pa.array(range(n), pa.int64()))
    last = indexed.group_by(list(key)).aggregate([("_row", "max")])
    keep = pc.sort_indices(last["_row_max"])
    return data.take(pc.take(last["_row_max"], keep))
