"""notebooks/explore.ipynb runs top to bottom against a warehouse built from the test sample."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from analysis.classifier.frameworks import CLASSIFIER_VERSION
from flows.stages.classify import classify_stored
from flows.stages.ingest import ingest_sample as load_sample
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


def test_explore_notebook_runs_on_a_sample_warehouse(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERTRENDS_DB", str(sample_db))
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(PROJECT_ROOT)}})  # fmt: skip
    client.execute()
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    texts = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "'papers_with_code': 9" in texts  # the sample's nine papers each link one repository
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # both charts drawn inline
    assert "test-owner/" in texts  # drilled down to a repository


def test_notebook_defines_no_logic() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    for keyword in ("def ", "class ", "lambda", "for ", "while "):
        assert keyword not in code, f"the notebook should call flows/analysis, not define logic ({keyword.strip()})"
