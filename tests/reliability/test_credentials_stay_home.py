"""Credentials go only to the configured host: a host that redirects to a second loopback address
(127.0.0.2, a working copy of GitHub behind a recording proxy) never sees the token, in any
encoding, on either crawl path.

The control run shows the recorder would see it: git's own ``http.followRedirects=initial``
with a per-URL ``extraHeader`` (the configuration before) sends ``Authorization: Basic
base64(x-access-token:TOKEN)`` straight to the other host.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.github_server import FakeGitHub, FakeRepo
from fakes.recorder import RecordingProxy
from reliability.secrets_scan import holds_secret

from flows.crawl.driver import crawl_repos
from flows.crawl.outcomes import add_repos
from flows.settings import Settings
from flows.sources.git_process import git_env
from flows.sources.github import GitHubSource
from flows.sources.http import RetryPolicy
from flows.store.warehouse import Warehouse

TOKEN = "ghp" + "_REDIRECTtokenSENTINEL0123456789abcd"  # split: a fake, not a secret to scan for
REPOS = [FakeRepo("Owner/Paper", {"train.py": b"import torch\n", "README.md": b"# Paper code\n"})]


@pytest.fixture
def hosts() -> Iterator[tuple[FakeGitHub, RecordingProxy, FakeGitHub]]:
    """(the configured GitHub, the recorder on 127.0.0.2, the GitHub behind the recorder)."""
    configured, elsewhere = FakeGitHub(REPOS, require_token=TOKEN), FakeGitHub(REPOS)
    configured.start()
    elsewhere.start()
    try:
        with RecordingProxy(elsewhere.url, host="127.0.0.2") as recorder:
            configured.redirect_to = recorder.url
            yield configured, recorder, elsewhere
    finally:
        configured.stop()
        elsewhere.stop()


def _crawl(tmp_path: Path, fake: FakeGitHub, via: str) -> dict[str, object]:
    settings = Settings(data_dir=tmp_path, github_api_url=fake.url, github_raw_url=fake.raw_url,
                        github_git_url=fake.git_url, github_token=TOKEN,
                        git_work_dir=tmp_path / "git-work")  # fmt: skip
    gh = GitHubSource.from_settings(settings, retry=RetryPolicy(max_tries=2, base_delay=0.01))
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        add_repos(wh, ["Owner/Paper"])
        summary = crawl_repos(wh, settings, client=gh, progress=False, via=via)
        summary["rows"] = wh.query("SELECT status, status_reason FROM repos")
    return summary


@pytest.mark.parametrize(("via", "redirected"), [
    ("git", "git"),  # the git host answers 301 to another host
    ("api", "api"),  # the API (GraphQL and REST) answers 301 to another host
    ("api", "raw"),  # the raw host does: followed, since that client carries no credentials
])  # fmt: skip
def test_a_redirect_to_another_host_never_carries_the_token(
    tmp_path: Path, hosts: tuple[FakeGitHub, RecordingProxy, FakeGitHub], via: str, redirected: str
) -> None:
    configured, recorder, _elsewhere = hosts
    configured.redirect_where = frozenset({redirected})
    summary = _crawl(tmp_path, configured, via)
    assert configured.counts[f"redirected:{redirected}"] > 0  # the redirects really were answered
    assert not holds_secret(recorder.transcript(), TOKEN), recorder.transcript()[:2000]
    assert not any(k.lower() == "authorization" for r in recorder.records for k, _ in r.headers)
    if redirected == "raw":  # followed without credentials: the crawl succeeds through the other host
        assert summary["crawled"] == 1 and recorder.records, summary
        return
    # refused, and the repository says why
    assert recorder.records == [] and summary["crawled"] == 0, summary
    [row] = summary["rows"]  # type: ignore[misc]
    assert row["status"] == "failed" and "redirect to another host (127.0.0.2) refused" in row["status_reason"]


def test_control_git_following_redirects_itself_sends_the_header_to_the_other_host(
    tmp_path: Path, hosts: tuple[FakeGitHub, RecordingProxy, FakeGitHub]
) -> None:
    """Without the transport's own handling, git (``followRedirects=initial``) hands the credential over."""
    configured, recorder, _elsewhere = hosts
    configured.redirect_where = frozenset({"git"})
    env = git_env(TOKEN, tmp_path, network=True, base_url=configured.git_url)
    key = next(k for k, v in env.items() if v == "http.followRedirects")
    env[key.replace("KEY", "VALUE")] = "initial"  # git's default, the configuration before
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "r.git")], check=True, env=env)
    done = subprocess.run(["git", "fetch", "--filter=blob:none", f"{configured.git_url}/Owner/Paper.git", "HEAD"],
                          cwd=tmp_path / "r.git", env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr  # it worked, through the other host...
    assert "base64@0" in holds_secret(recorder.transcript(), TOKEN)  # ...which received the token
