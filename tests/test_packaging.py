"""Dependencies as used: what flows/ and analysis/ import is declared, and nothing else is required.

A library imported directly but only installed because Prefect happens to need it
breaks the day Prefect stops needing it; a test tool among the runtime dependencies
lands in every user's environment for nothing.
"""

from __future__ import annotations

import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from test_architecture import imported_roots

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


@functools.cache  # packages_distributions() reads every installed package's metadata: seconds
def _imported_distributions() -> dict[str, set[str]]:
    """Distribution name -> the runtime modules importing it (lazy imports inside functions included)."""
    owners = packages_distributions()
    found: dict[str, set[str]] = {}
    for path in [*(ROOT / "flows").rglob("*.py"), *(ROOT / "analysis").rglob("*.py")]:
        for root in imported_roots(path) - set(sys.stdlib_module_names) - {"flows", "analysis"}:
            for dist in owners.get(root, [root]):
                found.setdefault(dist.lower().replace("_", "-"), set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_library_the_code_imports_is_declared() -> None:
    declared = _names(PROJECT["dependencies"]) | _names(PROJECT["optional-dependencies"]["dask"])
    undeclared = {dist: sorted(users) for dist, users in _imported_distributions().items() if dist not in declared}
    assert undeclared == {}


@pytest.mark.parametrize("tool", ["pytest", "pyyaml", "hypothesis", "ruff"])
def test_test_tools_are_runtime_dependencies_only_if_runtime_code_imports_them(tool: str) -> None:
    if tool not in _imported_distributions():
        assert tool not in _names(PROJECT["dependencies"])


def test_runner_dask_without_prefect_dask_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.service.task_runners import make_task_runner

    monkeypatch.setitem(sys.modules, "prefect_dask", None)  # what an environment without the extra sees
    with pytest.raises(RuntimeError, match=re.escape("pip install -e '.[dask]'")):
        make_task_runner("dask")
