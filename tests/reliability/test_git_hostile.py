"""A hostile repository through the git transport: a .gitattributes filter, hooks, submodules
pointing at local paths and a 200 MB blob. Nothing runs, nothing outside the scratch folder
is written, and the big blob is never fetched.

The user's own git configuration is made hostile too (a global config whose filter,
hooks and protocol settings would run commands), to show the crawler's git ignores it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.git_host import GitStore
from fakes.github_server import FakeGitHub, FakeRepo

from flows.crawl.driver import crawl_repos
from flows.crawl.outcomes import add_repos
from flows.settings import Settings
from flows.store.warehouse import Warehouse

BIG = 200 << 20
_FILES = {
    ".gitattributes": b"* filter=evil diff=evil merge=evil\n*.py text eol=crlf\n",
    "train.py": b"import torch\nmodel = torch.nn.Linear(2, 2)\n",
    ".gitmodules": b'[submodule "sub"]\n\tpath = sub\n\turl = {victim}\n'
    b'[submodule "up"]\n\tpath = up\n\turl = ../../x\n',
    "hooks/post-checkout": b"#!/bin/sh\ntouch {marker}\n",
    ".githooks/pre-commit": b"#!/bin/sh\ntouch {marker}\n",
    ".lfsconfig": b"[lfs]\n\turl = file://{victim}\n",
}


def _zeros_sha(n: int) -> str:
    import hashlib

    digest = hashlib.sha1(f"blob {n}\0".encode())
    chunk = bytes(1 << 20)
    for _ in range(n >> 20):
        digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="session")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GitStore, Path, str]]:
    """The hostile repository, written once per session (200 MB of zeros deflate to about 200 kB)."""
    root = tmp_path_factory.mktemp("hostile-store")
    victim = root / "victim.git"  # a "submodule" on this machine: must never be read or written
    subprocess.run(["git", "init", "-q", "--bare", str(victim)], check=True)
    marker = root / "PWNED"
    store = GitStore(root)
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--big-file-threshold=1m"], cwd=store.path,
                            stdin=subprocess.PIPE, env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull})  # fmt: skip
    assert proc.stdin is not None
    w = proc.stdin.write
    w(b"commit refs/namespaces/hostile/refs/heads/main\ncommitter E <e@x> 1600000000 +0000\ndata 4\nevil\n")
    for path, text in _FILES.items():
        data = text.replace(b"{victim}", str(victim).encode()).replace(b"{marker}", str(marker).encode())
        mode = "100755" if "hooks" in path else "100644"
        w(f"M {mode} inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    w(f"M 160000 {'1' * 40} sub\nM 160000 {'2' * 40} up\n".encode())
    w(f"M 100644 inline weights.bin\ndata {BIG}\n".encode())
    chunk = bytes(1 << 20)
    for _ in range(BIG >> 20):
        w(chunk)
    w(b"\n\n")
    proc.stdin.close()
    assert proc.wait() == 0
    subprocess.run(["git", "symbolic-ref", "refs/namespaces/hostile/HEAD", "refs/namespaces/hostile/refs/heads/main"],
                   cwd=store.path, check=True)  # fmt: skip
    store.aliases["evil/repo"] = "hostile"
    yield store, marker, _zeros_sha(BIG)


def _hostile_user_config(home: Path, marker: Path) -> Path:
    """A global git config that would run commands if the crawler's git read it."""
    hooks = home / "hooks"
    hooks.mkdir(parents=True)
    for name in ("post-checkout", "reference-transaction", "post-index-change", "fsmonitor-watchman"):
        (hooks / name).write_text(f"#!/bin/sh\ntouch {marker}\n")
        (hooks / name).chmod(0o755)
    config = home / ".gitconfig"
    config.write_text(f"[core]\n\thooksPath = {hooks}\n\tfsmonitor = {hooks}/fsmonitor-watchman\n"
                      f"[filter \"evil\"]\n\tsmudge = touch {marker}\n\tclean = touch {marker}\n"
                      f"\tprocess = touch {marker}\n"
                      "[protocol \"file\"]\n\tallow = always\n[submodule]\n\trecurse = true\n"
                      f"[fetch]\n\trecurseSubmodules = true\n[core]\n\tsshCommand = touch {marker}\n")  # fmt: skip
    return config


def _files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_a_hostile_repository_runs_nothing_writes_nothing_outside_scratch_and_never_fetches_the_big_blob(
    tmp_path: Path, hostile_store: tuple[GitStore, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, marker, big_sha = hostile_store
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(_hostile_user_config(home, marker)))
    monkeypatch.setenv("GIT_TRACE", str(tmp_path / "trace.log"))  # the crawler's git must not inherit this either
    fake = FakeGitHub([FakeRepo("Evil/Repo", {"train.py": b"import torch\nmodel = torch.nn.Linear(2, 2)\n"})])
    fake.use_git_store(store)
    fake.start()
    victim = store.path.parent / "victim.git"
    victim_before = _files_under(victim)
    home_before = _files_under(home)
    data = tmp_path / "data"
    try:
        settings = Settings(data_dir=data, github_api_url=fake.url, github_raw_url=fake.raw_url,
                            github_git_url=fake.url + "/git", git_work_dir=tmp_path / "git-work")  # fmt: skip
        with Warehouse(tmp_path / "wh.duckdb") as wh:
            add_repos(wh, ["Evil/Repo"])
            summary = crawl_repos(wh, settings, progress=False, via="git")
            files = {r["path"]: r["problem"] for r in wh.query("SELECT * FROM repo_files")}
            label = wh.scalar("SELECT framework FROM classifications")
    finally:
        fake.stop()
    assert summary["crawled"] == 1, summary
    assert label == "pytorch" and files["train.py"] is None
    assert set(files) == {"train.py"}  # gitlinks, hooks and attributes are listed by ls-tree, never read or followed
    assert not marker.exists()  # no filter, hook, fsmonitor or ssh command ran
    assert big_sha.encode() not in fake.git_wants  # never asked for
    assert fake.counts["git_bytes"] < 1 << 20  # and never sent: the whole crawl moved under 1 MB
    assert not (tmp_path / "trace.log").exists()
    assert _files_under(victim) == victim_before and _files_under(home) == home_before
    # outside the scratch folder only the warehouse and the process-cap lock files were written
    written = _files_under(tmp_path) - {"home", *(f"home/{p}" for p in home_before)}
    slots = {f"git-work/slots/{p.name}" for p in (tmp_path / "git-work" / "slots").iterdir()}
    assert {p for p in written if not p.startswith("wh.duckdb")} == {"git-work", "git-work/scratch", "git-work/slots",
                                                                     *slots}  # fmt: skip
    assert all(p.startswith("git-work/slots/slot-") for p in slots)
    assert list((tmp_path / "git-work" / "scratch").iterdir()) == []  # the scratch folder itself is gone
