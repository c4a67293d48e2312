"""``papertrends classify``: every framework it scores has its evidence listed, in the text and the JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flows.cli.main import main


@pytest.fixture
def mixed_repo(tmp_path: Path) -> Path:
    """Mostly PyTorch, one Keras script: keras gets a small score of its own (it was shown with no evidence)."""
    (tmp_path / "model.py").write_text("import torch\nimport torch.nn as nn\n\nnet = nn.Linear(2, 2)\n")
    (tmp_path / "train.py").write_text("import torch\nfrom model import net\n\ntorch.save(net, 'x')\n")
    (tmp_path / "viz.py").write_text("import keras\n\nkeras.utils.plot_model(None)\n")
    return tmp_path


def test_every_scored_framework_has_an_evidence_line(mixed_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", str(mixed_repo)]) == 0
    out = capsys.readouterr().out
    scored = re.findall(r"^  (\S+)\s+\d+\.\d\d$", out, flags=re.M)
    assert "pytorch" in scored and "keras" in scored, out
    listed = set(re.findall(r"^  evidence for (\S+): ", out, flags=re.M))
    assert set(scored) <= listed, out
    assert "evidence for keras: viz.py: keras" in out


def test_json_evidence_names_the_label_it_counts_for(mixed_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", str(mixed_repo), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["scores"]) <= {e["label"] for e in result["evidence"]}
    assert {(e["path"], e["label"]) for e in result["evidence"]} >= {("viz.py", "keras"), ("model.py", "pytorch")}
