"""A synthetic warehouse of any size, for benchmarks and tests (made-up rows, real schema).

Frameworks drift over the years roughly as the field did (Caffe and Theano early,
TensorFlow, then PyTorch, then some JAX), so charts and crossovers have something to
show. Papers with Code's label agrees with ours most of the time, not always.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

VENUES = ("CVPR", "ICCV", "ECCV", "NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "AAAI")
YEARS = np.arange(2014, 2026)
LABELS = ("pytorch", "tensorflow", "keras", "jax", "mxnet", "caffe", "theano", "chainer", "lua-torch", "paddle", "none")
PWC_CODE = {"pytorch": "pytorch", "tensorflow": "tf", "keras": "tf", "jax": "jax", "mxnet": "mxnet",
            "caffe": "none", "theano": "none", "chainer": "none", "lua-torch": "torch", "paddle": "paddle",
            "none": "none"}  # fmt: skip


def _label_weights(year: int) -> np.ndarray:
    """Relative popularity of each label in one year (a smooth made-up trend)."""
    t = year - 2014
    pytorch = 1 / (1 + np.exp(-(t - 4.5) * 1.1)) * 10
    tensorflow = np.exp(-((t - 4.5) ** 2) / 8) * 6 + 0.6
    weights = [pytorch, tensorflow, max(2.0 - abs(t - 4), 0.2), max(t - 6, 0) * 0.25, 0.3,
               max(3 - t, 0.05) * 1.5, max(3 - t, 0.05), 0.2, max(2 - t, 0.02), 0.1, 1.2]  # fmt: skip
    arr = np.array(weights, dtype=float)
    return arr / arr.sum()


def synthetic_tables(n_links: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """papers, links, repos and classifications frames with about ``n_links`` links."""
    rng = np.random.default_rng(seed)
    n_papers = max(1, int(n_links / 1.3))
    n_repos = max(1, int(n_links * 0.95))
    now = datetime(2026, 1, 1)
    papers = _papers(rng, n_papers, now)
    paper_ids = papers["paper_id"].to_numpy()
    link_paper = np.concatenate([paper_ids, rng.choice(paper_ids, n_links - n_papers)]) if n_links > n_papers \
        else paper_ids[:n_links]
    link_repo = rng.integers(0, n_repos, len(link_paper))
    links = pd.DataFrame({"paper_id": link_paper, "repo_idx": link_repo}).drop_duplicates(["paper_id", "repo_idx"])
    year_of_repo = _years_of_repos(links, papers, n_repos, rng)
    repos, classifications = _repos(rng, year_of_repo, now)
    links = _link_rows(rng, links, classifications, now)
    return {"papers": papers, "links": links, "repos": repos, "classifications": classifications}


def _papers(rng: np.random.Generator, n: int, now: datetime) -> pd.DataFrame:
    year = rng.choice(YEARS, n, p=np.linspace(1, 3, len(YEARS)) / np.linspace(1, 3, len(YEARS)).sum())
    venue = rng.choice(VENUES, n)
    has_venue = rng.random(n) < 0.7
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 28, n)
    published = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day})).dt.date
    ids = [f"synthetic://paper/{i}" for i in range(n)]
    return pd.DataFrame({
        "paper_id": ids, "title": [f"Synthetic paper {i}" for i in range(n)], "arxiv_id": None,
        "venue": np.where(has_venue, venue, None), "year": year.astype("int32"),
        "is_workshop": np.where(has_venue, rng.random(n) < 0.1, None),
        "proceeding": [f"{v} {y}" if h else None for v, y, h in zip(venue, year, has_venue, strict=True)],
        "conference": None, "published_date": published, "source": "synthetic", "ingested_at": now,
    })  # fmt: skip


def _years_of_repos(links: pd.DataFrame, papers: pd.DataFrame, n_repos: int, rng: np.random.Generator) -> np.ndarray:
    year_of_paper = dict(zip(papers["paper_id"], papers["year"], strict=True))
    first = links.assign(year=links["paper_id"].map(year_of_paper)).groupby("repo_idx")["year"].min()
    years = rng.choice(YEARS, n_repos)
    years[first.index.to_numpy()] = first.to_numpy()
    return years


def _repos(rng: np.random.Generator, years: np.ndarray, now: datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(years)
    keys = np.array([f"synthetic-owner/repo-{i}" for i in range(n)], dtype=object)
    status = rng.choice(["ok", "missing", "pending", "failed"], n, p=[0.85, 0.08, 0.05, 0.02])
    labels = np.empty(n, dtype=object)
    for year in np.unique(years):
        idx = np.flatnonzero(years == year)
        labels[idx] = rng.choice(LABELS, len(idx), p=_label_weights(int(year)))
    created = pd.to_datetime(pd.DataFrame({"year": years - (rng.random(n) < 0.3), "month": rng.integers(1, 13, n),
                                           "day": rng.integers(1, 28, n)}))  # fmt: skip
    repos = pd.DataFrame({
        "repo_key": keys, "full_name": keys, "status": status,
        "created_at": created.where(status != "pending"),
        "n_stars": np.where(status == "ok", rng.zipf(1.6, n).clip(0, 100_000), None),
        "source": "synthetic", "crawled_at": now,
    })  # fmt: skip
    ok = status == "ok"
    classifications = pd.DataFrame({
        "repo_key": keys[ok], "classifier_version": None, "framework": labels[ok],
        "confidence": rng.uniform(0.5, 1.0, int(ok.sum())), "scores": "{}", "reason": "synthetic",
        "evidence": "[]", "classified_at": now,
    })  # fmt: skip
    return repos, classifications


def _link_rows(rng: np.random.Generator, links: pd.DataFrame, classifications: pd.DataFrame,
               now: datetime) -> pd.DataFrame:  # fmt: skip
    n = len(links)
    keys = links["repo_idx"].map(lambda i: f"synthetic-owner/repo-{i}").to_numpy()
    label_of = dict(zip(classifications["repo_key"], classifications["framework"], strict=True))
    ours = pd.Series(keys).map(label_of)
    pwc = ours.map(PWC_CODE).where(rng.random(n) < 0.9, rng.choice(list(set(PWC_CODE.values())), n))
    pwc = pwc.where(rng.random(n) < 0.8, None)  # PWC labelled only some links
    return pd.DataFrame({
        "paper_id": links["paper_id"].to_numpy(), "repo_url": [f"https://github.com/{k}" for k in keys],
        "repo_url_raw": None, "repo_key": keys, "host": "github.com", "scope": None,
        "is_official": rng.random(n) < 0.6, "mentioned_in_paper": None, "mentioned_in_github": None,
        "pwc_framework": pwc.to_numpy(), "skip_reason": None, "source": "synthetic", "ingested_at": now,
    })  # fmt: skip


def write_synthetic(wh: Any, n_links: int, classifier_version: str, seed: int = 0) -> dict[str, int]:
    """Fill a Warehouse with synthetic rows; returns rows written per table."""
    tables = synthetic_tables(n_links, seed)
    tables["classifications"]["classifier_version"] = classifier_version
    with wh.transaction():
        return {name: wh.upsert(name, frame) for name, frame in tables.items()}


def implementation_frame(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The implementations frame (``flows.stages.attribute.current_implementations``' columns the shares read)
    of ``synthetic_tables``, built in memory: every link the paper's own, every ``ok`` repository decided.

    For in-process tests and benches of the estimator at archive scale without a warehouse round trip.
    """
    papers = tables["papers"].rename(columns={"source": "paper_source"})
    repos = tables["repos"][["repo_key", "status", "created_at", "n_stars"]]
    labels = tables["classifications"][["repo_key", "framework", "confidence", "scores"]]
    frame = tables["links"][["paper_id", "repo_url", "repo_key", "is_official", "pwc_framework"]]
    frame = frame.merge(papers[["paper_id", "title", "venue", "year", "is_workshop", "published_date"]], on="paper_id")
    frame = frame.merge(repos, on="repo_key", how="left").merge(labels, on="repo_key", how="left")
    return frame.assign(
        attribution="official", attribution_reason="synthetic", repo_status=frame["status"],
        repo_created_at=frame["created_at"], code_start_at=frame["created_at"],
        paper_date=frame["published_date"], is_fork=False, fork_parent=None,
    ).drop(columns=["status", "created_at"])  # fmt: skip
