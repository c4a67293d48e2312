"""Keep the README honest: every command is documented, the first two commands are the set-up."""

from __future__ import annotations

import re
from pathlib import Path

from flows.cli.parser import COMMANDS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_cli_command_appears_in_the_readme() -> None:
    missing = [c for c in COMMANDS if f"papertrends {c}" not in README]
    assert missing == []


def test_the_first_two_commands_are_make_demo_and_make_test() -> None:
    commands = re.findall(r"^\s*(make \w+)\s*$", README, re.MULTILINE)
    assert commands[:2] == ["make demo", "make test"]


def test_every_environment_variable_is_documented() -> None:
    for var in ("GITHUB_TOKEN", "GITHUB_API_URL", "PAPERTRENDS_GITHUB_RAW_URL", "PAPERTRENDS_PWC_API_URL",
                "PAPERTRENDS_HF_URL", "PAPERTRENDS_DATA_DIR"):  # fmt: skip
        assert var in README, var
