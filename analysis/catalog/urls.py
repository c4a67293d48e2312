"""Repository URLs in every spelling -> one key, ``owner/name`` in lower case.

Papers with Code and the paper lists write the same repository many ways
(``http://``, ``git@github.com:``, ``git://``, ``www.``, ``.git``, ``/tree/master/sub``,
``/blob/...``, ``#readme``, ``?tab=...``, trailing slashes and punctuation, any case).
Counting a repository twice bends every chart, so all spellings meet in one key.
A link into a sub-folder keeps that scope (a monorepo holds many papers' code), and
its canonical URL keeps it too, so two papers pointing into one repository stay two
links to one key. Links that are not crawlable (organisation pages, gists, GitHub
Pages, other hosts) are kept with a ``skip_reason``, never dropped.

Invariant (tested): normalising a canonical URL gives back the same RepoRef.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

GITHUB_HOSTS = {"github.com", "www.github.com"}
# First path segments of github.com that are site pages, not owners.
_RESERVED_OWNERS = {
    "orgs", "topics", "features", "marketplace", "sponsors", "settings", "about", "pricing",
    "collections", "explore", "trending", "login", "join", "search", "site", "apps", "users",
    "enterprise", "notifications", "new", "organizations", "readme", "codespaces", "customer-stories",
}  # fmt: skip
_OWNER = re.compile(r"^[A-Za-z0-9_.-]+$")
_NAME = _OWNER
_STRIP_EDGES = "<>\"'()[]{}`*"
_TRAILING = ".,;:!?)]}>\"'`*"


_GITHUB_OWNER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_GITHUB_NAME = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]{0,99}")


def is_github_full_name(full_name: str) -> bool:
    """Whether ``owner/name`` follows GitHub's rules, as far as the crawl relies on them.

    Letters, digits, ``-``, ``_`` and ``.``, at most 100 characters a part; no part starts
    with ``-`` (it would read as an option on a command line) and none is or holds ``..``
    (a path segment that climbs out of the URL it is put into); an owner does not start
    with ``.``. The crawl puts these names into URLs and git's remote URL, so a name that
    breaks them is refused before any request.
    """
    owner, sep, name = full_name.partition("/")
    return (bool(sep) and _GITHUB_OWNER.fullmatch(owner) is not None and _GITHUB_NAME.fullmatch(name) is not None
            and ".." not in full_name and name != ".")  # fmt: skip


@dataclass(frozen=True, slots=True)
class RepoRef:
    """What a link points to: a crawlable GitHub repository, or why it is not one."""

    url: str
    """Canonical URL (``https://github.com/owner/name[/tree/<ref>/<path>]``), or the cleaned raw text."""
    host: str | None
    key: str | None = None
    """``owner/name`` in lower case; None when the link is not a GitHub repository."""
    full_name: str | None = None
    """``Owner/Name`` in the case the link used."""
    scope: str | None = None
    """Sub-folder the link points into (``/tree/<ref>/<path>``), so a monorepo link is scoped."""
    skip_reason: str | None = None


# The spelling most links already use; answered without the general parser (same result, ~10x faster).
_PLAIN = re.compile(r"https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]*[A-Za-z0-9_-])/?", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def normalise_repo_url(raw: str | None) -> RepoRef:
    """Parse any spelling of a repository link; never raises.

    Cached: a links chunk names many repositories more than once, and the pending
    repository rows ask again for the same links.
    """
    plain = _PLAIN.fullmatch(raw) if raw else None
    if plain and not plain.group(2).lower().endswith(".git") and plain.group(1).lower() not in _RESERVED_OWNERS:
        full = f"{plain.group(1)}/{plain.group(2)}"
        return RepoRef(f"https://github.com/{full.lower()}", "github.com", full.lower(), full)
    return _parse_repo_url(raw)


def _parse_repo_url(raw: str | None) -> RepoRef:
    """The general parser behind :func:`normalise_repo_url`."""
    text = _clean_text(raw)
    if not text:
        return RepoRef("", None, skip_reason="empty")
    text = _as_https(text)
    split = _split_url(text)
    if split is None:
        return RepoRef(text, None, skip_reason="unparseable")
    host, path = split
    if host not in GITHUB_HOSTS:
        return RepoRef(text, host or None, skip_reason=_other_host_reason(host))
    return _github_ref(text, _percent_decode(path))


# scheme://[userinfo@]host[:port]path[?query][#fragment]; the stdlib's urllib would do,
# but analysis/ keeps clear of anything network-shaped.
_URL_PARTS = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?(\[[0-9a-f:.]*\]|[^:/?#\[\]]*)(?=[:/?#]|$)(?::\d*)?([^?#]*)", re.I)  # noqa: E501
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]")


def _split_url(text: str) -> tuple[str, str] | None:
    """(lower-case host, path) of an absolute URL, or None when it is not one."""
    m = _URL_PARTS.match(text)
    if m is None:
        return None
    return m.group(1).lower().strip("[]"), m.group(2)


def _percent_decode(text: str) -> str:
    """``%20`` -> `` ``; invalid UTF-8 sequences are replaced, never raised."""
    if "%" not in text:
        return text
    raw = re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))
    return raw.decode("utf-8", errors="replace")


def _percent_encode(text: str, safe: str = "/") -> str:
    """Percent-encode everything but unreserved characters (and ``safe``)."""
    return "".join(
        ch if _URL_SAFE.match(ch) and (ch != "/" or "/" in safe) else "".join(f"%{b:02X}" for b in ch.encode("utf-8"))
        for ch in text
    )


def _clean_text(raw: str | None) -> str:
    """Strip the wrapping and trailing punctuation that prose and Markdown leave around links."""
    text = (raw or "").strip()
    previous = None
    while text != previous:
        previous = text
        text = text.strip().strip(_STRIP_EDGES).rstrip(_TRAILING).rstrip("/")
    return "".join(text.split())  # a URL never contains whitespace; line breaks inside one are noise


def _as_https(text: str) -> str:
    """``git@github.com:o/n``, ``git://``, ``ssh://``, ``git+https://`` and bare hosts -> ``https://``."""
    text = re.sub(r"^git@([a-z0-9.-]+):/*", r"https://\1/", text, flags=re.IGNORECASE)
    text = re.sub(r"^(git|ssh|git\+https|git\+ssh|https?)://(git@)?", "https://", text, flags=re.IGNORECASE)
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        text = "https://" + text.lstrip("/")
    return text


def _other_host_reason(host: str) -> str:
    if host == "gist.github.com":
        return "gist"
    if host.endswith(".github.io") or host == "github.io":
        return "github-pages"
    if host.endswith("github.com"):
        return "not-a-repository"  # api.github.com, raw.github.com, ... point at content, not a repo page
    return "not-github"


def _github_ref(text: str, path: str) -> RepoRef:
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2:
        return RepoRef(text, "github.com", skip_reason="owner-only" if segments else "no-repository")
    owner, name = segments[0], re.sub(r"(\.git)+$", "", segments[1], flags=re.IGNORECASE)
    if owner.lower() in _RESERVED_OWNERS:
        return RepoRef(text, "github.com", skip_reason="not-a-repository")
    if not (_OWNER.match(owner) and _NAME.match(name)) or name.strip(".") == "":
        return RepoRef(text, "github.com", skip_reason="malformed-name")
    full = f"{owner}/{name}"
    ref, scope = _scope_of(segments)
    # Owner and name are case-insensitive on GitHub: the canonical URL uses the key so two
    # spellings of one link are one row; ref and path are case-sensitive and kept as written.
    tree = f"/tree/{_percent_encode(ref, safe='')}/{_percent_encode(scope)}" if scope else ""
    url = f"https://github.com/{full.lower()}{tree}"
    return RepoRef(url, "github.com", full.lower(), full, scope)


def _scope_of(segments: list[str]) -> tuple[str, str | None]:
    """(ref, sub-folder) of a ``/tree/<ref>/<path>`` or ``/blob/<ref>/<path>/<file>`` link.

    A blob link scopes to the folder holding the file; a file at the root is no scope.
    A ref with slashes (``feature/x``) cannot be told apart from a path: the first
    segment is taken as the ref, as GitHub's own short links do.
    """
    if len(segments) < 5 or segments[2] not in {"tree", "blob"}:
        return "", None
    sub = segments[4:] if segments[2] == "tree" else segments[4:-1]
    sub = [s for s in sub if s not in {".", ".."}]
    return segments[3], ("/".join(sub) or None)
