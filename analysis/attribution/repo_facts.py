"""What a repository is, apart from its framework: when its history starts and what it is written in.

One definition of each fact, used by both crawl paths and the bundled sample's build, so
a repository's attribution never depends on the road its facts took (the README title's
definition is analysis/classifier/readme.py; fork status and parent are GitHub's word).

**First commit**: the earliest *author* date among the history's root commits. Author
dates survive what rewrites a history -- a rebase, a cherry-pick, a squash or a
re-import keeps the author date and resets the committer date to the day of the rewrite
-- so a port that re-imported old code still shows when that code was first written,
and a paper's own repository squashed before publication still shows when work began.
Root commits, not every commit: a merged-in history (a vendored library with its own
root) brings its own roots, and the minimum over them is the oldest code the history
holds, whichever branch it came through. Impossible dates are ignored: before git
existed (2005-04-07: a zeroed or garbled timestamp; a history imported from an older
system can be older, which for paper code, 2012 on, loses nothing) or in the future (a
wrong clock).

**Language**: the language with the most files among recognised source extensions
(ties by name); None when the tree has none. From the file list, so git, the REST tree
and a local snapshot agree (GitHub's own "language" weighs bytes with its linguist rules,
which neither a partial clone nor the sample can reproduce).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

GIT_EPOCH = datetime(2005, 4, 7)
"""git's first commit: no git history can start before it."""
CLOCK_SLACK = timedelta(days=1)
"""A date up to a day ahead of now is a time zone or a slightly fast clock, not the future."""
LANGUAGES = {
    ".py": "Python", ".ipynb": "Jupyter Notebook", ".pyx": "Cython", ".m": "MATLAB", ".lua": "Lua",
    ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".cxx": "C++", ".hpp": "C++", ".hh": "C++",
    ".cu": "Cuda", ".cuh": "Cuda", ".java": "Java", ".scala": "Scala", ".js": "JavaScript",
    ".ts": "TypeScript", ".jl": "Julia", ".r": "R", ".go": "Go", ".rs": "Rust", ".sh": "Shell",
    ".swift": "Swift", ".cs": "C#", ".hs": "Haskell", ".ml": "OCaml", ".f90": "Fortran",
}  # fmt: skip


def first_commit_date(root_author_dates: Iterable[datetime | int | float | None],
                      now: datetime | None = None) -> datetime | None:  # fmt: skip
    """The earliest plausible author date among the root commits (naive UTC), or None.

    ``root_author_dates``: one per root commit, as naive UTC datetimes or epoch seconds
    (git's ``%at``); ``now`` (naive UTC) bounds the future, default the current time.
    """
    latest = (now or datetime.now(UTC).replace(tzinfo=None)) + CLOCK_SLACK
    plausible = [d for d in (_as_utc(v) for v in root_author_dates) if d is not None and GIT_EPOCH <= d <= latest]
    return min(plausible) if plausible else None


def _as_utc(value: datetime | int | float | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    try:
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None  # a date git can store and Python cannot: impossible anyway


def dominant_language(paths: Iterable[str]) -> str | None:
    """The language with most files among recognised extensions (ties by name), or None."""
    counts = collections.Counter(LANGUAGES.get(PurePosixPath(p).suffix.lower(), "") for p in paths)
    counts.pop("", None)
    if not counts:
        return None
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
