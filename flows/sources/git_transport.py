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
variables, scoped to the configured git host: never on a command line or in a URL.
git follows no redirect itself; a same-host redirect is followed here (the new URL
found by one probe to the configured host, git run again), one to another host is
refused, so the header can reach no other host. Nothing from the network reaches a
command line unchecked: names are checked against GitHub's rules, commit ids must be
hex, and ``--end-of-options`` ends every option list before a name or id.

Transient failures (5xx, 429, resets, timeouts, early EOF, cut packs) are retried under
the HTTP client's :class:`~flows.sources.http.RetryPolicy`, each wait cut short by the
process's stop flag; a repository fails only once the tries are spent, with the reason.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

import requests

from analysis.catalog.urls import is_github_full_name
from analysis.classifier.imports import MAX_READ_BYTES
from flows.sources.git_process import (
    TIMEOUT_SECONDS,
    GitFailure,
    GitRedirect,
    GitRun,
    GitSlots,
    TooLarge,
    _feed,
    basic_credential,
    failure_of,
    git_env,
    is_object_id,
    remove_stale_scratch,
    run_git,
    scratch_folder,
)  # fmt: skip
from flows.sources.github import TreeEntry
from flows.sources.http import MAX_REDIRECTS, USER_AGENT, RetryPolicy, same_host
from flows.sources.secrets import register_secret
from flows.stopping import check_stop, sleep_unless_stopped

MAX_TREE_BYTES = 64 << 20
"""Bytes one head fetch (commit and trees) may write; a 100,000-file repository needs about 10 MB."""
MAX_BLOB_BYTES = 64 << 20
"""Bytes one blob fetch may write; past it the batch is split, and a lone blob past it is too large."""
MAX_HISTORY_BYTES = 16 << 20
"""Bytes the history may take: commits and trees in the first fetch (past it, the head alone), then
commits only (about 60,000 of them; past it the first commit stays unknown)."""
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


# --- one repository -------------------------------------------------------------------


