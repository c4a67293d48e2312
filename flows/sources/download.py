"""Cached, resumable, verified downloads of archive files given as plain URLs on other hosts.

Files on the Hugging Face Hub do not come through here: flows/sources/hf_download.py fetches
them with ``huggingface_hub``. This hand-written downloader stays for every other URL (a
mirror, a lab's server, a fake in tests), because huggingface_hub speaks only the Hub's
protocol: it refuses a server that does not send ``X-Repo-Commit`` ("does not seem to be
served by a Hugging Face Hub endpoint", ``FileMetadataError``), and it needs a repository id,
a revision and a path where a plain URL has none. It also keeps a broken file's ``.part``
across runs, which huggingface_hub no longer does.

Hugging Face serves ``/resolve/`` URLs by redirecting to a CDN that honours
``Range``, ``If-Range``, ``If-None-Match`` and ``If-Modified-Since``. A file lands in
``<cache>/downloads/`` as ``<name>.part`` and is renamed into place only when its
size matches what the server announced (``Content-Length`` / ``Content-Range``);
its SHA-256, ETag and Last-Modified go to a ``.meta.json`` sidecar. A broken
transfer resumes with ``Range`` (guarded by ``If-Range`` so a changed file restarts
from zero), within the run and on the next one. A second run with nothing changed
costs one conditional request and downloads nothing.

Hugging Face answers 429 with a ``RateLimit: "resolvers";r=0;t=<seconds>`` header
(IETF draft) and not always ``Retry-After``; both are honoured here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from flows.clock import utcnow
from flows.sources.http import HttpClient, HttpError, make_session, parse_retry_after

log = logging.getLogger("papertrends.download")

CHUNK_BYTES = 1 << 16  # small reads: a broken read loses its whole buffer
MAX_RESUMES = 5
MAX_RATE_LIMIT_WAITS = 5
_HANDLED = frozenset({304, 416, 429})


class DownloadError(RuntimeError):
    """A download that could not be completed and verified; any partial file is kept for resuming."""


@dataclass(frozen=True)
class Download:
    """A verified file in the cache and how it got there."""

    path: Path
    url: str
    n_bytes: int
    sha256: str
    etag: str | None
    last_modified: str | None
    was_fetched: bool
    """False when the cached copy was still current (304 or an unchanged ETag)."""
    n_resumes: int = 0


def rate_limit_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds a 429 asks us to wait: ``RateLimit`` ``t=`` (Hugging Face) or ``Retry-After``."""
    match = re.search(r"(?:^|;)\s*t=(\d+(?:\.\d+)?)", headers.get("RateLimit", ""))
    if match:
        return float(match.group(1))
    return parse_retry_after(headers.get("Retry-After"))


