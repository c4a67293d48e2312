"""The sampled repositories' descriptive facts, by the project's one definition of each.

Why this exists: telling a paper's own code from a later port or an unrelated
repository (link attribution) needs a little more than the evidence: what the
repository calls itself, what it is mostly written in and when its history starts.
These are derived facts (one line of text, one word, one date), so they can be
committed where the code cannot. Each comes from the same function the crawl uses:

* ``readme_title``: analysis/classifier/readme.py (which README, its first heading,
  else its first non-empty line);
* ``language``: ``dominant_language`` in analysis/attribution/repo_facts.py (most files
  among recognised source extensions);
* ``first_commit_at``: ``first_commit_date`` there (the earliest author date among the
  root commits, impossible dates ignored).

The CSV writes "" where the functions say None.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from analysis.attribution.repo_facts import dominant_language as _dominant_language  # noqa: E402
from analysis.attribution.repo_facts import first_commit_date  # noqa: E402
from analysis.classifier.readme import pick_readme, readme_title_of_bytes  # noqa: E402


def dominant_language(paths: list[str]) -> str:
    """The language with most files among recognised extensions (ties by name), or ''."""
    return _dominant_language(paths) or ""


def git_first_commit(git_dir: Path) -> datetime | None:
    """The first-commit date of HEAD's history: its root commits' author dates (``%at``)."""
    out = subprocess.run(["git", "-C", str(git_dir), "log", "--max-parents=0", "--format=%at", "HEAD"],
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    return first_commit_date(int(s) for s in out.split())


def git_readme_title(git_dir: Path, paths: list[str]) -> str:
    """Read the README blob of HEAD with git plumbing (never a work tree) and take its title;
    a symlinked README gives none, as in a work tree and in the crawl."""
    name = pick_readme(paths)
    if name is None:
        return ""
    entry = subprocess.run(["git", "-C", str(git_dir), "ls-tree", "HEAD", "--", name], capture_output=True, text=True)
    if entry.returncode != 0 or not entry.stdout.startswith("100"):  # 120000: a symlink; 160000: a submodule
        return ""
    blob = subprocess.run(["git", "-C", str(git_dir), "cat-file", "-p", f"HEAD:{name}"], capture_output=True)
    if blob.returncode != 0:
        return ""
    return readme_title_of_bytes(blob.stdout) or ""


def file_readme_title(root: Path, paths: list[str]) -> str:
    """The same for a work tree; symlinks are not followed."""
    name = pick_readme(paths)
    if name is None or (root / name).is_symlink():
        return ""
    return readme_title_of_bytes((root / name).read_bytes()) or ""
