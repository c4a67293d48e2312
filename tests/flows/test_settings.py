"""The one settings object: where a warehouse's outputs go."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.settings import GitUrlUnknown, Settings


def test_outputs_go_beside_the_warehouse_named_by_db() -> None:
    env = {"PAPERTRENDS_DATA_DIR": "data"}
    default = Settings.for_db(None, env)
    assert (default.db_path, default.parquet_dir, default.reports_dir) == (
        Path("data/warehouse.duckdb"), Path("data/parquet"), Path("data/reports"))  # fmt: skip
    elsewhere = Settings.for_db("runs/2026/warehouse.duckdb", env)
    assert (elsewhere.parquet_dir, elsewhere.reports_dir) == (Path("runs/2026/parquet"), Path("runs/2026/reports"))
    # another name in the default folder: its own folders, never the default warehouse's
    other = Settings.for_db("data/test.duckdb", env)
    assert (other.db_path, other.parquet_dir, other.reports_dir, other.cache_dir) == (
        Path("data/test.duckdb"), Path("data/test-parquet"), Path("data/test-reports"), Path("data/cache"))  # fmt: skip


@pytest.mark.parametrize(("api", "git"), [
    ("https://api.github.com", "https://github.com"),
    ("https://api.github.com/", "https://github.com"),
    ("https://ghe.example.com/api/v3", "https://ghe.example.com"),  # GitHub Enterprise Server
    ("http://10.0.0.5:8080/api/v3/", "http://10.0.0.5:8080"),
    ("https://user:secret@ghe.example.com/api/v3", "https://ghe.example.com"),  # never a userinfo credential
])  # fmt: skip
def test_the_git_host_follows_the_api_host(api: str, git: str) -> None:
    assert Settings.from_env({"GITHUB_API_URL": api}).git_url == git
    # the setting, when given, wins
    assert Settings.from_env({"GITHUB_API_URL": api, "PAPERTRENDS_GITHUB_GIT_URL": "https://git.example/"}).git_url \
        == "https://git.example"


@pytest.mark.parametrize("api", ["http://127.0.0.1:8000", "https://proxy.example/github", "https://api.github.com/v2"])
def test_an_api_host_that_names_no_git_host_is_an_error_naming_the_setting(api: str) -> None:
    settings = Settings.from_env({"GITHUB_API_URL": api})
    with pytest.raises(GitUrlUnknown, match="set PAPERTRENDS_GITHUB_GIT_URL"):
        _ = settings.git_url
    assert settings.public()["github_git_url"] == "unknown"  # printing the settings never raises
