"""Hostile repositories: the extractor and the scanners stay bounded in time and memory,
never execute anything, never read outside the tree and never write anywhere.

Scans of big inputs run in a fresh process (``measure_scan``) so peak-RSS growth is
measured against that process's own baseline and a hang becomes a timeout, not a
stuck test run. The product never reads archives (the crawler fetches single files
from the raw host; the archive source reads Parquet/.json.gz files, not tar/zip
members), so there is no ``../`` member path to test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability.trees import PROJECT_ROOT, build_git_repo, list_tree, measure_scan

from analysis.classifier.imports import MAX_READ_BYTES, scan_file
from flows.sources.snapshot import scan_directory, scan_git_snapshot

MB = 1 << 20
RSS_BUDGET_MB = 64  # several times the 2 MB read cap; a full read of a 200 MB file would blow it


# --- huge files -----------------------------------------------------------------------


def test_a_200_mb_file_in_a_directory_is_read_only_up_to_the_cap(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    big = repo / "model.py"
    with big.open("wb") as fh:
        fh.write(b"import torch\n" + b"x = 1\n" * (3 * MB // 6))  # real text past the cap...
        fh.truncate(200 * MB)  # ...then a sparse tail: 200 MB on paper, nothing on disk
    result = measure_scan(f"scan_directory({str(repo)!r})")
    assert result["modules"] == ["torch"] and result["problems"] == ["truncated"]
    assert result["rss_growth_mb"] < RSS_BUDGET_MB, result


def test_a_200_mb_blob_in_a_git_snapshot_is_read_only_up_to_the_cap(tmp_path: Path) -> None:
    line = b"y = 2  # padding\n"
    chunks = [b"import tensorflow as tf\n"] + [line * (MB // len(line))] * 200  # about 200 MB, streamed
    git_dir = build_git_repo(tmp_path / "big.git", [(b"README.md", b"hi", "100644")], {b"train.py": chunks})
    result = measure_scan(f"scan_git_snapshot({str(git_dir)!r})")
    assert result["modules"] == ["@readme", "tensorflow"] and result["problems"] == ["truncated"]
    assert result["rss_growth_mb"] < RSS_BUDGET_MB, result


def test_a_50_mb_notebook_is_bounded_and_recorded(tmp_path: Path) -> None:
    repo = tmp_path / "nb"
    repo.mkdir()
    cells = [{"cell_type": "code", "source": ["import jax\n"], "outputs": [], "metadata": {}}]
    blob = "A" * (5 * MB)  # a base64 image output, repeated to 50 MB
    output = {"output_type": "display_data", "data": {"image/png": blob}}
    cells += [{"cell_type": "code", "source": ["plot()\n"], "metadata": {}, "outputs": [output]} for _ in range(10)]
    (repo / "big.ipynb").write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    assert (repo / "big.ipynb").stat().st_size > 50 * 10**6
    result = measure_scan(f"scan_directory({str(repo)!r})")
    assert result["n_scans"] == 1 and result["problems"], result  # cut short, and said so
    assert result["rss_growth_mb"] < RSS_BUDGET_MB, result


# --- odd contents, straight into the extractor -----------------------------------------

ODD_FILES: list[tuple[str, bytes]] = [
    # ast gives up on deep nesting (RecursionError / "too many nested parentheses")
    ("deep.py", b"import torch\nx = " + b"(" * 200_000 + b")" * 200_000 + b"\n"),
    # one 2 MB line: no line-based pass may go quadratic on it
    ("oneline.py", b"import mxnet; " + b"a" * (MAX_READ_BYTES - 20)),
    # a long comma list on an import line: a regex with nested repeats would backtrack forever
    ("commas.py", b"import " + b"a ," * 300_000 + b"!"),
    # NUL bytes: a binary file with a .py name
    ("binary.py", b"import torch\n\x00\x01\x02" * 1000),
    # Latin-1 source (Python 2 era): not UTF-8, imports still found
    ("latin1.py", "# -*- coding: latin-1 -*-\n# Müller\nimport theano\n".encode("latin-1")),
    # a UTF-8 BOM and CRLF line ends
    ("bom.py", b"\xef\xbb\xbfimport caffe\r\nimport numpy\r\n"),
    # JSON nested 500,000 deep: json's decoder recurses
    ("nested.ipynb", b"[" * 500_000 + b"]" * 500_000),
    # TOML arrays nested 100,000 deep: tomllib recurses
    ("pyproject.toml", b"[project]\ndependencies = " + b"[" * 100_000 + b"]" * 100_000 + b"\n"),
    # an unterminated triple-quoted string swallowing the rest of the file
    ("unterminated.py", b'import keras\ns = """' + b"import torch\n" * 100_000),
    # a requirements file of 200,000 lines
    ("requirements.txt", b"torch==1.0\n" + b"pkg-x>=1\n" * 200_000),
]


