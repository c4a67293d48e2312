"""The ``papertrends`` command line: every command, its options, its help with an example."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from flows.cli.commands import (
    cmd_classify,
    cmd_crawl,
    cmd_explain,
    cmd_ingest,
    cmd_refresh,
    cmd_report,
    cmd_serve,
    cmd_status,
)

COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str, str]] = {
    "classify": (cmd_classify, "decide the framework of one local directory",
                 "papertrends classify ~/code/my-paper --json"),
    "ingest": (cmd_ingest, "read Papers with Code archive files (Parquet or .json.gz, path or URL)",
               "papertrends ingest --links links.parquet --papers papers.parquet"),
    "crawl": (cmd_crawl, "fetch metadata and evidence from GitHub for pending repositories",
              "GITHUB_TOKEN=... papertrends crawl --limit 100"),
    "refresh": (cmd_refresh, "run the whole flow: ingest, crawl, classify, store, report",
                "papertrends refresh --venue CVPR --since 2026-01-01 --runner dask"),
    "report": (cmd_report, "write share-over-time charts and series from the warehouse",
               "papertrends report --axis venue-year --freq year --out data/reports"),
    "status": (cmd_status, "what the warehouse holds: coverage, labels, last runs",
               "papertrends status --json"),
    "explain": (cmd_explain, "why a repository or a paper counts as it does: label, evidence, links",
                "papertrends explain facebookresearch/detectron2 --json"),
    "serve": (cmd_serve, "serve the refresh flow on a cron schedule (Prefect deployment); uses "
              "PREFECT_API_URL, else starts and owns a local Prefect server",
              "papertrends serve --cron '0 3 * * *' --catalog"),
}  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="papertrends",
        description="Which deep-learning framework does conference-paper code use, over time?",
        epilog="Example: papertrends refresh --sample && papertrends status",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=version_text(),
                        help="show the package and classifier versions and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_func, summary, example) in COMMANDS.items():
        cmd = sub.add_parser(name, help=summary, description=summary, epilog=f"Example: {example}")
        cmd.add_argument("--db", help="warehouse file (default: data/warehouse.duckdb)")
        # SUPPRESS: a subcommand's default must not undo `papertrends --debug COMMAND`
        cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")
        _add_options(name, cmd)
    return parser


def version_text() -> str:
    """``papertrends X (classifier Y)``: what produced a warehouse's decisions, without importing Prefect."""
    from importlib.metadata import PackageNotFoundError, version

    from analysis.classifier.frameworks import CLASSIFIER_VERSION

    try:
        package = version("papertrends")
    except PackageNotFoundError:  # run from a checkout that was never installed
        package = "unknown"
    return f"papertrends {package} (classifier {CLASSIFIER_VERSION})"


