"""GitHub over git's smart HTTP: trees and evidence files without API quota or the raw host.

Per repository, in a scratch folder removed afterwards:

1. one blobless, shallow fetch of the default branch's head (``--filter=blob:none
   --depth 1``): the commit and every tree, no file content;
2. the file list from ``git ls-tree -r`` (trees only; never ``-l``, which needs blobs);
3. one batched fetch of exactly the selected blobs by id (``--stdin``, noop negotiation,
   as git's own lazy fetch does), read back with one ``git cat-file --batch``;
4. for the date of the first commit, a commits-only deepening (``--filter=tree:0
   --unshallow``), skipped when the head has no parent.

Git over HTTPS costs no REST quota. The clone never knows blob sizes before fetching
them, so each fetch is bounded instead: by time, by the bytes it writes (the process is
killed past the cap) and by ``http.lowSpeedLimit`` (a stalled stream ends). Reads
never reach the network: they run with ``remote.origin.promisor=false`` and
``GIT_ALLOW_PROTOCOL`` empty, so a missing object is reported missing instead of being
fetched lazily, one request per object.

Crawled repositories are hostile input: there is no checkout (a bare repository, no
work tree), no hooks (``core.hooksPath=/dev/null``, no template), no submodules,
no ``file://`` or local transports, no LFS smudge, no user or system configuration,
no prompts (flows/sources/git_process.py runs every git process that way). The token
travels in an ``http.extraHeader`` set through ``GIT_CONFIG_COUNT`` environment
variables: never on a command line or in a URL.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from analysis.classifier.imports import MAX_READ_BYTES
from flows.sources.git_process import (
    TIMEOUT_SECONDS,
    GitFailure,
    GitRun,
    GitSlots,
    TooLarge,
    _feed,
    git_env,
    run_git,
)  # fmt: skip
from flows.sources.github import TreeEntry

GRAPHQL_BATCH_GIT = 100
"""Repositories per GraphQL metadata query on the git path: one point for 100 (GitHub's node limit)."""
MAX_TREE_BYTES = 64 << 20
"""Bytes one head fetch (commit and trees) may write; a 100,000-file repository needs about 10 MB."""
MAX_BLOB_BYTES = 64 << 20
"""Bytes one blob fetch may write; past it the batch is split, and a lone blob past it is too large."""
MAX_HISTORY_BYTES = 16 << 20
"""Bytes the history may take: commits and trees in the first fetch (past it, the head alone), then
commits only (about 60,000 of them; past it the first commit stays unknown)."""
FETCH_TRIES = 3
RETRY_DELAY = 0.2
_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_COUNT_LOCK = threading.Lock()


@dataclass(frozen=True)
class GitHead:
    commit: str
    tree: str
    committed_at: datetime
    has_parent: bool
    entries: tuple[TreeEntry, ...]
    is_shallow: bool  # only the head came (the history was past its cap)


@dataclass(frozen=True)
class Blob:
    data: bytes  # at most MAX_READ_BYTES
    size: int


def failure_of(run: GitRun, what: str) -> GitFailure:
    """A failed fetch, with a short reason; ``failed`` (retried within the run and next run) but for
    a HEAD that is not there (``empty``, as GitHub's metadata cannot tell an empty repository).

    GitHub's metadata said the repository exists before git was asked, so a 404, 451 or
    403 from the git host is a race or an intermediary speaking: never taken as a fact
    about the repository, like the REST path's transport faults. A missing HEAD is taken
    as a fact only after every try said so (a mangled answer can read as "no refs").
    """
    if "couldn't find remote ref" in run.err:
        return GitFailure("empty", "git: no default branch (empty repository)")
    m = re.search(r"returned error: (\d{3})", run.err)
    if m:
        return GitFailure("failed", f"git {what}: HTTP {m.group(1)}")
    if re.search(r"repository '.*' not found", run.err):
        return GitFailure("failed", f"git {what}: HTTP 404")
    lines = [ln for ln in run.err.strip().splitlines() if ln.startswith(("fatal:", "error:"))]
    detail = re.sub(r"https?://\S+", "<url>", lines[-1] if lines else f"exit {run.code}")
    return GitFailure("failed", f"git {what}: {detail}"[:200])


# --- one repository -------------------------------------------------------------------


@dataclass
class GitTransport:
    """Makes scratch repositories for one GitHub (or GitHub Enterprise) git host; thread-safe."""

    base_url: str
    scratch_root: Path
    slots: GitSlots
    token: str | None = field(default=None, repr=False)
    timeout: float = TIMEOUT_SECONDS
    n_fetches: int = 0

    def __post_init__(self) -> None:
        self.scratch_root = self.scratch_root.resolve()  # git runs in other folders: relative paths would move
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        remove_stale_scratch(self.scratch_root)

    def count_fetch(self) -> None:
        with _COUNT_LOCK:
            self.n_fetches += 1

    def clone_url(self, full_name: str) -> str:
        return f"{self.base_url}/{full_name}.git"

    @contextlib.contextmanager
    def open(self, full_name: str) -> Iterator[GitScratch]:
        """A bare scratch repository for ``full_name``, removed (whatever happens) on exit."""
        if not _NAME.fullmatch(full_name):
            raise GitFailure("failed", "git: not an owner/name")
        folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=self.scratch_root))
        try:
            yield GitScratch(self, full_name, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def remove_stale_scratch(root: Path) -> None:
    """Scratch folders left by processes that died (named ``<pid>-...``)."""
    for child in root.iterdir():
        pid = child.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(child, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class GitScratch:
    """One repository's scratch copy: a bare repository with ``origin`` and no work tree."""

    transport: GitTransport
    full_name: str
    folder: Path

    def __post_init__(self) -> None:
        """The layout ``git init --bare --template=`` makes (no hooks, no samples), without a process."""
        self.git_dir = self.folder / "r.git"
        for sub in ("objects/pack", "objects/info", "refs/heads", "refs/tags"):
            (self.git_dir / sub).mkdir(parents=True)
        (self.git_dir / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
        (self.git_dir / "config").write_text(
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
            f'[remote "origin"]\n\turl = {self.transport.clone_url(self.full_name)}\n', encoding="utf-8")  # fmt: skip

    def local(self, args: Sequence[str], stdin: bytes = b"", cwd: Path | None = None) -> GitRun:
        """A git command that must not touch the network (and cannot: no transport is allowed)."""
        env = git_env(None, self.folder, network=False)
        run = run_git(["-c", "remote.origin.promisor=false", *args], cwd or self.git_dir, env, stdin=stdin,
                      timeout=self.transport.timeout)  # fmt: skip
        if run.code != 0:
            raise GitFailure("failed", f"git {args[0]}: " + (run.err.strip().splitlines() or ["failed"])[-1][:200])
        return run

    def fetch(self, args: Sequence[str], max_bytes: int, stdin: bytes = b"", what: str = "fetch") -> None:
        """One bounded fetch, tried ``FETCH_TRIES`` times over transient failures (resets, 5xx, cut packs)."""
        for attempt in range(FETCH_TRIES):
            try:
                return self._fetch_once(args, max_bytes, stdin, what)
            except GitFailure:
                if attempt == FETCH_TRIES - 1:
                    raise
                time.sleep(RETRY_DELAY * 2**attempt)

    def _fetch_once(self, args: Sequence[str], max_bytes: int, stdin: bytes, what: str) -> None:
        env = git_env(self.transport.token, self.folder, network=True, base_url=self.transport.base_url)
        cmd = ["-c", "remote.origin.promisor=true", "-c", "fetch.negotiationAlgorithm=noop", "fetch", "--no-tags",
               "--recurse-submodules=no", "--no-auto-gc", "--no-auto-maintenance", "--quiet", *args]  # fmt: skip
        with self.transport.slots.hold():
            self.transport.count_fetch()
            run = run_git(cmd, self.git_dir, env, stdin=stdin, timeout=self.transport.timeout, max_bytes=max_bytes)
        if run.code != 0:
            raise failure_of(run, what)

    def fetch_head(self, commit: str | None = None) -> GitHead:
        """The head commit and its trees, no blobs; the file list from ``ls-tree -r``.

        One fetch brings the whole history's commits and trees (no blobs) when they fit
        ``MAX_HISTORY_BYTES``: paper repositories are small, and the first commit's date
        then costs nothing more. Past the cap, the head alone (``--depth 1``), and the
        history later by a commits-only fetch. ``commit`` (GraphQL's head oid) is fetched
        by id, which spares the ref listing's round trip; without it, the remote's HEAD.
        """
        ref = commit or "HEAD"
        shallow = False
        try:
            self.fetch(["--filter=blob:none", "origin", ref], MAX_HISTORY_BYTES, what="head")
        except TooLarge:
            shallow = True
            try:
                self.fetch(["--filter=blob:none", "--depth=1", "origin", ref], MAX_TREE_BYTES, what="head")
            except TooLarge:
                raise GitFailure("failed", f"git head: trees larger than {MAX_TREE_BYTES >> 20} MB") from None
        commit = (self.git_dir / "FETCH_HEAD").read_text(encoding="utf-8").split("\t", 1)[0].strip()
        # The raw commit keeps its parent lines even where the shallow clone hides them from log.
        raw = self.local(["cat-file", "commit", commit]).out.decode("utf-8", "replace").split("\n\n", 1)[0]
        fields = [line.split(" ", 1) for line in raw.splitlines() if " " in line]
        tree = next(v for k, v in fields if k == "tree")
        committed = next(v for k, v in fields if k == "committer").rsplit(" ", 2)[1]
        listing = self.local(["ls-tree", "-r", "-z", "--full-tree", commit]).out
        has_parent = any(k == "parent" for k, _ in fields)
        return GitHead(commit, tree, _utc(int(committed)), has_parent, tuple(parse_ls_tree(listing)), shallow)

    def fetch_blobs(self, oids: Sequence[str]) -> list[str]:
        """Bring the blobs ``oids`` in; returns the ones too large to fetch alone (split batches past the cap)."""
        if not oids:
            return []
        try:
            self.fetch(["--no-write-fetch-head", "--filter=blob:none", "--stdin", "origin"], MAX_BLOB_BYTES,
                       stdin="".join(f"{o}\n" for o in oids).encode(), what="blobs")  # fmt: skip
        except TooLarge:
            if len(oids) == 1:
                return list(oids)
            half = len(oids) // 2
            return self.fetch_blobs(oids[:half]) + self.fetch_blobs(oids[half:])
        return []

    def read_blobs(self, oids: Sequence[str]) -> dict[str, Blob | None]:
        """Each blob's first ``MAX_READ_BYTES`` and its size, streamed from one ``cat-file --batch``.

        A missing blob is None. Bytes past the cap are read and dropped, never held.
        """
        unique = list(dict.fromkeys(oids))
        env = git_env(None, self.folder, network=False)
        cmd = ["git", "-c", "remote.origin.promisor=false", "cat-file", "--batch"]
        proc = subprocess.Popen(cmd, cwd=self.git_dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        feeder = threading.Thread(target=_feed, args=(proc, "".join(f"{o}\n" for o in unique).encode()), daemon=True)
        feeder.start()
        try:
            assert proc.stdout is not None
            return {oid: read_one_blob(proc.stdout) for oid in unique}
        except (ValueError, OSError) as exc:
            raise GitFailure("failed", f"git cat-file: {exc}"[:200]) from None
        finally:
            proc.kill()
            proc.wait()
            feeder.join(timeout=5)

    def first_commit_at(self, head: GitHead) -> datetime | None:
        """The earliest root commit's author date; for a shallow head, from a commits-only fetch of the
        history (``--filter=tree:0 --unshallow``), bounded in bytes (None past the cap)."""
        if head.is_shallow and head.has_parent:
            try:
                self.fetch(["--filter=tree:0", "--unshallow", "--no-write-fetch-head", "origin", head.commit],
                           MAX_HISTORY_BYTES, what="history")  # fmt: skip
            except TooLarge:
                return None
        dates = self.local(["log", "--max-parents=0", "--format=%at", head.commit]).out.split()
        return _utc(min(int(d) for d in dates)) if dates else None


def parse_ls_tree(listing: bytes) -> Iterator[TreeEntry]:
    """``git ls-tree -r -z``: ``<mode> <type> <oid>\\t<path>\\0`` records; sizes are unknown here."""
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, oid = meta.decode().split(" ")
        yield TreeEntry(path.decode("utf-8", "surrogateescape"), mode.zfill(6), kind, oid, None)


def read_one_blob(stream: IO[bytes]) -> Blob | None:
    """One ``cat-file --batch`` record: ``<oid> <type> <size>\\n<content>\\n``, or ``<oid> missing\\n``."""
    header = stream.readline().split()
    if not header:
        raise ValueError("cat-file ended early")
    if len(header) < 3:
        return None  # "<oid> missing"
    size = int(header[2])
    keep = _read_exactly(stream, min(size, MAX_READ_BYTES))
    left = size - len(keep) + 1  # the rest, and the record's closing newline
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            raise ValueError("cat-file ended early")
        left -= len(chunk)
    return Blob(keep, size) if header[1] == b"blob" else None


def _read_exactly(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise ValueError("cat-file ended early")
    return data


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
