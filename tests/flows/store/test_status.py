"""``papertrends status``: the README's words, each repository state on its own, text and JSON agreeing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flows.cli.main import main
from flows.store.status import REPO_STATES, format_status, warehouse_status


@pytest.fixture
def mixed_states(warehouse: object, sample_dir: Path) -> object:
    """The test sample with its repositories moved into every state a crawl leaves."""
    from flows.stages.ingest import ingest_sample

    ingest_sample(warehouse, sample_dir)  # type: ignore[arg-type]
    keys = [k for (k,) in warehouse.con.execute("SELECT repo_key FROM repos ORDER BY repo_key").fetchall()]  # type: ignore[attr-defined]
    for key, state in zip(keys, ["pending", "pending", "failed", "blocked", "missing"], strict=False):
        warehouse.con.execute("UPDATE repos SET status = ? WHERE repo_key = ?", [state, key])  # type: ignore[attr-defined]
    return warehouse


def test_each_repository_state_is_counted_on_its_own_in_text_and_json(mixed_states: object) -> None:
    status = warehouse_status(mixed_states)  # type: ignore[arg-type]
    by_status = status["repos_by_status"]
    for state in REPO_STATES:
        assert status[state] == by_status.get(state, 0), state  # `failed` means status failed, as repos_by_status
    assert (status["pending"], status["failed"], status["blocked"], status["missing"]) == (2, 1, 1, 1)
    assert status["crawled"] == by_status.get("ok", 0)
    assert status["crawled"] + sum(status[s] for s in REPO_STATES) == status["repos"]
    text = format_status(status)
    line = next(x for x in text.splitlines() if x.startswith("repos "))
    for state in ("crawled", "pending", "failed", "blocked", "missing"):
        assert re.search(rf"\b{state} {status[state]:,}\b", line), (state, line)
    assert "by attribution" in text and "by origin" not in text  # the README's and the JSON's word


def test_status_json_keeps_the_contract_keys_beside_the_states(
    mixed_states: object, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(mixed_states.path)  # type: ignore[attr-defined]
    mixed_states.close()  # type: ignore[attr-defined]
    assert main(["status", "--db", db, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert {"papers", "links", "repos", "classified", "by_framework", "last_runs", "by_attribution"} <= set(status)
    assert {"crawled", *REPO_STATES} <= set(status) and status["failed"] == status["repos_by_status"]["failed"]