@pytest.mark.parametrize(("name", "data"), ODD_FILES, ids=[n for n, _ in ODD_FILES])
def test_odd_file_contents_never_raise_and_finish_quickly(name: str, data: bytes) -> None:
    start = time.perf_counter()
    scan = scan_file(name, data)
    assert time.perf_counter() - start < 10
    assert scan.kind is not None
    assert scan.evidence or scan.problem or name == "commas.py", scan  # nothing dropped silently


# --- tree shapes -------------------------------------------------------------------------


def test_200_levels_of_folders_in_a_directory_and_in_git(tmp_path: Path) -> None:
    deep_rel = "/".join(["d"] * 200)
    deep = tmp_path / "repo" / deep_rel
    deep.mkdir(parents=True)
    (deep / "train.py").write_text("import chainer\n")
    scans = scan_directory(tmp_path / "repo")
    assert [(s.path, [e.module for e in s.evidence]) for s in scans] == [(f"{deep_rel}/train.py", ["chainer"])]
    git_dir = build_git_repo(tmp_path / "deep.git", [(f"{deep_rel}/train.py".encode(), b"import chainer\n", "100644")])
    assert [e.module for s in scan_git_snapshot(git_dir) for e in s.evidence] == ["chainer"]


def test_a_100000_entry_git_tree_is_cut_and_recorded(tmp_path: Path) -> None:
    entries = [(b"pkg%03d/mod%03d.py" % (i // 1000, i % 1000), b"import torch\n", "100644") for i in range(100_000)]
    git_dir = build_git_repo(tmp_path / "wide.git", entries)
    result = measure_scan(f"scan_git_snapshot({str(git_dir)!r})", timeout=60)
    assert result["modules"] == ["torch"]
    assert any(p.startswith("cut-at-") for p in result["problems"]), result  # the cut is recorded


def test_a_100000_file_directory_is_cut_and_recorded(tmp_path: Path) -> None:
    repo = tmp_path / "wide"
    for i in range(100):
        folder = repo / f"pkg{i:03d}"
        folder.mkdir(parents=True)
        for j in range(1000):
            (folder / f"m{j:03d}.py").touch()
    (repo / "pkg000" / "m000.py").write_text("import paddle\n")
    result = measure_scan(f"scan_directory({str(repo)!r})", timeout=60)
    assert result["modules"] == ["paddle"]
    assert any(p.startswith("cut-at-") for p in result["problems"]), result


# --- paths and links ------------------------------------------------------------------------


def test_non_utf8_paths_and_contents(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    bad_name = os.fsdecode(b"mod\xff\xfe.py")  # not UTF-8: a surrogate-escaped str on Linux
    (repo / bad_name).write_bytes(b"import torch\ntorch.zeros(1)  # \xff\xfe\n")
    scans = scan_directory(repo)
    assert [e.module for s in scans for e in s.evidence] == ["torch"]
    assert scans[0].problem == "invalid-utf8"
    content = b"import torch\ntorch.zeros(1)\n\xff\n"
    git_dir = build_git_repo(tmp_path / "bad.git", [(b"mod\xff\xfe.py", content, "100644")])
    assert [e.module for s in scan_git_snapshot(git_dir) for e in s.evidence] == ["torch"]
    out = _classify_cli(repo)
    assert out.returncode == 0 and json.loads(out.stdout)["framework"] == "pytorch"


def test_symlinks_out_of_the_tree_and_loops_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("import secret_outside_module\n")
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "ok.py").write_text("import torch\n")
    (repo / "passwd.py").symlink_to("/etc/passwd")
    (repo / "escape.py").symlink_to(outside)
    (repo / "etc").symlink_to("/etc")
    (repo / "src" / "loop").symlink_to("..")  # a cycle: src/loop/src/loop/...
    (repo / "self.py").symlink_to("self.py")  # points at itself
    scans = scan_directory(repo)
    modules = {e.module for s in scans for e in s.evidence}
    assert modules == {"torch"}
    assert {s.path: s.problem for s in scans if s.problem} == {"escape.py": "symlink", "passwd.py": "symlink",
                                                                 "self.py": "symlink"}  # fmt: skip
    git_dir = build_git_repo(tmp_path / "links.git", [
        (b"ok.py", b"import torch\n", "100644"), (b"passwd.py", b"/etc/passwd", "120000"),
        (b"escape.py", str(outside).encode(), "120000"), (b"loop", b"..", "120000"),
    ])  # fmt: skip
    git_scans = scan_git_snapshot(git_dir)
    assert {e.module for s in git_scans for e in s.evidence} == {"torch"}
    assert {s.path for s in git_scans if s.problem == "symlink"} == {"escape.py", "passwd.py"}


def test_a_fifo_named_like_code_does_not_hang_the_scan(tmp_path: Path) -> None:
    """Opening a FIFO for reading blocks until a writer appears: a scanner must skip non-regular files."""
    repo = tmp_path / "repo"
    repo.mkdir()
    os.mkfifo(repo / "pipe.py")
    (repo / "real.py").write_text("import torch\n")
    result = measure_scan(f"scan_directory({str(repo)!r})", timeout=20)
    assert result["modules"] == ["torch"] and result["n_scans"] == 2 and result["problems"], result


# --- nothing runs, nothing is written --------------------------------------------------------


def test_a_booby_trapped_repository_is_read_not_run(tmp_path: Path) -> None:
    """setup.py, conftest.py, __init__.py and a notebook that would delete a sentinel and drop a
    canary if any of them were executed or imported; classify must leave the filesystem as it was."""
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("still here")
    canary = tmp_path / "canary"
    payload = (f"import os, pathlib\nimport torch\nos.remove({str(sentinel)!r})\n"
               f"pathlib.Path({str(canary)!r}).mkdir()\n")  # fmt: skip
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    for name in ("setup.py", "conftest.py", "pkg/__init__.py", "sitecustomize.py"):
        (repo / name).write_text(payload)
    cell = {"cell_type": "code", "source": [payload, "!rm -rf /\n"], "outputs": [], "metadata": {}}
    (repo / "run.ipynb").write_text(json.dumps({"cells": [cell], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    (repo / "requirements.txt").write_text(f"-e file://{tmp_path}\ntorch\n")
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    before = list_tree(tmp_path)
    scan_directory(repo)
    out = _classify_cli(repo, cwd=cwd, home=home)
    assert out.returncode == 0 and json.loads(out.stdout)["framework"] == "pytorch"
    assert sentinel.read_text() == "still here"
    assert list_tree(tmp_path) == before  # no canary, no __pycache__, nothing in HOME or the working dir


def _classify_cli(path: Path, cwd: Path | None = None, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    if home is not None:
        env["HOME"] = str(home)
    command = [sys.executable, "-m", "flows.cli.main", "classify", str(path), "--json"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=cwd or path.parent, env=env)
