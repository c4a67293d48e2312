"""The command line: help everywhere, exit codes, one-line errors, the JSON contracts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli.commands import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from flows.cli.main import main
from flows.cli.parser import COMMANDS

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli.main", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=300)  # fmt: skip


@pytest.mark.parametrize("command", ["--help", *[f"{c} --help" for c in COMMANDS]])
def test_every_command_has_help_with_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(command.split()) == EXIT_OK
    out = capsys.readouterr().out
    assert "usage: papertrends" in out and "Example:" in out


def test_usage_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--axis", "sideways"]) == EXIT_USAGE
    assert main(["classify", "/no/such/dir"]) == EXIT_USAGE
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == "papertrends classify: error: not a directory: /no/such/dir"  # the prefix every error has


def test_failures_exit_1_with_one_line_and_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """README ("Command line"): errors are one line starting `papertrends COMMAND: error:`, no traceback."""
    assert main(["status", "--db", str(tmp_path / "absent.duckdb")]) == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "papertrends refresh" in err


def test_version_names_the_package_and_the_classifier(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from analysis.classifier.frameworks import CLASSIFIER_VERSION

    assert main(["--version"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == f"papertrends {version('papertrends')} (classifier {CLASSIFIER_VERSION})"


def test_classify_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "model.py").write_text("import torch\nimport torch.nn as nn\n")
    (tmp_path / "requirements.txt").write_text("torch>=1.7\nnumpy\n")
    assert main(["classify", str(tmp_path), "--json"]) == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert {"path", "framework", "scores", "confidence", "evidence"} <= set(result)
    assert result["framework"] == "pytorch" and result["scores"]["pytorch"] > 0
    assert {e["path"] for e in result["evidence"]} == {"model.py", "requirements.txt"}


def test_status_json_reports_the_contract_keys(
    warehouse: object, sample_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.stages.classify import classify_stored
    from flows.stages.ingest import ingest_sample as load_sample

    load_sample(warehouse, sample_dir)  # type: ignore[arg-type]
    classify_stored(warehouse)  # type: ignore[arg-type]
    db = str(warehouse.path)  # type: ignore[attr-defined]
    warehouse.close()  # type: ignore[attr-defined]
    assert main(["status", "--db", db, "--json"]) == EXIT_OK
    status = json.loads(capsys.readouterr().out)
    assert {"papers", "links", "repos", "classified", "by_framework"} <= set(status)
    assert status["classified"] == sum(status["by_framework"].values()) == 8
    assert status["by_framework"]["pytorch"] == 2
    assert main(["status", "--db", db]) == EXIT_OK
    assert "classified" in capsys.readouterr().out
