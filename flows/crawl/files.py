"""Which files of a repository the crawl reads: the evidence files, manifests first, within caps.

The same choice and the same caps serve both transports: the API path reads the chosen
files from the raw host (:func:`read_file`), the git path fetches their blobs in one
batch and scans them here (:func:`scan_blob`).
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.classifier.imports import MAX_READ_BYTES, FileScan, evidence_kind, scan_file
from flows.sources.git_transport import Blob
from flows.sources.github import GitHubSource, TreeEntry

MAX_FILES_PER_REPO = 300
"""Evidence files read per repository; manifests and top-level code first, the cut recorded."""


SKIPPED_DIRS = {".git", "node_modules", "site-packages", "__pycache__", ".ipynb_checkpoints", ".tox", ".venv",
                "venv", "env", "third_party", "thirdparty", "vendor", "external", "dist-packages"}  # fmt: skip


_CODE_KINDS = {"python", "notebook", "lua", "cpp", "caffe_prototxt"}


def select_files(entries: Sequence[TreeEntry], scopes: Sequence[str] = (),
                 max_files: int = MAX_FILES_PER_REPO) -> tuple[list[TreeEntry], list[FileScan]]:  # fmt: skip
    """Evidence files worth reading, and problem notes for the ones that are not read.

    Limited to the link's sub-folders when every link points into one (a scope that
    matches nothing falls back to the whole repository, noted). Manifests come first,
    then code by depth, so a cut keeps what decides the framework.
    """
    notes: list[FileScan] = []
    candidates = [e for e in entries if e.type in ("blob", "commit") and evidence_kind(e.path) and not _skipped(e.path)]
    if scopes:
        prefixes = tuple(s.strip("/") + "/" for s in scopes)
        in_scope = [e for e in candidates if e.path.startswith(prefixes)]
        if in_scope:
            candidates = in_scope
        else:
            notes.append(FileScan(".", None, (), "scope-not-found: " + ", ".join(scopes)))
    readable = []
    for e in candidates:
        problem = _unreadable(e)
        if problem:
            notes.append(FileScan(e.path, evidence_kind(e.path), (), problem))
        else:
            readable.append(e)
    readable.sort(key=lambda e: (evidence_kind(e.path) in _CODE_KINDS, e.path.count("/"), e.path))
    if len(readable) > max_files:
        notes.append(FileScan(".", None, (), f"cut-at-{max_files}-of-{len(readable)}-files"))
    return readable[:max_files], notes


def _skipped(path: str) -> bool:
    return any(part in SKIPPED_DIRS for part in path.split("/")[:-1])


def _unreadable(entry: TreeEntry) -> str | None:
    if entry.type == "commit":
        return "submodule"
    if entry.mode == "120000":
        return "symlink"
    if evidence_kind(entry.path) == "notebook" and (entry.size or 0) > MAX_READ_BYTES:
        return "too-large"  # a cut notebook is invalid JSON: nothing to gain from its first bytes
    return None


def read_file(gh: GitHubSource, full_name: str, ref: str, entry: TreeEntry) -> FileScan:
    """Fetch and scan one file in a worker; the bytes never leave this function."""
    return read_and_scan(gh, full_name, ref, entry)[0]


def read_and_scan(gh: GitHubSource, full_name: str, ref: str, entry: TreeEntry) -> tuple[FileScan, bytes | None]:
    """Fetch and scan one file: the scan, and the bytes read (None when none were: a license, a failure)."""
    if evidence_kind(entry.path) == "license":  # its presence is the evidence: no download
        return scan_file(entry.path, b""), None
    data, problem = gh.fetch_file(full_name, ref, entry.path, entry.size)
    if data is None:
        return FileScan(entry.path, evidence_kind(entry.path), (), problem), None
    scan = scan_file(entry.path, data)
    return FileScan(scan.path, scan.kind, scan.evidence, scan.problem or problem), data


def scan_blob(entry: TreeEntry, blob: Blob | None, too_big: bool) -> FileScan:
    """Scan one fetched blob under the API path's caps (a notebook past the cap is not read at all)."""
    kind = evidence_kind(entry.path)
    if too_big:
        return FileScan(entry.path, kind, (), "too-large")
    if blob is None:
        return FileScan(entry.path, kind, (), "fetch-failed: missing")
    if kind == "notebook" and blob.size > MAX_READ_BYTES:
        return FileScan(entry.path, kind, (), "too-large")
    scan = scan_file(entry.path, blob.data)
    return FileScan(scan.path, scan.kind, scan.evidence, scan.problem or ("truncated" if blob.size > MAX_READ_BYTES
                                                                          else None))  # fmt: skip
