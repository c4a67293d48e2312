"""Batch work for the refresh flow, split into worker-side and writer-side halves.

DuckDB allows one writer per file, and a Dask worker may run on another machine, so
the work that can run anywhere (fetching a batch of repositories, classifying a
batch of evidence) takes plain rows in and returns plain rows out; only the flow's
own process opens the warehouse and stores each batch as it completes. Every value
crossing that line is picklable (lists, dicts, pyarrow tables) and holds no secret.
"""

from __future__ import annotations

from flows.classify import BATCH_REPOS, classify_batch_rows, evidence_batches, evidence_of  # noqa: F401 - the flow calls them as batches.*
from flows.crawl_driver import CRAWL_BATCH, chunked  # noqa: F401 - the flow calls them as batches.*

CLASSIFY_BATCH = BATCH_REPOS
