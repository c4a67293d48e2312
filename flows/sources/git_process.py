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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from flows.stopping import STOP, StopRequested

MIN_VERSION = (2, 30)
GIT_PROCESSES = 16
"""Network git processes in flight per machine (a setting: PAPERTRENDS_GIT_PROCESSES)."""
TIMEOUT_SECONDS = 300.0
_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


class GitFailure(Exception):
    """A repository git would not give us; ``status`` is the crawler's (missing, blocked, disabled, empty, failed).

    ``transient``: worth another try within the run (5xx, 429, resets, timeouts, early
    EOF, a mangled answer), under the HTTP client's retry policy.
    """

    def __init__(self, status: str, reason: str, transient: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.transient = transient


class GitRedirect(Exception):
    """git met an HTTP redirect it was told not to follow (``http.followRedirects=false``)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class TooLarge(Exception):
    """A fetch wrote more than its byte cap and was stopped."""


_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def is_object_id(value: object) -> bool:
    """A full SHA-1 or SHA-256 object id in lower-case hex: the only ids put on a git command line."""
    return isinstance(value, str) and _OBJECT_ID.fullmatch(value) is not None


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


def git_env(token: str | None, scratch: Path, network: bool, base_url: str = "",
            environ: Mapping[str, str] | None = None) -> dict[str, str]:  # fmt: skip
    """A clean environment: no user/system config, no prompts, no hooks, no local transports.

    ``network=False`` (reads) allows no transport at all, so nothing can be fetched lazily.
    The token's header is scoped to ``base_url`` (git's per-URL ``http.<url>.*`` settings)
    and git follows no redirect at all (``http.followRedirects=false``): with ``initial``,
    a git host answering 301 to another host would receive the header there too. Same-host
    redirects are followed by the transport itself (flows/sources/git_transport.py).
    Received objects are checked (``transfer.fsckObjects``). The proxy and CA settings
    requests honours reach git's libcurl (:func:`network_env`); nothing else of the
    caller's environment does.
    """
    settings = [
        ("core.hooksPath", os.devnull), ("protocol.file.allow", "never"), ("protocol.ext.allow", "never"),
        ("submodule.recurse", "false"), ("fetch.recurseSubmodules", "false"), ("core.fsmonitor", "false"),
        ("credential.helper", ""), ("gc.auto", "0"), ("maintenance.auto", "false"), ("fetch.unpackLimit", "1"),
        ("http.lowSpeedLimit", "1000"), ("http.lowSpeedTime", "30"), ("http.followRedirects", "false"),
        ("fetch.writeCommitGraph", "false"), ("transfer.fsckObjects", "true"),
    ]  # fmt: skip
    if token and network:
        header = f"Authorization: Basic {basic_credential(token)}"
        settings.append((f"http.{base_url.rstrip('/')}/.extraHeader", header))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(scratch), "LANG": "C", "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "", "SSH_ASKPASS": "", "GIT_LFS_SKIP_SMUDGE": "1", "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_ALLOW_PROTOCOL": "http:https" if network else "", "GIT_CONFIG_COUNT": str(len(settings)),
    }  # fmt: skip
    if network:
        env.update(network_env(os.environ if environ is None else environ))
    for i, (key, value) in enumerate(settings):
        env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
    return env


def basic_credential(token: str) -> str:
    """The base64 credential git sends GitHub (``x-access-token:TOKEN``)."""
    return base64.b64encode(f"x-access-token:{token}".encode()).decode()


_PROXY_NAMES = ("https_proxy", "http_proxy", "all_proxy", "no_proxy")


def network_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The proxy and CA settings requests reads, in the names git's libcurl reads.

    Proxies: both spellings, the lower-case one winning as in Python's urllib; libcurl
    reads ``http_proxy`` only in lower case, so an upper-case ``HTTP_PROXY`` is passed
    as ``http_proxy`` too. CA: requests' ``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``,
    else OpenSSL's ``SSL_CERT_FILE`` (any spelling) becomes ``GIT_SSL_CAINFO``;
    ``SSL_CERT_DIR`` becomes ``GIT_SSL_CAPATH``.
    """
    out: dict[str, str] = {}
    for name in _PROXY_NAMES:
        value = environ.get(name) or environ.get(name.upper())
        if value:
            out[name] = value
            if name != "http_proxy":
                out[name.upper()] = value
    ca_file = next((v for n in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")
                    if (v := environ.get(n) or environ.get(n.lower()))), None)  # fmt: skip
    if ca_file:
        out["GIT_SSL_CAINFO"] = out["SSL_CERT_FILE"] = ca_file
    ca_dir = environ.get("SSL_CERT_DIR") or environ.get("ssl_cert_dir")
    if ca_dir:
        out["GIT_SSL_CAPATH"] = out["SSL_CERT_DIR"] = ca_dir
    return out


