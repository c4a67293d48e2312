"""Small Papers with Code archive files with the real column names and the odd rows the real dumps have.

Made-up papers (titles say so); each odd row carries a comment saying why it is odd.
Written as Parquet (as on Hugging Face) or as the original gzipped JSON arrays.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any

PWC = "https://paperswithcode.com/paper/"


def paper(slug: str, proceeding: str | None, date: str | None = "2019-06-01", **extra: Any) -> dict[str, Any]:
    """A papers record with every column of `pwc-archive/papers-with-abstracts`."""
    return {
        "paper_url": PWC + slug if slug else None, "arxiv_id": f"1906.{zlib.crc32(slug.encode()) % 100000:05d}",
        "nips_id": None, "openreview_id": None, "title": f"Test paper {slug}",
        "abstract": "An abstract we never read. " * 20, "short_abstract": "Short.",
        "url_abs": f"https://arxiv.org/abs/{slug}", "url_pdf": f"https://arxiv.org/pdf/{slug}",
        "proceeding": proceeding, "authors": ["A. Author", "B. Author"], "tasks": ["Image Classification"],
        "date": date, "conference_url_abs": None, "conference_url_pdf": None,
        "conference": (proceeding or "").lower().replace(" ", "-") or None, "reproduces_paper": None,
        "methods": [{"name": "ResNet", "full_name": "Residual Network"}],
        **extra,
    }  # fmt: skip


def link(slug: str | None, repo_url: str | None, framework: str | None = "pytorch",
         is_official: bool | None = True) -> dict[str, Any]:  # fmt: skip
    """A links record with every column of `pwc-archive/links-between-paper-and-code`."""
    return {
        "paper_url": PWC + slug if slug else None, "paper_title": f"Test paper {slug}",
        "paper_arxiv_id": None, "paper_url_abs": None, "paper_url_pdf": None, "repo_url": repo_url,
        "is_official": is_official, "mentioned_in_paper": False, "mentioned_in_github": True, "framework": framework,
    }  # fmt: skip


PAPERS = [
    paper("neurips-a", "NeurIPS 2018 12", "2018-12-03"),
    paper("iclr-b", "iclr-2022-4", "2022-04-25"),  # the old API's slug spelling
    paper("arxiv-only-c", None, "2020-01-01"),  # most papers have no proceeding: not a conference paper
    paper("unknown-d", "Symposium on Made-Up Things 2020", "2020-05-05"),  # unknown venue: kept raw, never guessed
    paper("", "CVPR 2019 6"),  # no paper_url: no key, skipped with a reason
    paper("cvpr-ws-e", "CVPR 2019 Workshops", None),  # workshop track; null date
    paper("nips-f", "NIPS 2017", "2017-12-04"),  # the pre-2018 name
    paper("neurips-a", "NeurIPS 2018 12", "2018-12-03"),  # the same paper twice
]

SPELLINGS = [  # one repository, five spellings, five papers: one key
    ("neurips-a", "https://github.com/Owner/Repo"),
    ("iclr-b", "http://www.github.com/owner/repo.git"),
    ("arxiv-only-c", "git@github.com:OWNER/Repo.git"),
    ("unknown-d", "github.com/owner/repo/"),
    ("cvpr-ws-e", "https://github.com/owner/REPO#readme"),
]

LINKS = [
    *(link(slug, url) for slug, url in SPELLINGS),
    link("neurips-a", "https://github.com/owner/repo/"),  # the first link again in another spelling: a duplicate
    link("neurips-a", "https://github.com/other/mono/tree/main/papers/a"),  # scoped into a monorepo
    link("nips-f", None),  # null URL: skipped with a reason
    link(None, "https://github.com/owner/orphan"),  # no paper: skipped with a reason
    link("nips-f", "https://gitlab.com/group/project", framework="tf"),  # other host: kept, not crawled
    link("nips-f", "https://bitbucket.org/team/repo", framework=None),
    link("nips-f", "https://git.example.org/lab/code", framework="none"),  # self-hosted
    link("iclr-b", "https://github.com/openai"),  # organisation page, not a repository
    link("iclr-b", "https://gist.github.com/someone/abc123"),
    link("only-in-links-g", "https://github.com/lone/repo", is_official=None),  # paper absent from the papers file
]


def write_parquet(path: Path, records: list[dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(records), path)
    return path


def write_json_gz(path: Path, records: list[dict[str, Any]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        json.dump(records, fh, indent=1)  # the dumps were pretty-printed arrays
    return path


def write_archive(folder: Path, fmt: str = "parquet") -> tuple[Path, Path]:
    """(links file, papers file) in ``fmt`` (``parquet`` or ``json.gz``)."""
    folder.mkdir(parents=True, exist_ok=True)
    write = write_parquet if fmt == "parquet" else write_json_gz
    return write(folder / f"links.{fmt}", LINKS), write(folder / f"papers.{fmt}", PAPERS)
