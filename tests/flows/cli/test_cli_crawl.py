"""``papertrends crawl`` on both paths: nothing due is a success in one line, the runs row agrees with
the exit code, and the git host follows the API host (GitHub Enterprise) or the command says which
setting is missing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.github_server import FakeGitHub, FakeRepo, make_repos

from flows.cli.commands import EXIT_FAILURE, EXIT_OK
from flows.cli.main import main
from flows.store.warehouse import Warehouse

VIAS = ["api", "git"]


@pytest.fixture(autouse=True)
def _one_command_per_process() -> Iterator[None]:
    """``crawl`` marks its work done (flows.stopping), a process-wide fact meant for one command per
    process; these tests run several in this one, so each leaves the mark as it found it."""
    from flows import stopping

    yield
    stopping._done.clear()


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub([*make_repos(4), FakeRepo("Gone/Missing", status="missing")])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in (("GITHUB_API_URL", fake.url), ("PAPERTRENDS_GITHUB_RAW_URL", fake.raw_url),
                        ("PAPERTRENDS_GITHUB_GIT_URL", fake.git_url),
                        ("PAPERTRENDS_GIT_WORK_DIR", str(tmp_path / "git-work"))):  # fmt: skip
        monkeypatch.setenv(name, value)
    return tmp_path / "wh.duckdb"


def runs(db: Path) -> list[tuple[str, str | None]]:
    with Warehouse(db, read_only=True) as wh:
        return [(r["status"], r["error"]) for r in wh.query("SELECT status, error FROM runs ORDER BY started_at")]


@pytest.mark.parametrize("via", VIAS)
def test_a_crawl_with_nothing_due_succeeds_in_one_line(env: Path, fake: FakeGitHub, via: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    names = [r.full_name for r in make_repos(4)]
    assert main(["crawl", "--db", str(env), "--quiet", "--via", via, *sum((["--repo", n] for n in names), [])]) == 0
    capsys.readouterr()
    assert main(["crawl", "--db", str(env), "--quiet", "--via", via]) == EXIT_OK  # everything is up to date
    out, err = capsys.readouterr()
    assert out.strip().splitlines() == [out.strip()] and "nothing to crawl" in out and err == "", (out, err)
    assert main(["crawl", "--db", str(env), "--quiet", "--via", via, "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["selected"] == 0
    assert [status for status, _ in runs(env)] == ["completed"] * 3


@pytest.mark.parametrize("via", VIAS)
def test_the_runs_row_says_failed_when_the_command_fails(env: Path, via: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert main(["crawl", "--db", str(env), "--quiet", "--via", via, "--repo", "Gone/Missing"]) == EXIT_FAILURE
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("papertrends crawl: error: 1 of 1 repositories not crawled: gone/missing missing")
    [(status, error)] = runs(env)
    assert status == "failed" and error and "gone/missing missing" in error


def test_an_api_url_that_names_no_git_host_fails_in_one_line_naming_the_setting(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PAPERTRENDS_GITHUB_GIT_URL")  # the fake's API URL is no shape GitHub's are
    assert main(["crawl", "--db", str(env), "--quiet", "--via", "git", "--repo", "Owner0/Repo-0"]) == EXIT_FAILURE
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("papertrends crawl: error: no git host is known for GITHUB_API_URL=")
    assert "set PAPERTRENDS_GITHUB_GIT_URL" in line
    assert not env.exists()  # said before a warehouse was made for it


def test_with_only_the_enterprise_api_url_set_the_default_crawl_goes_to_that_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GITHUB_API_URL=https://HOST/api/v3`` alone: git goes to https://HOST, never to github.com
    (this machine has no network: github.com would fail every repository)."""
    server = FakeGitHub(make_repos(3), enterprise=True)
    server.start()
    try:
        monkeypatch.delenv("PAPERTRENDS_GITHUB_GIT_URL", raising=False)
        monkeypatch.delenv("PAPERTRENDS_CRAWL_VIA")  # the default path
        monkeypatch.setenv("GITHUB_API_URL", server.api_url)
        monkeypatch.setenv("PAPERTRENDS_GIT_WORK_DIR", str(tmp_path / "git-work"))
        db = tmp_path / "wh.duckdb"
        names = [r.full_name for r in make_repos(3)]
        assert main(["crawl", "--db", str(db), "--quiet", *sum((["--repo", n] for n in names), [])]) == EXIT_OK
        counts = dict(server.counts)
    finally:
        server.stop()
    with Warehouse(db, read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM repos WHERE status = 'ok'") == 3
        assert json.loads(wh.scalar("SELECT counts FROM runs"))["via"] == "git"
    assert counts["git"] > 0 and counts.get("raw", 0) == 0  # through the Enterprise host's git, at its root
