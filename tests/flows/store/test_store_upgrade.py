"""A warehouse written by an older papertrends still reads after an upgrade, without a refresh first."""

from __future__ import annotations

from pathlib import Path

import duckdb

from analysis.classifier.frameworks import CLASSIFIER_VERSION
from flows.cli.explain import explain_key
from flows.clock import utcnow
from flows.store.queries import implementation_rows
from flows.store.schema import MIGRATIONS
from flows.store.warehouse import Warehouse


def _write_old_warehouse(path: Path, up_to: int) -> None:
    """The file papertrends wrote when ``up_to`` was its highest migration, with one paper and link."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    for version in sorted(v for v in MIGRATIONS if v <= up_to):
        con.execute(MIGRATIONS[version])
        con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, utcnow()])
    con.execute("INSERT INTO papers (paper_id, title, venue, year, source, ingested_at) "
                "VALUES ('p1', 'Old paper', 'CVPR', 2019, 'test', ?)", [utcnow()])  # fmt: skip
    con.execute("INSERT INTO links (paper_id, repo_url, repo_key, source, ingested_at) "
                "VALUES ('p1', 'https://github.com/o/n', 'o/n', 'test', ?)", [utcnow()])  # fmt: skip
    con.close()


def test_a_reader_brings_an_older_file_up_to_date_and_reads_todays_columns(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _write_old_warehouse(db, up_to=5)  # before links.attribution (6)
    with Warehouse(db, read_only=True) as wh:
        assert wh.read_only and "attribution" in wh.columns("links")
        assert len(implementation_rows(wh, CLASSIFIER_VERSION)) == 1  # the query every reader runs
        assert explain_key(wh, "p1")["links"][0]["attribution"] == "unknown"  # worked out now: no dates stored
        assert wh.scalar("SELECT title FROM papers") == "Old paper"  # nothing lost


def test_a_file_that_cannot_be_migrated_is_still_read_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    _write_old_warehouse(db, up_to=5)
    other_reader = duckdb.connect(str(db), read_only=True)  # in this process: the writer's open is refused
    try:
        with Warehouse(db, read_only=True) as wh:
            assert "attribution" not in wh.columns("links") and wh.count("papers") == 1
    finally:
        other_reader.close()
