"""Build the bundled sample's tables in data/sample/ from selection.csv and local snapshots.

Why this exists: the demo and the tests must run offline on real data. This script
turns the seeded selection (select_sample.py) and public repository snapshots that
are already on this machine into the files flows/sources/sample.py reads, using the
project's own extractor (analysis.classifier.imports via flows.sources.snapshot), so the
sample's evidence is exactly what the pipeline would store. No code from a
snapshot is imported or run: blobs are read as bytes through git plumbing.

Outputs (all sorted, gzip without timestamps, so a rebuild is byte-identical):
papers.csv, links.csv, repos.csv, evidence.csv.gz, files.csv.gz.

Where snapshots come from:
* ``--mirror DIR`` (or ``$SAMPLE_MIRROR``): ``DIR/{owner}+{name}/repo`` (matched
  case-insensitively), the layout of the snapshot tool used to build the sample;
* ``--checkouts DIR``: a directory of work trees named ``{owner}+{name}``
  (case-insensitive); a ``.git`` inside gives head commit and dates.
``fetch_log.csv`` says which repositories were never available (missing,
too-large, error); a repository logged ``ok`` but absent here is an error, so a
rebuild on another machine never silently turns evidence into "missing". A drawn
repository the log does not hold was never tried (the build session's fetch budget
ran out): it is written ``not-fetched``, and a later build with its snapshot fills it.

Run from the repository root: ``python3 scripts/sample/build_sample.py``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analysis.classifier.frameworks import relevant_evidence  # noqa: E402
from analysis.classifier.imports import FileScan, evidence_kind  # noqa: E402
from flows.sources.snapshot import list_git_tree, scan_directory, scan_git_snapshot  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from repo_facts import dominant_language, file_readme_title, git_first_commit, git_readme_title  # noqa: E402

PAPER_COLUMNS = ("paper_url", "arxiv_id", "title", "proceeding", "date", "conference", "source",
                 "source_stratum", "title_stratum")
LINK_COLUMNS = (
    "paper_url", "paper_title", "paper_arxiv_id", "repo_url", "is_official",
    "mentioned_in_paper", "mentioned_in_github", "framework",
)  # fmt: skip
REPO_COLUMNS = (
    "repo_url", "full_name", "status", "head_commit", "first_commit_at", "last_commit_at",
    "dates_from", "n_files", "n_evidence_files", "readme_title", "language",
)  # fmt: skip
EVIDENCE_COLUMNS = ("repo_key", "path", "kind", "module", "is_weak")
FILE_COLUMNS = ("repo_key", "path", "kind", "n_bytes", "problem")


@dataclass(frozen=True)
class Snapshot:
    """Where one repository's code is on this machine, and in which shape."""

    full_name: str
    git_dir: Path | None
    work_tree: Path | None


@dataclass(frozen=True)
class RepoResult:
    """Everything the sample records for one repository."""

    repo: dict[str, str]
    scans: list[FileScan]
    sizes: dict[str, int]


# --- inputs ---------------------------------------------------------------------


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def full_name_of(repo_url: str) -> str:
    """``https://github.com/Owner/Name`` -> ``Owner/Name`` (the list already canonicalised it)."""
    return repo_url.removeprefix("https://github.com/").strip("/")


def index_dirs(parent: Path) -> dict[str, Path]:
    """lower-case ``owner+name`` -> directory, for case-insensitive matching."""
    if not parent.is_dir():
        return {}
    return {p.name.lower(): p for p in parent.iterdir() if p.is_dir() and "+" in p.name}


def locate(full_name: str, mirrors: dict[str, Path], checkouts: dict[str, Path]) -> Snapshot | None:
    """Find a checkout (preferred when given) or a mirror snapshot for ``owner/name``."""
    key = full_name.replace("/", "+").lower()
    if key in checkouts:
        tree = checkouts[key]
        git_dir = tree / ".git" if (tree / ".git").exists() else None
        return Snapshot(full_name, git_dir, tree)
    if key in mirrors:
        repo = mirrors[key] / "repo"
        git_dir = repo / ".git" if (repo / ".git").is_dir() else repo
        if (git_dir / "HEAD").exists():
            return Snapshot(full_name, git_dir, None)
    return None


# --- one repository -------------------------------------------------------------


def git_text(git_dir: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(git_dir), *args], check=True, capture_output=True, text=True).stdout


def commit_dates(git_dir: Path) -> tuple[str, str, str]:
    """(head sha, first commit, last commit) of HEAD's history, ISO 8601 UTC.

    The first commit is the project's one definition (``first_commit_date``: the earliest
    author date among the root commits; see analysis/attribution/repo_facts.py); the last
    is the latest committer date (when the history last moved).
    """
    head = git_text(git_dir, "rev-parse", "HEAD").strip()
    stamps = [int(s) for s in git_text(git_dir, "log", "--format=%ct", "HEAD").split()]
    first = git_first_commit(git_dir)
    return head, first.strftime("%Y-%m-%dT%H:%M:%SZ") if first else "", iso_utc(max(stamps))


