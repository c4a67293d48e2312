"""The same repository gets the same facts whichever road they take: crawled through git, through the
API (with a token), or built into the sample by scripts/sample from a local git snapshot.

The repository is made to tell the definitions apart: its root commit was authored in 2017 and
rebased in 2019 (the committer date moved), GitHub says it was created in 2019 and calls it C++,
its README.md has no heading (a badge, then the title line) beside a README.rst that has one,
and it is a fork. The first commit (2017-03, by the author date) decides its attribution to a
2017 paper: by the committer date it would be a later port.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fakes.git_host import clean_env
from fakes.github_server import FakeGitHub, FakeRepo

from analysis.attribution.attribute import attribute_rows
from flows.crawl.driver import crawl_repos
from flows.crawl.outcomes import add_repos
from flows.settings import PROJECT_ROOT, Settings
from flows.sources.github import GitHubSource
from flows.sources.http import RetryPolicy
from flows.store.warehouse import Warehouse

TOKEN = "ghp" + "_FACTSagreeTOKEN0123456789abcdefghij"  # split: a fake, not a secret to scan for
NAME = "Lab/Learning-Things-Fast"
REPO = FakeRepo(
    NAME,
    {
        "README.md": b"[![ci](https://ci.example/badge.svg)](https://ci.example)\n\nLearning Things Fast: official code"
                     b"\n\nSee the paper.\n",
        "README.rst": b"Another Title\n=============\n",
        "train.py": b"import torch\n", "model.py": b"import torch.nn as nn\n", "utils.py": b"import numpy\n",
        "kernels/fast.cu": b"__global__ void k() {}\n", "run.sh": b"python train.py\n",
    },
    created_at="2019-02-01T00:00:00Z",  # on GitHub since 2019: the code was imported then
    first_commit_at="2017-03-04T05:06:07Z",  # ...but its root commit was authored in 2017
    root_committed_at="2019-01-15T00:00:00Z",  # and rebased before the import
    pushed_at="2019-02-02T00:00:00Z", language="C++", fork_parent="Upstream/Learning-Things-Fast",
)  # fmt: skip
PAPER = {"is_official": None, "title": "Learning Things Fast", "venue": "CVPR", "year": 2017,
         "paper_date": None, "venue_end": None}  # fmt: skip
FACTS = ("first_commit_at", "readme_title", "language")


def crawled(tmp_path: Path, fake: FakeGitHub, via: str) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path, github_api_url=fake.url, github_raw_url=fake.raw_url,
                        github_git_url=fake.git_url, github_token=TOKEN,
                        git_work_dir=tmp_path / "git-work")  # fmt: skip
    gh = GitHubSource.from_settings(settings, retry=RetryPolicy(max_tries=2, base_delay=0.01))
    with Warehouse(tmp_path / f"{via}.duckdb") as wh:
        add_repos(wh, [NAME])
        assert crawl_repos(wh, settings, client=gh, progress=False, via=via)["crawled"] == 1
        [row] = wh.query("SELECT * FROM repos")
    return row


def build_sample_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_sample", PROJECT_ROOT / "scripts" / "sample" /
                                                  "build_sample.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_sample"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def sampled(tmp_path: Path, fake: FakeGitHub) -> dict[str, Any]:
    """The sample build's row, from a local git snapshot of the same repository (a bare clone)."""
    snapshot = tmp_path / "mirror" / "Lab+Learning-Things-Fast" / "repo"
    subprocess.run(["git", "clone", "--bare", "--quiet", f"{fake.git_url}/{NAME}.git", str(snapshot)],
                   check=True, env=clean_env())  # fmt: skip
    build = build_sample_module()
    result = build.scan_repo(build.Snapshot(NAME, snapshot, None), f"https://github.com/{NAME}")
    return dict(result.repo)


@pytest.fixture(scope="module")
def roads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    fake = FakeGitHub([REPO], require_token=TOKEN)
    fake.start()
    try:
        return {"git": crawled(tmp_path_factory.mktemp("git"), fake, "git"),
                "api": crawled(tmp_path_factory.mktemp("api"), fake, "api"),
                "sample": sampled(tmp_path_factory.mktemp("sample"), fake)}  # fmt: skip
    finally:
        fake.stop()


def facts(row: dict[str, Any]) -> tuple[str, str | None, str | None]:
    first = row["first_commit_at"]
    return (str(first).replace("T", " ").rstrip("Z"), row["readme_title"] or None, row["language"] or None)


def test_git_api_and_sample_give_the_same_first_commit_readme_title_and_language(
    roads: dict[str, dict[str, Any]]
) -> None:
    expected = ("2017-03-04 05:06:07", "Learning Things Fast: official code", "Python")
    assert {road: facts(row) for road, row in roads.items()} == dict.fromkeys(roads, expected)


def test_git_api_and_sample_attribute_the_link_the_same(roads: dict[str, dict[str, Any]]) -> None:
    answers = {}
    for road, row in roads.items():
        link = {**PAPER, "full_name": row["full_name"], "repo_status": row["status"],
                "created_at": row.get("created_at"), **{k: row.get(k) for k in ("last_commit_at", "description")},
                "first_commit_at": row["first_commit_at"], "readme_title": row["readme_title"] or None,
                "language": row["language"] or None, "n_files": row["n_files"],
                "n_evidence_files": row["n_evidence_files"]}  # fmt: skip
        if isinstance(link["first_commit_at"], str):  # the sample's CSV text, as flows/sources/sample.py parses it
            link["first_commit_at"] = _parse(link["first_commit_at"])
            link["last_commit_at"] = _parse(link["last_commit_at"])
        [answers[road]] = attribute_rows([link])
    assert answers["git"] == answers["api"] == answers["sample"], answers
    assert answers["git"][0] == "contemporaneous" and "2017-03" in answers["git"][1]


def test_both_crawl_paths_record_the_fork_and_its_parent_and_the_sample_has_none(
    roads: dict[str, dict[str, Any]]
) -> None:
    for road in ("git", "api"):
        assert (roads[road]["is_fork"], roads[road]["fork_parent"]) == (True, "upstream/learning-things-fast")
    assert "is_fork" not in roads["sample"]  # the snapshots say nothing of forks: NULL when loaded


def _parse(text: str) -> Any:
    from flows.sources.github import parse_time

    return parse_time(text) if text else None
