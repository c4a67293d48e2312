"""``papertrends``: a thin command line over the same functions the flows call.

Imports are lazy on purpose: ``classify``, ``status`` and ``--help`` must start
fast, and ``import prefect`` alone costs over a second.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in how the command was called (exit code 2)."""


def _settings(args: argparse.Namespace) -> Any:
    """The one settings object, for the warehouse ``--db`` names (its folder holds its outputs)."""
    from flows.settings import Settings

    return Settings.for_db(args.db)


def _db_path(args: argparse.Namespace) -> str:
    return str(_settings(args).db_path)


# --- commands -------------------------------------------------------------------


def cmd_classify(args: argparse.Namespace) -> int:
    from analysis.classifier.frameworks import classify_evidence
    from flows.sources.snapshot import scan_directory

    path = Path(args.path)
    if not path.is_dir():
        raise UsageError(f"not a directory: {path}")
    scans = scan_directory(path)
    decision = classify_evidence(e for s in scans for e in s.evidence)
    if args.json:
        print(json.dumps({
            "path": str(path), "framework": decision.framework, "scores": decision.scores,
            "confidence": decision.confidence, "is_uncertain": decision.is_uncertain, "reason": decision.reason,
            "classifier_version": decision.classifier_version,
            "evidence": [{"path": e.path, "module": e.module, "kind": e.kind, "is_weak": e.is_weak}
                         for e in decision.evidence],
            "problems": [{"path": s.path, "problem": s.problem} for s in scans if s.problem],
        }))  # fmt: skip
        return EXIT_OK
    uncertain = ", uncertain" if decision.is_uncertain else ""
    print(f"{path}: {decision.framework} (confidence {decision.confidence:.2f}{uncertain}, {decision.reason})")
    for label, score in sorted(decision.scores.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<12} {score:8.2f}")
    for ev in decision.evidence:
        print(f"  evidence: {ev.path}: {ev.module} ({ev.kind}{', weak' if ev.is_weak else ''})")
    return EXIT_OK


def _open_for_reading(args: argparse.Namespace) -> Any:
    """The warehouse read-only, or, while a refresh holds it, a view of its last Parquet export.

    The exports live beside the warehouse (``Settings.parquet_dir``); the fallback is said
    on stderr, so a reader knows the numbers are as of the last completed export.
    """
    from flows.store.warehouse import Warehouse, WarehouseBusy

    settings = _settings(args)
    try:
        return Warehouse(settings.db_path, read_only=True)
    except WarehouseBusy:
        exports = settings.parquet_dir
        if not exports.is_dir():
            raise
        print(f"papertrends {args.command}: the warehouse is in use by a refresh; "
              f"reading the last Parquet export in {exports}", file=sys.stderr)  # fmt: skip
        return Warehouse.from_exports(exports)


def cmd_status(args: argparse.Namespace) -> int:
    from flows.store.status import format_status, warehouse_status

    with _open_for_reading(args) as wh:
        status = warehouse_status(wh)
    print(json.dumps(status, default=str) if args.json else format_status(status))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from flows.cli.explain import explain_key
    from flows.cli.explain_text import format_explanation

    with _open_for_reading(args) as wh:
        explanation = explain_key(wh, args.key)
    print(json.dumps(explanation, default=str) if args.json else format_explanation(explanation))
    return EXIT_OK


