"""What each ``papertrends`` command does: a few lines calling the functions the flows call.

Imports are lazy on purpose: ``classify``, ``status`` and ``--help`` must start fast,
and ``import prefect`` alone costs over a second, so each command imports what it needs
when it runs (none of these function-level imports hides a cycle: tests/test_architecture.py).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
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


def cmd_classify(args: argparse.Namespace) -> int:
    from analysis.classifier.frameworks import classify_evidence, evidence_by_label
    from flows.sources.snapshot import scan_directory

    path = Path(args.path)
    if not path.is_dir():
        raise UsageError(f"not a directory: {path}")
    scans = scan_directory(path)
    rows = [e for s in scans for e in s.evidence]
    decision = classify_evidence(rows)
    behind = _evidence_listed(decision, evidence_by_label(rows))
    if args.json:
        print(json.dumps({
            "path": str(path), "framework": decision.framework, "scores": decision.scores,
            "confidence": decision.confidence, "is_uncertain": decision.is_uncertain, "reason": decision.reason,
            "classifier_version": decision.classifier_version,
            "evidence": [{"path": e.path, "module": e.module, "kind": e.kind, "is_weak": e.is_weak, "label": label}
                         for label, evs in behind.items() for e in evs],
            "problems": [{"path": s.path, "problem": s.problem} for s in scans if s.problem],
        }))  # fmt: skip
        return EXIT_OK
    uncertain = ", uncertain" if decision.is_uncertain else ""
    print(f"{path}: {decision.framework} (confidence {decision.confidence:.2f}{uncertain}, {decision.reason})")
    for label, score in sorted(decision.scores.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<12} {score:8.2f}")
    for label, evs in behind.items():
        for ev in evs:
            print(f"  evidence for {label}: {ev.path}: {ev.module} ({ev.kind}{', weak' if ev.is_weak else ''})")
    return EXIT_OK


def _evidence_listed(decision: Any, by_label: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
    """The evidence of every label shown: each scored label (highest score first), then labels folded into
    another (standalone Keras into TensorFlow) or seen only as context, so no score lacks its files."""
    order = sorted(decision.scores, key=lambda k: -decision.scores[k])
    listed = {label: by_label.get(label, ()) for label in order}
    if decision.framework in listed and not listed[decision.framework]:
        listed[decision.framework] = decision.evidence
    listed.update({label: evs for label, evs in by_label.items() if label not in listed})
    return {label: evs for label, evs in listed.items() if evs}


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
    from flows.stopping import pause_point
    from flows.store.writer_lock import writer_claimed

    # Claimed from the start, not when the flow opens the warehouse seconds later: a second
    # refresh started meanwhile is refused at once instead of running after this one.
    with writer_claimed(params["db"]):
        pause_point("refresh:before-prefect")
        try:
            outcome = run_refresh(runner=args.runner, address=args.address, verbose=args.verbose, **params)
        except ValueError as exc:  # parameters Prefect's validation refused
            raise UsageError(str(exc)) from None
    if outcome.counts:
        print_summary(outcome, params["db"])
    pause_point("refresh:after-summary")
    if outcome.error:
        print(f"papertrends refresh: error: {one_line(Exception(outcome.error))}", file=sys.stderr)
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
    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit takes 0 or more repositories (0: crawl none this time)")
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
    from flows.report.write import check_selection, write_report

    try:
        check_selection(args.axis, args.freq)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
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
    from flows.sources.pwc_archive import hf_archive_urls
    from flows.sources.reachability import check_sources_reachable
    from flows.stages.ingest import ingest_archive
    from flows.store.warehouse import Warehouse
    from flows.store.writer_lock import writer_claimed

    settings = _settings(args)  # downloads are cached beside the warehouse --db names
    hf = hf_archive_urls(settings) if args.from_hf else {}
    links, papers = args.links or hf.get("links"), args.papers or hf.get("papers")
    if not links or not papers:
        raise UsageError("give --links and --papers (paths or URLs), or --from-hf for the archive on Hugging Face")
    check_sources_reachable({"links": links[0], "papers": papers[0]}, settings)  # before any file is created
    with writer_claimed(_db_path(args)), Warehouse(_db_path(args)) as wh:
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
    from flows.crawl.via_git import choose_via
    from flows.sources.reachability import check_github_reachable
    from flows.stopping import first_signal, mark_work_done, signal_received
    from flows.store.queries import unavailable_repos
    from flows.store.warehouse import Warehouse
    from flows.store.writer_lock import writer_claimed

    if args.limit is not None and args.limit < 0:
        raise UsageError("--limit takes 0 or more repositories (0: crawl none this time)")
    bad = [r for r in args.repo or [] if r.strip("/").count("/") != 1]
    if bad:
        raise UsageError(f"--repo takes OWNER/NAME, got {bad[0]!r}")
    settings = _settings(args)
    if not Path(_db_path(args)).exists():
        if not args.repo:  # nothing ingested, so nothing is due: no warehouse is created for it
            print(f"nothing to crawl: no warehouse at {_db_path(args)} yet (papertrends ingest or refresh first)")
            return EXIT_OK
        check_github_reachable(settings, choose_via(args.via, settings.crawl_via))  # offline: no file left behind
    run_id = str(uuid.uuid4())
    with writer_claimed(_db_path(args)), Warehouse(_db_path(args)) as wh:
        keys = add_repos(wh, args.repo) if args.repo else None
        wh.start_run(run_id, "crawl", {"repo": args.repo, "limit": args.limit, "full": args.full, "via": args.via})
        try:
            summary = crawl_repos(wh, settings, repo_keys=keys, limit=args.limit, full=args.full,
                                  progress=not args.quiet, via=args.via)  # fmt: skip
            unavailable = unavailable_repos(wh, keys) if keys else []
            text = json.dumps(summary) if args.json else format_crawl_summary(summary)
        except BaseException as exc:
            wh.abort_transaction()  # a signal can land between a batch's BEGIN and its guard
            stopped = _stopped(exc, signal_received())
            wh.finish_run(run_id, "interrupted" if stopped else "failed", {},
                          error=f"stopped by {signal.Signals(first_signal()).name}" if stopped else one_line(exc))
            raise
        error = _unavailable_line(unavailable, len(keys or [])) if unavailable else None
        # the row says what the exit code says: completed <-> 0, failed <-> 1
        status = "failed" if error else "completed"
        wh.finish_run(run_id, status, summary, error=error)
        mark_work_done(f"the crawl, recorded {status}")
    print(text)
    if error:
        print(f"papertrends crawl: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _stopped(exc: BaseException, signalled: bool) -> bool:
    """Whether a crawl that raised was stopped (a signal, or the stop flag its workers noticed) rather than failed."""
    from flows.stopping import STOP, StopRequested

    return signalled or isinstance(exc, KeyboardInterrupt | StopRequested) or STOP.is_set()


def _unavailable_line(unavailable: list[dict[str, Any]], n_asked: int) -> str:
    listed = "; ".join(f"{r['repo_key']} {r['status']}" + (f" ({r['status_reason']})" if r["status_reason"] else "")
                       for r in unavailable[:3])  # fmt: skip
    more = f" and {len(unavailable) - 3} more" if len(unavailable) > 3 else ""
    return f"{len(unavailable)} of {n_asked} repositories not crawled: {listed}{more}"


def format_crawl_summary(summary: dict[str, Any]) -> str:
    """What a crawl did, for a person; one line when nothing was due."""
    if not summary.get("selected"):
        return "nothing to crawl: every repository is up to date or waiting for its next check"
    req = summary.get("requests") or {}
    lines = [
        ", ".join([f"repositories {summary['selected']}: crawled {summary.get('crawled', 0)}",
                   f"unchanged {summary.get('unchanged', 0)}",
                   *(f"{k} {v}" for k, v in (summary.get("by_status") or {}).items())]),
        f"requests: {req.get('quota_counted', 0)} quota-counted ({summary.get('quota_per_repo', 0.0)}/repo), "
        f"{req.get('not_modified', 0)} free 304s, {req.get('raw', 0)} raw files, {summary.get('git_fetches', 0)} "
        f"git fetches (via {summary.get('via', 'api')}); quota left: {summary.get('quota_left') or 'unknown'}",
    ]
    lines += [f"failed ({n}): {reason}" for reason, n in (summary.get("failed") or {}).items()]
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


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) < 400 else text[:397] + "..."
