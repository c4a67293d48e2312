"""Row conversion shared by every source, and `papertrends ingest` / `status --json` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.pwc_files import write_archive

from flows.cli.main import main
from flows.sources.rows import link_row, paper_from_link, paper_row, pending_repo_rows, why_link_skipped


def test_paper_row_uses_the_venue_year_and_falls_back_to_the_date() -> None:
    row = paper_row({"paper_url": "p", "proceeding": "ICML 2019 6", "date": "2019-01-30"}, "t")
    assert (row["venue"], row["year"], row["published_date"].isoformat()) == ("ICML", 2019, "2019-01-30")
    arxiv = paper_row({"paper_url": "q", "proceeding": None, "date": "2020-02-02T00:00:00"}, "t")
    assert (arxiv["venue"], arxiv["year"], arxiv["is_workshop"]) == (None, 2020, None)


@pytest.mark.parametrize("value", [None, "", "   ", float("nan")])  # the ways a dump says "missing"
def test_rows_without_keys_are_skipped_with_a_reason(value: object) -> None:
    assert paper_row({"paper_url": value}, "t") is None
    assert link_row({"paper_url": "p", "repo_url": value}, "t") is None
    assert why_link_skipped({"paper_url": "p", "repo_url": value}) == "no-repo-url"
    assert why_link_skipped({"paper_url": value, "repo_url": "https://github.com/a/b"}) == "no-paper-url"


def test_link_row_keeps_raw_url_and_booleans_from_strings() -> None:
    row = link_row({"paper_url": "p", "repo_url": " https://github.com/A/B.git ", "is_official": "True",
                    "mentioned_in_paper": "0", "framework": "pytorch"}, "t")  # fmt: skip
    assert (row["repo_url"], row["repo_key"]) == ("https://github.com/a/b", "a/b")
    assert row["repo_url_raw"] == "https://github.com/A/B.git"
    assert (row["is_official"], row["mentioned_in_paper"], row["mentioned_in_github"]) == (True, False, None)


def test_pending_repos_keep_the_links_case_and_skip_uncrawlable() -> None:
    urls = ("https://github.com/Org/Mono/tree/main/sub", "https://github.com/org/mono", "https://gitlab.com/a/b")
    links = [link_row({"paper_url": "p", "repo_url": u}, "t") for u in urls]
    assert pending_repo_rows(links, "t") == [{"repo_key": "org/mono", "full_name": "Org/Mono", "status": "pending",
                                              "source": "t"}]  # fmt: skip


def test_paper_from_link_carries_title_and_arxiv_id() -> None:
    row = paper_from_link({"paper_url": "p", "paper_title": "T", "paper_arxiv_id": "1234.5678"}, "t")
    assert (row["paper_id"], row["title"], row["arxiv_id"], row["venue"]) == ("p", "T", "1234.5678", None)


def test_cli_ingest_then_status_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    links, papers = write_archive(tmp_path / "archive", "json.gz")
    db = str(tmp_path / "w.duckdb")
    assert main(["ingest", "--db", db, "--links", str(links), "--papers", str(papers), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["papers"] == 6 and counts["skipped"]["links:no-repo-url"] == 1
    assert main(["status", "--db", db, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["conference_papers_by_venue"] == {"NeurIPS": 2, "CVPR": 1, "ICLR": 1}
    assert status["links_skipped"] == {"gist": 1, "not-github": 3, "owner-only": 1}
    assert status["unknown_proceedings"] == {"Symposium on Made-Up Things 2020": 1}
    assert status["papers"] == 7 and status["repos_by_status"] == {"pending": 3}
    assert status["workshop_papers"] == 1 and status["papers_by_source"] == {"pwc_archive": 7}


def test_cli_ingest_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "w.duckdb")
    assert main(["ingest", "--db", db, "--links", "x.parquet"]) == 2  # usage: no papers file
    assert main(["ingest", "--db", db, "--links", "x.parquet", "--papers", "y.parquet"]) == 1
    assert "no such file: y.parquet" in capsys.readouterr().err