def cmd_refresh(args: argparse.Namespace) -> int:
    params = _refresh_params(args)
    if args.address and args.runner != "dask":
        raise UsageError("--address needs --runner dask")
    from flows.sources.reachability import check_sources_reachable

    check_sources_reachable(params)  # offline, say so at once rather than after Prefect's start-up
    from flows.service.runner import print_summary, run_refresh

    try:
        outcome = run_refresh(runner=args.runner, address=args.address, verbose=args.verbose, **params)
    except ValueError as exc:  # parameters Prefect's validation refused
        raise UsageError(str(exc)) from None
    if outcome.counts:
        print_summary(outcome, params["db"])
    if outcome.error:
        print(f"papertrends refresh: error: {_one_line(Exception(outcome.error))}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _refresh_params(args: argparse.Namespace) -> dict[str, Any]:
    """Flow parameters from the options, checked here so a mistake is a usage error before Prefect starts."""
    params = _source_params(args)
    if args.since:
        from datetime import date

        try:
            params["since"] = date.fromisoformat(args.since)
        except ValueError:
            raise UsageError(f"--since wants a date as YYYY-MM-DD, got {args.since!r}") from None
    if args.full and args.reclassify:
        raise UsageError("--reclassify re-decides stored evidence without crawling; it does not combine with --full")
    params.update(db=_db_path(args), full=args.full, reclassify=args.reclassify, progress=not args.no_progress)
    if args.via:
        params["via"] = args.via
    if args.include_ports:
        params["include_ports"] = True
    if args.parquet:
        params["parquet_dir"] = args.parquet
    return params


def _source_params(args: argparse.Namespace) -> dict[str, Any]:
    """The source switches shared by refresh and serve."""
    if bool(args.links) != bool(args.papers):
        raise UsageError("--links and --papers go together (the archive's two files)")
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    if args.sample and (args.links or args.venue or args.catalog):
        raise UsageError("--sample is the offline demo; it does not combine with other sources")
    if args.sample_dir and not args.sample:
        raise UsageError("--sample-dir goes with --sample")
    if args.venue:
        from analysis.catalog.venues import check_venue_names

        try:
            check_venue_names(args.venue)  # before Prefect starts, not deep in the catalog step
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    params: dict[str, Any] = {"sample": args.sample, "catalog": args.catalog}
    if args.sample_dir:
        params["sample_dir"] = str(Path(args.sample_dir).resolve())
    for key, value in (("links", args.links), ("papers", args.papers), ("venues", args.venue), ("limit", args.limit)):
        if value is not None:
            params[key] = value
    return params


def cmd_report(args: argparse.Namespace) -> int:
    from flows.report.write import write_report

    out = args.out or str(_settings(args).reports_dir)
    with _open_for_reading(args) as wh:
        venues = _report_venues(wh, args.venue)
        written = write_report(wh, out, axis=args.axis, freq=args.freq, venues=venues,
                               include_ports=args.include_ports)
    for key in ("html", "png", "svg", "csv", "parquet"):
        if key in written:
            print(f"{key}: {written[key]}")
    print(f"index: {written['index']}")
    print(f"files: {len(written['charts'])} chart files, {len(written['series'])} series files")
    if not written["counts"]:  # a chart with no periods is a failure, said with the filter that left nothing
        reason = written["empty_reason"] or "no paper of the selection is counted"
        print(f"papertrends report: error: nothing to chart: {reason}", file=sys.stderr)
        return EXIT_FAILURE
    print("per period: " + ", ".join(f"{p} n={n:g}" for p, n in written["counts"]))
    print(f"plausibility: {written['n_defects']} paper(s) counted under a framework before its release"
          + (" (listed in the report)" if written["n_defects"] else ""))
    return EXIT_OK


def _report_venues(wh: Any, names: list[str] | None) -> list[str] | None:
    """``--venue`` values as the canonical venues the warehouse holds (NIPS is NeurIPS); a usage error otherwise."""
    if not names:
        return None
    from analysis.catalog.venues import resolve_venues
    from flows.store.queries import venues_held

    try:
        return resolve_venues(names, venues_held(wh))
    except ValueError as exc:
        raise UsageError(str(exc)) from None



def cmd_ingest(args: argparse.Namespace) -> int:
    from flows.settings import Settings
    from flows.sources.pwc_archive import hf_archive_urls
    from flows.stages.ingest import ingest_archive
    from flows.store.warehouse import Warehouse

    settings = Settings.from_env()
    hf = hf_archive_urls(settings) if args.from_hf else {}
    links, papers = args.links or hf.get("links"), args.papers or hf.get("papers")
    if not links or not papers:
        raise UsageError("give --links and --papers (paths or URLs), or --from-hf for the archive on Hugging Face")
    with Warehouse(_db_path(args)) as wh:
        counts = ingest_archive(wh, links, papers, settings, progress=not args.no_progress)
    if args.json:
        print(json.dumps(counts))
        return EXIT_OK
    print(f"papers: {counts['papers']:,}  links: {counts['links']:,}  papers only in links: "
          f"{counts['papers_from_links']:,}  new pending repos: {counts['repos_pending_added']:,}")
    for title, key in (("skipped rows", "skipped"), ("links not crawled", "links_not_crawlable")):
        if counts[key]:
            print(f"{title}: " + ", ".join(f"{k} {v:,}" for k, v in counts[key].items()))
    return EXIT_OK


def cmd_crawl(args: argparse.Namespace) -> int:
    import uuid

    from flows.crawl.driver import crawl_repos
    from flows.crawl.outcomes import add_repos
    from flows.settings import Settings
    from flows.store.queries import unavailable_repos
    from flows.store.warehouse import Warehouse

    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit must be >= 0")
    bad = [r for r in args.repo or [] if r.strip("/").count("/") != 1]
    if bad:
        raise UsageError(f"--repo takes OWNER/NAME, got {bad[0]!r}")
    settings = Settings.from_env()
    run_id = str(uuid.uuid4())
    with Warehouse(_db_path(args)) as wh:
        keys = add_repos(wh, args.repo) if args.repo else None
        wh.start_run(run_id, "crawl", {"repo": args.repo, "limit": args.limit, "full": args.full, "via": args.via})
        try:
            summary = crawl_repos(wh, settings, repo_keys=keys, limit=args.limit, full=args.full,
                                  progress=not args.quiet, via=args.via)  # fmt: skip
        except BaseException as exc:
            wh.finish_run(run_id, "failed", {}, error=_one_line(exc))
            raise
        wh.finish_run(run_id, "completed", summary)
        unavailable = unavailable_repos(wh, keys) if keys else []
    print(json.dumps(summary) if args.json else _format_crawl_summary(summary))
    if unavailable:
        listed = "; ".join(f"{r['repo_key']} {r['status']}" + (f" ({r['status_reason']})" if r["status_reason"] else "")
                           for r in unavailable[:3])  # fmt: skip
        more = f" and {len(unavailable) - 3} more" if len(unavailable) > 3 else ""
        print(f"papertrends crawl: error: {len(unavailable)} of {len(keys or [])} repositories not crawled: "
              f"{listed}{more}", file=sys.stderr)  # fmt: skip
        return EXIT_FAILURE
    return EXIT_OK



def _format_crawl_summary(summary: dict[str, Any]) -> str:
    req = summary["requests"]
    lines = [
        ", ".join([f"repositories {summary['selected']}: crawled {summary['crawled']}",
                   f"unchanged {summary['unchanged']}", *(f"{k} {v}" for k, v in summary["by_status"].items())]),
        f"requests: {req['quota_counted']} quota-counted ({summary['quota_per_repo']}/repo), "
        f"{req['not_modified']} free 304s, {req['raw']} raw files, {summary.get('git_fetches', 0)} git fetches "
        f"(via {summary.get('via', 'api')}); quota left: {summary['quota_left'] or 'unknown'}",
    ]
    lines += [f"failed ({n}): {reason}" for reason, n in summary["failed"].items()]
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> int:
    params = _source_params(args)
    if args.db:
        params["db"] = str(Path(args.db).resolve())  # scheduled runs may start in another folder
    if args.parquet:
        params["parquet_dir"] = args.parquet if "://" in args.parquet else str(Path(args.parquet).resolve())
    from flows.settings import quiet_prefect_defaults

    quiet_prefect_defaults()
    from flows.service.serve import serve_refresh, validate_cron

    try:
        cron = validate_cron(args.cron)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    serve_refresh(cron, name=args.name, parameters=params)
    from flows.stopping import exit_code, signal_received

    if not signal_received():
        return EXIT_OK
    # stopped as a service is stopped: the same 130/143 as any command a signal ended
    print(f"papertrends serve: stopped by {signal.Signals(exit_code() - 128).name}; the schedule is paused "
          "until serve runs again", file=sys.stderr)  # fmt: skip
    return exit_code()


# --- parser ---------------------------------------------------------------------

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command][0](args)
    except BrokenPipeError:  # the reader went away (`papertrends explain X | head`): not an error to report
        _silence_stdout()
        return EXIT_FAILURE
    except Exception as exc:
        if not _stopping():
            return _report_error(args, exc)
        # the signal surfaced wrapped in another error (e.g. Prefect's parameter serialisation)
    except KeyboardInterrupt:
        pass
    _ignore_further_signals()
    from flows.stopping import exit_code

    code = exit_code()
    print(f"papertrends {args.command}: stopped by {signal.Signals(code - 128).name}; what was stored is kept "
          "and the next run resumes from there", file=sys.stderr)  # fmt: skip
    return code


