"""Build a small sample folder in the bundled sample's format, for tests.

The rows are made up for tests (titles say so); the format is the real one that
flows/sources/sample.py reads, so the tests exercise the same seams as the demo.
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

# (venue, year, repo, [(path, module, kind)])
SAMPLE_REPOS = [
    (
        "CVPR",
        2015,
        "test-owner/caffe-net",
        [("train.py", "caffe", "python"), ("model.prototxt", "caffe.prototxt", "caffe_prototxt")],
    ),
    ("ICML", 2016, "test-owner/theano-net", [("model.py", "theano", "python"), ("train.py", "lasagne", "python")]),
    (
        "NeurIPS",
        2017,
        "test-owner/tf-net",
        [("model.py", "tensorflow", "python"), ("requirements.txt", "tensorflow-gpu", "requirements")],
    ),
    ("ICLR", 2018, "test-owner/keras-net", [("model.py", "keras", "python")]),
    ("CVPR", 2019, "test-owner/torch-net", [("model.py", "torch", "python"), ("train.py", "torch.nn", "python")]),
    ("CVPR", 2019, "test-owner/torch-net-2", [("net.py", "torch", "python")]),
    ("ICCV", 2021, "test-owner/jax-net", [("model.py", "flax", "python"), ("train.py", "jax", "python")]),
    ("ICCV", 2021, "test-owner/no-dl", [("main.py", "numpy", "python")]),
]
MISSING_REPO = ("ECCV", 2020, "test-owner/deleted-repo")


def write_sample(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    papers, links, repos, evidence, files = [], [], [], [], []
    for i, (venue, year, repo, ev) in enumerate([*SAMPLE_REPOS, (*MISSING_REPO, [])]):
        url = f"sample://{venue.lower()}-{year}/test-paper-{i}"
        papers.append(
            {
                "paper_url": url,
                "arxiv_id": "",
                "title": f"Test paper {i}",
                "proceeding": f"{venue} {year}",
                "date": "",
                "conference": "",
                "source": "tests",
            }
        )
        links.append(
            {
                "paper_url": url,
                "paper_title": f"Test paper {i}",
                "paper_arxiv_id": "",
                "repo_url": f"https://github.com/{repo}",
                "is_official": "",
                "mentioned_in_paper": "",
                "mentioned_in_github": "",
                "framework": "",
            }
        )
        ok = repo != MISSING_REPO[2]
        repos.append(
            {
                "repo_url": f"https://github.com/{repo}",
                "full_name": repo,
                "status": "ok" if ok else "missing",
                "head_commit": "0" * 40 if ok else "",
                "first_commit_at": f"{year - 1}-06-01T00:00:00Z" if ok else "",
                "last_commit_at": f"{year}-06-01T00:00:00Z" if ok else "",
                "dates_from": "snapshot-history" if ok else "",
                "n_files": str(len(ev)),
                "n_evidence_files": str(len(ev)),
            }
        )
        for path, module, kind in ev:
            evidence.append(
                {"repo_key": repo.lower(), "path": path, "kind": kind, "module": module, "is_weak": "false"}
            )
            files.append({"repo_key": repo.lower(), "path": path, "kind": kind, "n_bytes": "100", "problem": ""})
    _write(folder / "papers.csv", papers)
    _write(folder / "links.csv", links)
    _write(folder / "repos.csv", repos)
    _write(folder / "evidence.csv.gz", evidence)
    _write(folder / "files.csv.gz", files)
    return folder


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
