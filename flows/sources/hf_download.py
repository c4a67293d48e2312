"""The archive's files on Hugging Face, through ``huggingface_hub`` (``hf_hub_download``).

A file given as ``{PAPERTRENDS_HF_URL}/datasets/<org>/<name>/resolve/<rev>/<path>`` (what
``--from-hf`` names, or a ``--links``/``--papers`` URL on the Hub) is fetched by the Hub's
own client into ``<data folder>/cache/huggingface`` (its cache layout: ``blobs/``, ``refs/``,
``snapshots/``), which does for us:

- caching: a second run costs one ``HEAD`` on ``/resolve/`` and downloads nothing while the
  repository's commit and the file's ETag are unchanged; a changed file is fetched again;
- resuming within the run: a body that breaks off is continued with ``Range`` (up to five
  tries without progress, one second apart);
- 429s: the wait the Hub asks for in ``RateLimit: "...";r=0;t=<s>`` or ``Retry-After``
  (plus one second), up to five times.

What it gives up on at once, we try again (``MAX_ATTEMPTS``, :func:`download_from_hub`): a
5xx or a reset connection during the GET (its GET retries only 408/429 and a body that breaks
off; its HEAD, with nothing cached, does retry 5xx and network errors itself).

What it does not do, and why we accept it: since huggingface_hub 1.x a download goes to a
process-unique temporary file that is deleted when the call fails (``file_download.py``,
``_download_to_tmp_and_move``: "On failure, do not keep a partial file around"), so a run
KILLED mid-file starts that file again on the next run (the hand-written downloader kept
``.part`` files across runs). The archive's Parquet files are 41 MB and 4 x ~145 MB, so a
kill costs at most one file's transfer; nothing half-written is ever read.

Settings pinned here: no telemetry (``HF_HUB_DISABLE_TELEMETRY``), no token (the archive is
public; the implicit one from ``HF_TOKEN`` or a saved login is never sent), no Xet transfer
(``HF_HUB_DISABLE_XET``: the Hub then serves every file through its ``/resolve/`` redirect and
the CDN, the protocol the loopback fake speaks and the tests cover), a progress bar only where
the CLI draws one (a terminal, ``--no-progress`` not given). A user's own ``HF_HUB_*``
settings win over these defaults.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from flows.settings import Settings
from flows.sources.download import DownloadError
from flows.sources.http import RETRY_STATUSES, redact
from flows.stopping import check_stop, sleep_unless_stopped

log = logging.getLogger("papertrends.download")

HUB_DEFAULTS = {"HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1"}
MAX_ATTEMPTS = 4
_RESOLVE = re.compile(r"([^/]+/[^/]+)/resolve/([^/]+)/(.+)")


@dataclass(frozen=True)
class HubFile:
    """One file of a dataset repository on the Hub."""

    repo_id: str
    revision: str
    filename: str

    def __str__(self) -> str:
        return f"{self.repo_id}/{self.filename}" + ("" if self.revision == "main" else f"@{self.revision}")


def hub_file(url: str, hf_url: str) -> HubFile | None:
    """The dataset file a ``/resolve/`` URL under ``hf_url`` names; None for any other URL."""
    prefix = hf_url.rstrip("/") + "/datasets/"
    if not url.startswith(prefix):
        return None
    match = _RESOLVE.fullmatch(urlsplit(url[len(prefix) :]).path)
    if not match:
        return None
    repo_id, revision, filename = (unquote(g) for g in match.groups())
    return HubFile(repo_id, revision, filename)


def hub_cache_dir(settings: Settings) -> Path:
    """huggingface_hub's cache for this data folder (beside the warehouse, like every download)."""
    return settings.cache_dir / "huggingface"


