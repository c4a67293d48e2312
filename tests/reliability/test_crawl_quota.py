"""Issue 22's quota numbers on both paths, through 5 % transient faults: 70 repositories (65 real, one
renamed, and a 404, 451, 403 and 409), a token set; no repository ends ``failed``, and each path stays
within its quota: git at most 5 quota-counted requests on the first crawl and 2 on the next plain one,
the API at most 1.05 a repository and then 0.02; git never reads the raw host."""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability.quota_scenario import crawl_through_faults

from flows.sources.http import RetryPolicy

pytestmark = pytest.mark.slow

FAST = RetryPolicy(max_tries=5, base_delay=0.05, max_delay=0.5)  # the production policy's tries, shorter waits


@pytest.mark.parametrize("via", ["api", "git"])
def test_70_repositories_through_5_percent_faults_within_quota_and_none_failed(tmp_path: Path, via: str) -> None:
    result = crawl_through_faults(via, tmp_path, retry=FAST, log=print)
    first, second = result["first"], result["second"]
    assert first["faults_injected"] >= 3, first  # the faults really were met
    assert first["failed"] == {} and "failed" not in first["statuses"], first
    assert first["statuses"] == {"blocked": 1, "disabled": 1, "empty": 1, "missing": 1, "ok": 66, "renamed": 1}
    assert second["selected"] == 0 and "failed" not in second["statuses"], second  # nothing is due
    if via == "git":
        assert first["quota_counted"] <= 5 and second["quota_counted"] <= 2, result
        assert first["raw_reads"] == 0 and second["raw_reads"] == 0
    else:
        assert first["quota_per_repo"] <= 1.05 and second["quota_per_repo"] <= 0.02, result
