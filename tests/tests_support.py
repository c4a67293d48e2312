"""Small made-up implementations frames shared by the analysis and report tests."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd


def implementations_frame() -> pd.DataFrame:
    """Three venues over 2017-2021: TensorFlow leads, PyTorch passes it in 2020; 2017 is thin.

    Shaped like ``Warehouse.implementations()``; every paper has one repository except
    a few with two (one official), so the paper rule has something to choose.
    """
    plan = {2017: (2, 3, 1), 2018: (6, 12, 2), 2019: (10, 11, 3), 2020: (14, 8, 3), 2021: (18, 5, 4)}
    rows = []
    for year, (n_pt, n_tf, n_none) in plan.items():
        labels = ["pytorch"] * n_pt + ["tensorflow"] * n_tf + ["none"] * n_none + [None]
        for i, label in enumerate(labels):
            venue = ("CVPR", "ICML", "NeurIPS")[i % 3]
            paper = f"paper/{year}/{i}"
            rows.append(_row(paper, f"owner/{year}-{i}", venue, year, label, is_official=True))
            if i % 5 == 0:  # an unofficial re-implementation the paper rule must not count
                rows.append(_row(paper, f"fork/{year}-{i}", venue, year, "jax", is_official=False))
    return pd.DataFrame(rows).astype({"n_stars": "Int64", "year": "Int64"})


def _row(paper: str, repo: str, venue: str, year: int, label: str | None, is_official: bool) -> dict:
    return {
        "paper_id": paper, "repo_key": repo, "is_official": is_official,
        "pwc_framework": {"pytorch": "pytorch", "tensorflow": "tf", "none": "none"}.get(label or ""),
        "title": f"Test paper {paper}", "venue": venue, "year": year, "is_workshop": False,
        "published_date": date(year, 6, 1), "repo_created_at": datetime(year - 1, 11, 1),
        "repo_status": "ok" if label else "missing", "n_stars": 10, "framework": label, "confidence": 0.9,
    }  # fmt: skip
