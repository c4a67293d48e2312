"""Errors say so: unknown venues are usage errors naming the known ones, aliases work, empty charts say why.

The `error:` prefix of usage errors and `crawl --repo` of a failed repository are tested in
tests/flows/cli/test_cli.py and test_crawl.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from sample_factory import write_sample

from flows.cli.commands import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from flows.cli.main import main
from flows.store.warehouse import Warehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test sample, classified: CVPR, ICML, NeurIPS, ICLR, ICCV and ECCV papers with no publication dates."""
    from flows.stages.classify import classify_stored
    from flows.stages.ingest import ingest_sample as load_sample

    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    with Warehouse(path) as wh:
        load_sample(wh, write_sample(tmp_path_factory.mktemp("sample")))
        classify_stored(wh)
    return str(path)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("venue, message", [
    ("CPVR", "unknown venue 'CPVR'; venues with papers: CVPR, ECCV, ICCV, ICLR, ICML, NeurIPS"),
    ("ICRA", "no ICRA papers in the warehouse; venues with papers: CVPR, ECCV"),
    ("CVPR 2019", "a venue, not an edition"),
])  # fmt: skip
def test_report_venue_not_held_exits_2_naming_known_ones(db: str, venue: str, message: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert main(["report", "--db", db, "--out", str(tmp_path), "--venue", venue]) == EXIT_USAGE
    line = _one_error_line(capsys)
    assert line.startswith("papertrends report: error: ") and message in line
    assert not any(tmp_path.iterdir())  # nothing written


def test_report_venue_aliases_name_the_canonical_venue(db: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert main(["report", "--db", db, "--out", str(tmp_path), "--venue", "NIPS", "--venue", "cvpr"]) == EXIT_OK
    [csv] = tmp_path.glob("*/series/shares_by_venue_venue-year_year.csv")  # the selection's own folder
    by_venue = pd.read_csv(csv)
    assert set(by_venue["venue"]) == {"NeurIPS", "CVPR"}
    assert "per period: 2015 n=1, 2017 n=1, 2019 n=2" in capsys.readouterr().out


def test_an_axis_that_yields_nothing_says_why_and_exits_1(db: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    undated = tmp_path / "undated.duckdb"  # repositories whose creation and first commit are unknown
    shutil.copy(db, undated)
    with Warehouse(undated) as wh:
        wh.con.execute("UPDATE repos SET created_at = NULL, first_commit_at = NULL")
    argv = ["report", "--db", str(undated), "--out", str(tmp_path / "out"), "--axis", "repo-created", "--freq", "month"]
    assert main(argv) == EXIT_FAILURE
    line = _one_error_line(capsys)
    assert line.startswith("papertrends report: error: nothing to chart: ")
    assert "a repository creation or first-commit date" in line and "repo-created axis" in line
    assert (tmp_path / "out" / "all_repo-created_month" / "report.html").exists()  # the page still says what it holds


def test_refresh_with_an_unknown_venue_is_a_usage_error_before_anything_starts(
        capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert main(["refresh", "--catalog", "--venue", "NIPZ"]) == EXIT_USAGE
    line = _one_error_line(capsys)
    assert line.startswith("papertrends refresh: error: unknown venue 'NIPZ'; known venues: ") and "NeurIPS" in line

