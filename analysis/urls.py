"""Repository URLs in every spelling -> one key, ``owner/name`` in lower case.

Papers with Code and the paper lists write the same repository many ways
(``http://``, ``git@github.com:``, ``www.``, ``.git``, ``/tree/master/sub``,
trailing punctuation). Counting a repository twice bends every chart, so all
spellings must meet in one key; links that are not crawlable keep a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

GITHUB_HOSTS = {"github.com", "www.github.com"}
_RESERVED_OWNERS = {
    "orgs", "topics", "features", "marketplace", "sponsors", "settings", "about", "pricing",
    "collections", "explore", "trending", "login", "join", "search", "site", "apps", "users",
}  # fmt: skip
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True, slots=True)
class RepoRef:
    """What a link points to: a crawlable GitHub repository, or why it is not one."""

    url: str
    """Canonical URL (``https://github.com/Owner/Name``), or the cleaned raw text."""
    host: str | None
    key: str | None = None
    """``owner/name`` in lower case; None when the link is not a GitHub repository."""
    full_name: str | None = None
    """``Owner/Name`` in the case the link used."""
    scope: str | None = None
    """Sub-folder the link points into (``/tree/<ref>/<path>``), so a monorepo link is scoped."""
    skip_reason: str | None = None


def normalise_repo_url(raw: str | None) -> RepoRef:
    """Parse any spelling of a repository link; never raises."""
    text = (raw or "").strip().strip("<>\"'()[]").rstrip(".,;:)]}>\"'")
    if not text:
        return RepoRef("", None, skip_reason="empty")
    text = re.sub(r"^git@github\.com:", "https://github.com/", text, flags=re.IGNORECASE)
    text = re.sub(r"^(git|ssh|git\+https|git\+ssh)://(git@)?", "https://", text, flags=re.IGNORECASE)
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        text = "https://" + text
    try:
        parts = urlsplit(text)
    except ValueError:
        return RepoRef(text, None, skip_reason="unparseable")
    host = (parts.hostname or "").lower()
    if host not in GITHUB_HOSTS:
        reason = "gist" if host == "gist.github.com" else ("github-pages" if host.endswith("github.io") else "not-github")
        return RepoRef(text, host or None, skip_reason=reason)
    return _github_ref(text, unquote(parts.path))


def _github_ref(text: str, path: str) -> RepoRef:
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2:
        return RepoRef(text, "github.com", skip_reason="owner-only" if segments else "no-repository")
    owner, name = segments[0], re.sub(r"\.git$", "", segments[1], flags=re.IGNORECASE)
    if owner.lower() in _RESERVED_OWNERS:
        return RepoRef(text, "github.com", skip_reason="not-a-repository")
    if not (_NAME.match(owner) and _NAME.match(name)) or name in {".", ".."}:
        return RepoRef(text, "github.com", skip_reason="malformed-name")
    scope = None
    if len(segments) >= 4 and segments[2] in {"tree", "blob"}:
        sub = segments[4:] if segments[2] == "tree" else segments[4:-1]
        scope = "/".join(sub) or None
    full = f"{owner}/{name}"
    return RepoRef(f"https://github.com/{full}", "github.com", full.lower(), full, scope)
