"""A loopback stand-in for the live Papers with Code catalog (``/api/v1``), over a real socket.

``GET conferences/`` (unpaginated list), ``GET papers/?conference=&start_date=&page=&page_size=
&include_resources=`` (page/page-size paging; envelope ``results``/``count`` or ``items``/``total``,
``next_page``, ``applied_filters`` echoing the filters it applied) and ``GET papers/{arxiv_id}``
(a detail with ``repositories``). Knobs reproduce what the catalog leaves undocumented (docs/architecture.md): list rows
with or without ``repositories``, a filter the server silently ignores, 429 + ``Retry-After``,
404 for unknown papers or conferences, 422 for bad parameters.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fakes.serving import serve_in_thread

FILTERS = ("conference", "start_date", "end_date", "framework")


@dataclass
class CatalogState:
    conferences: list[dict[str, Any]] = field(default_factory=list)
    papers: list[dict[str, Any]] = field(default_factory=list)
    """Full papers, each with ``conference`` (edition slug), ``published`` and ``repositories``."""
    envelope: tuple[str, str] = ("results", "count")
    list_has_repositories: bool = True
    ignored_filter: str | None = None
    """A filter the server drops: not applied and not echoed (the case we must catch)."""
    next_page_style: str = "number"  # number | url | absent
    rate_limited: int = 0
    retry_after: str = "3"
    missing_details: set[str] = field(default_factory=set)
    gone_conferences: set[str] = field(default_factory=set)
    """Slugs the listing names but the papers endpoint answers 404 for."""
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    @property
    def state(self) -> CatalogState:
        return self.server.state

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.state.lock:
            self.state.requests.append(self.path)
            limited = self.state.rate_limited > 0
            self.state.rate_limited -= int(limited)
        if limited:
            return self._json(429, {"detail": "Too many requests"}, {"Retry-After": self.state.retry_after})
        path = parts.path.removeprefix("/api/v1/")
        if path == "conferences/":
            return self._json(200, self.state.conferences)
        if path in ("papers/", "papers"):
            return self._list(query)
        match = re.fullmatch(r"papers/([^/]+)/?", path)
        if match:
            return self._detail(match.group(1))
        self._json(404, {"detail": "Not found"})

    def _list(self, query: dict[str, str]) -> None:
        try:
            page, size = int(query.get("page", "1")), int(query.get("page_size", "20"))
        except ValueError:
            return self._json(422, {"detail": "page and page_size must be integers"})
        if not (1 <= size <= 100) or page < 1:
            return self._json(422, {"detail": "page_size must be between 1 and 100"})
        if "start_date" in query and not re.fullmatch(r"\d{4}-\d\d-\d\d", query["start_date"]):
            return self._json(422, {"detail": "start_date must be YYYY-MM-DD"})
        applied = {k: query[k] for k in FILTERS if k in query and k != self.state.ignored_filter}
        known = {c["slug"] for c in self.state.conferences} - self.state.gone_conferences
        if "conference" in applied and applied["conference"] not in known:
            return self._json(404, {"detail": f"Conference {applied['conference']!r} not found"})
        rows = [p for p in self.state.papers if _matches(p, applied)]
        chunk = rows[(page - 1) * size : page * size]
        if not self.state.list_has_repositories or query.get("include_resources") != "true":
            chunk = [{k: v for k, v in p.items() if k != "repositories"} for p in chunk]
        items_key, total_key = self.state.envelope
        body: dict[str, Any] = {items_key: chunk, total_key: len(rows), "applied_filters": applied}
        has_next = page * size < len(rows)
        if self.state.next_page_style == "number":
            body |= {"next_page": page + 1 if has_next else None, "previous_page": page - 1 if page > 1 else None}
        elif self.state.next_page_style == "url":
            body["next_page"] = f"/api/v1/papers/?page={page + 1}&page_size={size}" if has_next else None
        self._json(200, body)

    def _detail(self, arxiv_id: str) -> None:
        found = [p for p in self.state.papers if p["arxiv_id"] == arxiv_id]
        if not found or arxiv_id in self.state.missing_details:
            return self._json(404, {"detail": "Paper not found"})
        self._json(200, found[0])

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _matches(paper: dict[str, Any], applied: dict[str, str]) -> bool:
    if "conference" in applied and paper.get("conference") != applied["conference"]:
        return False
    if "start_date" in applied and (paper.get("published") or "") < applied["start_date"]:
        return False
    return not ("end_date" in applied and (paper.get("published") or "9999") > applied["end_date"])


@contextmanager
def serve_catalog(state: CatalogState | None = None) -> Iterator[tuple[str, CatalogState]]:
    """Run the fake on 127.0.0.1 (a free port); yields (API base URL ending in /api/v1, state)."""
    state = state or CatalogState()
    with serve_in_thread(_Handler, state) as base:
        yield f"{base}/api/v1", state