def cache_path_for(url: str, cache_dir: Path) -> Path:
    """A stable cache file name for ``url``: a short hash (distinct URLs) plus the file's own name."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]) or "download"
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)[-120:]
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return Path(cache_dir) / "downloads" / f"{digest}-{name}"


def download_cached(url: str, cache_dir: Path, client: HttpClient | None = None, *,
                    progress: bool = True, max_resumes: int = MAX_RESUMES) -> Download:  # fmt: skip
    """The verified local copy of ``url``, downloading, resuming or revalidating as needed."""
    client = client or HttpClient(make_session(pool_size=2))
    final = cache_path_for(url, cache_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    cached = _read_meta(_meta_path(final))
    if cached and final.exists() and final.stat().st_size == cached.get("n_bytes"):
        current = _revalidate(client, url, final, cached)
        if current is not None:
            return current
    return _fetch(client, url, final, progress=progress, max_resumes=max_resumes)


# --- revalidation -----------------------------------------------------------------


def _revalidate(client: HttpClient, url: str, final: Path, meta: dict[str, Any]) -> Download | None:
    """The cached download if the server says it is current; None when it must be fetched again."""
    headers = {}
    if meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = meta["last_modified"]
    response = _get(client, url, headers)
    try:
        unchanged = response.status_code == 304 or (
            response.status_code == 200 and bool(meta.get("etag")) and _etag(response.headers) == meta["etag"]
        )  # a server that ignores conditionals but sends the same ETag: the bytes are the same
    finally:
        response.close()
    if not unchanged:
        return None
    return Download(final, url, meta["n_bytes"], meta["sha256"], meta.get("etag"), meta.get("last_modified"), False)


# --- fetching -----------------------------------------------------------------------


def _fetch(client: HttpClient, url: str, final: Path, *, progress: bool, max_resumes: int) -> Download:
    part = final.with_name(final.name + ".part")
    part_meta_path = final.with_name(final.name + ".part.json")
    part_meta = _read_meta(part_meta_path) if part.exists() else None
    n_resumes = 0
    while True:
        offset = part.stat().st_size if part.exists() and part_meta else 0
        response = _get(client, url, _range_headers(offset, part_meta))
        try:
            if response.status_code == 416:  # our partial file is not a prefix of what is there now
                part.unlink(missing_ok=True)
                part_meta = None
                if n_resumes >= max_resumes:
                    raise DownloadError(f"{url}: server refused every range request (HTTP 416)")
                n_resumes += 1
                continue
            offset, total, part_meta = _start_body(response, url, part, part_meta_path, offset)
            complete = _write_body(response, part, offset, total, progress, final.name)
        finally:
            response.close()
        if complete:
            break
        n_resumes += 1
        if n_resumes > max_resumes:
            raise DownloadError(
                f"{url}: transfer broke {n_resumes} times; {part.stat().st_size:,} of {total or '?'} bytes kept "
                f"in {part} and resumed on the next run"
            )
    return _finish(url, final, part, part_meta_path, part_meta, n_resumes)


def _range_headers(offset: int, part_meta: dict[str, Any] | None) -> dict[str, str]:
    """Ask for the rest of the file, but the whole of it if it changed since the part was written."""
    if offset <= 0 or not part_meta:
        return {}
    validator = part_meta.get("etag") or part_meta.get("last_modified")
    headers = {"Range": f"bytes={offset}-"}
    if validator:
        headers["If-Range"] = validator
    return headers


def _start_body(response: requests.Response, url: str, part: Path, meta_path: Path,
                offset: int) -> tuple[int, int | None, dict[str, Any]]:  # fmt: skip
    """Check the status and where the body starts; returns (offset, total size, part metadata)."""
    if response.status_code == 206:
        start, total = _content_range(response.headers.get("Content-Range"))
        if start != offset:
            raise DownloadError(f"{url}: asked for bytes from {offset}, server sent from {start}")
    elif response.status_code == 200:
        offset, total = 0, _int(response.headers.get("Content-Length"))
        part.write_bytes(b"")  # a full answer: start the partial file over
    else:
        raise DownloadError(f"{url}: unexpected HTTP {response.status_code}")
    meta = {"url": url, "etag": _etag(response.headers), "last_modified": response.headers.get("Last-Modified"),
            "n_bytes": total}  # fmt: skip
    _write_meta(meta_path, meta)
    return offset, total, meta


def _write_body(response: requests.Response, part: Path, offset: int, total: int | None,
                progress: bool, label: str) -> bool:  # fmt: skip
    """Append the body to ``part``; True when the part now holds the whole file."""
    from tqdm import tqdm

    show = progress and sys.stderr.isatty()
    with open(part, "ab") as fh, tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                                      desc=label, disable=not show, leave=False) as bar:  # fmt: skip
        try:
            for chunk in response.iter_content(CHUNK_BYTES):
                fh.write(chunk)
                bar.update(len(chunk))
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout):
            return False  # keep what arrived; the caller resumes from here
    size = part.stat().st_size
    if total is None:
        return True  # no announced size (chunked): the body ended cleanly, which is all we can check
    if size > total:
        part.unlink()
        raise DownloadError(f"{response.url}: received {size:,} bytes, more than the announced {total:,}")
    return size == total


def _finish(url: str, final: Path, part: Path, part_meta_path: Path, meta: dict[str, Any] | None,
            n_resumes: int) -> Download:  # fmt: skip
    meta = meta or {}
    n_bytes = part.stat().st_size
    if meta.get("n_bytes") is not None and n_bytes != meta["n_bytes"]:
        raise DownloadError(f"{url}: size {n_bytes:,} differs from the announced {meta['n_bytes']:,}")
    download = Download(final, url, n_bytes, _sha256(part), meta.get("etag"), meta.get("last_modified"), True,
                        n_resumes)  # fmt: skip
    record = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(download).items()}
    record["downloaded_at"] = utcnow().isoformat()
    _write_meta(_meta_path(final), record)
    os.replace(part, final)  # atomic: readers see the old complete file or the new one, never a part
    part_meta_path.unlink(missing_ok=True)
    return download


# --- small helpers --------------------------------------------------------------------


def _get(client: HttpClient, url: str, headers: dict[str, str]) -> requests.Response:
    """A streamed GET that waits out 429s as the server asks (HF's RateLimit header included)."""
    for attempt in range(1, MAX_RATE_LIMIT_WAITS + 2):
        # identity: a transparently decompressed body would not match Content-Length or the file's bytes
        response = client.get(url, headers={**headers, "Accept-Encoding": "identity"}, stream=True,
                              ok_statuses=_HANDLED, allow_redirects=True)  # fmt: skip
        if response.status_code != 429:
            return response
        response.close()
        if attempt > MAX_RATE_LIMIT_WAITS:
            break
        wait = rate_limit_wait(response.headers)
        _wait(client, wait if wait is not None else client.retry.backoff(attempt), "HTTP 429 from download host")
    raise HttpError(f"GET {url}: HTTP 429 after {MAX_RATE_LIMIT_WAITS} waits", 429, url)


def _wait(client: HttpClient, seconds: float, why: str) -> None:
    """Sleep through the client's own clock, so tests and callers see every wait."""
    log.info("waiting %.1fs: %s", seconds, why)
    if client.on_wait:
        client.on_wait(why, seconds)
    client.sleep(seconds)


def _content_range(value: str | None) -> tuple[int, int | None]:
    """``bytes 100-199/1000`` -> (100, 1000); total None when the server says ``*``."""
    match = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", value or "")
    if not match:
        raise DownloadError(f"malformed Content-Range: {value!r}")
    return int(match.group(1)), (None if match.group(3) == "*" else int(match.group(3)))


def _etag(headers: Mapping[str, str]) -> str | None:
    """The file's ETag; on HF's redirect the CDN ETag is the one that validates the bytes."""
    return headers.get("ETag") or headers.get("X-Linked-Etag")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _meta_path(final: Path) -> Path:
    return final.with_name(final.name + ".meta.json")


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _write_meta(path: Path, meta: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(meta, sort_keys=True, default=str))
    os.replace(tmp, path)
