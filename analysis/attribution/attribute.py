"""Is a linked repository the paper's own code? One word per link, with its reason.

Papers with Code listed every implementation of a paper, and paper lists mismatch
links; most links of older papers are later ports, some point at unrelated code. So
before anything is counted each link gets one of five words:

- ``official``: the source marks it official. Never ``suspect``; the reason says what
  would have made it suspect.
- ``suspect``: evidence that it is not this paper's code at all (see :func:`suspect_reasons`).
- ``contemporaneous``: the repository's code starts within the window around the paper
  (``Window``), and nothing marks it as unrelated.
- ``later-port``: its code starts after the window.
- ``unknown``: the dates needed are missing; the reason names which.

"Code starts" is the earliest of the repository's creation and its first commit:
creation dates alone are wrong for repositories that were re-created or moved. A
fork's code starts at its own creation (its earlier history is its parent's).
Pure: the same facts give the same word, whatever order links come in. Facts that
are unknown (``None``) are not used. Bump ``ATTRIBUTION_VERSION`` when a rule changes:
stored attributions of an older version are recomputed from stored facts, no crawl.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from analysis.attribution.title_words import distinctive_words, name_overlap

ATTRIBUTION_VERSION = "2026.12.3"
ATTRIBUTIONS = ("official", "contemporaneous", "later-port", "suspect", "unknown", "later-rewrite")
"""``later-rewrite`` is given when counting, never stored: an official link whose code is in a framework released
after the conference (:func:`analysis.attribution.releases.late_links`)."""
COUNTED = ("official", "contemporaneous")
"""The words that count as the paper's own code by default."""

# Primary languages in which a deep-learning method cannot be written: a site or a
# web application, not a paper's code.
WEB_LANGUAGES = frozenset({
    "php", "html", "css", "scss", "sass", "less", "hack", "asp", "asp.net", "classic asp", "coldfusion",
    "smarty", "twig", "blade", "vue", "handlebars", "liquid", "mustache", "visual basic", "vba",
})  # fmt: skip
# Words in a repository name that say it holds something other than a paper's code.
OTHER_CONTENT_WORDS = frozenset({
    "course", "courses", "coursework", "homework", "homeworks", "assignment", "assignments", "exercise",
    "exercises", "lab", "labs", "class", "lecture", "lectures", "tutorial", "tutorials", "guide", "guides",
    "notes", "cheatsheet", "awesome", "dotfiles", "resume", "blog", "website", "homepage", "portfolio",
    "interview", "leetcode", "php", "html", "css", "wordpress", "oop", "bootcamp", "hackathon",
})  # fmt: skip
MIN_TEXT_WORDS = 2
"""Distinctive words beyond the name a description or README title needs before its mismatch is evidence."""
STRONG_SHARE = 0.5
"""A repository whose code starts outside the window must share at least this fraction of its
name's distinctive words with the title (a port carries the method's name)."""


@dataclass(frozen=True)
class Window:
    """Code counts as the paper's own when it starts within this window.

    From ``months_before`` before the earlier of the paper's date and its venue year's
    start, to ``months_after`` after the conference (its last day when known, else the
    venue year's end).
    """

    months_before: int = 12
    months_after: int = 12


DEFAULT_WINDOW = Window()


@dataclass(frozen=True)
class PaperFacts:
    title: str | None = None
    venue: str | None = None
    year: int | None = None
    paper_date: date | None = None  # the source's date, else one derived from the arXiv id
    venue_end: date | None = None  # the conference's last day, from the conference table


@dataclass(frozen=True)
class RepoFacts:
    full_name: str | None = None  # owner/name
    status: str | None = None
    created_at: datetime | date | None = None
    first_commit_at: datetime | date | None = None
    last_commit_at: datetime | date | None = None
    description: str | None = None
    readme_title: str | None = None
    language: str | None = None
    n_files: int | None = None
    n_evidence_files: int | None = None
    is_fork: bool | None = None  # a GitHub fork: its history is its parent's until it was created


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: every month has 28 days


