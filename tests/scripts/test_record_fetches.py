"""The fetch log only grows: answers are recorded, kept, and never dropped when the draw moves."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("record_fetches", ROOT / "scripts" / "sample" / "record_fetches.py")
rec = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
sys.modules["record_fetches"] = rec
spec.loader.exec_module(rec)  # type: ignore[union-attr]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def test_answers_are_logged_and_a_row_the_draw_dropped_keeps_its_answer(tmp_path: Path) -> None:
    selection, log, answers = tmp_path / "selection.csv", tmp_path / "fetch_log.csv", tmp_path / "answers.tsv"
    _write(selection, ["repo_url"], [["https://github.com/a/new"], ["https://github.com/b/kept"],
                                     ["https://github.com/c/untried"]])  # fmt: skip
    displaced = ["https://github.com/z/displaced", "ok", "<mirror>/z+displaced/repo"]
    _write(log, ["repo_url", "outcome", "detail"], [["https://github.com/b/kept", "missing", "No snapshot"], displaced])
    answers.write_text("a/new\t/any/where/.mirror/a+new/repo\n", encoding="utf-8")
    assert rec.main([str(answers), "--selection", str(selection), "--out", str(log)]) == 0
    with log.open(encoding="utf-8", newline="") as fh:
        rows = [list(r.values()) for r in csv.DictReader(fh)]
    assert rows == [["https://github.com/a/new", "ok", "<mirror>/a+new/repo"],
                    ["https://github.com/b/kept", "missing", "No snapshot"],
                    displaced]  # fmt: skip
