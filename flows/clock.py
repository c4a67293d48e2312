"""The one clock of the shell: naive UTC timestamps, the form DuckDB's TIMESTAMP stores."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC timestamp, the form DuckDB's TIMESTAMP stores."""
    return datetime.now(UTC).replace(tzinfo=None)
