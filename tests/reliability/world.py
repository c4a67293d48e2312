"""A whole fake outside world for subprocess runs of ``papertrends refresh``.

Hugging Face (the PWC archive files) and GitHub (API + raw host) run as loopback fakes
in the test process; the CLI runs in a child process pointed at them through the
documented environment variables, so a test can SIGKILL it like a user's crash.
The HF fake sits behind a ``FaultProxy`` that can slow its bodies down, which gives a
kill test a download long enough to land in.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fakes.faults import FaultProxy
from fakes.github_server import FakeGitHub, make_repos
from fakes.hf_server import HfState, resolve_url, serve_hf
from fakes.pwc_files import link, paper
from reliability.trees import PROJECT_ROOT

LINKS_KEY = "pwc-archive/links-between-paper-and-code/data/train-00000-of-00001.parquet"
PAPERS_KEY = "pwc-archive/papers-with-abstracts/data/train-00000-of-00001.parquet"
VENUES = ["NeurIPS 2018 12", "ICML 2019 7", "CVPR 2020 6", "ICLR 2021 5", None]


def archive_bytes(full_names: list[str], n_padding_papers: int = 0) -> tuple[bytes, bytes]:
    """(links, papers) Parquet files: one paper per repository, plus arXiv-only padding papers."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    papers = [paper(f"p{i}", VENUES[i % len(VENUES)], f"{2017 + i % 8}-06-01") for i in range(len(full_names))]
    papers += [paper(f"pad{i}", None, "2020-01-01") for i in range(n_padding_papers)]
    links = [link(f"p{i}", f"https://github.com/{name}") for i, name in enumerate(full_names)]
    out = []
    for records in (links, papers):
        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(records), buf)
        out.append(buf.getvalue())
    return out[0], out[1]


@dataclass
class World:
    github: FakeGitHub
    hf_proxy: FaultProxy
    hf_state: HfState
    token: str | None = None
    env_extra: dict[str, str] = field(default_factory=dict)

    def env(self, data_dir: Path, via: str = "api") -> dict[str, str]:
        """The child's environment: every host a fake's; ``via`` the crawl path (git's scratch under ``data_dir``,
        so a search of the data folder covers it)."""
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PAPERTRENDS_DATA_DIR": str(data_dir),
               "GITHUB_API_URL": self.github.url, "PAPERTRENDS_GITHUB_RAW_URL": self.github.raw_url,
               "PAPERTRENDS_GITHUB_GIT_URL": self.github.git_url, "PAPERTRENDS_CRAWL_VIA": via,
               "PAPERTRENDS_GIT_WORK_DIR": str(data_dir / "git-work"),
               "PAPERTRENDS_HF_URL": self.hf_proxy.url, "PAPERTRENDS_PWC_API_URL": self.github.url + "/no-pwc-api",
               **self.env_extra}  # fmt: skip
        env.pop("GITHUB_TOKEN", None)
        if self.token:
            env["GITHUB_TOKEN"] = self.token
        return env

    def reset_counters(self) -> None:
        with self.hf_proxy._lock, self.github.lock:
            self.hf_proxy.log.clear()
            self.hf_proxy.n_bytes_relayed = 0
            self.github.counts.clear()

    def refresh_args(self) -> list[str]:
        return ["refresh", "--links", resolve_url(self.hf_proxy.url, LINKS_KEY),
                "--papers", resolve_url(self.hf_proxy.url, PAPERS_KEY)]  # fmt: skip


@contextmanager
def fake_world(n_repos: int = 30, token: str | None = None, n_padding_papers: int = 0) -> Iterator[World]:
    repos = make_repos(n_repos, seed=5)  # deterministic: two worlds serve the same repositories
    links, papers = archive_bytes([r.full_name for r in repos], n_padding_papers)
    with ExitStack() as stack:
        github = FakeGitHub(repos, require_token=token)
        github.start()
        stack.callback(github.stop)
        base, state = stack.enter_context(serve_hf(HfState(files={LINKS_KEY: links, PAPERS_KEY: papers})))
        proxy = stack.enter_context(FaultProxy(base, rate=0.0))
        yield World(github, proxy, state, token)


@dataclass
class CliRun:
    """A ``papertrends`` child process whose stderr is collected as it arrives.

    Started with ``pause_at``, it holds at that named moment of its life
    (:func:`flows.stopping.pause_point`) until :meth:`release`: a test waits for it with
    :meth:`wait_paused` and then acts while the moment provably lasts.
    """

    proc: subprocess.Popen[bytes]
    stderr: bytearray = field(default_factory=bytearray)
    stdout: bytearray = field(default_factory=bytearray)
    pause_dir: Path | None = None

    def wait_paused(self, point: str, timeout: float = 300.0) -> None:
        assert self.pause_dir is not None, "started without pause_at"
        marker = self.pause_dir / f"{point}.reached"
        self.wait_for(marker.exists, timeout)

    def release(self, point: str) -> None:
        assert self.pause_dir is not None, "started without pause_at"
        (self.pause_dir / f"{point}.release").touch()

    def stop_lines(self) -> list[str]:
        """The lines of stderr that say the command was stopped."""
        return [line for line in self.text().replace("\r", "\n").splitlines() if "stopped by" in line]

    def text(self) -> str:
        return self.stderr.decode(errors="replace")

    def wait_for(self, condition: Callable[[], bool], timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                raise AssertionError(f"papertrends exited ({self.proc.returncode}) first: {self.text()[-1500:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met in {timeout}s: {self.text()[-1500:]}")
            time.sleep(0.02)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def finish(self, timeout: float = 180.0) -> int:
        self.proc.wait(timeout=timeout)
        time.sleep(0.1)  # let the reader threads drain the pipes
        return int(self.proc.returncode)


def start_cli(args: list[str], env: dict[str, str], cwd: Path, pause_at: str | None = None) -> CliRun:
    pause_dir = None
    if pause_at:
        pause_dir = Path(tempfile.mkdtemp(prefix="pause-", dir=cwd))
        env = {**env, "PAPERTRENDS_PAUSE_AT": pause_at, "PAPERTRENDS_PAUSE_DIR": str(pause_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli.main", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    run = CliRun(proc, pause_dir=pause_dir)
    for pipe, buf in ((proc.stdout, run.stdout), (proc.stderr, run.stderr)):
        threading.Thread(target=_pump, args=(pipe, buf), daemon=True).start()
    return run


def _pump(pipe: object, buf: bytearray) -> None:
    while chunk := pipe.read1(65536):  # type: ignore[attr-defined]
        buf.extend(chunk)
