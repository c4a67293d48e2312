"""Running git safely: a clean environment, bounded processes, and a per-machine cap on them.

Crawled repositories are hostile input and git reads a lot of configuration, so every
git process here starts from nothing: no user or system configuration, no prompts, no
hooks, no local or ``ext::`` transports, no submodules, no fsmonitor, no credential
helpers. Each process is bounded by time and by the bytes it writes under ``objects/``
(killed past either); the number of network git processes on one machine is capped by
``GitSlots``, which holds across threads, CLI runs and Dask worker processes alike.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MIN_VERSION = (2, 30)
GIT_PROCESSES = 16
"""Network git processes in flight per machine (a setting: PAPERTRENDS_GIT_PROCESSES)."""
TIMEOUT_SECONDS = 300.0
_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


class GitFailure(Exception):
    """A repository git would not give us; ``status`` is the crawler's (missing, blocked, disabled, empty, failed)."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class TooLarge(Exception):
    """A fetch wrote more than its byte cap and was stopped."""




def git_version(executable: str = "git") -> tuple[int, int] | None:
    """The installed git's (major, minor), or None when there is no git on PATH."""
    if shutil.which(executable) is None:
        return None
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def git_usable() -> bool:
    version = git_version()
    return version is not None and version >= MIN_VERSION


# --- the cap on git processes, shared by every process on the machine -------------------


@dataclass
class GitSlots:
    """At most ``n`` network git processes at once across threads *and* processes (Dask workers).

    Slot ``i`` is an exclusive ``flock`` on file ``i`` in a folder every process on the
    machine shares; a killed process's locks vanish with it.
    """

    folder: Path
    n: int = GIT_PROCESSES

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        start = hash(threading.get_ident()) % self.n  # spread first tries over the slots
        while True:
            for i in range(self.n):
                fd = os.open(self.folder / f"slot-{(start + i) % self.n}", os.O_CREAT | os.O_RDWR, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    yield
                finally:
                    os.close(fd)  # closing drops the lock
                return
            time.sleep(0.02)


# --- running git --------------------------------------------------------------------


def git_env(token: str | None, scratch: Path, network: bool, base_url: str = "") -> dict[str, str]:
    """A clean environment: no user/system config, no prompts, no hooks, no local transports.

    ``network=False`` (reads) allows no transport at all, so nothing can be fetched lazily.
    The token's header is scoped to ``base_url`` (git's per-URL ``http.<url>.*`` settings)
    and redirects are followed only on the first request, as git does by default.
    """
    settings = [
        ("core.hooksPath", os.devnull), ("protocol.file.allow", "never"), ("protocol.ext.allow", "never"),
        ("submodule.recurse", "false"), ("fetch.recurseSubmodules", "false"), ("core.fsmonitor", "false"),
        ("credential.helper", ""), ("gc.auto", "0"), ("maintenance.auto", "false"), ("fetch.unpackLimit", "1"),
        ("http.lowSpeedLimit", "1000"), ("http.lowSpeedTime", "30"), ("http.followRedirects", "initial"),
        ("fetch.writeCommitGraph", "false"),
    ]  # fmt: skip
    if token and network:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        settings.append((f"http.{base_url.rstrip('/')}/.extraHeader", f"Authorization: Basic {basic}"))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(scratch), "LANG": "C", "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "", "SSH_ASKPASS": "", "GIT_LFS_SKIP_SMUDGE": "1", "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_ALLOW_PROTOCOL": "http:https" if network else "", "GIT_CONFIG_COUNT": str(len(settings)),
    }  # fmt: skip
    for i, (key, value) in enumerate(settings):
        env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
    return env


@dataclass
class GitRun:
    """What one git process said."""

    code: int
    out: bytes
    err: str


def run_git(args: Sequence[str], cwd: Path, env: dict[str, str], *, stdin: bytes = b"",
            timeout: float = TIMEOUT_SECONDS, max_bytes: int | None = None) -> GitRun:  # fmt: skip
    """Run git, killing it past ``timeout`` seconds or once ``cwd/objects`` grows by ``max_bytes``."""
    with tempfile.TemporaryFile(dir=cwd) as out, tempfile.TemporaryFile(dir=cwd) as err:
        proc = subprocess.Popen(["git", *args], cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=out, stderr=err)
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            _feed(proc, stdin)
            _watch(proc, cwd / "objects" if max_bytes is not None else None, max_bytes or 0, timeout)
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        out.seek(0)
        err.seek(0)
        return GitRun(proc.returncode, out.read(), err.read().decode("utf-8", "replace"))


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.write(data)
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.close()


def _watch(proc: subprocess.Popen[bytes], objects: Path | None, max_bytes: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    base = _size(objects) if objects else 0
    delay = 0.005
    while proc.poll() is None:
        if time.monotonic() > deadline:
            raise GitFailure("failed", f"git: no answer within {timeout:.0f}s")
        if objects is not None and _size(objects) - base > max_bytes:
            raise TooLarge(f"more than {max_bytes} bytes")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _size(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def stop_git_processes() -> None:
    """Kill every git process this process started (an interrupted crawl must not leave them behind)."""
    with _LIVE_LOCK:
        for proc in list(_LIVE):
            with contextlib.suppress(OSError):
                proc.kill()
