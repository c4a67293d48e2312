"""scripts/check_report.py: the report's interval floor and its defects, read back from the series CSVs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from analysis.shares.intervals import wilson_interval

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("check_report", ROOT / "scripts" / "check_report.py")
check_report = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(check_report)


def _write_shares(folder: Path, rows: list[tuple[int, int, float, float]]) -> Path:
    series = folder / "series"
    series.mkdir(parents=True)
    frame = pd.DataFrame(rows, columns=["n_items", "n_total", "share_low", "share_high"])
    frame.insert(0, "period", "2016")
    frame.insert(1, "framework", "caffe")
    frame["share"] = frame["n_items"] / frame["n_total"]
    frame.to_csv(series / "shares_all_venue-year_year.csv", index=False)
    pd.DataFrame(columns=["paper_url", "framework"]).to_csv(series / "defects_venue-year_year.csv", index=False)
    return folder


def test_wilson_intervals_and_no_defects_pass(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    rows = [(n, 20, *wilson_interval(n, 20)) for n in (1, 7, 19)]
    assert check_report.main([str(_write_shares(tmp_path, rows))]) == 0
    out = capsys.readouterr().out
    assert "3 rows, narrowest 1.000 of Wilson, 0 under half" in out
    assert "defects_venue-year_year.csv: 0 counted link(s)" in out


def test_an_interval_under_half_of_wilson_fails(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    low, high = wilson_interval(7, 20)
    middle, quarter = (low + high) / 2, (high - low) / 4
    rows = [(7, 20, low, high), (7, 20, middle - quarter / 2, middle + quarter / 2)]  # the second: a quarter wide
    assert check_report.main([str(_write_shares(tmp_path, rows))]) == 1
    assert "narrowest 0.250 of Wilson, 1 under half" in capsys.readouterr().out


def test_a_counted_link_in_a_later_framework_fails(tmp_path: Path) -> None:
    folder = _write_shares(tmp_path, [(7, 20, *wilson_interval(7, 20))])
    pd.DataFrame([{"paper_url": "https://arxiv.org/abs/1506.00001", "framework": "tensorflow"}]).to_csv(
        folder / "series" / "defects_venue-year_year.csv", index=False)
    assert check_report.main([str(folder)]) == 1


def test_a_folder_without_share_series_fails(tmp_path: Path) -> None:
    assert check_report.main([str(tmp_path)]) == 1
