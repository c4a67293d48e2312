"""The secret scanner finds a token in every store a run writes, even compressed ones;
otherwise a "zero hits" result elsewhere would prove nothing."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from reliability.secrets_scan import count_files, find_secret

TOKEN = "ghp" + "_PAPERTRENDSTESTTOKEN0123456789abcdef"  # split: a fake, not a secret to scan for


def test_finds_the_token_in_raw_compressed_and_database_files(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "run.log").write_text(f"header\nAuthorization: Bearer {TOKEN}\n")
    with gzip.open(tmp_path / "logs" / "old.log.gz", "wt") as fh:
        fh.write(f"token={TOKEN}")
    # Many repeated values: DuckDB dictionary/FSST-compresses them, so no literal bytes on disk.
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE runs AS SELECT 'x' || i AS run_id, ? AS parameters FROM range(5000) t(i)", [TOKEN])
    con.execute("CHECKPOINT")
    con.close()
    pq.write_table(pa.table({"p": [TOKEN] * 1000}), tmp_path / "p.parquet", compression="zstd")
    db = sqlite3.connect(tmp_path / "prefect.db")
    db.execute("CREATE TABLE log (message TEXT)")
    db.execute("INSERT INTO log VALUES (?)", [f"using {TOKEN}"])
    db.commit()
    db.close()
    hows = {(Path(h.path).name, h.how) for h in find_secret([tmp_path], TOKEN)}
    assert {("run.log", "raw"), ("old.log.gz", "gzip"), ("w.duckdb", "duckdb:runs.parameters"),
            ("p.parquet", "parquet:p"), ("prefect.db", "sqlite:log.message")} <= hows  # fmt: skip


def test_clean_files_give_no_hits(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("Authorization: Bearer ***\n")
    pq.write_table(pa.table({"p": ["nothing here"]}), tmp_path / "p.parquet")
    assert find_secret([tmp_path], TOKEN) == []
    assert count_files([tmp_path]) == 2


def test_a_token_split_across_read_chunks_is_found(tmp_path: Path) -> None:
    data = b"x" * ((1 << 20) - 10) + TOKEN.encode() + b"y" * 100
    (tmp_path / "big.bin").write_bytes(data)
    assert [h.how for h in find_secret([tmp_path], TOKEN)] == ["raw"]
