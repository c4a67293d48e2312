"""Progress bars per refresh stage, on stderr, only when a person is watching.

The flow updates them from its own process as batches complete, so they work the
same whether batches run in threads or on a Dask cluster. Scheduled runs pass
``progress=False`` and get log lines instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flows.stopping import pause_point


class _Silent:
    """A bar that draws nothing: what a stage gets when nobody is watching."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass


@contextmanager
def stage_bar(stage: str, total: int | None, enabled: bool) -> Iterator[Any]:
    """A tqdm bar for one stage (``total=None`` draws a counter), or a silent stand-in.

    Entering it is the stage's named moment ``stage:<name>`` (:func:`flows.stopping.pause_point`).
    """
    pause_point(f"stage:{stage}")
    if not enabled:
        yield _Silent()
        return
    from tqdm import tqdm

    bar = tqdm(total=total, desc=f"{stage:<9}", unit="repo" if stage in {"crawl", "classify"} else "step",
               file=sys.stderr, dynamic_ncols=True, leave=True)  # fmt: skip
    try:
        yield bar
    finally:
        bar.close()