def iso_utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tree_sizes(git_dir: Path) -> dict[str, int]:
    """path -> bytes of every file in HEAD's tree (submodules excluded; -1 = blob absent)."""
    return {path: size for mode, _sha, size, path in list_git_tree(git_dir) if mode != "160000"}


def dir_sizes(root: Path) -> dict[str, int]:
    """path -> bytes of every regular file of a work tree, .git excluded, symlinks not followed."""
    sizes: dict[str, int] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            full = Path(dirpath) / name
            sizes[full.relative_to(root).as_posix()] = full.lstat().st_size
    return sizes


def scan_repo(snap: Snapshot, url: str) -> RepoResult:
    """Run the project's extractor over one snapshot and collect the repository facts."""
    if snap.work_tree is not None:
        scans, sizes = scan_directory(snap.work_tree), dir_sizes(snap.work_tree)
    else:
        assert snap.git_dir is not None
        scans, sizes = scan_git_snapshot(snap.git_dir), tree_sizes(snap.git_dir)
    head = first = last = ""
    if snap.git_dir is not None:
        head, first, last = commit_dates(snap.git_dir)
    paths = sorted(sizes)
    if snap.work_tree is not None:
        title = file_readme_title(snap.work_tree, paths)
    else:
        assert snap.git_dir is not None
        title = git_readme_title(snap.git_dir, paths)
    repo = {
        "repo_url": url, "full_name": snap.full_name, "status": "ok", "head_commit": head,
        "first_commit_at": first, "last_commit_at": last, "dates_from": "snapshot-roots" if head else "",
        "n_files": str(len(sizes)), "n_evidence_files": str(sum(1 for p in sizes if evidence_kind(p))),
        "readme_title": title, "language": dominant_language(paths),
    }  # fmt: skip
    return RepoResult(repo, scans, sizes)


def unavailable_repo(url: str, status: str) -> dict[str, str]:
    """A repository whose snapshot could not be had: kept as a link, no facts invented."""
    row = dict.fromkeys(REPO_COLUMNS, "")
    row.update(repo_url=url, full_name=full_name_of(url), status=status)
    return row


# --- papers and links -----------------------------------------------------------


def slug(title: str, limit: int = 80) -> str:
    """A stable URL-safe slug of a title, for papers the list gave no arXiv id."""
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return text[:limit].rstrip("-") or "untitled"


def paper_url_of(row: dict[str, str]) -> str:
    """arXiv abstract URL when the list gave an id; else a sample:// id (documented in README)."""
    if row["arxiv_id"]:
        return f"https://arxiv.org/abs/{row['arxiv_id']}"
    return f"sample://{row['venue'].lower()}-{row['year']}/{slug(row['title'])}"


