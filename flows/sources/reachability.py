"""Which hosts a run's sources and crawl need, and the check that they answer at all.

Kept apart from :mod:`flows.refresh` so the CLI can check before Prefect is imported
(importing it before the runner quiets Prefect's logging would let its lines through).
"""

from __future__ import annotations

from typing import Any

from flows.settings import Settings
from flows.sources.http import check_reachable


def archive_hosts(p: dict[str, Any]) -> list[tuple[str, str]]:
    """(url, what) of the archive files a run reads over HTTP."""
    return [(u, "the archive file's host") for u in (p.get("links"), p.get("papers"))
            if u and u.startswith(("http://", "https://"))]  # fmt: skip


def wants_catalog(p: dict[str, Any]) -> bool:
    """Whether the run reads the live catalog."""
    return bool(p.get("catalog") or p.get("venues") or p.get("since"))


def catalog_host(settings: Settings) -> tuple[str, str]:
    """(url, what) of the live catalog's API."""
    return settings.pwc_api_url, "the live catalog (PAPERTRENDS_PWC_API_URL)"


def check_sources_reachable(params: dict[str, Any], settings: Settings | None = None) -> None:
    """The reachability checks of the ingest stage, for the CLI to make before Prefect starts.

    A machine with no network then learns it in a second or two, not after the seconds
    a Prefect start-up takes; the stage repeats them for runs that start elsewhere.
    """
    settings = settings or Settings.from_env()
    hosts = archive_hosts(params) + ([catalog_host(settings)] if wants_catalog(params) else [])
    for url, what in hosts:
        check_reachable(url, what)


def check_github_reachable(settings: Settings, via: str) -> None:
    """Fail a crawl in one line, before any batch, when a GitHub host it needs cannot be reached."""
    check_reachable(settings.github_api_url, "GitHub's API (GITHUB_API_URL)")
    if via == "git":
        check_reachable(settings.git_url, "GitHub's git host (PAPERTRENDS_GITHUB_GIT_URL)")
    else:
        check_reachable(settings.github_raw_url, "GitHub's raw file host (PAPERTRENDS_GITHUB_RAW_URL)")