@dataclass
class GitTransport:
    """Makes scratch repositories for one GitHub (or GitHub Enterprise) git host; thread-safe."""

    base_url: str
    scratch_root: Path
    slots: GitSlots
    token: str | None = field(default=None, repr=False)
    timeout: float = TIMEOUT_SECONDS
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """The HTTP client's policy (the crawl passes the API client's own): tries, backoff, jitter."""
    n_fetches: int = 0
    n_redirects: int = 0

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.scratch_root = self.scratch_root.resolve()  # git runs in other folders: relative paths would move
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        register_secret(self.token)
        remove_stale_scratch(self.scratch_root)

    def count_fetch(self) -> None:
        with _COUNT_LOCK:
            self.n_fetches += 1

    def clone_url(self, full_name: str) -> str:
        return f"{self.base_url}/{full_name}.git"

    @contextlib.contextmanager
    def open(self, full_name: str) -> Iterator[GitScratch]:
        """A bare scratch repository for ``full_name``, removed (whatever happens) on exit."""
        if not is_github_full_name(full_name):
            raise GitFailure("failed", "git: not a GitHub owner/name")
        with scratch_folder(self.scratch_root) as folder:
            yield GitScratch(self, full_name, folder)

    def count_redirect(self) -> None:
        with _COUNT_LOCK:
            self.n_redirects += 1

    def find_redirect(self, url: str) -> str | None:
        """Where the git host now sends ``url`` (a repository URL), followed across same-host hops.

        One probe per hop of the ref advertisement, to the configured host only (with the
        credential, which a private repository's redirect may need), never following a
        redirect itself. Returns the repository URL to use (``url`` itself when nothing
        redirects any more); raises for a redirect to another host: it is not followed,
        and the token stays where it was meant to go.
        """
        for _ in range(MAX_REDIRECTS):
            check_stop()
            self.count_redirect()
            headers = {"User-Agent": USER_AGENT}
            if self.token and (url + "/").startswith(self.base_url + "/"):
                headers["Authorization"] = f"Basic {basic_credential(self.token)}"
            try:
                with requests.get(f"{url}/info/refs", params={"service": "git-upload-pack"}, headers=headers,
                                  allow_redirects=False, stream=True, timeout=(10.0, 30.0)) as answer:  # fmt: skip
                    status, location = answer.status_code, answer.headers.get("Location")
            except requests.RequestException as exc:
                raise GitFailure("failed", f"git: redirect probe: {type(exc).__name__}", transient=True) from None
            if status not in (301, 302, 303, 307, 308) or not location:
                return url
            target = urljoin(f"{url}/info/refs", location).split("?", 1)[0]
            if not same_host(url, target):
                host = urlsplit(target).hostname
                raise GitFailure("failed", f"git: redirect to another host ({host}) refused; the credentials stay on "
                                 f"{urlsplit(self.base_url).hostname}")  # fmt: skip
            if not target.endswith("/info/refs"):
                raise GitFailure("failed", "git: redirected to something that is not a repository")
            url = target[: -len("/info/refs")]
        raise GitFailure("failed", f"git: more than {MAX_REDIRECTS} redirects", transient=True)


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
        self.set_url(self.transport.clone_url(self.full_name))

    def set_url(self, url: str) -> None:
        """Point ``origin`` at ``url`` (the clone URL, or where a same-host redirect sent it)."""
        self.url = url
        (self.git_dir / "config").write_text(
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
            f'[remote "origin"]\n\turl = {url}\n', encoding="utf-8")  # fmt: skip

    def local(self, args: Sequence[str], stdin: bytes = b"", cwd: Path | None = None) -> GitRun:
        """A git command that must not touch the network (and cannot: no transport is allowed)."""
        env = git_env(None, self.folder, network=False)
        run = run_git(["-c", "remote.origin.promisor=false", *args], cwd or self.git_dir, env, stdin=stdin,
                      timeout=self.transport.timeout)  # fmt: skip
        if run.code != 0:
            raise GitFailure("failed", f"git {args[0]}: " + (run.err.strip().splitlines() or ["failed"])[-1][:200])
        return run

    def fetch(self, args: Sequence[str], max_bytes: int, stdin: bytes = b"", what: str = "fetch") -> None:
        """One bounded fetch, tried again over transient failures (5xx, resets, timeouts, cut packs,
        redirect loops) as the HTTP client's policy says."""
        attempt = 0
        while True:
            check_stop()  # an interrupted run starts no new git process
            attempt += 1
            try:
                return self._fetch_following(args, max_bytes, stdin, what)
            except GitFailure as exc:
                delay = self.transport.retry.delay_for(attempt, None, {}) if exc.transient else None
                if delay is None:
                    raise
                sleep_unless_stopped(delay)

    def _fetch_following(self, args: Sequence[str], max_bytes: int, stdin: bytes, what: str) -> None:
        """One try: git, and the same-host redirects it meets (found by a probe, followed by running git
        again at the new URL), at most ``MAX_REDIRECTS`` of them as the HTTP client follows per try."""
        for _ in range(MAX_REDIRECTS):
            try:
                return self._fetch_once(args, max_bytes, stdin, what)
            except GitRedirect:
                self.set_url(self.transport.find_redirect(self.url))
        raise GitFailure("failed", f"git {what}: more than {MAX_REDIRECTS} redirects", transient=True)

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
        by id, which spares the ref listing's round trip; without it (or when it is not a
        well-formed object id), the remote's HEAD.
        """
        ref = commit if is_object_id(commit) else "HEAD"
        shallow = False
        try:
            self.fetch(["--filter=blob:none", "--end-of-options", "origin", ref], MAX_HISTORY_BYTES, what="head")
        except TooLarge:
            shallow = True
            try:
                self.fetch(["--filter=blob:none", "--depth=1", "--end-of-options", "origin", ref], MAX_TREE_BYTES,
                           what="head")  # fmt: skip
            except TooLarge:
                raise GitFailure("failed", f"git head: trees larger than {MAX_TREE_BYTES >> 20} MB") from None
        commit = (self.git_dir / "FETCH_HEAD").read_text(encoding="utf-8").split("\t", 1)[0].strip()
        if not is_object_id(commit):
            raise GitFailure("failed", "git head: FETCH_HEAD holds no object id", transient=False)
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
        if not all(is_object_id(o) for o in oids):  # they come from our own ls-tree; never feed git anything else
            raise GitFailure("failed", "git blobs: an entry without an object id")
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

    def root_author_dates(self, head: GitHead) -> list[datetime] | None:
        """The author dates of the history's root commits (the first-commit date's input, see
        analysis/attribution/repo_facts.py); for a shallow head, from a commits-only fetch of
        the history (``--filter=tree:0 --unshallow``), bounded in bytes (None past the cap)."""
        if head.is_shallow and head.has_parent:
            try:
                self.fetch(["--filter=tree:0", "--unshallow", "--no-write-fetch-head", "--end-of-options", "origin",
                            head.commit], MAX_HISTORY_BYTES, what="history")  # fmt: skip
            except TooLarge:
                return None
        dates = self.local(["log", "--max-parents=0", "--format=%at", "--end-of-options", head.commit]).out.split()
        return [_utc(int(d)) for d in dates]


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
