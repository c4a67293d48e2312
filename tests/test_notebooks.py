"""notebooks/explore.ipynb runs (through nbmake, as ``pytest --nbmake`` would) and shows the report's numbers.

nbmake runs a notebook with its own folder as the kernel's working directory, as
``jupyter execute`` and Jupyter Lab do: the notebook must find its warehouse from
there (PAPERTRENDS_DB, else the repository root), not from where pytest started.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbmake.nb_run import NotebookRun

from analysis.classifier.frameworks import CLASSIFIER_VERSION
from flows.stages.classify import classify_stored
from flows.stages.ingest import ingest_sample as load_sample
from flows.store.queries import find_warehouse
from flows.store.warehouse import Warehouse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = PROJECT_ROOT / "notebooks" / "explore.ipynb"


@pytest.fixture
def sample_db(tmp_path: Path, sample_dir: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with Warehouse(path) as wh:
        load_sample(wh, sample_dir)
        classify_stored(wh)
        assert wh.scalar("SELECT count(*) FROM classifications WHERE classifier_version = ?", [CLASSIFIER_VERSION])
    return path


def _run(notebook: Path) -> nbformat.NotebookNode:
    result = NotebookRun(notebook, default_timeout=300, kernel="python3").execute()
    assert result.error is None, result.error and result.error.summary + "\n" + result.error.trace[-3000:]
    return result.nb


def test_explore_notebook_runs_from_its_own_folder(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERTRENDS_DB", str(sample_db))
    notebook = _run(NOTEBOOK)  # the kernel runs in notebooks/
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    texts = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert str(sample_db) in texts  # the warehouse it says it reads
    assert "'papers_with_code': 9" in texts  # the sample's nine papers each link one repository
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # both charts drawn inline
    assert "test-owner/" in texts  # drilled down to a repository


def test_the_notebook_finds_the_warehouse_from_the_root_or_from_notebooks(tmp_path: Path) -> None:
    expected = PROJECT_ROOT / "data" / "warehouse.duckdb"
    assert find_warehouse({}, cwd=PROJECT_ROOT) == expected
    assert find_warehouse({}, cwd=PROJECT_ROOT / "notebooks") == expected
    assert find_warehouse({}, cwd=tmp_path) == expected  # outside the checkout: the one this code came from
    clone = tmp_path / "clone"
    (clone / "notebooks").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "pyproject.toml", clone / "pyproject.toml")
    assert find_warehouse({}, cwd=clone / "notebooks") == clone / "data" / "warehouse.duckdb"  # the nearest checkout
    assert find_warehouse({"PAPERTRENDS_DB": str(tmp_path / "x.duckdb")}, cwd=clone) == tmp_path / "x.duckdb"


@pytest.mark.slow
def test_the_notebook_shows_the_reports_weighted_shares(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the bundled sample (stratified, so its all-venue shares are weighted) the notebook's table is the CSV's."""
    from flows.report.write import write_report
    from flows.stages.attribute import attribute_links

    db = tmp_path / "warehouse.duckdb"
    with Warehouse(db) as wh:
        load_sample(wh)
        classify_stored(wh)
        attribute_links(wh)
    with Warehouse(db, read_only=True) as wh:
        csv = write_report(wh, tmp_path / "reports")["csv"]
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.insert(-1, nbformat.v4.new_code_cell("print(overall.to_json(orient='records'))"))
    copy = tmp_path / "explore.ipynb"
    nbformat.write(notebook, copy)
    monkeypatch.setenv("PAPERTRENDS_DB", str(db))
    ran = _run(copy)
    printed = next(o["text"] for cell in ran.cells for o in cell.get("outputs", []) if o.get("name") == "stdout")
    shown = pd.DataFrame(json.loads(printed))
    report = pd.read_csv(csv, dtype={"period": str})
    assert list(shown["period"].astype(str)) == list(report["period"])
    assert list(shown["framework"]) == list(report["framework"])
    for column in ("n_items", "n_total", "share", "share_low", "share_high"):
        assert shown[column].to_numpy() == pytest.approx(report[column].to_numpy(), rel=1e-5), column
    weighted = report[(report["share"] - report["n_items"] / report["n_total"]).abs() > 1e-6]
    assert len(weighted), "the sample's all-venue shares are weighted estimates, not the plain ratio of counts"


def test_notebook_defines_no_logic_and_says_what_the_code_counts() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    for keyword in ("def ", "class ", "lambda", "for ", "while "):
        assert keyword not in code, f"the notebook should call flows/analysis, not define logic ({keyword.strip()})"
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "then most-starred" not in text  # an old selection rule; the rule is printed from the code now
    assert "COUNTING_SENTENCE" in code and "report_series" in code and "weighted" in text
    assert "make notebook" in text and "PAPERTRENDS_DB" in text
