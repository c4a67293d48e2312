"""One settings object: every path and URL the shell uses comes from here.

Values come from the environment (the names in docs/architecture.md), so tests point
them at loopback fakes and users at GitHub Enterprise without code changes. The
token is held apart from everything that gets printed, logged or stored.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    github_api_url: str = "https://api.github.com"
    github_raw_url: str = "https://raw.githubusercontent.com"
    github_git_url: str | None = None
    """PAPERTRENDS_GITHUB_GIT_URL; None: derived from the API's URL (:attr:`git_url`)."""
    git_processes: int = 16
    git_work_dir: Path = Path(tempfile.gettempdir()) / f"papertrends-git-{os.getuid()}"
    # git | api; None: git when git 2.30+ is installed. Read even when Settings is built by hand, so one
    # variable pins the transport for every crawl in a process (the test suite pins the API path).
    crawl_via: str | None = field(default_factory=lambda: os.environ.get("PAPERTRENDS_CRAWL_VIA") or None)
    pwc_api_url: str = "https://paperswithcode.co/api/v1"
    hf_url: str = "https://huggingface.co"
    sample_dir: Path = SAMPLE_DIR
    github_token: str | None = field(default=None, repr=False, compare=False)
    duckdb_memory: str = "1GB"
    crawl_batch: int = 100
    """Repositories per crawl batch in the flow: each is stored in one transaction, and a kill loses
    at most the batches in flight (a multiple of the GraphQL batches, 50 for the API, 100 for git)."""
    """DuckDB's memory limit per connection: beyond it DuckDB evicts the blocks it cached
    and spills to ``<warehouse>.tmp``, so a run's memory stays flat at any size."""
    db_file: Path | None = None
    """The warehouse named by ``--db``; everything a run writes goes beside it."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            data_dir=Path(env.get("PAPERTRENDS_DATA_DIR", "data")),
            github_api_url=env.get("GITHUB_API_URL", cls.github_api_url).rstrip("/"),
            github_raw_url=env.get("PAPERTRENDS_GITHUB_RAW_URL", cls.github_raw_url).rstrip("/"),
            github_git_url=(env.get("PAPERTRENDS_GITHUB_GIT_URL") or "").rstrip("/") or None,
            git_processes=max(1, int(env.get("PAPERTRENDS_GIT_PROCESSES") or cls.git_processes)),
            git_work_dir=Path(env.get("PAPERTRENDS_GIT_WORK_DIR") or cls.git_work_dir),
            crawl_via=env.get("PAPERTRENDS_CRAWL_VIA") or None,
            pwc_api_url=env.get("PAPERTRENDS_PWC_API_URL", cls.pwc_api_url).rstrip("/"),
            hf_url=env.get("PAPERTRENDS_HF_URL", cls.hf_url).rstrip("/"),
            sample_dir=Path(env.get("PAPERTRENDS_SAMPLE_DIR", str(SAMPLE_DIR))),
            duckdb_memory=env.get("PAPERTRENDS_DUCKDB_MEMORY") or cls.duckdb_memory,
            crawl_batch=max(1, int(env.get("PAPERTRENDS_CRAWL_BATCH") or cls.crawl_batch)),
            github_token=env.get("GITHUB_TOKEN") or None,
        )

    @classmethod
    def for_db(cls, db: str | Path | None, environ: dict[str, str] | None = None) -> Settings:
        """Settings for the warehouse ``db`` (``--db``): its folder becomes the data folder.

        So a warehouse elsewhere never writes exports or reports into the default one's
        folders; ``None`` keeps the environment's data folder.
        """
        settings = cls.from_env(environ)
        if db is None:
            return settings
        path = Path(db)
        return replace(settings, data_dir=path.parent, db_file=path)

    @property
    def git_url(self) -> str:
        """The git host's base URL: PAPERTRENDS_GITHUB_GIT_URL, else the one the API's URL implies.

        api.github.com -> https://github.com and GitHub Enterprise's ``https://HOST/api/v3``
        -> ``https://HOST``. Any other API URL names no git host: guessing github.com would
        send an enterprise crawl (and its token) to the wrong host, so it is an error
        naming the setting to add.
        """
        if self.github_git_url:
            return self.github_git_url.rstrip("/")
        derived = git_url_for_api(self.github_api_url)
        if derived is None:
            raise GitUrlUnknown(f"no git host is known for GITHUB_API_URL={self.github_api_url}: set "
                                "PAPERTRENDS_GITHUB_GIT_URL (e.g. https://HOST for GitHub Enterprise), "
                                "or crawl with --via api")  # fmt: skip
        return derived

    @property
    def db_path(self) -> Path:
        return self.db_file or self.data_dir / "warehouse.duckdb"

    @property
    def parquet_dir(self) -> Path:
        return self._beside_warehouse("parquet")

    @property
    def reports_dir(self) -> Path:
        return self._beside_warehouse("reports")

    @property
    def cache_dir(self) -> Path:
        """Downloads, shared by every warehouse in the folder (the same files whoever reads them)."""
        return self.data_dir / "cache"

    def _beside_warehouse(self, kind: str) -> Path:
        """``parquet``/``reports`` beside ``warehouse.duckdb``; ``<stem>-parquet`` beside any other name.

        Two warehouses in one folder then never share (and overwrite) each other's outputs.
        """
        stem = self.db_path.stem
        return self.data_dir / (kind if stem == "warehouse" else f"{stem}-{kind}")

    def public(self) -> dict[str, str]:
        """Settings safe to print, log or store: the token is only said to be set or not."""
        return {
            "data_dir": str(self.data_dir),
            "github_api_url": self.github_api_url,
            "github_raw_url": self.github_raw_url,
            "github_git_url": self.github_git_url or git_url_for_api(self.github_api_url) or "unknown",
            "git_processes": str(self.git_processes),
            "git_work_dir": str(self.git_work_dir),
            "crawl_via": self.crawl_via or "auto",
            "pwc_api_url": self.pwc_api_url,
            "hf_url": self.hf_url,
            "sample_dir": str(self.sample_dir),
            "github_token": "set" if self.github_token else "not set",
        }


class GitUrlUnknown(ValueError):
    """The git host cannot be derived from GITHUB_API_URL and PAPERTRENDS_GITHUB_GIT_URL is not set."""


def git_url_for_api(api_url: str) -> str | None:
    """The git host a GitHub API URL implies: github.com's, or an Enterprise server's; None for any other shape."""
    parts = urlsplit(api_url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return None
    if parts.hostname.lower() == "api.github.com" and parts.path in ("", "/"):
        return "https://github.com"
    if parts.path.rstrip("/").lower() == "/api/v3":
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"  # never a userinfo credential
    return None


def quiet_prefect_defaults() -> None:
    """Environment defaults that make Prefect behave on a busy machine with no network.

    Set before ``import prefect``; anything the user already set wins.
    """
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
