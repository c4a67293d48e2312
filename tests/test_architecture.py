"""The one design rule, checked: analysis/ is pure; the CLI's quick paths stay quick."""

from __future__ import annotations

import ast
import re
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


# --- the house by job (docs/architecture.md) -------------------------------------------------------


def _modules(*packages: str) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports_of(path: Path, known: set[str]) -> set[str]:
    """Every project module ``path`` imports, at module level or inside functions alike."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        found |= {n for n in names if n in known}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (as the modules along it), or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_the_import_graph_has_no_cycle_even_through_function_level_imports() -> None:
    modules = _modules("flows", "analysis")
    graph = {name: _imports_of(path, set(modules)) - {name} for name, path in modules.items()}
    assert _cycle(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_each_wing_is_a_package_and_the_top_levels_stay_small() -> None:
    top_flows = sorted(p.name for p in (ROOT / "flows").glob("*.py"))
    top_analysis = sorted(p.name for p in (ROOT / "analysis").glob("*.py"))
    assert len(top_flows) <= 5, top_flows
    assert len(top_analysis) <= 3, top_analysis
    for wing in ("sources", "crawl", "stages", "store", "report", "service", "cli"):
        assert (ROOT / "flows" / wing / "__init__.py").exists(), wing
    for wing in ("classifier", "attribution", "shares", "charts", "catalog"):
        assert (ROOT / "analysis" / wing / "__init__.py").exists(), wing


def test_no_module_is_over_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in _modules("flows", "analysis").values()
            if (n := len(p.read_text().splitlines())) > 400}  # fmt: skip
    assert long == {}


def test_only_the_store_opens_duckdb_or_reaches_into_a_connection() -> None:
    pattern = re.compile(r"\bimport duckdb\b|\bfrom duckdb\b|\.con\b|\bwh\.(query|scalar|relation)\(")
    offenders = [f"{path.relative_to(ROOT)}:{i}" for name, path in _modules("flows", "analysis").items()
                 if not name.startswith("flows.store") for i, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]  # fmt: skip
    assert offenders == []