def _ignore_further_signals() -> None:
    """The command is stopping: a late or repeated signal must not surface as a second,
    uncaught ``KeyboardInterrupt`` (Python then ends the process by SIGINT, exit -2)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


def _stopping() -> bool:
    """True once SIGINT/SIGTERM was received (cheap: flows.stopping imports nothing)."""
    from flows.stopping import signal_received

    return signal_received()


def _report_error(args: argparse.Namespace, exc: Exception) -> int:
    """One line for the user (the traceback with --debug); 2 for usage errors, else 1."""
    if isinstance(exc, UsageError):
        print(f"papertrends {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.debug:
        raise exc
    print(f"papertrends {args.command}: error: {_one_line(exc)}", file=sys.stderr)
    return EXIT_FAILURE


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) < 400 else text[:397] + "..."


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush into a closed pipe stays quiet."""
    import os

    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _stop_on_signals_early() -> None:
    """Make SIGINT and SIGTERM unwind from the first moment, remembering which signal it was.

    Python's default for SIGTERM ends the process with no word and no exit code of ours,
    and its default SIGINT is not seen by the threads; a refresh installs its own handlers
    only once Prefect has been imported, seconds later.
    """
    from flows.service.signals import on_repeated_signal
    from flows.stopping import request_stop

    def handle(signum: int, frame: object) -> None:
        on_repeated_signal(signum)
        request_stop(signum)
        raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handle)


def entrypoint() -> None:
    _stop_on_signals_early()
    try:
        code = main()
    except KeyboardInterrupt:  # a signal before main's own handling was reached (parsing the options)
        from flows.stopping import exit_code

        code = exit_code()
    if code >= 128:
        _ignore_further_signals()
    try:
        sys.stdout.flush()  # output still buffered meets a closed pipe here, not in the interpreter's shutdown
    except BrokenPipeError:
        _silence_stdout()
    except KeyboardInterrupt:  # the first signal arrived just as the command ended
        from flows.stopping import exit_code

        code = exit_code()
    sys.exit(code)


if __name__ == "__main__":
    entrypoint()
