"""What reaches git and what git accepts: checked names and ids, no followed redirects, checked
objects, retried transient failures, interruptible waits, proxy and CA settings passed on,
and scratch folders owned by a lock rather than a process id."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.git_host import git, namespace
from fakes.github_server import FakeGitHub, FakeRepo, Fault

from analysis.catalog.urls import is_github_full_name
from flows.sources.git_process import (
    SCRATCH_LOCK,
    GitFailure,
    GitRedirect,
    GitRun,
    GitSlots,
    failure_of,
    git_env,
    network_env,
    remove_stale_scratch,
    scratch_folder,
)
from flows.sources.git_transport import GitTransport
from flows.sources.http import RetryPolicy
from flows.stopping import STOP, StopRequested

FILES = {"train.py": b"import torch\n", "README.md": b"# Paper\n"}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub([FakeRepo("Owner/Paper", dict(FILES)), FakeRepo("Owner/Old", renamed_to="Owner/Paper"),
                         FakeRepo("Owner/Bad", dict(FILES))])  # fmt: skip
    server.start()
    yield server
    server.stop()


def transport(fake: FakeGitHub, tmp_path: Path, tries: int = 3, delay: float = 0.01) -> GitTransport:
    return GitTransport(fake.git_url, tmp_path / "scratch", GitSlots(tmp_path / "slots", 2),
                        retry=RetryPolicy(max_tries=tries, base_delay=delay, max_delay=delay))  # fmt: skip


@pytest.mark.parametrize(("name", "ok"), [
    ("Owner/Paper", True), ("owner-1/repo.name_2", True), ("a/.github", True),
    ("Owner/..", False), ("../etc", False), ("Owner/a..b", False),  # a climbing segment, anywhere
    ("-owner/x", False), ("Owner/-x", False),  # would read as an option
    (".owner/x", False), ("Owner/.", False), ("Owner", False), ("a/b/c", False), ("a/b c", False),
    ("a/" + "x" * 101, False),
])  # fmt: skip
def test_owner_and_name_follow_githubs_rules(name: str, ok: bool) -> None:
    assert is_github_full_name(name) is ok


def test_a_name_against_the_rules_never_reaches_git(tmp_path: Path, fake: FakeGitHub) -> None:
    git_transport = transport(fake, tmp_path)
    for name in ("Owner/..", "-c/x", "--upload-pack=touch/x"):
        with pytest.raises(GitFailure, match="not a GitHub owner/name"), git_transport.open(name):
            pass
    assert fake.counts["git"] == 0


def test_a_commit_id_that_is_not_hex_is_never_passed_to_git(tmp_path: Path, fake: FakeGitHub) -> None:
    with transport(fake, tmp_path).open("Owner/Paper") as repo:
        head = repo.fetch_head("--upload-pack=touch /tmp/pwned")  # a hostile "oid" from an API answer
    assert head.commit == fake.repos["owner/paper"].commit_sha  # the remote's HEAD was fetched instead


def test_a_same_host_redirect_is_followed_by_the_transport(tmp_path: Path, fake: FakeGitHub) -> None:
    git_transport = transport(fake, tmp_path)
    with git_transport.open("Owner/Old") as repo:  # GitHub answers a renamed repository's URL with a 301
        head = repo.fetch_head()
        assert repo.url == f"{fake.git_url}/Owner/Paper.git"
    assert head.commit == fake.repos["owner/paper"].commit_sha and git_transport.n_redirects >= 1


def test_objects_are_checked_on_receipt(tmp_path: Path, fake: FakeGitHub) -> None:
    """A commit with no author e-mail (``fsck``: missingEmail) is refused, for good: another try cannot help."""
    store = fake.git_store()
    store.sync([fake.repos["owner/bad"]])
    bad = git(["hash-object", "-w", "-t", "commit", "--literally", "--stdin"], store.path,
              stdin=b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Nobody 1600000000 +0000\n"
                    b"committer Nobody 1600000000 +0000\n\nbad\n").decode().strip()  # fmt: skip
    git(["update-ref", f"refs/namespaces/{namespace(fake.repos['owner/bad'])}/refs/heads/main", bad], store.path)
    before = fake.counts["git"]
    with pytest.raises(GitFailure) as info, transport(fake, tmp_path, tries=5).open("Owner/Bad") as repo:
        repo.fetch_head()
    assert info.value.reason == "git head: an object failed fsck: missingEmail: invalid author/committer line - " \
                                "missing email", info.value.reason
    assert not info.value.transient and fake.counts["git"] - before <= 3  # one try: a fetch is 2-3 requests


@pytest.mark.parametrize(("stderr", "status", "transient"), [
    ("fatal: unable to access 'u': The requested URL returned error: 502", "failed", True),
    ("error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500", "failed", True),
    ("fatal: unable to access 'u': The requested URL returned error: 429", "failed", True),
    ("fatal: unable to access 'u': The requested URL returned error: 403", "failed", True),  # a limit, maybe
    ("fatal: unable to access 'u': The requested URL returned error: 404", "failed", False),
    ("fatal: unable to access 'u': The requested URL returned error: 451", "failed", False),
    ("fatal: unable to access 'u': Recv failure: Connection reset by peer", "failed", True),
    ("fatal: unable to access 'u': Operation too slow. Less than 1000 bytes/sec", "failed", True),
    ("fatal: early EOF\nfatal: index-pack failed", "failed", True),
    ("fatal: the remote end hung up unexpectedly", "failed", True),
    ("fatal: 'u/info/refs' not valid: is this a git repository?", "failed", True),  # an HTML page with 200
    ("error: object 1234: missingEmail: invalid author/committer\nfatal: fsck error in packed object", "failed",
     False),
    ("fatal: couldn't find remote ref HEAD", "empty", True),  # a fact only once every try said so
])  # fmt: skip
def test_git_failures_are_told_transient_or_final_as_the_http_client_would(stderr: str, status: str,
                                                                         transient: bool) -> None:  # fmt: skip
    failure = failure_of(GitRun(128, b"", stderr), "head")
    assert isinstance(failure, GitFailure)
    assert (failure.status, failure.transient) == (status, transient)
    assert isinstance(failure_of(GitRun(128, b"", "fatal: unable to access 'u': ...returned error: 301"), "h"),
                      GitRedirect)  # fmt: skip


def test_transient_failures_are_retried_until_the_policy_gives_up(tmp_path: Path, fake: FakeGitHub) -> None:
    fake.faults += [Fault("/git/Owner/Paper.git", "502", times=2)]
    with transport(fake, tmp_path, tries=3).open("Owner/Paper") as repo:
        assert repo.fetch_head().entries  # two 502s, then it worked
    fake.faults += [Fault("/git/Owner/Paper.git", "502", times=99)]
    with pytest.raises(GitFailure, match="HTTP 502"), transport(fake, tmp_path, tries=3).open("Owner/Paper") as repo:
        repo.fetch_head()
    assert fake.counts["fault:502"] == 2 + 3  # three tries, no more


def test_a_stop_cuts_a_retry_wait_short(tmp_path: Path, fake: FakeGitHub) -> None:
    fake.faults += [Fault("/git/Owner/Paper.git", "502", times=99)]
    slow = transport(fake, tmp_path, tries=5, delay=3600.0)  # an hour between tries: only a stop can end it
    raised: list[BaseException] = []

    def crawl() -> None:
        try:
            with slow.open("Owner/Paper") as repo:
                repo.fetch_head()
        except BaseException as exc:  # noqa: BLE001 - the test inspects what ended it
            raised.append(exc)

    worker = threading.Thread(target=crawl)
    worker.start()
    try:
        while fake.counts["fault:502"] == 0 and worker.is_alive():
            worker.join(0.02)
        STOP.set()
        worker.join(60)  # a guard against a hang, not a timing assertion
    finally:
        STOP.clear()
    assert not worker.is_alive() and isinstance(raised[0], StopRequested), raised
    assert list((tmp_path / "scratch").iterdir()) == []  # and its scratch folder went with it


def test_proxy_and_ca_settings_reach_git_and_nothing_else_does() -> None:
    env = {"HTTPS_PROXY": "http://proxy:3128", "HTTP_PROXY": "http://proxy:3128", "no_proxy": "internal.example",
           "REQUESTS_CA_BUNDLE": "/etc/corp/ca.pem", "SSL_CERT_DIR": "/etc/corp/certs",
           "GIT_SSL_NO_VERIFY": "1", "GIT_CONFIG_PARAMETERS": "'core.sshCommand'='touch x'", "GIT_TRACE": "/tmp/t"}
    passed = network_env(env)
    assert passed["https_proxy"] == passed["HTTPS_PROXY"] == "http://proxy:3128"
    assert passed["http_proxy"] == "http://proxy:3128"  # libcurl reads only the lower-case http_proxy
    assert passed["no_proxy"] == passed["NO_PROXY"] == "internal.example"
    assert passed["GIT_SSL_CAINFO"] == "/etc/corp/ca.pem" and passed["GIT_SSL_CAPATH"] == "/etc/corp/certs"
    assert network_env({"ssl_cert_file": "/a.pem"})["GIT_SSL_CAINFO"] == "/a.pem"  # lower-case spellings too
    full = git_env("t0ken-value", Path("/scratch"), network=True, base_url="https://github.com", environ=env)
    assert not {"GIT_SSL_NO_VERIFY", "GIT_CONFIG_PARAMETERS", "GIT_TRACE"} & set(full)
    config = {full[k]: full[k.replace("KEY", "VALUE")] for k in full if k.startswith("GIT_CONFIG_KEY_")}
    assert config["http.followRedirects"] == "false" and config["transfer.fsckObjects"] == "true"
    assert "https_proxy" not in git_env(None, Path("/scratch"), network=False, environ=env)  # reads: no network


_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


def test_scratch_cleanup_follows_the_owners_lock_not_its_process_id(tmp_path: Path) -> None:
    """Names carry the creating PID, which means nothing in another PID namespace: only the lock counts."""
    root = tmp_path / "scratch"
    root.mkdir()
    ours_dead = root / f"{os.getpid()}-a"  # a live PID here, but nobody holds the lock: abandoned
    theirs_alive = root / "999999-b"  # a PID that does not exist here, but its owner holds the lock
    never_locked = root / "1-c"  # made before locks existed
    for folder in (ours_dead, theirs_alive, never_locked):
        folder.mkdir()
    (ours_dead / SCRATCH_LOCK).touch()
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(theirs_alive / SCRATCH_LOCK)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert remove_stale_scratch(root) == []  # everything is younger than a minute: nothing is judged yet
        later = os.stat(root).st_mtime + 3600
        removed = remove_stale_scratch(root, now=later)
        assert sorted(removed) == sorted([ours_dead, never_locked]) and theirs_alive.exists()
    finally:
        holder.communicate("")
    assert remove_stale_scratch(root, now=later) == [theirs_alive]  # its owner is gone, and so is the lock


def test_a_scratch_folder_is_locked_while_in_use_and_removed_after(tmp_path: Path) -> None:
    with scratch_folder(tmp_path) as folder:
        fd = os.open(folder / SCRATCH_LOCK, os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(fd)
    assert not folder.exists()
