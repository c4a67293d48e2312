"""The crawler end to end against the loopback fake: statuses, quota, resumption, secrets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.github_server import FakeGitHub, FakeRepo, Fault, make_repos

from flows.cli.main import main
from flows.crawl.driver import crawl_repos
from flows.crawl.files import select_files
from flows.crawl.outcomes import MAX_ATTEMPTS, add_repos
from flows.settings import Settings
from flows.sources.github import GitHubSource, TreeEntry
from flows.sources.http import RetryPolicy
from flows.store.parquet import export_tables
from flows.store.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "ghp" + "_FAKEtokenSENTINEL0123456789abcdef"  # split: a fake, not a secret to scan for


def mixed_repos() -> list[FakeRepo]:
    return [
        FakeRepo("Owner/Torch", {"train.py": b"import torch\n", "requirements.txt": b"torch\n", "README.md": b"hi"}),
        FakeRepo("Owner/Gone", status="missing"),
        FakeRepo("Owner/Dmca", status="dmca"),
        FakeRepo("Owner/Off", status="disabled"),
        FakeRepo("Owner/Empty", status="empty"),
        FakeRepo("Owner/Old", renamed_to="NewOwner/New"),
        FakeRepo("NewOwner/New", {"main.py": b"import tensorflow as tf\ntf.constant(1)\n"}),
        FakeRepo("Owner/Flaky", {"a.py": b"import jax\njax.numpy.ones(1)\n"}),
        FakeRepo("Owner/Broken", {"a.py": b"import jax\n"}),
    ]


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub(mixed_repos())
    server.start()
    yield server
    server.stop()


def source(fake: FakeGitHub, token: str | None = None) -> GitHubSource:
    retry = RetryPolicy(max_tries=3, base_delay=0.01)
    return GitHubSource.from_settings(settings_for(fake, token), pool_size=8, retry=retry)


def settings_for(fake: FakeGitHub, token: str | None = None) -> Settings:
    return Settings(github_api_url=fake.url, github_raw_url=fake.raw_url, github_token=token)


def crawl(wh: Warehouse, fake: FakeGitHub, token: str | None = None, **kwargs: Any) -> dict[str, Any]:
    return crawl_repos(wh, settings_for(fake, token), client=source(fake, token), progress=False, **kwargs)


def statuses(wh: Warehouse) -> dict[str, tuple[str, str | None]]:
    return {r["repo_key"]: (r["status"], r["status_reason"]) for r in wh.query("SELECT * FROM repos")}


def test_every_failure_mode_ends_in_a_recorded_status(warehouse: Warehouse, fake: FakeGitHub) -> None:
    fake.faults += [Fault("/repos/Owner/Flaky", "reset", times=1), Fault("/repos/Owner/Flaky", "secondary", times=1),
                    Fault("/repos/Owner/Broken", "502", times=99)]  # fmt: skip
    add_repos(warehouse, [r.full_name for r in mixed_repos() if r.full_name != "NewOwner/New"])
    summary = crawl(warehouse, fake)
    got = statuses(warehouse)
    assert {k: v[0] for k, v in got.items()} == {
        "owner/torch": "ok", "owner/gone": "missing", "owner/dmca": "blocked", "owner/off": "disabled",
        "owner/empty": "empty", "owner/old": "renamed", "newowner/new": "ok", "owner/flaky": "ok",
        "owner/broken": "failed",
    }  # fmt: skip
    assert "dmca" in got["owner/dmca"][1] and got["owner/broken"][1] == "HTTP 502"
    assert warehouse.scalar("SELECT renamed_to FROM repos WHERE repo_key = 'owner/old'") == "newowner/new"
    assert summary["failed"] == {"HTTP 502": 1} and summary["by_status"]["failed"] == 1
    frameworks = dict(warehouse.con.execute("SELECT repo_key, framework FROM classifications").fetchall())
    assert frameworks == {"owner/torch": "pytorch", "newowner/new": "tensorflow", "owner/flaky": "jax"}


def test_first_crawl_spends_at_most_two_quota_requests_per_repo(warehouse: Warehouse, fake: FakeGitHub) -> None:
    add_repos(warehouse, ["Owner/Torch", "Owner/Flaky"])
    summary = crawl(warehouse, fake)
    assert fake.quota_used == 4 and summary["requests"]["quota_counted"] == 4 and summary["crawled"] == 2
    assert fake.counts["raw"] == 4  # train.py, requirements.txt, README.md (entry points), a.py
    files = warehouse.query("SELECT path, kind, n_bytes FROM repo_files WHERE repo_key = 'owner/torch' ORDER BY path")
    assert files == [{"path": "README.md", "kind": "readme", "n_bytes": 2},
                     {"path": "requirements.txt", "kind": "requirements", "n_bytes": 6},
                     {"path": "train.py", "kind": "python", "n_bytes": 13}]  # fmt: skip


def test_refresh_of_unchanged_repos_is_free_and_a_push_is_recrawled(warehouse: Warehouse, fake: FakeGitHub) -> None:
    add_repos(warehouse, ["Owner/Torch", "Owner/Flaky"])
    crawl(warehouse, fake)
    before = fake.quota_used
    again = crawl(warehouse, fake, full=True)
    assert again["unchanged"] == 2 and fake.quota_used == before and fake.counts["not_modified"] == 2
    fake.push("Owner/Flaky", "a.py", b"import tensorflow\ntensorflow.constant(1)\n")
    raw_before = fake.counts["raw"]
    third = crawl(warehouse, fake, full=True)
    assert third["crawled"] == 1 and third["unchanged"] == 1 and fake.counts["raw"] == raw_before + 1
    assert warehouse.scalar("SELECT framework FROM classifications WHERE repo_key = 'owner/flaky'") == "tensorflow"
    assert warehouse.scalar("SELECT count(*) FROM repo_evidence WHERE repo_key = 'owner/flaky'") == 1


def test_metadata_change_without_a_push_needs_no_tree(warehouse: Warehouse, fake: FakeGitHub) -> None:
    add_repos(warehouse, ["Owner/Torch"])
    crawl(warehouse, fake)
    fake.repos["owner/torch"].stars = 999  # new ETag, same pushed_at
    before = fake.quota_used
    summary = crawl(warehouse, fake, full=True)
    assert summary["unchanged"] == 1 and fake.quota_used == before + 1
    assert warehouse.scalar("SELECT n_stars FROM repos WHERE repo_key = 'owner/torch'") == 999


def test_with_a_token_graphql_batches_metadata_and_detects_unchanged_heads(warehouse: Warehouse) -> None:
    fake = FakeGitHub(make_repos(120), require_token=TOKEN)
    fake.start()
    try:
        add_repos(warehouse, [r.full_name for r in fake.repos.values()])
        first = crawl(warehouse, fake, TOKEN)
        # per 100 repositories one metadata query and one for the first commits (GraphQL points, no REST quota)
        assert first["crawled"] == 120 and fake.counts["quota:graphql"] == 4 and fake.counts["quota:core"] == 120
        head, first_at = warehouse.query("SELECT head_commit, first_commit_at FROM repos "
                                         "WHERE repo_key = 'owner0/repo-0'")[0].values()  # fmt: skip
        assert head == fake.repos["owner0/repo-0"].commit_sha and str(first_at) == "2015-01-02 03:04:05"
        refresh = crawl(warehouse, fake, TOKEN, full=True)  # unchanged heads: no first-commit query
        assert refresh["unchanged"] == 120 and fake.counts["quota:graphql"] == 6 and fake.counts["quota:core"] == 120
    finally:
        fake.stop()


def test_token_never_reaches_the_warehouse_or_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    fake = FakeGitHub(mixed_repos(), require_token=TOKEN)
    fake.start()
    try:
        db = tmp_path / "w.duckdb"
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", fake.url)
        monkeypatch.setenv("PAPERTRENDS_GITHUB_RAW_URL", fake.raw_url)
        caplog.set_level("DEBUG")
        # a repository named on the command line that could not be had fails the command
        assert main(["crawl", "--db", str(db), "--repo", "Owner/Torch", "--repo", "Owner/Gone", "--quiet"]) == 1
        out = capsys.readouterr()
        assert out.err.startswith("papertrends crawl: error: 1 of 2 repositories not crawled: owner/gone missing")
        assert fake.auth_seen[f"api:Bearer {TOKEN}"] > 0  # it was used...
        assert TOKEN not in out.out + out.err + caplog.text  # ...and never shown
        with Warehouse(db) as wh:
            export_tables(wh, tmp_path / "parquet")
        assert TOKEN.encode() not in db.read_bytes()
        assert all(TOKEN.encode() not in p.read_bytes() for p in (tmp_path / "parquet").rglob("*") if p.is_file())
        assert "missing 1" in out.out
    finally:
        fake.stop()


def test_failed_repos_are_retried_a_bounded_number_of_times(warehouse: Warehouse, fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/repos/Owner/Broken", "502", times=999))
    add_repos(warehouse, ["Owner/Broken"])
    runs = [crawl(warehouse, fake)["selected"] for _ in range(MAX_ATTEMPTS + 1)]
    assert runs == [1] * MAX_ATTEMPTS + [0]
    assert warehouse.scalar("SELECT n_attempts FROM repos") == MAX_ATTEMPTS


def test_link_scope_limits_the_files_read(warehouse: Warehouse) -> None:
    files = {"a/x.py": b"import torch\n", "b/y.py": b"import jax\n", "setup.py": b""}
    fake = FakeGitHub([FakeRepo("Mono/Repo", files)])
    fake.start()
    try:
        add_repos(warehouse, ["Mono/Repo"])
        link = {"paper_id": "p1", "repo_url": "https://github.com/Mono/Repo/tree/main/b", "repo_key": "mono/repo",
                "scope": "b", "source": "t", "ingested_at": "2024-01-01"}  # a monorepo link into b/
        warehouse.upsert("links", [link])
        crawl(warehouse, fake)
        assert [r[0] for r in warehouse.con.execute("SELECT path FROM repo_files").fetchall()] == ["b/y.py"]
    finally:
        fake.stop()


def test_file_selection_prefers_manifests_and_top_level_code_and_records_cuts() -> None:
    entries = [TreeEntry(p, "100644", "blob", "s", 10) for p in
               ["deep/er/x.py", "top.py", "requirements.txt", "node_modules/m/y.py", "nb.ipynb"]]  # fmt: skip
    entries += [TreeEntry("link.py", "120000", "blob", "s", 10), TreeEntry("sub", "160000", "commit", "s", None),
                TreeEntry("big.ipynb", "100644", "blob", "s", 10**9)]  # fmt: skip
    chosen, notes = select_files(entries, max_files=3)
    assert [e.path for e in chosen] == ["requirements.txt", "nb.ipynb", "top.py"]
    problems = {n.path: n.problem for n in notes}
    assert problems == {"link.py": "symlink", "big.ipynb": "too-large", ".": "cut-at-3-of-4-files"}
    _, notes = select_files(entries, scopes=["nowhere"])
    assert any(n.problem == "scope-not-found: nowhere" for n in notes)


DRIVER = """
import sys
from flows.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_killed_crawl_resumes_and_stores_every_repo_exactly_once(tmp_path: Path) -> None:
    n_repos = 200
    fake = FakeGitHub(make_repos(n_repos))
    fake.start()
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        add_repos(wh, [r.full_name for r in fake.repos.values()], source="test")
    pause_dir = tmp_path / "pause"
    pause_dir.mkdir()
    env = {**os.environ, "GITHUB_API_URL": fake.url, "PAPERTRENDS_GITHUB_RAW_URL": fake.raw_url,
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    args = [sys.executable, "-c", DRIVER, "crawl", "--db", str(db), "--quiet", "--json", "--via", "api"]
    try:
        # Killed while held right after its first batch was stored: what follows was never committed.
        proc = subprocess.Popen(args, env={**env, "PAPERTRENDS_PAUSE_AT": "crawl:batch-stored",
                                           "PAPERTRENDS_PAUSE_DIR": str(pause_dir)},
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.monotonic() + 300  # a bound for a stuck run only
        while not (pause_dir / "crawl:batch-stored.reached").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        with Warehouse(db) as wh:
            done_before = wh.scalar("SELECT count(*) FROM repos WHERE status = 'ok'")
        assert 0 < done_before < n_repos  # the kill landed mid-way and earlier batches were committed
        rerun = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        summary = json.loads(rerun.stdout)
        assert summary["selected"] == n_repos - done_before and summary["crawled"] == n_repos - done_before
        with Warehouse(db) as wh:
            assert wh.query("SELECT status, count(*) AS n FROM repos GROUP BY 1") == [{"status": "ok", "n": n_repos}]
            assert wh.scalar("SELECT count(DISTINCT repo_key) FROM repo_files") == n_repos
            assert wh.scalar("SELECT count(*) FROM repo_files") == n_repos * 5  # 5 evidence files each, once
            assert wh.scalar("SELECT count(*) FROM classifications") == n_repos
            assert wh.scalar("SELECT count(*) FROM runs WHERE flow = 'crawl' AND status = 'completed'") == 1
    finally:
        fake.stop()


def test_a_crawl_with_nothing_due_succeeds(tmp_path: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """README ("Command line"): "A command with nothing to do (a crawl of an up-to-date warehouse) succeeds."
    The run row agrees with the exit code."""
    from flows.cli.main import main

    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("PAPERTRENDS_GITHUB_RAW_URL", fake.raw_url)
    db = str(tmp_path / "w.duckdb")
    assert main(["crawl", "--db", db, "--via", "api", "--quiet", "--repo", "owner/torch"]) == 0
    capsys.readouterr()
    assert main(["crawl", "--db", db, "--via", "api", "--quiet"]) == 0  # nothing is due now
    said = capsys.readouterr().out.strip()
    assert said == "nothing to crawl: every repository is up to date or waiting for its next check"
    with Warehouse(db, read_only=True) as wh:
        assert [r["status"] for r in wh.query("SELECT status FROM runs ORDER BY started_at")] == ["completed"] * 2
    assert main(["crawl", "--db", str(tmp_path / "none.duckdb"), "--quiet"]) == 0  # no warehouse: nothing due
    assert not (tmp_path / "none.duckdb").exists()
