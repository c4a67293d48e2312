"""The one crawl driver: its selection rule, the backoff for gone repositories, renames, lazy batches."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from datetime import timedelta
from typing import Any

import pytest
from fakes.github_server import FakeGitHub, FakeRepo

from flows.clock import utcnow
from flows.crawl.driver import crawl_repos, drive_crawl, select_repos
from flows.crawl.outcomes import RECHECK_GONE_FIRST, Outcome, RepoState, add_repos
from flows.settings import Settings
from flows.sources.github import GitHubSource
from flows.sources.http import RetryPolicy
from flows.store.warehouse import Warehouse


def _repo(key: str, status: str, crawled_days_ago: float | None = None, due_in_days: float | None = None,
          source: str = "archive") -> dict[str, Any]:  # fmt: skip
    now = utcnow()
    return {"repo_key": key, "full_name": key, "status": status, "source": source,
            "crawled_at": now - timedelta(days=crawled_days_ago) if crawled_days_ago is not None else None,
            "next_check_at": now + timedelta(days=due_in_days) if due_in_days is not None else None}  # fmt: skip


def test_one_selection_rule_for_every_caller(warehouse: Warehouse) -> None:
    warehouse.upsert("repos", [
        _repo("a/new", "pending"),
        _repo("a/failed", "failed", 1),                   # tries left: due at once (no date)
        _repo("a/fresh", "ok", 1, due_in_days=29),        # crawled yesterday: not asked again
        _repo("a/stale", "ok", 45, due_in_days=-15),      # past its 30 days: asked with its ETag
        _repo("a/gone", "missing", 2, due_in_days=5),     # on its backoff
        _repo("a/back", "blocked", 20, due_in_days=-1),   # backoff over: asked again
        _repo("a/old", "renamed", 3),                     # lives on under its new name
        _repo("a/demo", "pending", source="sample"),      # the sample has no network origin
    ])  # fmt: skip
    assert select_repos(warehouse) == ["a/new", "a/stale", "a/back", "a/failed"]  # least recently checked first
    assert select_repos(warehouse, limit=1) == ["a/new"]
    # full adds every ok repository, due or not; gone ones stay on their backoff
    assert select_repos(warehouse, full=True) == ["a/new", "a/stale", "a/back", "a/failed", "a/fresh"]
    # named repositories are visited whatever their state
    assert select_repos(warehouse, ["A/Gone", "a/demo", "a/nowhere"]) == ["a/demo", "a/gone"]


def _done(value: Any) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_result(value)
    return future


def test_driver_loads_batches_lazily_and_stores_each_as_it_completes(warehouse: Warehouse) -> None:
    keys = [f"o/r{i:02d}" for i in range(23)]
    add_repos(warehouse, keys)
    stored: list[int] = []
    seen_at_submit: list[tuple[int, int]] = []

    def submit(states: list[RepoState]) -> Future[Any]:
        seen_at_submit.append((len(seen_at_submit), len(stored)))
        outcomes = [Outcome(s.key, "unchanged", [{**s.row, "status": "ok", "crawled_at": utcnow()}]) for s in states]
        return _done({"outcomes": outcomes, "quota_left": {}, "usage": {"quota_counted": 0}})

    tally = drive_crawl(warehouse, keys, submit, batch_size=5, max_in_flight=2, on_batch=stored.append)
    assert sorted(stored) == [3, 5, 5, 5, 5] and tally.batches == 5 and tally.kinds == {"unchanged": 23}
    # batch i is built only once all but max_in_flight - 1 of the earlier ones are stored
    assert all(n_stored >= i - 1 for i, n_stored in seen_at_submit)
    assert warehouse.scalar("SELECT count(*) FROM repos WHERE status = 'ok'") == 23


def test_a_failed_batch_is_counted_and_the_others_are_stored(warehouse: Warehouse) -> None:
    add_repos(warehouse, ["o/a", "o/b"])

    def submit(states: list[RepoState]) -> Future[Any]:
        if states[0].key == "o/a":
            future: Future[Any] = Future()
            future.set_exception(RuntimeError("worker lost"))
            return future
        return _done({"outcomes": [Outcome("o/b", "failed", [{**states[0].row, "status": "failed"}], reason="x")]})

    tally = drive_crawl(warehouse, ["o/a", "o/b"], submit, batch_size=1)
    assert tally.failed_batches == 1 and tally.failed_reasons == {"x": 1}
    assert dict(warehouse.con.execute("SELECT repo_key, status FROM repos").fetchall()) == {"o/a": "pending",
                                                                                           "o/b": "failed"}


# --- against the fake GitHub ------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    code = b"import torch\nnet = torch.nn.Linear(2, 2)\n"  # a used import: a bare one is too weak to count
    repos = [FakeRepo("Owner/Torch", {"train.py": code}), FakeRepo("Owner/Gone", status="missing"),
             FakeRepo("Owner/Dmca", status="dmca"), FakeRepo("Owner/Off", status="disabled")]  # fmt: skip
    server = FakeGitHub(repos)
    server.start()
    yield server
    server.stop()


def crawl(wh: Warehouse, fake: FakeGitHub, **kwargs: Any) -> dict[str, Any]:
    settings = Settings(github_api_url=fake.url, github_raw_url=fake.raw_url)
    client = GitHubSource.from_settings(settings, retry=RetryPolicy(max_tries=2, base_delay=0.01))
    return crawl_repos(wh, settings, client=client, progress=False, **kwargs)


def test_gone_repositories_are_rechecked_on_a_growing_backoff(warehouse: Warehouse, fake: FakeGitHub) -> None:
    add_repos(warehouse, ["Owner/Torch", "Owner/Gone", "Owner/Dmca", "Owner/Off"])
    first = crawl(warehouse, fake)
    assert first["by_status"] == {"blocked": 1, "disabled": 1, "missing": 1} and first["crawled"] == 1
    used = fake.quota_used
    for full in (False, True):  # an immediate second crawl asks nothing about them, --full or not
        again = crawl(warehouse, fake, full=full)
        assert again["by_status"] == {} and fake.quota_used == used
    rows = {r["repo_key"]: r for r in warehouse.query("SELECT * FROM repos")}
    wait = rows["owner/gone"]["next_check_at"] - rows["owner/gone"]["crawled_at"]
    assert rows["owner/gone"]["n_attempts"] == 1 and abs(wait - RECHECK_GONE_FIRST) < timedelta(seconds=5)
    warehouse.con.execute("UPDATE repos SET next_check_at = now()::TIMESTAMP - INTERVAL 1 HOUR WHERE status <> 'ok'")
    third = crawl(warehouse, fake)
    assert third["selected"] == 3 and fake.quota_used == used + 3
    row = warehouse.query("SELECT * FROM repos WHERE repo_key = 'owner/gone'")[0]
    assert row["n_attempts"] == 2 and abs(row["next_check_at"] - row["crawled_at"] - 2 * RECHECK_GONE_FIRST) < \
        timedelta(seconds=5)  # fmt: skip
    # named on the command line, a gone repository is asked at once
    assert crawl(warehouse, fake, repo_keys=["owner/gone"])["by_status"] == {"missing": 1}


def test_a_renamed_repositorys_unchanged_tree_is_not_fetched_again(warehouse: Warehouse, fake: FakeGitHub) -> None:
    add_repos(warehouse, ["Owner/Torch"])
    crawl(warehouse, fake)
    before_quota, before_raw = fake.quota_used, fake.counts["raw"]
    moved = fake.repos.pop("owner/torch")
    fake.add(FakeRepo("NewOwner/Torch", moved.files, pushed_at=moved.pushed_at), moved.repo_id + 100)
    fake.add(FakeRepo("Owner/Torch", renamed_to="NewOwner/Torch"), moved.repo_id)
    summary = crawl(warehouse, fake, full=True)
    assert summary["unchanged"] == 1 and summary["crawled"] == 0
    # the old name's 301 and the metadata it leads to; no tree request, no file read
    assert fake.quota_used == before_quota + 2 and fake.counts["raw"] == before_raw
    status = dict(warehouse.con.execute("SELECT repo_key, status FROM repos").fetchall())
    assert status == {"owner/torch": "renamed", "newowner/torch": "ok"}
    files = warehouse.con.execute("SELECT repo_key, path FROM repo_files").fetchall()  # moved, not read again
    assert files == [("newowner/torch", "train.py")]
    assert warehouse.scalar("SELECT count(*) FROM repo_evidence WHERE repo_key = 'owner/torch'") == 0
    label = warehouse.scalar("SELECT framework FROM classifications WHERE repo_key = 'newowner/torch'")
    assert label == "pytorch"
