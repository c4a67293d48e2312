"""Classify batches read each repository's evidence whole, however the rows are stored."""

from __future__ import annotations

import pyarrow as pa

from flows.stages.classify import evidence_batches, group_evidence
from flows.store.warehouse import Warehouse


def _store(wh: Warehouse, rows: list[tuple[str, str, str]]) -> None:
    """Evidence rows in this order, each (repo_key, path, module), every write its own commit."""
    for key, path, module in rows:
        wh.upsert("repo_evidence", [{"repo_key": key, "path": path, "module": module, "kind": "python",
                                     "is_weak": module == "weak"}])  # fmt: skip


def _by_key(wh: Warehouse) -> dict[str, list[tuple[str, str, str, bool]]]:
    found: dict[str, list[tuple[str, str, str, bool]]] = {}
    for key, *row in wh.con.execute("SELECT repo_key, path, module, kind, is_weak FROM repo_evidence").fetchall():
        found.setdefault(key, []).append(tuple(row))  # type: ignore[arg-type]
    return {k: sorted(v) for k, v in found.items()}


def test_batches_hold_every_row_of_their_keys_stored_together_or_not(warehouse: Warehouse) -> None:
    # a/1 and a/2 together, a/3 written in two visits with others' rows between, a/4 none at all
    _store(warehouse, [("a/1", "x.py", "torch"), ("a/1", "y.py", "os"), ("a/3", "m.py", "jax"),
                       ("a/2", "z.py", "tensorflow"), ("a/5", "n.py", "weak"), ("a/3", "n.py", "flax")])  # fmt: skip
    keys = ["a/1", "a/2", "a/3", "a/4", "a/5"]
    batches = list(evidence_batches(warehouse, keys, 2))
    assert sorted(k for b in batches for k in b["keys"]) == keys  # every key once, a/4 too
    expected = _by_key(warehouse)
    for batch in batches:
        for key, rows in group_evidence(batch["keys"], batch["evidence"]).items():
            assert sorted(rows) == expected.get(key, []), key
    assert all(isinstance(b["evidence"], pa.Table) for b in batches)


def test_a_batch_whose_rows_moved_since_the_plan_is_read_by_key(warehouse: Warehouse) -> None:
    _store(warehouse, [(f"a/{i}", f"f{j}.py", "torch") for i in range(4) for j in range(3)])
    batches = evidence_batches(warehouse, [f"a/{i}" for i in range(4)], 2)
    first = next(batches)  # the plan is made: a/2 and a/3 are rows 6-11
    warehouse.con.execute("DELETE FROM repo_evidence WHERE repo_key = 'a/2' AND path = 'f0.py'")
    warehouse.con.execute("INSERT INTO repo_evidence VALUES ('a/2', 'f9.py', 'torch', 'python', false)")
    second = next(batches)  # its span misses the moved row: read again by key alone
    assert first["evidence"].num_rows == 6
    rows = group_evidence(second["keys"], second["evidence"])
    assert sorted(e.path for e in rows["a/2"]) == ["f1.py", "f2.py", "f9.py"]
    assert len(rows["a/3"]) == 3
