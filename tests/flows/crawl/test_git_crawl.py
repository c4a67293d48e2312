"""The git transport against the fake git host (git http-backend behind the fake GitHub):
the same evidence and labels as the API path, no quota beyond GraphQL, no lazy fetches,
no token on a command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.github_server import FakeGitHub, FakeRepo, make_repos

from analysis.classifier.imports import MAX_READ_BYTES
from flows.crawl.driver import crawl_repos
from flows.crawl.outcomes import add_repos
from flows.settings import Settings
from flows.sources.git_transport import parse_ls_tree
from flows.sources.github import GitHubSource
from flows.sources.http import RetryPolicy
from flows.store.warehouse import Warehouse

TOKEN = "ghp" + "_FAKEgitTOKENsentinel0123456789abcd"  # split: a fake, not a secret to scan for


def fixture_repos() -> list[FakeRepo]:
    notebook = json.dumps({"cells": [{"cell_type": "code", "source": ["import torch\n"]}]}).encode()
    big_code = b"import keras\nkeras.layers.Dense(1)\n" + b"x = 1\n" * (MAX_READ_BYTES // 6 + 10)  # truncated
    big_notebook = notebook + b" " * MAX_READ_BYTES  # past the cap: a notebook is not read at all
    return [
        FakeRepo("Owner/Torch", {"train.py": b"import torch\n", "requirements.txt": b"torch\n",
                                 "README.md": b"![ci](x.svg)\n# Torch [Paper](https://arxiv.org)\n"}),
        FakeRepo("Owner/Gone", status="missing"),
        FakeRepo("Owner/Dmca", status="dmca"),
        FakeRepo("Owner/Off", status="disabled"),
        FakeRepo("Owner/Empty", status="empty"),
        FakeRepo("Owner/Old", renamed_to="NewOwner/New"),
        FakeRepo("NewOwner/New", {"main.py": b"import tensorflow as tf\n", "lib/util.py": b"import numpy\n"}),
        FakeRepo("Owner/Notes", {"demo.ipynb": notebook, "big.ipynb": big_notebook, "setup.py": b"import jax\n"}),
        FakeRepo("Owner/Big", {"model.py": big_code, "node_modules/x.py": b"import torch\n"}, symlinks=("link.py",)),
        FakeRepo(
            "Owner/Deep",
            {f"pkg/m{i}.py": f"import mxnet  # {i}\n".encode() for i in range(40)},
            first_commit_at="2016-05-04T00:00:00Z",
        ),
    ]


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub(fixture_repos())
    server.start()
    yield server
    server.stop()


def settings_for(fake: FakeGitHub, data_dir: Path, token: str | None = None) -> Settings:
    return Settings(data_dir=data_dir, github_api_url=fake.url, github_raw_url=fake.raw_url,
                    github_git_url=fake.url + "/git", github_token=token, git_processes=4,
                    git_work_dir=data_dir / "git-work")  # fmt: skip


def crawl(db: Path, fake: FakeGitHub, via: str, token: str | None = None, names: list[str] | None = None,
          **kwargs: Any) -> dict[str, Any]:  # fmt: skip
    settings = settings_for(fake, db.parent / f"data-{via}", token)
    gh = GitHubSource.from_settings(settings, pool_size=8, retry=RetryPolicy(max_tries=3, base_delay=0.01))
    with Warehouse(db) as wh:
        add_repos(wh, names or [r.full_name for r in fixture_repos() if r.full_name != "NewOwner/New"])
        return crawl_repos(wh, settings, client=gh, progress=False, via=via, **kwargs)


def per_repo(db: Path) -> dict[str, dict[str, Any]]:
    """What a crawl decided per repository: status, files read and their problems, evidence, label."""
    with Warehouse(db, read_only=True) as wh:
        out: dict[str, dict[str, Any]] = {r["repo_key"]: {"status": r["status"], "renamed_to": r["renamed_to"],
                                                          "n_files": r["n_files"]}
                                          for r in wh.query("SELECT * FROM repos")}  # fmt: skip
        for r in wh.query("SELECT repo_key, path, kind, problem FROM repo_files ORDER BY ALL"):
            out[r["repo_key"]].setdefault("files", []).append((r["path"], r["kind"], r["problem"]))
        for r in wh.query("SELECT * FROM repo_evidence ORDER BY ALL"):
            out[r["repo_key"]].setdefault("evidence", []).append((r["path"], r["module"], r["kind"], r["is_weak"]))
        for r in wh.query("SELECT repo_key, framework, confidence FROM classifications"):
            out[r["repo_key"]]["label"] = (r["framework"], r["confidence"])
    return out


@pytest.mark.parametrize("token", [None, TOKEN], ids=["rest", "graphql"])
def test_git_gives_the_api_paths_evidence_and_labels_repo_by_repo(tmp_path: Path, fake: FakeGitHub,
                                                                   token: str | None) -> None:  # fmt: skip
    api = crawl(tmp_path / "api.duckdb", fake, "api", token)
    git = crawl(tmp_path / "git.duckdb", fake, "git", token)
    assert (api["via"], git["via"]) == ("api", "git")
    by_api, by_git = per_repo(tmp_path / "api.duckdb"), per_repo(tmp_path / "git.duckdb")
    assert sorted(by_git) == sorted(by_api)
    for key in by_api:
        assert by_git[key] == by_api[key], key
    assert (
        by_git["owner/big"]["label"][0] == "keras"
        and ("model.py", "python", "truncated") in by_git["owner/big"]["files"]
    )
    assert ("big.ipynb", "notebook", "too-large") in by_git["owner/notes"]["files"]
    assert by_git["owner/old"]["renamed_to"] == "newowner/new"
    assert git["requests"]["raw"] == 0


def test_git_records_the_first_and_last_commit_and_the_real_head(tmp_path: Path, fake: FakeGitHub) -> None:
    crawl(tmp_path / "git.duckdb", fake, "git")
    with Warehouse(tmp_path / "git.duckdb", read_only=True) as wh:
        rows = {r["repo_key"]: r for r in wh.query("SELECT * FROM repos WHERE status = 'ok'")}
    deep = fake.repos["owner/deep"]
    assert rows["owner/deep"]["head_commit"] == deep.commit_sha and rows["owner/deep"]["head_tree"] == deep.tree_sha
    assert str(rows["owner/deep"]["first_commit_at"]) == "2016-05-04 00:00:00"
    assert str(rows["owner/deep"]["last_commit_at"]) == "2020-01-01 10:00:00"
    assert str(rows["owner/torch"]["first_commit_at"]) == "2019-03-01 10:00:00"  # the root: created_at by default
    assert rows["owner/torch"]["readme_title"] == "Torch Paper" and rows["owner/deep"]["readme_title"] is None


def test_with_a_token_git_spends_one_graphql_query_per_100_repos_and_nothing_else(tmp_path: Path) -> None:
    repos = make_repos(12)
    server = FakeGitHub(repos)
    server.start()
    try:
        names = [r.full_name for r in repos]
        first = crawl(tmp_path / "git.duckdb", server, "git", TOKEN, names)
        git_requests = server.counts["git"]
        again = crawl(tmp_path / "git.duckdb", server, "git", TOKEN, names, full=True)
        counts, auth = dict(server.counts), dict(server.auth_seen)
    finally:
        server.stop()
    assert first["crawled"] == 12 and again["unchanged"] == 12
    # one GraphQL query of up to 100 repositories each time: 0.01 per repository at 100 (the bench runs 1,000)
    assert first["requests"]["quota_counted"] == 1 and again["requests"]["quota_counted"] == 1
    assert counts["quota:graphql"] == 2 and counts.get("quota:core", 0) == 0 and counts.get("raw", 0) == 0
    assert counts["git"] == git_requests  # an unchanged head is not fetched again
    assert any(k.startswith("git:Basic ") for k in auth)  # the token reached the git host, in a header


def test_fetches_per_repository_do_not_grow_with_its_files(tmp_path: Path, fake: FakeGitHub) -> None:
    """ls-tree and cat-file never fetch lazily: 40 files cost the same requests as one, in one batch of wants."""
    costs = {}
    for name in ("Owner/Torch", "Owner/Deep"):
        before, wants = fake.counts["git"], len(fake.git_wants)
        crawl(tmp_path / f"{name.replace('/', '-')}.duckdb", fake, "git", names=[name])
        costs[name] = (fake.counts["git"] - before, len(fake.git_wants) - wants)
    assert costs["Owner/Deep"][0] == costs["Owner/Torch"][0], costs
    assert costs["Owner/Deep"][1] >= 40  # the 40 blobs were asked for, by id, in the one batch


def test_the_token_is_never_on_a_command_line_in_a_url_or_in_the_warehouse(
    tmp_path: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    argvs: list[list[str]] = []
    real_popen = subprocess.Popen

    def recording_popen(args: Any, *a: Any, **kw: Any) -> Any:  # records, then runs the real thing
        argvs.append([str(x) for x in args])
        return real_popen(args, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    summary = crawl(tmp_path / "git.duckdb", fake, "git", TOKEN)
    assert any(argv[:1] == ["git"] and "fetch" in argv for argv in argvs)
    assert not any(TOKEN in " ".join(argv) for argv in argvs)
    assert TOKEN not in json.dumps(summary, default=str) and TOKEN not in caplog.text
    with Warehouse(tmp_path / "git.duckdb", read_only=True) as wh:
        dump = json.dumps([wh.query(f"SELECT * FROM {t}") for t in ("repos", "repo_files", "runs")], default=str)
    assert TOKEN not in dump
    assert not list((tmp_path / "data-git" / "git-work" / "scratch").iterdir())  # every scratch folder removed


def test_ls_tree_records_parse_with_odd_paths() -> None:
    listing = (b"100644 blob " + b"a" * 40 + b"\tsrc/tab\there.py\0" + b"160000 commit " + b"b" * 40 + b"\tvendor/sub\0"
               + b"120000 blob " + b"c" * 40 + b"\tlink\xff.py\0")  # fmt: skip
    entries = list(parse_ls_tree(listing))
    assert [(e.path, e.type, e.mode) for e in entries][:2] == [("src/tab\there.py", "blob", "100644"),
                                                              ("vendor/sub", "commit", "160000")]  # fmt: skip
    assert entries[2].mode == "120000" and entries[2].size is None


def test_git_is_the_default_when_installed_else_the_api_said_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from flows.crawl import via_git as crawl_git

    monkeypatch.setattr(crawl_git, "_ANNOUNCED", set())
    assert crawl_git.choose_via(None) == "git" and crawl_git.choose_via("api") == "api"
    assert crawl_git.choose_via(None, "api") == "api" and crawl_git.choose_via("git", "api") == "git"
    monkeypatch.setenv("PATH", "/nonexistent")
    assert crawl_git.choose_via(None) == "api" and crawl_git.choose_via(None) == "api"
    assert [r.getMessage() for r in caplog.records] == [
        "crawl via git (git 2.30+ found; choose with --via git|api)",
        "crawl via api (no git 2.30+ on PATH; choose with --via git|api)",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="choose git or api"):
        crawl_git.choose_via(None, "svn")


def test_the_cap_on_git_processes_holds_across_processes(tmp_path: Path) -> None:
    """Slots are flock()s on shared files: a second process (a Dask worker) waits like a second thread."""
    import threading
    import time

    from flows.sources.git_process import GitSlots

    slots = GitSlots(tmp_path / "slots", 2)
    child = ("import sys, time; sys.path.insert(0, '.'); from pathlib import Path; "
             "from flows.sources.git_process import GitSlots; "
             f"cm = GitSlots(Path({str(tmp_path / 'slots')!r}), 2).hold(); print('ready', flush=True); "
             "cm.__enter__(); print(time.time())")  # fmt: skip
    release = threading.Event()

    def hold() -> None:
        with slots.hold():
            release.wait(10)

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for t in holders:
        t.start()
    time.sleep(0.2)
    waiter = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[3])  # fmt: skip
    assert waiter.stdout is not None and waiter.stdout.readline().strip() == "ready"
    time.sleep(0.5)  # the other process is now asking for a slot
    released_at = time.time()
    release.set()
    out, _ = waiter.communicate(timeout=60)
    for t in holders:
        t.join()
    assert float(out) >= released_at  # both slots were taken: the other process got one only after


def test_refresh_batches_crawl_through_git_too(
    tmp_path: Path, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.crawl.outcomes import load_states
    from flows.crawl.transport import crawl_batch_outcomes

    for name, value in (("GITHUB_API_URL", fake.url), ("PAPERTRENDS_GITHUB_RAW_URL", fake.raw_url),
                        ("PAPERTRENDS_GITHUB_GIT_URL", fake.url + "/git"),
                        ("PAPERTRENDS_GIT_WORK_DIR", str(tmp_path / "git-work"))):  # fmt: skip
        monkeypatch.setenv(name, value)
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        add_repos(wh, ["Owner/Torch", "Owner/Deep"])
        states = load_states(wh, ["owner/torch", "owner/deep"])
    result = crawl_batch_outcomes(states, "git")
    assert [o.kind for o in result["outcomes"]] == ["crawled", "crawled"]
    assert fake.counts["git"] > 0 and fake.counts.get("raw", 0) == 0


def test_resets_5xx_and_cut_packs_are_retried_and_a_repository_that_keeps_failing_waits_for_the_next_run(
    tmp_path: Path, fake: FakeGitHub
) -> None:
    from fakes.github_server import Fault

    fake.faults += [Fault("/git/Owner/Torch.git/git-upload-pack", "reset", times=1),
                    Fault("/git/Owner/Torch.git/git-upload-pack#truncate", "truncate", times=1),
                    Fault("/git/NewOwner/New.git/git-upload-pack", "502", times=1),
                    Fault("/git/Owner/Deep.git", "502", times=99)]  # fmt: skip
    db = tmp_path / "git.duckdb"
    names = ["Owner/Torch", "Owner/Old", "Owner/Deep"]
    first = crawl(db, fake, "git", names=names)
    assert first["crawled"] == 2 and first["failed"] == {"git head: HTTP 502": 1}, first
    with Warehouse(db, read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM repo_files WHERE repo_key = 'owner/deep'") == 0  # nothing partial
    assert {"fault:reset", "fault:truncate", "fault:502"} <= set(fake.counts)
    fake.faults.clear()
    again = crawl(db, fake, "git", names=names)
    assert again["crawled"] == 1 and again["selected"] == 1  # only the failed one was tried again
