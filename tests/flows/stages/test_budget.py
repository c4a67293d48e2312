"""The budgeted refresh against the fakes: the draw is stored, only drawn repositories are crawled, top-ups
take the next ranks, and a refresh without a budget turns the sample into a census."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.store.warehouse import Warehouse

VENUES = ["CVPR", "ICLR", "NeurIPS", "ICML", "ACL"]


@pytest.fixture
def github65(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - a FakeGitHub
    from fakes.github_server import FakeGitHub, make_repos
    from orchestration_helpers import github_env

    fake = FakeGitHub(make_repos(65, seed=3))
    fake.start()
    for key, value in github_env(fake).items():
        monkeypatch.setenv(key, value)
    yield fake
    fake.stop()


def _archive(tmp_path: Path, fake) -> dict[str, str]:  # noqa: ANN001
    """The PWC archive's two files: 65 links, one paper per repository, five venues over 2016-2022."""
    from fakes.pwc_files import link, paper, write_parquet

    repos = list(fake.repos.values())
    papers = [paper(f"p{i}", f"{VENUES[i % 5]} {2016 + i % 7}", f"{2016 + i % 7}-06-01",
                    title=("Deep neural networks " if i % 3 else "Sparse graphs ") + str(i)) for i in range(len(repos))]
    links = [link(f"p{i}", f"https://github.com/{r.full_name}") for i, r in enumerate(repos)]
    return {"papers": str(write_parquet(tmp_path / "papers.parquet", papers)),
            "links": str(write_parquet(tmp_path / "links.parquet", links))}  # fmt: skip


def _touched(db: Path) -> int:
    with Warehouse(db, read_only=True) as wh:
        return int(wh.scalar("SELECT count(*) FROM repos WHERE status <> 'pending'"))


