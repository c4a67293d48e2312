"""The secret scanner finds a token in every store a run writes, even compressed ones;
otherwise a "zero hits" result elsewhere would prove nothing."""

from __future__ import annotations

import base64
import gzip
import sqlite3
from pathlib import Path
from urllib.parse import quote

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from reliability.secrets_scan import count_files, find_secret, holds_secret

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
    assert {("run.log", "raw"), ("old.log.gz", "gzip:raw"), ("w.duckdb", "duckdb:runs.parameters:raw"),
            ("p.parquet", "parquet:p:raw"), ("prefect.db", "sqlite:log.message:raw")} <= hows  # fmt: skip


@pytest.mark.parametrize("user", ["x-access-token", "u", "bob", "oauth2"])  # each alignment of the token in base64
def test_finds_the_token_inside_a_basic_credential_whatever_the_user_name(tmp_path: Path, user: str) -> None:
    basic = base64.b64encode(f"{user}:{TOKEN}".encode()).decode()
    (tmp_path / "trace.log").write_text(f"> Authorization: Basic {basic}\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE runs AS SELECT ? AS error FROM range(3000)", [f"header Basic {basic}"])
    con.execute("CHECKPOINT")
    con.close()
    hows = {(Path(h.path).name, h.how.split("@")[0]) for h in find_secret([tmp_path], TOKEN)}
    assert {("trace.log", "base64"), ("w.duckdb", "duckdb:runs.error:base64")} <= hows
    assert holds_secret(f"https://{user}:{quote(TOKEN)}@github.com".encode(), TOKEN)  # URL userinfo


def test_clean_files_give_no_hits(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("Authorization: Bearer ***\n")
    pq.write_table(pa.table({"p": ["nothing here"]}), tmp_path / "p.parquet")
    assert find_secret([tmp_path], TOKEN) == []
    assert count_files([tmp_path]) == 2


def test_a_token_split_across_read_chunks_is_found(tmp_path: Path) -> None:
    data = b"x" * ((1 << 20) - 10) + TOKEN.encode() + b"y" * 100
    (tmp_path / "big.bin").write_bytes(data)
    assert [h.how for h in find_secret([tmp_path], TOKEN)] == ["raw"]
