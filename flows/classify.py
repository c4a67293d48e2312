"""Classify crawled repositories from their stored evidence.

The decision is a pure function of evidence and classifier version, so this step
needs no network: it re-runs over the warehouse whenever the rules change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from analysis.frameworks import CLASSIFIER_VERSION, Decision, classify_evidence
from analysis.imports import Evidence
from flows.interrupts import check_stop
from flows.store import Warehouse, utcnow

BATCH_REPOS = 2_000


def repos_to_classify(wh: Warehouse, *, force: bool = False, repo_keys: list[str] | None = None) -> list[str]:
    """Crawled repositories without a decision at the current classifier version."""
    sql = "SELECT repo_key FROM repos r WHERE status = 'ok'"
    params: list[Any] = []
    if not force:
        sql += (" AND NOT EXISTS (SELECT 1 FROM classifications c"
                " WHERE c.repo_key = r.repo_key AND c.classifier_version = ?)")
        params.append(CLASSIFIER_VERSION)
    if repo_keys:
        sql += " AND repo_key IN (SELECT unnest(?))"
        params.append(repo_keys)
    return [row[0] for row in wh.con.execute(sql + " ORDER BY repo_key", params).fetchall()]


def evidence_of(wh: Warehouse, keys: Sequence[str]) -> dict[str, list[list[Any]]]:
    """Stored evidence per repository as ``[path, module, kind, is_weak]`` lists, every key present.

    Plain lists, not ``Evidence``: batches cross to Dask workers, and lists pickle small.
    """
    rows = wh.con.execute(
        "SELECT repo_key, path, module, kind, is_weak FROM repo_evidence "
        "WHERE repo_key IN (SELECT unnest(?)) ORDER BY repo_key, path, module, kind",
        [list(keys)],
    ).fetchall()
    grouped: dict[str, list[list[Any]]] = {k: [] for k in keys}
    for key, path, module, kind, is_weak in rows:
        grouped[key].append([path, module, kind, bool(is_weak)])
    return grouped


def classify_batch_rows(evidence: dict[str, list[list[Any]]]) -> list[dict[str, Any]]:
    """One ``classifications`` row per repository, from its evidence alone (no I/O).

    An interrupted run stops between repositories rather than after the whole batch:
    a Ctrl-C must not wait for thousands of decisions nobody will store.
    """
    rows = []
    for key, ev in evidence.items():
        check_stop()
        rows.append(decision_row(key, classify_evidence(Evidence(*e) for e in ev)))
    return rows


def decision_row(repo_key: str, decision: Decision) -> dict[str, Any]:
    return {
        "repo_key": repo_key,
        "classifier_version": decision.classifier_version,
        "framework": decision.framework,
        "confidence": decision.confidence,
        "scores": json.dumps(decision.scores, sort_keys=True),
        "reason": decision.reason,
        "evidence": json.dumps([list(asdict(e).values()) for e in decision.evidence]),
        "classified_at": utcnow(),
    }


def classify_stored(wh: Warehouse, *, force: bool = False, repo_keys: list[str] | None = None,
                    progress: Callable[[int], None] | None = None) -> dict[str, int]:  # fmt: skip
    """Decide every crawled repository lacking a current decision; commits per batch."""
    keys = repos_to_classify(wh, force=force, repo_keys=repo_keys)
    by_label: dict[str, int] = {}
    for start in range(0, len(keys), BATCH_REPOS):
        batch = keys[start : start + BATCH_REPOS]
        rows = classify_batch_rows(evidence_of(wh, batch))
        wh.upsert("classifications", rows)
        for row in rows:
            by_label[row["framework"]] = by_label.get(row["framework"], 0) + 1
        if progress:
            progress(len(batch))
    return {"classified": len(keys), **{f"label_{k}": v for k, v in sorted(by_label.items())}}