@pytest.mark.prefect
def test_a_budget_crawls_at_most_that_many_and_tops_up_into_a_census(prefect_server: str, github65,  # noqa: ANN001
                                                                       tmp_path: Path) -> None:  # fmt: skip
    """The README's bound: `refresh --links L --papers P --budget 24` on a 65-link archive crawls at most 24
    repositories; a top-up keeps the first draw's ranks, and a refresh without a budget makes it a census."""
    from flows.service.runner import run_refresh
    from flows.store.status import format_status, warehouse_status

    db = tmp_path / "wh.duckdb"
    paths = {"db": str(db), "parquet_dir": str(tmp_path / "pq"), "reports_dir": str(tmp_path / "rep"), "via": "api",
             "progress": False}  # fmt: skip
    first = run_refresh(**_archive(tmp_path, github65), budget=24, **paths)
    assert first.is_ok, first.error
    assert first.counts["draw"]["repos_drawn"] <= 24 and first.counts["crawl"]["selected"] <= 24
    assert _touched(db) == first.counts["crawl"]["selected"] <= 24
    with Warehouse(db, read_only=True) as wh:
        drawn = wh.query("SELECT paper_id, venue, year, title_stratum, draw_rank, draw_round, seed FROM budget_draws")
        status = warehouse_status(wh)
    assert len(drawn) == first.counts["draw"]["drawn"] and {d["draw_round"] for d in drawn} == {1}
    assert {d["title_stratum"] for d in drawn if d["year"] < 2018} <= {"dl", "other"}
    assert {d["title_stratum"] for d in drawn if d["year"] >= 2018} == {"all"}
    budget = status["budget"]
    assert budget["kind"] == "sample" and budget["n_population"] == 65 and budget["n_drawn"] == len(drawn)
    assert sum(y["n_drawn"] for y in budget["by_year"]) == len(drawn)
    assert all(y["n_crawled"] <= y["n_drawn"] <= y["n_population"] for y in budget["by_year"])
    text = format_status(status)
    assert f"sample of the archive: {len(drawn)} of 65 papers" in text and "crawled" in text.split("drawn", 1)[1]
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert f"sample of the archive: {len(drawn)} of 65 papers" in html

    second = run_refresh(budget=40, **paths)  # a top-up: the first draw is kept, the next ranks are added
    assert second.is_ok, second.error
    with Warehouse(db, read_only=True) as wh:
        again = {r["paper_id"]: r for r in wh.query("SELECT * FROM budget_draws")}
    assert all(again[d["paper_id"]]["draw_rank"] == d["draw_rank"] and again[d["paper_id"]]["draw_round"] == 1
               for d in drawn)  # fmt: skip
    assert second.counts["draw"]["repos_drawn"] <= 40 and _touched(db) <= 40
    assert second.counts["crawl"]["selected"] == second.counts["draw"]["repos_drawn"] - first.counts["draw"][
        "repos_drawn"]  # only the new ones: the first draw's repositories are not due again

    third = run_refresh(**paths)  # no budget: the rest of the archive, a census
    assert third.is_ok, third.error
    assert _touched(db) == 65
    with Warehouse(db, read_only=True) as wh:
        status = warehouse_status(wh)
    assert status["budget"]["kind"] == "census" and status["budget"]["n_drawn"] == 65
    assert "census of the archive: all 65 papers" in (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")


def _stored_archive(wh: Warehouse, n: int = 40) -> None:
    """Papers (four venues, 2016-2019) with one crawlable link each, as ingest stores them."""
    from flows.clock import utcnow

    now = utcnow()
    wh.upsert("papers", [{"paper_id": f"p{i}", "title": f"Deep networks {i}", "venue": VENUES[i % 4],
                          "year": 2016 + i % 4, "source": "archive", "ingested_at": now} for i in range(n)])
    wh.upsert("links", [{"paper_id": f"p{i}", "repo_url": f"https://github.com/o/r{i}", "repo_key": f"o/r{i}",
                         "host": "github.com", "source": "archive", "ingested_at": now} for i in range(n)])
    wh.upsert("repos", [{"repo_key": f"o/r{i}", "full_name": f"o/r{i}", "status": "pending", "source": "archive"}
                        for i in range(n)])  # fmt: skip


def test_the_services_budget_step_draws_that_many_more_each_run(tmp_path: Path) -> None:
    from analysis.classifier.frameworks import CLASSIFIER_VERSION
    from flows.clock import utcnow
    from flows.stages.budget import crawl_keys, draw_stage

    with Warehouse(tmp_path / "wh.duckdb") as wh:
        _stored_archive(wh)
        first = draw_stage(wh, {"budget_step": 10})
        assert first["repos_drawn"] == 10 and first["allocation"] == "proportional pilot" and first["seed"] == 24
        due = [f"o/r{i}" for i in range(40)]
        chosen = crawl_keys(wh, due)
        assert len(chosen) == 10
        # the drawn ones were read: the next run allocates from their variances, ten more
        wh.upsert("repos", [{"repo_key": k, "full_name": k, "status": "ok", "source": "archive"} for k in chosen])
        wh.upsert("classifications", [{"repo_key": k, "classifier_version": CLASSIFIER_VERSION,
                                       "framework": "pytorch" if j % 2 else "tensorflow", "classified_at": utcnow()}
                                      for j, k in enumerate(chosen)])  # fmt: skip
        second = draw_stage(wh, {"budget_step": 10})
        assert second["repos_drawn"] == 20 and second["round"] == 2 and second["allocation"].startswith("neyman")
        with pytest.raises(ValueError, match="seed 24"):
            draw_stage(wh, {"budget": 30, "seed": 7})
        census = draw_stage(wh, {})
        assert census["drawn"] == census["population"] == 40 and crawl_keys(wh, due) == due


@pytest.mark.parametrize("argv", [["--budget", "0"], ["--sample", "--budget", "5"], ["--target-width", "0.05"],
                                  ["--budget", "5", "--target-width", "2"], ["--seed", "3"]])  # fmt: skip
def test_budget_options_are_checked_before_anything_runs(argv: list[str], tmp_path: Path) -> None:
    from flows.cli.main import main

    assert main(["refresh", "--db", str(tmp_path / "wh.duckdb"), *argv]) == 2


def test_serve_passes_its_budget_on_as_a_step_per_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from flows.cli.main import main
    from flows.service import serve

    seen: dict = {}
    monkeypatch.setattr(serve, "serve_refresh", lambda cron, name, parameters: seen.update(parameters))
    assert main(["serve", "--db", str(tmp_path / "wh.duckdb"), "--catalog", "--budget", "500",
                 "--target-width", "0.05"]) == 0  # fmt: skip
    assert seen["budget_step"] == 500 and "budget" not in seen and seen["target_width"] == 0.05
