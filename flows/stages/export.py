"""Where the Parquet exports go: a local folder, or any fsspec URL (s3://, gs://, az://, ...).

The warehouse writes Parquet to a local folder (DuckDB's COPY with hive
partitioning, swapped in atomically); for object storage the finished folder is then
uploaded table by table. Object stores have no atomic rename, so a table is replaced
by deleting its prefix and uploading the new files: a reader listing the table during
those seconds may see it missing or incomplete. A refresh publishes once, at its end.
"""

from __future__ import annotations

from pathlib import Path

from flows.store.schema import PARTITION_BY


def is_remote(target: str) -> bool:
    """True for an fsspec URL other than a plain local path (``file://`` counts as remote: it goes through fsspec)."""
    return "://" in target


def publish_exports(local_dir: str | Path, target: str) -> list[str]:
    """Upload each table's export under ``local_dir`` to ``target``; return the table URLs.

    Credentials come from fsspec's usual places (environment, ~/.aws, instance roles),
    never from papertrends' settings or parameters.
    """
    import fsspec

    fs, root = fsspec.core.url_to_fs(target)
    root = root.rstrip("/")
    published = []
    for table in PARTITION_BY:
        source = Path(local_dir) / table
        if not source.is_dir():
            continue
        remote = f"{root}/{table}"
        if fs.exists(remote):
            fs.rm(remote, recursive=True)
        files = sorted(p for p in source.rglob("*") if p.is_file())
        fs.makedirs(remote, exist_ok=True)
        for path in files:
            destination = f"{remote}/{path.relative_to(source).as_posix()}"
            fs.makedirs(destination.rsplit("/", 1)[0], exist_ok=True)
            fs.put_file(str(path), destination)
        published.append(fs.unstrip_protocol(remote))
    return published
