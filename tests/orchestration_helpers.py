"""Shared set-up for the orchestration tests and bench: a fake GitHub and papers pointing at it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fakes.github_server import FakeGitHub, FakeRepo

from flows.sources.rows import link_row, paper_row, pending_repo_rows
from flows.store.warehouse import Warehouse


def seed_papers(wh: Warehouse, repos: Sequence[FakeRepo], source: str = "test") -> int:
    """One conference paper per fake repository, linked to it, the repository pending: what ingest leaves."""
    papers, links = [], []
    for i, repo in enumerate(repos):
        url = f"test://paper-{i}"
        papers.append(paper_row({"paper_url": url, "title": f"Test paper {i}", "proceeding": f"CVPR {2015 + i % 10}"},
                                source))  # fmt: skip
        links.append(link_row({"paper_url": url, "repo_url": f"https://github.com/{repo.full_name}"}, source))
    with wh.transaction():
        wh.upsert("papers", [p for p in papers if p])
        wh.upsert("links", [lk for lk in links if lk])
        wh.insert_new("repos", pending_repo_rows([lk for lk in links if lk], source))
    return len(papers)


def github_env(fake: FakeGitHub) -> dict[str, str]:
    """Environment pointing the GitHub source (here, in CLI subprocesses and Dask workers) at the fake."""
    return {"GITHUB_API_URL": fake.url, "PAPERTRENDS_GITHUB_RAW_URL": fake.raw_url}


def n_requests(fake: FakeGitHub) -> int:
    """Every request the fake has answered, API and raw host, free or not."""
    return sum(fake.auth_seen.values())


def table_contents(wh: Warehouse) -> dict[str, Any]:
    """What the crawl and classify stages stored, without the columns that hold wall-clock times."""
    return {
        "repos": wh.query("SELECT * EXCLUDE (crawled_at, next_check_at) FROM repos ORDER BY repo_key"),
        "repo_files": wh.query("SELECT * FROM repo_files ORDER BY ALL"),
        "repo_evidence": wh.query("SELECT * FROM repo_evidence ORDER BY ALL"),
        "classifications": wh.query("SELECT * EXCLUDE (classified_at) FROM classifications ORDER BY repo_key"),
    }