def paper_and_link(row: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """PWC-shaped paper and link rows; the list gives no date, officialness or framework."""
    url = paper_url_of(row)
    paper = {"paper_url": url, "arxiv_id": row["arxiv_id"], "title": row["title"],
             "proceeding": f"{row['venue']} {row['year']}", "date": "", "conference": "",
             "source": row["source"],
             # the paper's cell of the draw (select_sample.py): the weights need it per paper
             "source_stratum": row.get("source_stratum") or "conference",
             "title_stratum": row.get("title_stratum") or "all"}  # fmt: skip
    link = {"paper_url": url, "paper_title": row["title"], "paper_arxiv_id": row["arxiv_id"],
            "repo_url": row["repo_url"], "is_official": "", "mentioned_in_paper": "",
            "mentioned_in_github": "", "framework": ""}  # fmt: skip
    return paper, link


# --- outputs --------------------------------------------------------------------


def clean(text: str) -> str:
    """Paths read with surrogateescape can't be written as UTF-8: show bad bytes as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def evidence_rows(key: str, scans: Iterable[FileScan]) -> list[dict[str, str]]:
    rows = {
        (clean(ev.path), ev.module, ev.kind): {"repo_key": key, "path": clean(ev.path), "kind": ev.kind,
                                               "module": clean(ev.module), "is_weak": "true" if ev.is_weak else "false"}
        for ev in relevant_evidence(scans)  # what the crawler stores, so the demo matches a live run
    }  # fmt: skip
    return [rows[k] for k in sorted(rows)]


def file_rows(key: str, scans: Iterable[FileScan], sizes: dict[str, int]) -> list[dict[str, str]]:
    rows = {}
    for scan in scans:
        size = sizes.get(scan.path)
        n_bytes = "" if size is None or size < 0 else str(size)
        rows[clean(scan.path)] = {"repo_key": key, "path": clean(scan.path), "kind": scan.kind or "",
                                  "n_bytes": n_bytes, "problem": scan.problem or ""}  # fmt: skip
    return [rows[k] for k in sorted(rows)]


def write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    """Write CSV; .gz files get a fixed gzip header (no name, mtime 0) so rebuilds are identical."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    if path.suffix == ".gz":
        with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(data)
    else:
        path.write_bytes(data)


# --- main -----------------------------------------------------------------------


def read_built(sample_dir: Path) -> tuple[dict[str, dict[str, str]], dict[str, list], dict[str, list]]:
    """The repositories already in the sample, with their evidence and file rows, by repo_url / repo_key.

    They are kept as committed: their snapshots need not be on this machine any more,
    so a grown sample merges new repositories into the old tables instead of
    rebuilding them (issue 13). Columns added later are empty for old rows.
    """
    repos_path = sample_dir / "repos.csv"
    if not repos_path.exists():
        return {}, {}, {}
    repos = {r["repo_url"].lower(): {c: r.get(c, "") for c in REPO_COLUMNS} for r in read_rows(repos_path)}
    evidence: dict[str, list] = {}
    files: dict[str, list] = {}
    for name, into in (("evidence.csv.gz", evidence), ("files.csv.gz", files)):
        with gzip.open(sample_dir / name, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                into.setdefault(row["repo_key"], []).append(row)
    return repos, evidence, files


def build(sample_dir: Path, mirror: Path, checkouts: Path | None, rebuild: bool = False,
          rebuild_available: bool = False) -> dict[str, int]:  # fmt: skip
    """Build every output table; returns counts for the log line.

    ``rebuild_available``: rebuild the repositories whose snapshot is on this machine and
    keep the others as built (after an extractor change, for the snapshots still here).
    """
    selection = read_rows(sample_dir / "selection.csv")
    log = {r["repo_url"].lower(): r for r in read_rows(sample_dir / "fetch_log.csv")}
    built, built_evidence, built_files = ({}, {}, {}) if rebuild else read_built(sample_dir)
    mirrors, trees = index_dirs(mirror), index_dirs(checkouts) if checkouts else {}
    papers, links, repos, evidence, files = [], [], [], [], []
    for row in selection:
        paper, link = paper_and_link(row)
        papers.append(paper)
        links.append(link)
        url = row["repo_url"]
        here = rebuild_available and locate(full_name_of(url), mirrors, trees) is not None
        if url.lower() in built and built[url.lower()]["status"] != "not-fetched" and not here:
            kept = built[url.lower()]
            repos.append(kept)
            key = (kept["full_name"] or full_name_of(url)).lower()
            evidence.extend(built_evidence.get(key, []))
            files.extend(built_files.get(key, []))
            continue
        # not in the log: drawn, but no fetch was tried yet (a later build session fetches it)
        outcome = log.get(url.lower(), {}).get("outcome", "not-fetched")
        snap = locate(full_name_of(url), mirrors, trees)
        if outcome != "ok" and snap is None:
            repos.append(unavailable_repo(url, outcome))
            continue
        if snap is None:
            raise SystemExit(f"error: {url} was fetched (fetch_log ok) but no snapshot is on this machine")
        result = scan_repo(snap, url)
        key = snap.full_name.lower()
        repos.append(result.repo)
        evidence.extend(evidence_rows(key, result.scans))
        files.extend(file_rows(key, result.scans, result.sizes))
    write_outputs(sample_dir, papers, links, repos, evidence, files)
    return {"papers": len(papers), "links": len(links), "repos": len(repos),
            "repos_ok": sum(r["status"] == "ok" for r in repos),
            "evidence": len(evidence), "files": len(files)}  # fmt: skip


def write_outputs(sample_dir: Path, papers: list[dict[str, str]], links: list[dict[str, str]],
                  repos: list[dict[str, str]], evidence: list[dict[str, str]], files: list[dict[str, str]]) -> None:
    """Write the five tables, each sorted on its key so a rebuild is byte-identical."""
    def by(*cols: str):  # noqa: ANN202 - a sort key
        return lambda r: tuple(r[c].lower() if c == "repo_url" else r[c] for c in cols)

    write_csv(sample_dir / "papers.csv", PAPER_COLUMNS, sorted(papers, key=by("proceeding", "paper_url")))
    write_csv(sample_dir / "links.csv", LINK_COLUMNS, sorted(links, key=by("paper_url", "repo_url")))
    write_csv(sample_dir / "repos.csv", REPO_COLUMNS, sorted(repos, key=by("repo_url")))
    write_csv(sample_dir / "evidence.csv.gz", EVIDENCE_COLUMNS,
              sorted(evidence, key=by("repo_key", "path", "module", "kind")))
    write_csv(sample_dir / "files.csv.gz", FILE_COLUMNS, sorted(files, key=by("repo_key", "path")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample-dir", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--mirror", type=Path, default=Path(os.environ.get("SAMPLE_MIRROR", "snapshots")),
                        help="dir of {owner}+{name}/repo snapshots (default $SAMPLE_MIRROR, else ./snapshots)")
    parser.add_argument("--checkouts", type=Path, default=None, help="dir of {owner}+{name} work trees")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild every repository from snapshots instead of keeping the ones already built")
    parser.add_argument("--rebuild-available", action="store_true",
                        help="rebuild the repositories whose snapshot is on this machine, keep the others")
    args = parser.parse_args(argv)
    counts = build(args.sample_dir, args.mirror, args.checkouts, args.rebuild, args.rebuild_available)
    print(", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
