"""The one-writer claim on a warehouse: ``<file>.writer.lock``, held for a whole refresh.

DuckDB's own lock only lasts while a connection is open, and a refresh opens the warehouse
seconds after it starts (Prefect's start-up), so two refreshes started close together
could both run. The claim is taken when the command starts and released when it ends; the
flow inside the same process takes it again (a process's claims are counted, not refused).
It is an advisory ``flock`` the kernel drops when its process dies, so a killed refresh
never leaves a stale lock behind; the file itself is removed on release.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HELD: dict[str, tuple[int, int]] = {}  # resolved lock path -> (fd, how many claims in this process)
_LOCK = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse open for writing."""


def lock_path(db: str | Path) -> Path:
    return Path(f"{db}.writer.lock")


def claim_writer(db: str | Path) -> None:
    """Claim the warehouse for writing, or raise :class:`WarehouseBusy` at once if another process has it."""
    path = lock_path(db).resolve()
    with _LOCK:
        if str(path) in _HELD:
            fd, n = _HELD[str(path)]
            _HELD[str(path)] = (fd, n + 1)
            return
        _HELD[str(path)] = (_lock_file(path, db), 1)


def release_writer(db: str | Path) -> None:
    """Give back one claim; the last one unlocks and removes the lock file."""
    path = lock_path(db).resolve()
    with _LOCK:
        fd, n = _HELD.get(str(path), (None, 0))
        if fd is None:
            return
        if n > 1:
            _HELD[str(path)] = (fd, n - 1)
            return
        del _HELD[str(path)]
        try:
            path.unlink(missing_ok=True)  # removed while still locked: a newcomer creates a new file
        finally:
            os.close(fd)


def _lock_file(path: Path, db: str | Path) -> int:
    """An exclusive lock on the file now at ``path`` (re-tried when the file was replaced meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WarehouseBusy(f"warehouse {db} is in use by another papertrends refresh; wait for it to finish, "
                                "or read the Parquet exports") from None  # fmt: skip
        # The holder removes the file on release: if it did so between our open and our lock, the
        # lock is on a file nobody else will see; take the one at the path now.
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextmanager
def writer_claimed(db: str | Path) -> Iterator[None]:
    """Hold the claim for a block: what a writing command (refresh, crawl, ingest) does from its start."""
    claim_writer(db)
    try:
        yield
    finally:
        release_writer(db)
