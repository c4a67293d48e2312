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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

SCHEMA_VERSION = 11  # the highest migration (7-9 are reserved for other branches)

# Primary keys per table, used for upserts and de-duplication of each batch.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "papers": ("paper_id",),
    "links": ("paper_id", "repo_url"),
    "repos": ("repo_key",),
    "repo_files": ("repo_key", "path"),
    "repo_evidence": ("repo_key", "path", "module", "kind"),
    "classifications": ("repo_key", "classifier_version"),
    "runs": ("run_id",),
    "source_files": ("source", "path"),
    "sample_strata": ("venue", "year", "source_stratum", "title_stratum"),
    "sample_papers": ("paper_id",),
}

# Hive partition column of each table's Parquet export.
PARTITION_BY: dict[str, str] = {
    "papers": "year",
    "links": "source",
    "repos": "status",
    "repo_files": "kind",
    "repo_evidence": "kind",
    "classifications": "framework",
    "runs": "flow",
    "source_files": "source",
    "sample_strata": "year",
    "sample_papers": "source_stratum",
}

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE papers (
        paper_id VARCHAR PRIMARY KEY,      -- PWC paper_url, or the source's stable id
        title VARCHAR,
        arxiv_id VARCHAR,
        venue VARCHAR,                     -- canonical venue (NeurIPS, CVPR, ...), NULL if none
        year INTEGER,                      -- conference year when known, else publication year
        is_workshop BOOLEAN,
        proceeding VARCHAR,                -- the raw venue string as the source gave it
        conference VARCHAR,
        published_date DATE,
        source VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL
    );
    CREATE TABLE links (
        paper_id VARCHAR NOT NULL,
        repo_url VARCHAR NOT NULL,         -- normalised URL; the raw one when unparseable
        repo_url_raw VARCHAR,
        repo_key VARCHAR,                  -- lower-case owner/name on GitHub, else NULL
        host VARCHAR,
        scope VARCHAR,                     -- sub-folder the link points into, if any
        is_official BOOLEAN,
        mentioned_in_paper BOOLEAN,
        mentioned_in_github BOOLEAN,
        pwc_framework VARCHAR,             -- Papers with Code's own label, for comparison only
        skip_reason VARCHAR,               -- why the link is not crawled; NULL when it is
        source VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL,
        PRIMARY KEY (paper_id, repo_url)
    );
    CREATE TABLE repos (
        repo_key VARCHAR PRIMARY KEY,
        full_name VARCHAR,                 -- owner/name with GitHub's case (after renames)
        status VARCHAR NOT NULL,           -- pending|ok|missing|blocked|disabled|empty|renamed|failed
        status_reason VARCHAR,
        renamed_to VARCHAR,
        created_at TIMESTAMP,
        pushed_at TIMESTAMP,
        first_commit_at TIMESTAMP,
        last_commit_at TIMESTAMP,
        dates_from VARCHAR,                -- github-api | snapshot-history
        n_stars INTEGER,
        language VARCHAR,
        default_branch VARCHAR,
        head_commit VARCHAR,
        is_archived BOOLEAN,
        etag VARCHAR,
        n_files INTEGER,
        n_evidence_files INTEGER,
        n_attempts INTEGER DEFAULT 0,
        crawled_at TIMESTAMP,
        source VARCHAR
    );
    CREATE TABLE repo_files (
        repo_key VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        kind VARCHAR,
        n_bytes BIGINT,
        problem VARCHAR,                   -- why a file was read only in part or not at all
        PRIMARY KEY (repo_key, path)
    );
    CREATE TABLE repo_evidence (
        repo_key VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        module VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        is_weak BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (repo_key, path, module, kind)
    );
    CREATE TABLE classifications (
        repo_key VARCHAR NOT NULL,
        classifier_version VARCHAR NOT NULL,
        framework VARCHAR NOT NULL,
        confidence DOUBLE,
        scores VARCHAR,                    -- JSON {label: score}
        reason VARCHAR,
        evidence VARCHAR,                  -- JSON [[path, module, kind, is_weak], ...] that drove it
        classified_at TIMESTAMP NOT NULL,
        PRIMARY KEY (repo_key, classifier_version)
    );
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        flow VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        status VARCHAR NOT NULL,           -- running|completed|failed
        parameters VARCHAR,                -- JSON, never secrets
        counts VARCHAR,                    -- JSON
        error VARCHAR
    );
    """,
    # 3 (crawler): change detection for refreshes. head_tree is the tree sha of the default
    # branch's head (the recursive tree call returns it without extra quota); tree_etag makes
    # that call conditional (a 304 is free).
    3: """
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS head_tree VARCHAR;
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS tree_etag VARCHAR;
    """,
    4: """
    -- what a file-based source last loaded, so an unchanged file is not loaded again
    CREATE TABLE IF NOT EXISTS source_files (
        source VARCHAR NOT NULL,
        path VARCHAR NOT NULL,             -- the file's name within its source
        sha256 VARCHAR NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        PRIMARY KEY (source, path)
    );
    """,
    5: """
    -- who runs a run, so a run whose process died can be told from one still going
    ALTER TABLE runs ADD COLUMN IF NOT EXISTS pid INTEGER;
    ALTER TABLE runs ADD COLUMN IF NOT EXISTS host VARCHAR;
    """,
    6: """
    -- is the link the paper's own code? (analysis.attribution); a newer ATTRIBUTION_VERSION, or
    -- facts newer than attributed_at, make the row be attributed again from stored facts
    ALTER TABLE links ADD COLUMN IF NOT EXISTS attribution VARCHAR;
    ALTER TABLE links ADD COLUMN IF NOT EXISTS attribution_reason VARCHAR;
    ALTER TABLE links ADD COLUMN IF NOT EXISTS attribution_version VARCHAR;
    ALTER TABLE links ADD COLUMN IF NOT EXISTS attributed_at TIMESTAMP;
    -- what the repository says it is, for telling unrelated repositories apart
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS description VARCHAR;
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS readme_title VARCHAR;
    """,
    # 7 (scale): when a repository is next due for a check, so gone ones (missing, blocked,
    # disabled, empty, failed past their tries) are re-asked on a growing backoff, not every run.
    # NULL means due now (pending, or failed with tries left). Existing rows get the rule's dates.
    7: """
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS next_check_at TIMESTAMP;
    UPDATE repos SET next_check_at = CASE
        WHEN status = 'ok' THEN coalesce(crawled_at, TIMESTAMP '1970-01-01') + INTERVAL 30 DAY
        WHEN status IN ('missing', 'blocked', 'disabled', 'empty')
            OR (status = 'failed' AND coalesce(n_attempts, 0) >= 3)
            THEN coalesce(crawled_at, TIMESTAMP '1970-01-01') + INTERVAL 7 DAY
        END
    WHERE next_check_at IS NULL;
    """,
    10: """
    -- the bundled sample's strata: how many links the source lists hold per (venue, year)
    -- and how many the sample drew, so all-venue shares can be weighted like the population
    CREATE TABLE IF NOT EXISTS sample_strata (
        venue VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        n_population INTEGER NOT NULL,
        n_drawn INTEGER NOT NULL,
        PRIMARY KEY (venue, year)
    );
    """,
    11: """
    -- issue 25: the sample's strata are cells (venue, year, source stratum, title stratum):
    -- which kind of list a link comes from (conference-wide or topic) and, in 2014-2017,
    -- whether the title reads like deep learning (analysis.title_strata). The table is
    -- reloaded from data/sample/strata.csv on every load, so it is recreated with the new key.
    DROP TABLE IF EXISTS sample_strata;
    CREATE TABLE sample_strata (
        venue VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        source_stratum VARCHAR NOT NULL,   -- conference | topic
        title_stratum VARCHAR NOT NULL,    -- dl | other (2014-2017), all (other years)
        n_population INTEGER NOT NULL,
        n_drawn INTEGER NOT NULL,
        PRIMARY KEY (venue, year, source_stratum, title_stratum)
    );
    -- each sample paper's cell, so the weights know which cell a paper was drawn in
    CREATE TABLE IF NOT EXISTS sample_papers (
        paper_id VARCHAR PRIMARY KEY,
        source_stratum VARCHAR NOT NULL,
        title_stratum VARCHAR NOT NULL
    );
    """,
}


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse open for writing."""