def _day(value: datetime | date | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def code_start(repo: RepoFacts) -> date | None:
    """The earliest of creation and first commit (None when neither is known).

    A fork's own code starts at its creation: the commits before it are its parent's.
    """
    if repo.is_fork and repo.created_at is not None:
        return _day(repo.created_at)
    known = [d for d in (_day(repo.created_at), _day(repo.first_commit_at)) if d is not None]
    return min(known) if known else None


def paper_window(paper: PaperFacts, window: Window = DEFAULT_WINDOW) -> tuple[date, date] | None:
    """(first, last) day code may start and count as the paper's; None without a date or year."""
    year_start = date(paper.year, 1, 1) if paper.year else None
    starts = [d for d in (paper.paper_date, year_start) if d is not None]
    if not starts:
        return None
    end = paper.venue_end or (date(paper.year, 12, 31) if paper.year else paper.paper_date)
    assert end is not None
    return add_months(min(starts), -window.months_before), add_months(end, window.months_after)


def repo_name(repo: RepoFacts) -> str | None:
    return repo.full_name.rsplit("/", 1)[-1] if repo.full_name else None


def suspect_reasons(paper: PaperFacts, repo: RepoFacts, window: Window = DEFAULT_WINDOW) -> list[str]:
    """Every piece of evidence that the repository is not this paper's code (empty: none).

    Facts that are unknown are skipped. The repository's name (plus description and
    README title when known) sharing no distinctive word or acronym with the title is
    not enough alone: real repositories are often named freely (``colmap``). It is
    suspect when the texts beyond the name are known too, or with a second sign.
    """
    reasons: list[str] = []
    language = (repo.language or "").lower()
    if language in WEB_LANGUAGES:
        reasons.append(f"its code is mostly {repo.language}, which cannot hold a deep-learning method")
    span = paper_window(paper, window)
    last = _day(repo.last_commit_at)
    if span and last and last < span[0]:
        reasons.append(f"its history ends {last:%Y-%m}, long before the paper (window starts {span[0]:%Y-%m})")
    name = repo_name(repo)
    overlap = name_overlap(paper.title, name, repo.description, repo.readme_title)
    if not overlap.is_judgeable:
        return reasons
    # A description or README title says what the repository is only with two distinctive words beyond its
    # name: "Wetectron" or "L2C: Learning to Cluster" repeat or gloss the name; "Installation" says nothing.
    own = set(distinctive_words(name))
    described = len(set(distinctive_words(repo.description)) - own) >= MIN_TEXT_WORDS
    titled = len(set(distinctive_words(repo.readme_title)) - own) >= MIN_TEXT_WORDS
    texts = "name" + ", description" * described + ", README title" * titled
    said = f"its {texts} share{'s' if texts == 'name' else ''} no distinctive word or acronym with the title"
    if not overlap.has_overlap:
        other = sorted(set(distinctive_words(name)) & OTHER_CONTENT_WORDS)
        if described or titled:
            reasons.append(said)
        elif other:
            reasons.append(f"{said}, and its name says it holds something else ({', '.join(other)})")
        elif repo.n_files and repo.n_evidence_files == 0:
            reasons.append(f"{said}, and none of its {repo.n_files} files can hold code")
    start = code_start(repo)
    if span and start and overlap.shared_share < STRONG_SHARE and not reasons:
        weak = said if not overlap.has_overlap else (
            f"its {texts} share{'s' if texts == 'name' else ''} only {', '.join(overlap.shared)} "
            f"of {', '.join(overlap.repo_words)} with the title")  # fmt: skip
        if start > span[1]:
            reasons.append(f"{weak}, and its code starts {start:%Y-%m}, after the window (a port carries "
                           "the method's name)")  # fmt: skip
        elif (anchor := paper.paper_date or (date(paper.year, 1, 1) if paper.year else None)) and \
                start < add_months(anchor, -window.months_before) and not overlap.has_overlap:
            reasons.append(f"{weak}, and its code starts {start:%Y-%m}, over {window.months_before} months "
                           "before the paper (a code base of its own: unrelated, or a toolkit the paper used)")
    return reasons


def attribute_link(is_official: bool | None, paper: PaperFacts, repo: RepoFacts,
                   window: Window = DEFAULT_WINDOW) -> tuple[str, str]:  # fmt: skip
    """(attribution, reason) of one paper -> repository link; see the module docstring."""
    suspect = suspect_reasons(paper, repo, window)
    if is_official:
        if suspect:
            return "official", "the source marks it official (would be suspect otherwise: " + "; ".join(suspect) + ")"
        return "official", "the source marks it official"
    if suspect:
        return "suspect", "; ".join(suspect)
    return _by_dates(paper, repo, window)


def _by_dates(paper: PaperFacts, repo: RepoFacts, window: Window) -> tuple[str, str]:
    """contemporaneous / later-port / unknown from when the code starts against the window."""
    span = paper_window(paper, window)
    start = code_start(repo)
    missing = []
    if span is None:
        missing.append("the paper's date and year")
    if start is None:
        status = f" (repository {repo.status})" if repo.status and repo.status != "ok" else ""
        missing.append(f"the repository's creation and first-commit dates{status}")
    if span is None or start is None:
        return "unknown", "missing " + " and ".join(missing)
    first, last = span
    where = f"window {first:%Y-%m}..{last:%Y-%m}"
    if start > last:
        return "later-port", f"its code starts {start:%Y-%m}, after the {where}"
    if start >= first:
        return "contemporaneous", f"its code starts {start:%Y-%m}, within the {where}"
    end = _day(repo.last_commit_at)
    ongoing = "its history continues into it" if end else "when its history ends is unknown"
    return "contemporaneous", f"its code starts {start:%Y-%m}, before the {where}, and {ongoing} " \
        "(an existing code base)"


FACT_COLUMNS = ("is_official", "title", "venue", "year", "paper_date", "venue_end", "full_name", "repo_status",
                "created_at", "first_commit_at", "last_commit_at", "description", "readme_title", "language",
                "n_files", "n_evidence_files", "is_fork")  # fmt: skip


def _known(value: object) -> object:
    """None for the many spellings of missing a DataFrame has (NaN, NaT, pd.NA)."""
    if value is None:
        return None
    try:
        return None if value != value else value  # NaN and NaT are not equal to themselves
    except TypeError:  # pd.NA refuses comparison
        return None


def _row_day(value: object) -> date | None:
    """A date from a date, datetime or pandas Timestamp (None stays None)."""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    return _day(value) if isinstance(value, date) else None


def facts_of(row: dict[str, object]) -> tuple[bool | None, PaperFacts, RepoFacts]:
    """One row of FACT_COLUMNS (a dict) -> the function's inputs; missing values become None."""
    v = {k: _known(row.get(k)) for k in FACT_COLUMNS}
    as_day = _row_day
    paper = PaperFacts(title=v["title"], venue=v["venue"], year=int(v["year"]) if v["year"] is not None else None,
                       paper_date=as_day(v["paper_date"]), venue_end=as_day(v["venue_end"]))  # type: ignore[arg-type]
    repo = RepoFacts(
        full_name=v["full_name"], status=v["repo_status"], created_at=as_day(v["created_at"]),
        first_commit_at=as_day(v["first_commit_at"]), last_commit_at=as_day(v["last_commit_at"]),
        description=v["description"], readme_title=v["readme_title"], language=v["language"],
        n_files=int(v["n_files"]) if v["n_files"] is not None else None,
        n_evidence_files=int(v["n_evidence_files"]) if v["n_evidence_files"] is not None else None,
        is_fork=bool(v["is_fork"]) if v["is_fork"] is not None else None,
    )  # type: ignore[arg-type]  # fmt: skip
    return (bool(v["is_official"]) if v["is_official"] is not None else None), paper, repo


def attribute_rows(rows: list[dict[str, object]], window: Window = DEFAULT_WINDOW) -> list[tuple[str, str]]:
    """(attribution, reason) for each row of link facts, in the rows' order."""
    return [attribute_link(*facts_of(row), window=window) for row in rows]