def download_from_hub(file: HubFile, settings: Settings, *, progress: bool = True,
                      sleep: Callable[[float], None] = sleep_unless_stopped) -> Path:  # fmt: skip
    """The local copy of ``file`` in the Hub cache: downloaded, resumed or found current.

    A transient failure huggingface_hub gives up on -- its GET retries only 408/429 and a
    body that breaks off, not a 5xx or a reset connection -- is tried again, up to
    ``MAX_ATTEMPTS`` times, 1, 2, 4 s apart (``sleep``: cut short by a stop). Every failure
    is a :class:`DownloadError` with a one-line message (the Hub's own errors run to several
    sentences); nothing half-written is left where a reader would find it.
    """
    hub = _hub()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        check_stop()
        try:
            path = hub.hf_hub_download(
                repo_id=file.repo_id, filename=file.filename, revision=file.revision, repo_type="dataset",
                endpoint=settings.hf_url, cache_dir=hub_cache_dir(settings), token=False,
                library_name="papertrends", library_version=_version(), tqdm_class=_bar_class(progress),
            )  # fmt: skip
            return Path(path)
        except Exception as exc:  # the Hub's errors, httpx2's and OSError: all become one line
            reason = _one_line_reason(exc, file, settings.hf_url)
            if attempt == MAX_ATTEMPTS or not _is_transient(exc):
                raise DownloadError(reason) from None
            log.info("attempt %d of %d failed (%s); trying again", attempt, MAX_ATTEMPTS, reason)
            sleep(2.0 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _is_transient(exc: BaseException) -> bool:
    """A fault worth another try: a 408/429/5xx, a transport error, a body shorter than announced.

    Not a missing file or dataset, and not "cannot reach the Hub and nothing cached"
    (huggingface_hub has already retried its HEAD with backoff before saying that).
    """
    from huggingface_hub import errors

    if isinstance(exc, errors.LocalEntryNotFoundError | errors.RepositoryNotFoundError | errors.EntryNotFoundError):
        return False
    if isinstance(exc, errors.HfHubHTTPError):
        return exc.response is not None and exc.response.status_code in RETRY_STATUSES
    if type(exc).__module__.split(".")[0] in ("httpx2", "httpcore2"):  # huggingface_hub's HTTP client
        return True
    return isinstance(exc, OSError) and "Consistency check failed" in str(exc)  # fewer bytes than announced


def _hub() -> ModuleType:
    """huggingface_hub, imported on first use with our defaults in the environment it reads at import."""
    for name, value in HUB_DEFAULTS.items():
        os.environ.setdefault(name, value)
    import huggingface_hub

    return huggingface_hub


def _one_line_reason(exc: BaseException, file: HubFile, hf_url: str) -> str:
    from huggingface_hub import errors

    host = urlsplit(hf_url).netloc or hf_url
    where = f"{file} on {host}"
    if isinstance(exc, errors.LocalEntryNotFoundError):  # offline, or the Hub down: no answer, nothing cached
        cause = exc.__cause__ or exc.__context__
        why = _short(cause) if cause is not None else "the Hub did not answer"
        reason = f"cannot download {where} and no copy is cached: {why}"
    elif isinstance(exc, errors.RepositoryNotFoundError):
        reason = f"no dataset {file.repo_id} on {host}"
    elif isinstance(exc, errors.RevisionNotFoundError):
        reason = f"{where}: no revision {file.revision!r}"
    elif isinstance(exc, errors.RemoteEntryNotFoundError):
        reason = f"{where}: no such file (HTTP 404)"
    elif isinstance(exc, errors.HfHubHTTPError) and exc.response is not None:
        reason = f"{where}: HTTP {exc.response.status_code} after retries"
    else:
        reason = f"{where}: {_short(exc)}"
    return redact(reason)


def _short(exc: BaseException) -> str:
    """An exception as a few words: its first line, or its type when it says nothing."""
    from huggingface_hub import errors

    if isinstance(exc, errors.HfHubHTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _bar_class(progress: bool) -> type[Any]:
    """A plain tqdm class, on only in a terminal (huggingface_hub then leaves ``disable`` to it)."""
    from tqdm import tqdm

    show = progress and sys.stderr.isatty()

    class Bar(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.update(disable=not show, leave=False, unit_divisor=1024)
            super().__init__(*args, **kwargs)

    return Bar


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("papertrends")
    except PackageNotFoundError:
        return "0"
