"""The live catalog against a loopback fake: paging, envelopes, detail fallback, filter echo, 429s, errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fakes.catalog_server import CatalogState, serve_catalog

from flows.settings import Settings
from flows.sources.http import HttpClient, RetryPolicy, make_session
from flows.sources.pwc_api import (
    Catalog,
    CatalogError,
    check_applied_filters,
    make_catalog_client,
    next_page,
    select_editions,
)
from flows.stages.ingest import ingest_catalog
from flows.store.warehouse import Warehouse

CONFERENCES = [
    {"id": 1, "slug": "cvpr-2026", "name": "CVPR 2026", "year": 2026, "paper_count": 230},
    {"id": 2, "slug": "iclr-2026", "name": "ICLR 2026", "year": 2026, "paper_count": 3},
    {"id": 3, "slug": "cvpr-2025", "name": "CVPR 2025", "year": 2025, "paper_count": 1},
]


def _paper(i: int, conference: str, name: str, repos: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "arxiv_id": f"2601.{i:05d}", "title": f"Test catalog paper {i}", "conference": conference,
        "conference_name": name, "published": f"2026-0{1 + i % 6}-15", "has_official_implementation": True,
        "code_repository_count": 1,
        "repositories": [{"url": f"https://github.com/lab{i}/code", "is_official": True}] if repos is None else repos,
    }  # fmt: skip


def _state(**kw: Any) -> CatalogState:
    papers = [_paper(i, "cvpr-2026", "CVPR 2026") for i in range(230)]  # three pages of 100
    papers += [
        _paper(900, "iclr-2026", "ICLR 2026", repos=[]),  # a paper without code
        _paper(901, "iclr-2026", "ICLR 2026", repos=[{"url": "https://gitlab.com/g/p", "is_official": False},
                                                     {"url": None, "is_official": True}]),  # fmt: skip
        _paper(902, "iclr-2026", "ICLR 2026", repos=[{"url": "git@github.com:Lab1/Code.git", "is_official": False}]),
        _paper(950, "cvpr-2025", "CVPR 2025"),
    ]
    return CatalogState(conferences=CONFERENCES, papers=papers, **kw)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client() -> HttpClient:
    return HttpClient(make_session(), retry=RetryPolicy(max_tries=4, base_delay=0.0), sleep=Sleeps())


def _run(wh: Warehouse, base: str, client: HttpClient | None = None, **kw: Any) -> dict[str, Any]:
    return ingest_catalog(wh, Settings(pwc_api_url=base), client=client or _client(), **kw)


def test_pages_with_repositories_in_list_rows(warehouse: Warehouse) -> None:
    with serve_catalog(_state()) as (base, state):
        counts = _run(warehouse, base, venues=["CVPR 2026"])
    assert (counts["editions"], counts["papers"], counts["links"], counts["details_fetched"]) == (1, 230, 230, 0)
    assert counts["requests"] == 4  # conferences + three pages
    assert all("page_size=100" in r and "include_resources=true" in r for r in state.requests[1:])
    row = warehouse.query("SELECT paper_id, venue, year, source, published_date::VARCHAR AS d FROM papers "
                          "WHERE arxiv_id = '2601.00007'")[0]  # fmt: skip
    assert row == {"paper_id": "arxiv:2601.00007", "venue": "CVPR", "year": 2026, "source": "pwc_api",
                   "d": "2026-02-15"}  # fmt: skip
    assert warehouse.count("repos") == 230


def test_detail_call_per_paper_when_list_rows_lack_repositories(warehouse: Warehouse) -> None:
    state = _state(list_has_repositories=False, envelope=("items", "total"), next_page_style="absent")
    state.missing_details = {"2601.00900"}
    with serve_catalog(state) as (base, _):
        counts = _run(warehouse, base, venues=["ICLR"])
    assert counts["details_fetched"] == 3 and counts["papers"] == 3
    assert counts["skipped"] == {"papers:no-detail": 1, "links:no-repo-url": 1}
    assert counts["links_not_crawlable"] == {"not-github": 1}
    assert warehouse.query("SELECT repo_key FROM links WHERE repo_key IS NOT NULL") == [{"repo_key": "lab1/code"}]


def test_url_style_next_page(warehouse: Warehouse) -> None:
    with serve_catalog(_state(next_page_style="url")) as (base, _):
        assert _run(warehouse, base, venues=["CVPR 2026"])["papers"] == 230


def test_a_filter_the_server_ignored_stops_the_run(warehouse: Warehouse) -> None:
    with serve_catalog(_state(ignored_filter="start_date")) as (base, _), pytest.raises(
        CatalogError, match=r"did not apply filter\(s\) \['start_date'\]"
    ):
        _run(warehouse, base, venues=["ICLR"], since=date(2026, 1, 1))
    assert warehouse.count("papers") == 0


def test_since_filters_editions_and_dates(warehouse: Warehouse) -> None:
    with serve_catalog(_state()) as (base, state):
        counts = _run(warehouse, base, venues=["CVPR"], since=date(2026, 5, 1))
    assert counts["editions"] == 1  # CVPR 2025 is before `since`
    assert all("start_date=2026-05-01" in r for r in state.requests[1:])
    assert counts["papers"] == sum(1 for i in range(230) if 1 + i % 6 >= 5)


def test_429_retry_after_is_honoured(warehouse: Warehouse) -> None:
    client = _client()
    with serve_catalog(_state(rate_limited=2, retry_after="3")) as (base, _):
        counts = _run(warehouse, base, client, venues=["ICLR"])
    assert counts["papers"] == 3 and client.sleep == [3.0, 3.0]


def test_errors_are_loud(warehouse: Warehouse) -> None:
    with serve_catalog(_state()) as (base, _):
        with pytest.raises(CatalogError, match="unknown venue"):
            _run(warehouse, base, venues=["Made-Up Conf"])
        with pytest.raises(CatalogError, match="no edition of ICML"):
            _run(warehouse, base, venues=["ICML"])
    with serve_catalog(_state(gone_conferences={"iclr-2026"})) as (base, _):  # listed, but the list call 404s
        with pytest.raises(CatalogError, match="HTTP 404: Conference 'iclr-2026' not found"):
            _run(warehouse, base, venues=["ICLR"])
        with pytest.raises(CatalogError, match="HTTP 422: start_date must be YYYY-MM-DD"):
            list(Catalog(base, _client()).papers({"start_date": "yesterday"}))
    assert warehouse.count("papers") == 0


def test_rerun_changes_nothing_and_archive_ids_are_kept(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "w.duckdb") as wh:
        known = {"paper_id": "https://paperswithcode.com/paper/known", "arxiv_id": "2601.00901",
                 "title": "from the archive", "source": "pwc_archive", "ingested_at": "2026-01-01"}  # fmt: skip
        wh.upsert("papers", [known])
        with serve_catalog(_state()) as (base, _):
            _run(wh, base, venues=["ICLR 2026"])
            before = wh.con.execute("SELECT * EXCLUDE (ingested_at) FROM papers ORDER BY ALL").fetchall()
            links = wh.con.execute("SELECT * EXCLUDE (ingested_at) FROM links ORDER BY ALL").fetchall()
            _run(wh, base, venues=["ICLR 2026"])
        assert wh.con.execute("SELECT * EXCLUDE (ingested_at) FROM papers ORDER BY ALL").fetchall() == before
        assert wh.con.execute("SELECT * EXCLUDE (ingested_at) FROM links ORDER BY ALL").fetchall() == links
        ids = {r["paper_id"] for r in wh.query("SELECT paper_id FROM papers")}
    assert ids == {"https://paperswithcode.com/paper/known", "arxiv:2601.00900", "arxiv:2601.00902"}


def test_default_client_is_polite() -> None:
    assert make_catalog_client().politeness.interval == 1.0  # 60 requests a minute
    assert make_catalog_client(None).politeness.interval == 0.0


@pytest.mark.parametrize(
    ("body", "page", "seen", "expected"),
    [
        ({"results": [1], "next_page": 2}, 1, 1, 2),
        ({"results": [1], "next_page": None}, 1, 1, None),
        ({"results": [1], "next_page": "https://x/api/v1/papers/?page=5&page_size=100"}, 4, 1, 5),
        ({"items": [1], "total": 3}, 1, 1, 2),  # no next_page key: the total decides
        ({"items": [1], "total": 1}, 1, 1, None),
        ({"items": [], "total": 10}, 3, 5, None),  # an empty page ends paging whatever the total says
    ],
)
def test_next_page(body: dict[str, Any], page: int, seen: int, expected: int | None) -> None:
    assert next_page(body, page, seen) == expected


def test_applied_filters_must_echo_each_filter() -> None:
    check_applied_filters({"conference": "cvpr-2026"}, {"applied_filters": {"conference": "cvpr-2026", "x": 1}})
    with pytest.raises(CatalogError, match="did not report"):
        check_applied_filters({"conference": "cvpr-2026"}, {"results": []})
    with pytest.raises(CatalogError, match="did not apply"):
        check_applied_filters({"conference": "cvpr-2026"}, {"applied_filters": {"conference": "iclr-2026"}})


def test_select_editions() -> None:
    assert [e["slug"] for e in select_editions(CONFERENCES, ["cvpr"], None)] == ["cvpr-2026", "cvpr-2025"]
    assert [e["slug"] for e in select_editions(CONFERENCES, ["CVPR 2025"], None)] == ["cvpr-2025"]
    assert [e["slug"] for e in select_editions(CONFERENCES, None, date(2026, 1, 1))] == ["cvpr-2026", "iclr-2026"]


def test_an_archive_ingested_after_the_catalog_absorbs_the_catalogs_rows(tmp_path: Path) -> None:
    # The catalog ran first, so it keyed the paper arxiv:<id>; the archive then brings the same
    # paper under its Papers with Code URL: one paper must remain, with the links of both.
    from fakes.pwc_files import link, paper, write_parquet

    from flows.stages.ingest import ingest_archive

    with Warehouse(tmp_path / "w.duckdb") as wh:
        with serve_catalog(_state()) as (base, _):
            _run(wh, base, venues=["ICLR 2026"])
        assert wh.scalar("SELECT count(*) FROM papers WHERE paper_id = 'arxiv:2601.00902'") == 1
        url = "https://paperswithcode.com/paper/known"
        papers = write_parquet(tmp_path / "papers.parquet", [{**paper("known", "ICLR 2026"), "arxiv_id": "2601.00902"}])
        links = write_parquet(tmp_path / "links.parquet", [link("known", "https://github.com/other/repo")])
        counts = ingest_archive(wh, str(links), str(papers), progress=False)
        assert counts["catalog_papers_merged"] == 1
        assert wh.scalar("SELECT count(*) FROM papers WHERE arxiv_id = '2601.00902'") == 1
        repos = {r["repo_key"] for r in wh.query("SELECT repo_key FROM links WHERE paper_id = ?", [url])}
        assert repos == {"lab1/code", "other/repo"}
        assert ingest_archive(wh, str(links), str(papers), progress=False)["catalog_papers_merged"] == 0
