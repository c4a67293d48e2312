"""The one design rule, checked: analysis/ is pure; the CLI's quick paths stay quick."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_ANALYSIS = {"flows", "requests", "prefect", "urllib", "http", "socket", "httpx", "duckdb"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_analysis_imports_nothing_from_the_shell_or_the_network() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(imported_roots(p) & FORBIDDEN_IN_ANALYSIS)
        for p in (ROOT / "analysis").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_classify_version_and_help_do_not_import_prefect_pandas_or_matplotlib(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import torch\n")
    code = (
        "import sys; from flows.cli.main import main; "
        f"main(['classify', {str(tmp_path)!r}, '--json']); main(['--version']); main(['--help']) if False else None; "
        "heavy = sorted(m for m in ('prefect', 'pandas', 'matplotlib', 'duckdb') if m in sys.modules); "
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "HEAVY []" in out