def _add_options(name: str, cmd: argparse.ArgumentParser) -> None:
    if name == "classify":
        cmd.add_argument("path", help="a local directory (a checkout)")
        cmd.add_argument("--json", action="store_true", help="print one JSON object")
    elif name == "status":
        cmd.add_argument("--json", action="store_true", help="print one JSON object")
    elif name == "explain":
        cmd.add_argument("key", metavar="OWNER/NAME|PAPER_ID|URL",
                         help="a repository (owner/name or its URL) or a paper (its id as stored, or an arXiv id)")
        cmd.add_argument("--json", action="store_true", help="print one JSON object")
    elif name == "ingest":
        cmd.add_argument("--links", nargs="+", metavar="PATH_OR_URL", help="links file(s): Parquet or .json.gz")
        cmd.add_argument("--papers", nargs="+", metavar="PATH_OR_URL", help="papers file(s): Parquet or .json.gz")
        cmd.add_argument("--from-hf", action="store_true",
                         help="download the archive's Parquet files from Hugging Face (cached; PAPERTRENDS_HF_URL)")
        cmd.add_argument("--no-progress", action="store_true", help="no download progress bar")
        cmd.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    elif name == "crawl":
        cmd.add_argument("--repo", action="append", metavar="OWNER/NAME", help="crawl only these (repeatable)")
        cmd.add_argument("--limit", type=int, help="at most N repositories")
        cmd.add_argument("--full", action="store_true",
                         help="also revisit ok repositories not due yet (unchanged ones cost ~nothing)")
        _add_via_option(cmd)
        cmd.add_argument("--json", action="store_true", help="print the summary as one JSON object")
        cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    elif name == "refresh":
        _add_source_options(cmd)
        cmd.add_argument("--since", help="live catalog: papers published on or after DATE (YYYY-MM-DD); "
                         "default: the last completed catalog refresh")
        cmd.add_argument("--full", action="store_true", help="re-do everything, not only new and changed work")
        cmd.add_argument("--reclassify", action="store_true",
                         help="re-decide every repository from stored evidence (no network)")
        _add_via_option(cmd)
        cmd.add_argument("--runner", choices=["default", "dask"], default="default",
                         help="where crawl and classify batches run: threads here, or a Dask cluster")
        cmd.add_argument("--address", metavar="tcp://HOST:8786",
                         help="Dask scheduler to use with --runner dask (default: a local cluster)")
        cmd.add_argument("--parquet", metavar="DIR_OR_URL",
                         help="where Parquet exports go: a folder or an fsspec URL like s3://bucket/papertrends")
        cmd.add_argument("--no-progress", action="store_true", help="no progress bars")
        cmd.add_argument("--verbose", action="store_true", help="show Prefect's own logs")
        _add_include_ports(cmd)
    elif name == "report":
        cmd.add_argument("--out", help="reports folder (default: reports/ beside the warehouse); a selection other "
                         "than all venues, venue-year, year goes to its own sub-folder, listed in index.html")
        cmd.add_argument("--axis", choices=["paper-date", "venue-year", "repo-created"], default="venue-year",
                         help="time axis: conference year, paper date or repository creation date")
        cmd.add_argument("--freq", choices=["month", "quarter", "year"], default="year",
                         help="period length on the date axes (venue-year is always yearly)")
        cmd.add_argument("--venue", action="append", metavar="V", help="only this venue, e.g. CVPR (repeatable)")
        _add_include_ports(cmd)
    elif name == "serve":
        cmd.add_argument("--cron", default="0 3 * * *", help="cron expression (default: daily at 03:00)")
        cmd.add_argument("--name", default="papertrends-daily", help="deployment name (default: papertrends-daily)")
        _add_source_options(cmd)
        cmd.add_argument("--parquet", metavar="DIR_OR_URL",
                         help="where each run's Parquet exports go: a folder or an fsspec URL")


def _add_via_option(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--via", choices=["git", "api"],
                     help="how repositories are fetched: git (partial clone, no API quota) or api (REST trees and "
                          "the raw host); default git when git 2.30+ is installed")  # fmt: skip


def _add_include_ports(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--include-ports", action="store_true",
                     help="count every linked implementation, later ports and suspect links included (Papers with "
                          "Code's 'all implementations'); default: only each paper's own code")  # fmt: skip


def _add_source_options(cmd: argparse.ArgumentParser) -> None:
    """Where new papers come from (refresh and serve); none means crawl and classify what is stored."""
    cmd.add_argument("--sample", action="store_true", help="use the bundled sample (no network)")
    cmd.add_argument("--sample-dir", metavar="DIR", help="with --sample: another folder in the sample's format")
    cmd.add_argument("--links", metavar="PATH_OR_URL", help="PWC archive links file (with --papers)")
    cmd.add_argument("--papers", metavar="PATH_OR_URL", help="PWC archive papers file (with --links)")
    cmd.add_argument("--catalog", action="store_true", help="new papers from the live catalog")
    cmd.add_argument("--venue", action="append", metavar="V", help="live catalog: only this venue (repeatable)")
    cmd.add_argument("--limit", type=int, help="crawl at most N repositories")
    cmd.add_argument("--budget", type=int, metavar="N",
                     help="crawl a seeded stratified sample of at most N repositories of the archive/catalog and "
                          "estimate the whole archive's shares with intervals (a larger N later tops it up; serve: "
                          "N more each run); a refresh without it completes the sample into a census")
    cmd.add_argument("--seed", type=int, help="with --budget: the draw's seed (default 24; a top-up keeps the first)")
    cmd.add_argument("--target-width", type=float, metavar="W",
                     help="with --budget: stop drawing a year once its PyTorch share's 95%% interval is about W "
                          "wide (e.g. 0.05)")