def utcnow() -> datetime:
    """Naive UTC timestamp, the form DuckDB's TIMESTAMP stores."""
    return datetime.now(UTC).replace(tzinfo=None)


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
        if not read_only:
            self.migrate()
        elif self._lacks_migrations():
            self._migrate_for_reading()

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
        return bool(set(_MIGRATIONS) - applied)

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

        A refresh first claims ``<file>.writer.lock`` (an advisory lock the OS drops when
        its process dies): if another refresh holds it, it is refused at once. DuckDB's own
        lock may then still be held by a reader (``status``, ``report`` keep theirs short),
        so the open is retried for up to ``wait_seconds``.
        """
        import time

        claim = _claim_writer_lock(Path(path))
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                wh = cls(path)
            except BaseException as exc:
                if isinstance(exc, WarehouseBusy) and time.monotonic() < deadline:
                    time.sleep(0.25)
                    continue
                os.close(claim)
                raise
            wh._writer_claim = claim
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
                source = _sql_path(folder / table) + "/**/*.parquet"
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
            con.execute(f"ATTACH '{_sql_path(source)}' AS source (READ_ONLY)")
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
        claim = getattr(self, "_writer_claim", None)
        if claim is not None:
            os.close(claim)  # drops the writer lock
            self._writer_claim = None

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
        for version in sorted(v for v in _MIGRATIONS if v not in applied):
            with self.transaction():
                self.con.execute(_MIGRATIONS[version])
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
        self.con.register("_write_batch", table_data)
        try:
            cols = ", ".join(f'"{c}"' for c in table_data.column_names)
            self.con.execute(f"{verb} INTO {table} ({cols}) SELECT {cols} FROM _write_batch")
        finally:
            self.con.unregister("_write_batch")
        return int(table_data.num_rows)

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

    def implementations(self, classifier_version: str, paper_ids: Sequence[str] | None = None) -> Any:
        """One row per (paper, crawlable repository) with both sides' facts, as a DataFrame.

        ``framework`` is NULL where the repository has no decision at this classifier
        version (not crawled, missing, failed); ``repo_created_at`` falls back to the
        first commit of a snapshot where GitHub's creation date is unknown. ``paper_ids``
        narrows it to those papers (``explain`` asks about one, not 300,000).
        """
        return self.con.execute(
            """
            SELECT l.paper_id, l.repo_url, coalesce(old.renamed_to, l.repo_key) AS repo_key, l.is_official,
                   l.pwc_framework, l.attribution, l.attribution_reason, l.attribution_version,
                   p.title, p.venue, p.year, p.is_workshop, p.published_date, p.arxiv_id,
                   coalesce(r.created_at, r.first_commit_at) AS repo_created_at,
                   least(r.created_at, r.first_commit_at) AS code_start_at,
                   r.status AS repo_status, r.n_stars, c.framework, c.confidence, c.scores
            FROM links l
            JOIN papers p USING (paper_id)
            LEFT JOIN repos old ON old.repo_key = l.repo_key
            -- a renamed repository's facts live under its new key
            LEFT JOIN repos r ON r.repo_key = coalesce(old.renamed_to, l.repo_key)
            LEFT JOIN classifications c ON c.repo_key = r.repo_key AND c.classifier_version = ?
            WHERE l.repo_key IS NOT NULL AND l.skip_reason IS NULL
              AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], l.paper_id))  -- 3x an IN (unnest) here
            ORDER BY l.paper_id, l.repo_key
            """,
            [classifier_version, *[None if paper_ids is None else list(paper_ids)] * 2],
        ).df()

    # --- exports ----------------------------------------------------------------

    def export_parquet(self, out_dir: str | Path) -> dict[str, Path]:
        """Write each table as hive-partitioned Parquet under ``out_dir/<table>/``.

        Each table is written to a fresh folder and then swapped in, so a reader never
        sees a half-written export and a crash mid-export leaves the previous one.
        """
        import shutil

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = {}
        for table, part in PARTITION_BY.items():
            staging = out / f".{table}.tmp"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            if self.count(table):
                self.con.execute(
                    f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{_sql_path(staging)}' "
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


def _claim_writer_lock(db: Path) -> int:
    """An exclusive advisory lock on ``<db>.writer.lock``, or ``WarehouseBusy`` if a live process holds it."""
    import fcntl

    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{db}.writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise WarehouseBusy(f"warehouse {db} is in use by another papertrends refresh; wait for it to finish, "
                            "or read the Parquet exports") from None  # fmt: skip
    return fd


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def _sql_path(path: Path) -> str:
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
