"""Local scanning: directories and bare git snapshots; nothing scanned is ever run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from analysis.classifier.frameworks import classify_evidence
from analysis.classifier.imports import MAX_READ_BYTES
from flows.sources.snapshot import find_git_dir, scan_directory, scan_git_snapshot


def _write(root: Path, files: dict[str, bytes | str]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)


def test_scanning_never_runs_code(tmp_path: Path) -> None:
    """A setup.py and a module that would write a file if run: after scanning, nothing is written."""
    marker = tmp_path / "PWNED"
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    _write(tmp_path / "repo", {
        "setup.py": f"import torch\n{payload}from setuptools import setup\nsetup(install_requires=['torch'])\n",
        "pkg/__init__.py": f"import torch\n{payload}torch.x()\n",
        "nb.ipynb": '{"cells": [{"cell_type": "code", "source": ["' + payload.strip().replace('"', '\\"') + '"]}]}',
    })  # fmt: skip
    decision = classify_evidence(scan_directory(tmp_path / "repo"))
    assert decision.framework == "pytorch"
    assert not marker.exists()


def test_symlinks_are_not_followed_out_of_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _write(outside, {"secret.py": "import tensorflow\ntensorflow.x()\n"})
    repo = tmp_path / "repo"
    _write(repo, {"a.py": "import torch\ntorch.x()\n"})
    os.symlink(outside / "secret.py", repo / "link.py")
    os.symlink(outside, repo / "linkdir")
    scans = {s.path: s for s in scan_directory(repo)}
    assert scans["link.py"].problem == "symlink" and not scans["link.py"].evidence
    assert not any(p.startswith("linkdir/") for p in scans)
    assert classify_evidence(list(scans.values())).scores == {"pytorch": 1.0}


def test_binary_huge_and_python2_files(tmp_path: Path) -> None:
    _write(tmp_path, {
        "blob.py": b"\x00\x01import torch",
        "big.py": b"import chainer\nchainer.x()\n" + b"#" * (MAX_READ_BYTES + 10),
        "old.py": "import theano\nprint 'py2'\ntheano.x()\n",
    })  # fmt: skip
    scans = {s.path: s for s in scan_directory(tmp_path)}
    assert scans["blob.py"].problem == "binary"
    assert scans["big.py"].problem == "truncated" and scans["big.py"].evidence
    assert [e.module for e in scans["old.py"].evidence] == ["theano"]


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        scan_directory(tmp_path / "missing")


def _git(cwd: Path, *args: str) -> None:
    names = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    env = {**os.environ, **names}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def test_git_snapshot_matches_directory_scan(tmp_path: Path) -> None:
    work = tmp_path / "work"
    _write(work, {"m.py": "import jax\njax.x()\n", "req/requirements.txt": "flax\n", "README.md": "x"})
    os.symlink("/etc/passwd", work / "evil.py")
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "x")
    _git(tmp_path, "clone", "-q", "--bare", str(work), "snap/repo")
    git_dir = find_git_dir(tmp_path / "snap")
    assert git_dir == tmp_path / "snap" / "repo"
    scans = {s.path: s for s in scan_git_snapshot(git_dir)}
    assert scans["evil.py"].problem == "symlink"
    assert classify_evidence(list(scans.values())).framework == "jax"
    assert classify_evidence(scan_directory(work)).scores == classify_evidence(list(scans.values())).scores