def failure_of(run: GitRun, what: str) -> GitFailure | GitRedirect:
    """A failed fetch as the crawler's status and a short reason, and whether another try may help.

    Transient, as the HTTP client's policy has it: 5xx, 429 and 408, connection resets,
    timeouts, early EOF, cut or mangled answers (an HTML or JSON page where git's protocol
    was expected). Final: 400, 401, 404, 410, 451 and objects failing ``fsck``. GitHub's
    metadata said the repository exists before git was asked, so a 404, 451 or 403 from the
    git host is a race or an intermediary speaking, never taken as a fact about the
    repository (``failed``, tried again next run); a 403 may be a rate limit, so it is
    retried. A missing HEAD is ``empty``, taken as a fact only after every try said so
    (a mangled answer can read as "no refs"). A 3xx is a :class:`GitRedirect`.
    """
    if "couldn't find remote ref" in run.err:
        return GitFailure("empty", "git: no default branch (empty repository)", transient=True)
    m = re.search(r"returned error: (\d{3})|RPC failed; HTTP (\d{3})", run.err)
    code = int(m.group(1) or m.group(2)) if m else (404 if re.search(r"repository '.*' not found", run.err) else None)
    if code is not None and 300 <= code < 400:
        return GitRedirect(code)
    if code is not None:
        return GitFailure("failed", f"git {what}: HTTP {code}", transient=code not in (400, 401, 404, 410, 451))
    bad_object = re.search(r"error: object [0-9a-f]+: (\w+: [^\n]*)", run.err)
    if bad_object or "fsck error" in run.err:  # the same objects would come again: final
        detail = bad_object.group(1) if bad_object else "fsck error"
        return GitFailure("failed", f"git {what}: an object failed fsck: {detail}"[:200])
    lines = [ln for ln in run.err.strip().splitlines() if ln.startswith(("fatal:", "error:"))]
    detail = re.sub(r"https?://\S+", "<url>", lines[-1] if lines else f"exit {run.code}")
    return GitFailure("failed", f"git {what}: {detail}"[:200], transient="Authentication failed" not in run.err)


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
        if STOP.is_set():  # an interrupted run leaves no git process behind and waits for none
            raise StopRequested("stopped: the run was interrupted")
        if time.monotonic() > deadline:
            raise GitFailure("failed", f"git: no answer within {timeout:.0f}s", transient=True)
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


# --- scratch folders: owned by a lock, so cleanup is right across PID namespaces --------

SCRATCH_LOCK = ".owner.lock"
STALE_AFTER = 60.0
"""Seconds a scratch folder may lack a held lock before it counts as abandoned: the window
between creating a folder and locking it."""


@contextlib.contextmanager
def scratch_folder(root: Path) -> Iterator[Path]:
    """A new folder under ``root``, owned by an exclusive ``flock`` on its lock file while in use, then removed.

    A process id would not say whether the owner lives: containers with their own PID
    namespaces share one /tmp, and a PID seen from here may be another process or none.
    A lock is held by its owner's open file however the owner is numbered, and the
    kernel drops it when the owner dies, however it dies.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
    fd = os.open(folder / SCRATCH_LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def remove_stale_scratch(root: Path, stale_after: float = STALE_AFTER, now: float | None = None) -> list[Path]:
    """Remove the scratch folders no living process owns; returns them.

    A folder is abandoned when it is older than ``stale_after`` seconds and its lock is
    free: its owner died and the lock died with it (or the owner died between creating
    the folder and locking it, or the folder predates the locks). The age rule spares a
    folder whose owner has just made it and is about to lock it. A folder whose lock is
    held is in use, however old.
    """
    removed = []
    now = time.time() if now is None else now
    for child in sorted(root.iterdir()):
        if child.is_dir() and not child.is_symlink() and _abandoned(child, stale_after, now):
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


def _abandoned(folder: Path, stale_after: float, now: float) -> bool:
    try:
        if now - folder.stat().st_mtime <= stale_after:
            return False
        fd = os.open(folder / SCRATCH_LOCK, os.O_RDWR | os.O_NOFOLLOW)
    except FileNotFoundError:
        return True  # old enough, and never locked
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # its owner is alive, in whatever PID namespace
    finally:
        os.close(fd)  # closing drops the probe's own lock before the folder goes
    return True
