"""The archive reader: real column names, odd rows, both formats, idempotence, broken files."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fakes.hf_server import HfState, serve_hf
from fakes.pwc_files import LINKS, PAPERS, PWC, link, paper, write_archive, write_json_gz, write_parquet
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.settings import Settings
from flows.sources.pwc_archive import (
    ArchiveError,
    hf_archive_urls,
    iter_json_array,
    iter_records,
)
from flows.stages.ingest import ingest_archive
from flows.store.warehouse import Warehouse


def _ingest(wh: Warehouse, links: Path | list[str], papers: Path | list[str], tmp_path: Path,
            hf_url: str = Settings.hf_url, **kw: Any) -> dict[str, Any]:  # fmt: skip
    settings = Settings(data_dir=tmp_path / "data", hf_url=hf_url)
    as_specs = lambda p: [str(x) for x in p] if isinstance(p, list) else str(p)
    return ingest_archive(wh, as_specs(links), as_specs(papers), settings, progress=False, **kw)


def _table(wh: Warehouse, table: str, drop: tuple[str, ...] = ("ingested_at",)) -> list[tuple]:
    cols = [c for c in wh.columns(table) if c not in drop]
    return wh.con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL").fetchall()


@pytest.fixture(params=["parquet", "json.gz"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    return write_archive(tmp_path / "archive", request.param)


def test_counts_and_skip_reasons(warehouse: Warehouse, archive: tuple[Path, Path], tmp_path: Path) -> None:
    counts = _ingest(warehouse, *archive, tmp_path)
    assert counts["papers"] == 6  # 8 records: one without paper_url, one duplicate
    assert counts["skipped"] == {"links:duplicate": 1, "links:no-paper-url": 1, "links:no-repo-url": 1,
                                 "papers:duplicate": 1, "papers:no-paper-url": 1}  # fmt: skip
    assert counts["links_not_crawlable"] == {"gist": 1, "not-github": 3, "owner-only": 1}
    assert counts["links"] == warehouse.count("links") == len(LINKS) - 3
    assert counts["papers_from_links"] == 1 and warehouse.count("papers") == 7
    assert counts["repos_pending_added"] == 3  # owner/repo, other/mono, lone/repo


def test_five_spellings_are_one_repository(warehouse: Warehouse, archive: tuple[Path, Path], tmp_path: Path) -> None:
    _ingest(warehouse, *archive, tmp_path)
    keys = warehouse.query("SELECT DISTINCT repo_key, repo_url FROM links WHERE repo_url LIKE '%owner/repo%'")
    assert keys == [{"repo_key": "owner/repo", "repo_url": "https://github.com/owner/repo"}]
    assert warehouse.scalar("SELECT count(DISTINCT paper_id) FROM links WHERE repo_key = 'owner/repo'") == 5
    assert warehouse.query("SELECT full_name, status FROM repos WHERE repo_key = 'owner/repo'") == [
        {"full_name": "Owner/Repo", "status": "pending"}  # the case the first link used
    ]
    scoped = warehouse.query("SELECT repo_key, scope FROM links WHERE repo_key = 'other/mono'")
    assert scoped == [{"repo_key": "other/mono", "scope": "papers/a"}]


def test_other_hosts_are_kept_not_crawled(warehouse: Warehouse, archive: tuple[Path, Path], tmp_path: Path) -> None:
    _ingest(warehouse, *archive, tmp_path)
    rows = warehouse.query("SELECT host, skip_reason, repo_key, pwc_framework FROM links WHERE host <> 'github.com' "
                           "ORDER BY host")  # fmt: skip
    assert [(r["host"], r["skip_reason"], r["repo_key"]) for r in rows] == [
        ("bitbucket.org", "not-github", None), ("gist.github.com", "gist", None),
        ("git.example.org", "not-github", None), ("gitlab.com", "not-github", None),
    ]  # fmt: skip
    assert warehouse.scalar("SELECT count(*) FROM repos WHERE repo_key LIKE 'group/%' OR repo_key = 'openai'") == 0


def test_venues_parsed_and_unknown_kept_raw(warehouse: Warehouse, archive: tuple[Path, Path], tmp_path: Path) -> None:
    _ingest(warehouse, *archive, tmp_path)
    got = {r["paper_id"].removeprefix(PWC): (r["venue"], r["year"], r["is_workshop"], r["proceeding"])
           for r in warehouse.query("SELECT * FROM papers")}  # fmt: skip
    assert got["neurips-a"] == ("NeurIPS", 2018, False, "NeurIPS 2018 12")
    assert got["iclr-b"] == ("ICLR", 2022, False, "iclr-2022-4")
    assert got["nips-f"] == ("NeurIPS", 2017, False, "NIPS 2017")
    assert got["cvpr-ws-e"] == ("CVPR", 2019, True, "CVPR 2019 Workshops")
    assert got["unknown-d"] == (None, 2020, None, "Symposium on Made-Up Things 2020")  # year from the date
    assert got["arxiv-only-c"][0] is None and got["only-in-links-g"][0] is None


def test_parquet_and_json_gz_give_the_same_warehouse(tmp_path: Path) -> None:
    tables = []
    for fmt in ("parquet", "json.gz"):
        with Warehouse(tmp_path / f"{fmt}.duckdb") as wh:
            _ingest(wh, *write_archive(tmp_path / fmt, fmt), tmp_path)
            tables.append([_table(wh, t) for t in ("papers", "links", "repos")])
    assert tables[0] == tables[1]


def test_ingesting_the_same_files_twice_changes_nothing(warehouse: Warehouse, archive: tuple[Path, Path],
                                                        tmp_path: Path) -> None:  # fmt: skip
    first = _ingest(warehouse, *archive, tmp_path)
    before = {t: _table(warehouse, t) for t in ("papers", "links", "repos")}
    second = _ingest(warehouse, *archive, tmp_path)
    assert {t: _table(warehouse, t) for t in before} == before  # every column but the ingest timestamp
    assert second["papers"] == first["papers"] and second["links"] == first["links"]
    assert second["repos_pending_added"] == 0 and second["papers_from_links"] == 0


def test_a_crawled_repository_is_not_reset_to_pending(warehouse: Warehouse, archive: tuple[Path, Path],
                                                      tmp_path: Path) -> None:  # fmt: skip
    _ingest(warehouse, *archive, tmp_path)
    warehouse.con.execute("UPDATE repos SET status = 'ok' WHERE repo_key = 'owner/repo'")
    _ingest(warehouse, *archive, tmp_path)
    assert warehouse.scalar("SELECT status FROM repos WHERE repo_key = 'owner/repo'") == "ok"


def _everything(wh: Warehouse) -> dict[str, list[tuple]]:
    return {t: _table(wh, t, drop=()) for t in ("papers", "links", "repos")}


def test_truncated_gzip_is_a_clear_error_and_stores_nothing(warehouse: Warehouse, tmp_path: Path) -> None:
    links, papers = write_archive(tmp_path / "good", "parquet")
    _ingest(warehouse, links, papers, tmp_path)
    before = _everything(warehouse)
    big = [paper(f"p{i}", "ICML 2020 7") for i in range(3000)]  # many rows: some are stored before the break
    full = write_json_gz(tmp_path / "papers.json.gz", big).read_bytes()
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(full[: len(full) * 2 // 3])
    with pytest.raises(ArchiveError, match="truncated or corrupt gzip"):
        _ingest(warehouse, links, cut, tmp_path)
    assert _everything(warehouse) == before  # the transaction rolled back, timestamps included


def test_json_cut_inside_a_whole_gzip_is_an_error(warehouse: Warehouse, tmp_path: Path) -> None:
    links, _ = write_archive(tmp_path / "good", "parquet")
    text = json.dumps([paper("a", "ICML 2020 7"), paper("b", "ICML 2020 7")])
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(gzip.compress(text[: len(text) - 40].encode()))
    with pytest.raises(ArchiveError, match="truncated"):
        _ingest(warehouse, links, cut, tmp_path)
    assert warehouse.count("papers") == 0 and warehouse.count("links") == 0


def test_swapped_files_are_refused(warehouse: Warehouse, tmp_path: Path) -> None:
    links, papers = write_archive(tmp_path / "a", "parquet")
    with pytest.raises(ArchiveError, match="does not look like the links file"):
        _ingest(warehouse, papers, papers, tmp_path)
    assert warehouse.count("papers") == 0


def test_missing_file_and_not_an_archive(warehouse: Warehouse, tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no such file"):
        _ingest(warehouse, tmp_path / "nope.parquet", tmp_path / "nope.parquet", tmp_path)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01 not an archive")
    with pytest.raises(ArchiveError, match="neither Parquet"):
        _ingest(warehouse, junk, junk, tmp_path)


def test_parquet_with_date_typed_column_and_missing_optional_columns(warehouse: Warehouse, tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    # `date` may be a real DATE in the Parquet; `conference` and `arxiv_id` may be absent
    table = pa.table({"paper_url": [PWC + "x"], "title": ["T"], "proceeding": ["ECCV 2018 9"],
                      "date": pa.array([dt.date(2018, 9, 8)], pa.date32())})  # fmt: skip
    pq.write_table(table, tmp_path / "papers.parquet")
    links = write_parquet(tmp_path / "links.parquet", [link("x", "https://github.com/a/b")])
    _ingest(warehouse, links, tmp_path / "papers.parquet", tmp_path)
    row = warehouse.query("SELECT venue, year, published_date::VARCHAR AS d, arxiv_id FROM papers")[0]
    assert row == {"venue": "ECCV", "year": 2018, "d": "2018-09-08", "arxiv_id": None}


def test_several_papers_files_and_urls_via_the_cache(warehouse: Warehouse, tmp_path: Path) -> None:
    links, _ = write_archive(tmp_path / "a", "parquet")
    parts = [write_parquet(tmp_path / f"p{i}.parquet", PAPERS[i::2]) for i in range(2)]
    files = {"pwc-archive/links-between-paper-and-code/data/train-00000-of-00001.parquet": links.read_bytes()}
    files |= {f"pwc-archive/papers-with-abstracts/data/train-0000{i}-of-00004.parquet": parts[i % 2].read_bytes()
              for i in range(4)}  # fmt: skip
    with serve_hf(HfState(files=files)) as (base, state):
        urls = hf_archive_urls(Settings(hf_url=base))
        counts = _ingest(warehouse, urls["links"], urls["papers"], tmp_path, hf_url=base)
        n_cdn = sum(r["path"].startswith("/cdn/") for r in state.requests)
        state.requests.clear()
        _ingest(warehouse, urls["links"], urls["papers"], tmp_path, hf_url=base)
    assert counts["papers"] == 6 and n_cdn == 3  # 5 files, 3 distinct contents: the Hub cache keeps blobs by ETag
    assert {r["method"] for r in state.requests} == {"HEAD"}  # the second ingest downloads nothing
    hub_cache = tmp_path / "data" / "cache" / "huggingface"  # the Hub's files: through huggingface_hub
    assert len([p for p in hub_cache.rglob("snapshots/*/data/*.parquet")]) == 5


def test_a_url_on_another_host_goes_through_the_plain_downloader(warehouse: Warehouse, tmp_path: Path) -> None:
    links, papers = write_archive(tmp_path / "a", "parquet")
    files = {"mirror/archive/links.parquet": links.read_bytes(), "mirror/archive/papers.parquet": papers.read_bytes()}
    with serve_hf(HfState(files=files)) as (base, state):
        cdn = [f"{base}/cdn/{key}" for key in files]  # a plain file server, not under PAPERTRENDS_HF_URL
        counts = _ingest(warehouse, [cdn[0]], [cdn[1]], tmp_path, hf_url=base)
    assert counts["papers"] == 6 and {r["method"] for r in state.requests} == {"GET"}
    assert len(list((tmp_path / "data" / "cache" / "downloads").glob("*.parquet"))) == 2


# --- the incremental JSON reader -------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1 << 20])
def test_json_array_across_window_boundaries(chunk: int) -> None:
    values = [{"a": 1}, 12345678, -1.5e10, "x,]y", None, True, [], {"nested": [1, {"b": "c"}]}, 0]
    text = " \n[ " + json.dumps(values, indent=2)[1:] + "\n "
    assert list(iter_json_array(io.StringIO(text), chunk)) == values


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "ends early"),  # empty file
        ('{"a": 1}', "not a JSON array"),
        ('[{"a": 1}, {"b": ', "truncated"),
        ('[{"a": 1} {"b": 2}]', "expected ','"),
        ('[{"a": 1}] trailing', "after the JSON array"),
        ('[{"a": 1},', "truncated"),
    ],
)
def test_json_array_errors(text: str, message: str) -> None:
    with pytest.raises(ArchiveError, match=message):
        list(iter_json_array(io.StringIO(text), 4))


def test_empty_json_array() -> None:
    assert list(iter_json_array(io.StringIO(" [ ] "))) == []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(_json, max_size=8), chunk=st.integers(1, 40))
def test_json_array_round_trips(values: list[Any], chunk: int) -> None:
    assert list(iter_json_array(io.StringIO(json.dumps(values)), chunk)) == values


def test_parquet_reader_projects_columns(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "p.parquet", PAPERS)
    first = next(iter_records(path, ["paper_url", "proceeding", "not-a-column"]))
    assert set(first) == {"paper_url", "proceeding"}  # the abstract never left the file
