"""The live Papers with Code catalog (run by Hugging Face since 2026): recent conference papers.

An anonymous, read-only JSON API with page/page-size paging and an envelope whose
names vary (``results`` or ``items``, ``count`` or ``total``). Two things are not
documented, so both are handled: whether list rows carry ``repositories`` (if not,
one detail call per paper), and whether a filter was applied (the server echoes
``applied_filters``; a filter missing from the echo means we would store the wrong
papers, so we stop loudly). Rate limits are undocumented: we stay under about 60
requests a minute by default and honour 429 + ``Retry-After``.

Rows become warehouse rows through :mod:`flows.sources.rows` in the archive's column
names, with ``source = "pwc_api"``; a paper the archive already holds (same arXiv id)
keeps the archive's ``paper_id``, so the two sources never count one paper twice. The
ingest stage stores each edition's batch (flows/stages/ingest.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

from analysis.catalog.venues import parse_venue
from flows.settings import Settings
from flows.sources.http import HttpClient, MinInterval, make_session
from flows.sources.rows import SourceBatch, link_row, paper_row

SOURCE = "pwc_api"
PAGE_SIZE = 100  # the most its official client asks for
DEFAULT_PER_MINUTE = 60.0
FILTER_NAMES = ("conference", "start_date", "end_date", "framework")
_ERRORS = frozenset({400, 404, 422})


class CatalogError(RuntimeError):
    """The catalog refused a request or answered something we cannot trust."""


# --- pure pieces: envelope, paging, filters --------------------------------------------


def page_items(body: Any) -> list[dict[str, Any]]:
    """The rows of one list page, whichever envelope name the server used."""
    items = body.get("results", body.get("items")) if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        raise CatalogError("catalog page has neither 'results' nor 'items'")
    return items


def page_total(body: Mapping[str, Any]) -> int | None:
    total = body.get("count", body.get("total"))
    return total if isinstance(total, int) else None


def next_page(body: Mapping[str, Any], page: int, n_seen: int) -> int | None:
    """The page to ask for next, or None at the end.

    ``next_page`` may be a number, a URL carrying ``page=``, or null; when the key is
    absent, the total (``count``/``total``) says whether rows are left.
    """
    if not page_items(body):
        return None
    if "next_page" in body:
        value = body["next_page"]
        if value is None or isinstance(value, int):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        pages = parse_qs(urlsplit(str(value)).query).get("page")
        return int(pages[-1]) if pages and pages[-1].isdigit() else page + 1
    total = page_total(body)
    return page + 1 if total is not None and n_seen < total else None


def check_applied_filters(sent: Mapping[str, str], body: Mapping[str, Any]) -> None:
    """Fail unless the server echoes every filter we sent, with our value.

    A filter the server silently ignores would fill the warehouse with the wrong
    papers (every conference instead of one), so this is an error, not a warning.
    """
    applied = body.get("applied_filters")
    if not isinstance(applied, Mapping):
        raise CatalogError("catalog did not report applied_filters; cannot tell whether our filters were applied")
    wrong = {k: v for k, v in sent.items() if str(applied.get(k)) != str(v)}
    if wrong:
        raise CatalogError(
            f"catalog did not apply filter(s) {sorted(wrong)} (sent {dict(sent)}, applied {dict(applied)}); "
            "refusing to store unfiltered papers"
        )


# --- the client -----------------------------------------------------------------------------


def make_catalog_client(per_minute: float | None = DEFAULT_PER_MINUTE) -> HttpClient:
    """A client that stays under ``per_minute`` requests (the catalog's limits are undocumented)."""
    return HttpClient(make_session(pool_size=2), politeness=MinInterval(per_minute))


class Catalog:
    """Read-only calls to the catalog at ``base_url`` through one :class:`HttpClient`."""

    def __init__(self, base_url: str, client: HttpClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.n_details = 0

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        url = f"{self.base_url}/{path}"
        response = self.client.get(url, params=params, ok_statuses=_ERRORS, headers={"Accept": "application/json"})
        if response.status_code in _ERRORS:
            raise CatalogError(f"GET {path} {dict(params or {})}: HTTP {response.status_code}: {_detail(response)}")
        try:
            return response.json()
        except ValueError:
            raise CatalogError(f"GET {path}: answer is not JSON") from None

    def conferences(self) -> list[dict[str, Any]]:
        """Every conference edition (``{"slug": "cvpr-2026", "name": "CVPR 2026", "year", ...}``)."""
        body = self._get("conferences/")
        return body if isinstance(body, list) else page_items(body)

    def papers(self, filters: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every paper matching ``filters``, page by page, each checked against ``applied_filters``."""
        page, n_seen = 1, 0
        while page:
            params = {**filters, "include_resources": "true", "page": page, "page_size": PAGE_SIZE,
                      "order_by": "date_published", "order_dir": "asc"}  # fmt: skip
            body = self._get("papers/", params)
            check_applied_filters(filters, body)
            items = page_items(body)
            n_seen += len(items)
            yield from items
            page = next_page(body, page, n_seen)

    def paper_detail(self, arxiv_id: str) -> dict[str, Any] | None:
        """One paper with its repositories; None when the catalog does not know it (404)."""
        self.n_details += 1
        try:
            return self._get(f"papers/{arxiv_id}", {"include_resources": "true"})
        except CatalogError as exc:
            if "HTTP 404" in str(exc):
                return None
            raise


def _detail(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("detail", body) if isinstance(body, Mapping) else body)[:200]


# --- catalog rows -> archive-shaped records -------------------------------------------------


def catalog_records(item: Mapping[str, Any], paper_id: str, edition: Mapping[str, Any] | None
                    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:  # fmt: skip
    """A catalog paper as (papers record, links records) in the archive's column names."""
    proceeding = item.get("conference_name") or item.get("conference") or (edition or {}).get("name")
    paper = {
        "paper_url": paper_id, "arxiv_id": item.get("arxiv_id"), "title": item.get("title"),
        "proceeding": proceeding, "conference": (edition or {}).get("slug") or item.get("conference"),
        "date": item.get("published") or item.get("date_published"),
    }  # fmt: skip
    links = [
        {"paper_url": paper_id, "repo_url": repo.get("url"), "is_official": repo.get("is_official"),
         "framework": repo.get("framework")}
        for repo in item.get("repositories") or [] if isinstance(repo, Mapping)
    ]  # fmt: skip
    return paper, links


def paper_id_for(item: Mapping[str, Any], known: Mapping[str, str]) -> str | None:
    """The warehouse key: the archive's (same arXiv id), else the catalog's URL, else ``arxiv:<id>``."""
    arxiv_id = item.get("arxiv_id")
    if arxiv_id and arxiv_id in known:
        return known[arxiv_id]
    url = item.get("paper_url") or item.get("url")
    if isinstance(url, str) and url.startswith("https://paperswithcode.com/paper/"):
        return url
    return f"arxiv:{arxiv_id}" if arxiv_id else None


def select_editions(conferences: Sequence[Mapping[str, Any]], venues: Sequence[str] | None,
                    since: date | None) -> list[Mapping[str, Any]]:  # fmt: skip
    """Editions of the wanted venues (``"CVPR"`` or ``"CVPR 2026"``), from ``since``'s year on."""
    wanted = [parse_venue(v) for v in venues or []]
    unknown = [w.raw for w in wanted if w.venue is None]
    if unknown:
        raise CatalogError(f"unknown venue(s): {', '.join(map(str, unknown))}")
    chosen = []
    for edition in conferences:
        parsed = parse_venue(edition.get("name") or edition.get("slug"))
        year = edition.get("year") or parsed.year
        if since and year and int(year) < since.year:
            continue
        if wanted and not any(w.venue == parsed.venue and w.year in (None, year) for w in wanted):
            continue
        chosen.append(edition)
    return chosen


# --- ingest -------------------------------------------------------------------------------------


@dataclass
class CatalogEditions:
    """The venue editions a catalog refresh reads, each read as one :class:`SourceBatch`."""

    catalog: Catalog
    editions: list[Mapping[str, Any]]
    since: date | None
    tally: dict[str, Any] = field(default_factory=lambda: {
        "editions": 0, "papers": 0, "links": 0, "skipped": Counter(), "links_not_crawlable": Counter(),
        "repos_pending_added": 0})  # fmt: skip

    def batches(self, known_ids: Callable[[list[str]], Mapping[str, str]]) -> Iterator[SourceBatch]:
        """One batch per edition; ``known_ids`` maps arXiv ids to the paper ids already stored."""
        for edition in self.editions:
            filters = {"conference": str(edition["slug"])} | ({"start_date": self.since.isoformat()}
                                                                if self.since else {})  # fmt: skip
            yield self._edition_batch(edition, filters, known_ids)
            self.tally["editions"] += 1

    def _edition_batch(self, edition: Mapping[str, Any], filters: dict[str, str],
                       known_ids: Callable[[list[str]], Mapping[str, str]]) -> SourceBatch:  # fmt: skip
        tally = self.tally
        items = [_with_repositories(self.catalog, item, tally) for item in self.catalog.papers(filters)]
        known = known_ids([i["arxiv_id"] for i in items if i and i.get("arxiv_id")])
        batch = SourceBatch()
        for item in filter(None, items):
            paper_id = paper_id_for(item, known)
            if paper_id is None:
                tally["skipped"]["papers:no-id"] += 1
                continue
            paper, link_records = catalog_records(item, paper_id, edition)
            batch.papers.append(paper_row(paper, SOURCE))
            batch.links += [row for row in (link_row(r, SOURCE) for r in link_records) if row is not None]
            tally["skipped"]["links:no-repo-url"] += sum(1 for r in link_records if not r.get("repo_url"))
        tally["links_not_crawlable"].update(row["skip_reason"] for row in batch.links if row["skip_reason"])
        tally["skipped"] = +tally["skipped"]  # drop zero counts
        return batch

    def counts(self) -> dict[str, Any]:
        """What the refresh read, like the archive's counts (the stage adds what it stored)."""
        return {**self.tally, "skipped": dict(self.tally["skipped"]),
                "links_not_crawlable": dict(self.tally["links_not_crawlable"]),
                "details_fetched": self.catalog.n_details, "requests": self.catalog.client.n_requests}  # fmt: skip


def open_catalog(settings: Settings, venues: list[str] | None = None, since: date | None = None,
                 client: HttpClient | None = None, per_minute: float | None = DEFAULT_PER_MINUTE) -> CatalogEditions:
    """The editions of ``venues`` (all when None) from ``since``'s year on, ready to read."""
    catalog = Catalog(settings.pwc_api_url, client or make_catalog_client(per_minute))
    editions = select_editions(catalog.conferences(), venues, since)
    if venues and not editions:
        since_text = f" since {since}" if since else ""
        raise CatalogError(f"the catalog lists no edition of {', '.join(venues)}{since_text}")
    return CatalogEditions(catalog, list(editions), since)


def _with_repositories(catalog: Catalog, item: dict[str, Any], tally: dict[str, Any]) -> dict[str, Any] | None:
    """The list row if it carries ``repositories``; else the detail call's answer (one request)."""
    if "repositories" in item:
        return item
    arxiv_id = item.get("arxiv_id")
    detail = catalog.paper_detail(str(arxiv_id)) if arxiv_id else None
    if detail is None:
        tally["skipped"]["papers:no-detail"] += 1
        return {**item, "repositories": []}  # the paper is real; we just cannot see its code
    return detail
