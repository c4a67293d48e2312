"""A recognisable GITHUB_TOKEN through a full refresh leaves no trace anywhere a run writes;
a second refresh while one runs is refused in one clear line, and the running one is unharmed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import SERVER_HOME
from reliability.secrets_scan import count_files, find_secret
from reliability.world import fake_world, start_cli

from flows.sources.git_process import basic_credential
from flows.sources.github import safe_reason
from flows.sources.http import HttpError
from flows.sources.secrets import redact

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

TOKEN = "ghp" + "_PAPERTRENDSTESTTOKEN0123456789abcdef"  # split: a fake, not a secret to scan for


@pytest.mark.parametrize("via", ["api", "git"])
def test_the_token_reaches_github_and_nothing_else(tmp_path: Path, prefect_server: str, via: str) -> None:
    with fake_world(12, token=TOKEN) as world:  # the fake API refuses requests without this token
        run = start_cli(world.refresh_args(), world.env(tmp_path / "data", via), tmp_path)
        assert run.finish() == 0, run.text()[-2000:]
        auth = dict(world.github.auth_seen)
        counts = dict(world.github.counts)
    assert auth.get(f"api:Bearer {TOKEN}", 0) > 0  # the token really was used...
    assert not [k for k in auth if k.startswith("raw:") and k != "raw:"]  # ...but never sent to the raw host
    if via == "git":  # git sends it as Basic x-access-token:TOKEN, to the git host only; the raw host is not used
        assert auth.get(f"git:Basic {basic_credential(TOKEN)}", 0) > 0 and counts.get("raw", 0) == 0
    (tmp_path / "stdout.txt").write_bytes(bytes(run.stdout))
    (tmp_path / "stderr.txt").write_bytes(bytes(run.stderr))
    roots = [tmp_path, SERVER_HOME, Path(os.environ["PREFECT_HOME"])]  # the server's database and logs, the run's home
    assert count_files(roots) > 20  # the search covered the warehouse, exports, reports, logs, Prefect's db
    assert find_secret(roots, TOKEN) == []


def test_error_messages_redact_authorization_and_tokens() -> None:
    text = f"GET https://api.github.com/x failed; headers={{'Authorization': 'Bearer {TOKEN}'}} token {TOKEN}"
    assert TOKEN not in redact(text) and TOKEN not in str(HttpError(text, 500))
    assert TOKEN not in safe_reason(RuntimeError(text))


@pytest.mark.parametrize("moment", ["refresh:before-prefect", "crawl:batch-stored"])
def test_a_second_refresh_is_refused_while_one_runs(tmp_path: Path, prefect_server: str, moment: str) -> None:
    """README: "a second `papertrends refresh` while one runs ... refused in one line"; from the first
    one's start (still starting Prefect, no warehouse open yet) to its end (mid-crawl here)."""
    with fake_world(30) as world:
        world.env_extra["PAPERTRENDS_CRAWL_BATCH"] = "10"
        earlier = start_cli([*world.refresh_args(), "--limit", "5"], world.env(tmp_path / "data"), tmp_path)
        assert earlier.finish() == 0, earlier.text()[-2000:]  # leaves the exports status falls back to
        first = start_cli(world.refresh_args(), world.env(tmp_path / "data"), tmp_path, pause_at=moment)
        first.wait_paused(moment)
        second = start_cli(world.refresh_args(), world.env(tmp_path / "data"), tmp_path)
        status = start_cli(["status"], world.env(tmp_path / "data"), tmp_path)
        second_rc, status_rc = second.finish(timeout=120), status.finish(timeout=60)
        first.release(moment)
        assert first.finish() == 0, first.text()[-2000:]  # the running refresh is unharmed
    lines = [ln for ln in second.text().splitlines() if ln.strip() and "Warning" not in ln]
    assert second_rc == 1 and len(lines) == 1 and "in use" in lines[0], second.text()
    assert status_rc == 0, status.text()  # status answers during a run...
    if moment == "crawl:batch-stored":  # ...from the last exports while the flow holds the file, and says so
        assert "in use by a refresh" in status.text() and "repos" in status.stdout.decode()
