"""Hostile code trees for the bad-input tests: git repositories built with ``git fast-import``
(fast: 100,000 entries in a few seconds, arbitrary byte paths, symlinks) and a runner
that measures a scan in a fresh process (peak RSS growth, wall time, a hard timeout)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# (path as bytes, content, mode): mode "100644" file, "120000" symlink (content = target).
Entry = tuple[bytes, bytes, str]


def build_git_repo(git_dir: Path, entries: Iterable[Entry],
                   big_blobs: dict[bytes, Iterable[bytes]] | None = None) -> Path:  # fmt: skip
    """A bare repository whose HEAD (``main``) holds ``entries``; identical contents share one blob.

    ``big_blobs`` maps a path to chunks of content streamed into git, so a 200 MB file
    never sits in this process's memory.
    """
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(git_dir)], check=True)
    proc = subprocess.Popen(["git", "-C", str(git_dir), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert proc.stdin
    marks: dict[bytes, int] = {}
    lines: list[bytes] = []
    for path, content, mode in entries:
        if content not in marks:
            marks[content] = len(marks) + 1
            proc.stdin.write(b"blob\nmark :%d\ndata %d\n%s\n" % (marks[content], len(content), content))
        lines.append(b"M %s :%d %s\n" % (mode.encode(), marks[content], path))
    for n, (path, chunks) in enumerate((big_blobs or {}).items(), start=len(marks) + 1):
        _stream_blob(proc.stdin, n, list(chunks))
        lines.append(b"M 100644 :%d %s\n" % (n, path))
    proc.stdin.write(b"commit refs/heads/main\ncommitter T <t@example.org> 1500000000 +0000\ndata 4\ninit\n")
    proc.stdin.writelines(lines)
    proc.stdin.write(b"\n")
    proc.stdin.close()
    if proc.wait(timeout=120):
        raise RuntimeError("git fast-import failed")
    return git_dir


def _stream_blob(stdin: object, mark: int, chunks: list[bytes]) -> None:
    total = sum(len(c) for c in chunks)
    stdin.write(b"blob\nmark :%d\ndata %d\n" % (mark, total))  # type: ignore[attr-defined]
    for chunk in chunks:
        stdin.write(chunk)  # type: ignore[attr-defined]
    stdin.write(b"\n")  # type: ignore[attr-defined]


def measure_scan(call: str, timeout: float = 60.0, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run ``call`` (an expression over scan_directory / scan_git_snapshot / scan_file) in a fresh
    Python; return its seconds, peak-RSS growth over the post-import baseline, and a summary of the scans."""
    code = textwrap.dedent(f"""
        import json, resource, time
        from analysis.classifier.imports import scan_file
        from flows.sources.snapshot import scan_directory, scan_git_snapshot
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        scans = {call}
        scans = scans if isinstance(scans, list) else [scans]
        out = {{
            "seconds": time.perf_counter() - start,
            "rss_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024,
            "n_scans": len(scans),
            "problems": sorted({{str(s.problem) for s in scans if s.problem}}),
            "modules": sorted({{e.module for s in scans for e in s.evidence}}),
            "paths": sorted(s.path.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for s in scans)[:50],
        }}
        print(json.dumps(out))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **(env or {})})  # fmt: skip
    if result.returncode:
        raise AssertionError(f"scan failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def list_tree(root: Path) -> set[str]:
    """Every path under ``root`` (files, folders, links), to prove a scan wrote nothing."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            found.add(os.path.relpath(os.path.join(dirpath, name), root))
    return found
