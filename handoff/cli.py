"""`handoff` (or `python -m handoff` in a checkout): everything the pages read, without a browser.

demo     write the deterministic demo dataset (and the agreement) to a folder
import   load an export (a canonical dataset, a HubSpot, Salesforce or Zoho export, or any
         export a mapping file describes) into the database, atomically, with a rejects file
check    validate an export and print every problem, importing nothing; exits 0 when no row
         is bad (rows a mapping's rule sets aside are not bad), 1 when rows would be rejected,
         2 when the export cannot be read (with --json: the outcome per file as JSON)
metrics  print the numbers the pages show for a period and filters, as JSON
sql      print a query (queries/NAME.sql) as Handoff runs it for a period and filters, with its
         parameters, as a script for the DuckDB CLI: `python -m handoff sql funnel_breakdown
         --period 2026-03 --by source > q.sql && duckdb < q.sql`
report   write the feedback-session report for a period and filters as one HTML file
serve    serve the app (Streamlit) on this machine: 127.0.0.1:8501 unless told otherwise
starter  propose a starter agreement from the loaded data (MQL goals from the last three complete
         months' median volume, acceptance and discard targets from the observed rates), for the
         time zone and business hours given; printed, or written to --out

The sql command's script attaches the database read-only, sets the agreement's time zone, shows
the tables and the staging objects as the app does, sets each parameter with SET VARIABLE and
runs the compiled SQL with getvariable() in place of each $parameter (prepared statements cannot
be EXPLAINed). $periods holds the period alone, as the pages count a table, or with --compare
the period and the one before it, as a comparison counts them; a trend's first month is twelve
months back; --param NAME=VALUE gives a query's own parameters (VALUE as JSON, or else as text);
--explain runs it under EXPLAIN ANALYZE (the plan with each operator's rows and time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import re
import sys
from pathlib import Path

from handoff import agreement as agreement_mod
from handoff import changelog, demo, importer, mapping, metrics, report, starter
from handoff import serve as serve_mod
from handoff.contract import GROUP_COLUMNS
from handoff.db import Database, agreement_path_from_env, db_path_from_env, load_query
from handoff.filters import PERIODS, VIEWS, Filters, Period, resolve_period
from handoff.importer import progress as progress_mod


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (
        importer.ImportFailure,
        agreement_mod.AgreementError,
        mapping.MappingError,
        FileNotFoundError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # StarterError among them
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="handoff", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(required=True, metavar="command")

    p = sub.add_parser("demo", help="write the demo dataset")
    p.add_argument("--leads", type=int, default=24_000, help="number of leads (default 24000)")
    p.add_argument("--months", type=int, default=20, help="months of history (default 20)")
    p.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        help="first day after the data (default: today, in the agreement's time zone)",
    )
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument(
        "--touches-per-lead", type=float, default=4, help="average marketing touches (default 4)"
    )
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--out", type=Path, default=Path("demo-data"), help="folder (default demo-data)")
    p.add_argument("--agreement", type=Path, default=None, help="agreement file to copy")
    p.set_defaults(run=_demo)

    p = sub.add_parser("serve", help="serve the app on this machine (127.0.0.1:8501)")
    p.add_argument("--address", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=int, default=8501, help="port (8501)")
    _db_args(p)
    p.add_argument(
        "--open-without-sign-in",
        action="store_true",
        help="allow an address other than this machine's without sign-in (anyone who can reach "
        "it reads every page)",
    )
    p.set_defaults(run=_serve)

    p = sub.add_parser("import", help="load an export into the database")
    _export_args(p)
    _db_args(p)
    p.add_argument("--rejects", type=Path, help="rejects file (default: next to the database)")
    p.add_argument(
        "--update",
        action="store_true",
        help="merge the export into the database: new leads added, changed ones replaced, "
        "the others kept (README, Daily refresh)",
    )
    p.add_argument(
        "--complete",
        action="store_true",
        help="with --update: the export holds every lead; leads missing from it are deleted",
    )
    p.set_defaults(run=_import)

    p = sub.add_parser(
        "check",
        help="validate an export without importing it",
        description="Read an export as an import would, importing nothing. Every row ends "
        "accepted, set aside by a rule of the mapping (not bad data) or rejected as bad. Exit "
        "codes: 0 when no row is bad (set-aside rows are not bad), 1 when rows would be "
        "rejected, 2 when the export cannot be read (no leads file, an unreadable mapping, a "
        "missing required column, ...).",
    )
    _export_args(p)
    p.add_argument("--agreement", type=Path, default=None, help="agreement file")
    p.add_argument("--limit", type=int, default=50, help="rejected rows to print per table")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the outcome as JSON: per file read, accepted, set_aside and rejected, the "
        'rejected rows by cause and the set-aside rows by rule (an error as {"error": ...})',
    )
    p.set_defaults(run=_check)

    p = sub.add_parser("metrics", help="print the pages' numbers as JSON")
    p.add_argument("--json", action="store_true", required=True, help="JSON output (required)")
    _db_args(p)
    _filter_args(p)
    p.add_argument("--by", default="source", help="funnel breakdown: a lead column or attribute")
    p.add_argument("--by2", default=None, help="a second breakdown")
    p.set_defaults(run=_metrics)

    p = sub.add_parser("sql", help="print a query as a script for the DuckDB CLI")
    p.add_argument("name", metavar="NAME", help="a query of queries/, e.g. funnel_breakdown")
    _db_args(p)
    _filter_args(p)
    p.add_argument(
        "--by",
        default=None,
        help="breakdown (group_1): a lead column or attribute; for attribution (credited): "
        "channel, campaign or source",
    )
    p.add_argument("--by2", default=None, help="a second breakdown (group_2)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter of the query's own, VALUE as JSON (else text), e.g. limit=20",
    )
    p.add_argument(
        "--compare", action="store_true", help="$periods: the period and the one before it"
    )
    p.add_argument("--explain", action="store_true", help="run it under EXPLAIN ANALYZE")
    p.set_defaults(run=_sql)

    p = sub.add_parser("report", help="write the feedback-session report as one HTML file")
    _db_args(p)
    _filter_args(p)
    p.add_argument("--out", type=Path, default=Path("report.html"), help="default report.html")
    p.add_argument("--pdf", type=Path, default=None, help="also print it to this PDF (Chromium)")
    p.set_defaults(run=_report)

    p = sub.add_parser("starter", help="propose a starter agreement from the loaded data")
    _db_args(p)
    p.add_argument("--time-zone", required=True, help="IANA time zone, e.g. Europe/Berlin")
    p.add_argument("--opens", required=True, help="business hours start, e.g. 09:00")
    p.add_argument("--closes", required=True, help="business hours end, e.g. 17:00")
    p.add_argument(
        "--working-days",
        default=",".join(starter.DEFAULT_WORKING_DAYS),
        help="comma-separated, e.g. Mon,Tue,Wed,Thu,Fri (the default)",
    )
    p.add_argument("--name", default=None, help="the agreement's name (default: from the export)")
    p.add_argument("--out", type=Path, default=None, help="write it to this file (default: print)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.set_defaults(run=_starter)
    return parser


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--period",
        default=None,
        help=f"{', '.join(PERIODS)}, a month as YYYY-MM or a quarter as YYYY-Qn (default "
        "last_month, or custom when --from and --to are given)",
    )
    p.add_argument("--from", dest="start", type=dt.date.fromisoformat, help="custom period start")
    p.add_argument(
        "--to", dest="end", type=dt.date.fromisoformat, help="custom period end, inclusive"
    )
    p.add_argument("--view", choices=tuple(VIEWS), default="created")
    p.add_argument("--strict", action="store_true", help="count stages in strict order")
    p.add_argument("--source", action="append", default=[], help="repeat for several")
    p.add_argument("--campaign", action="append", default=[])
    p.add_argument("--owner", action="append", default=[])
    p.add_argument("--team", action="append", default=[])
    p.add_argument(
        "--attribute", action="append", default=[], metavar="NAME=VALUE", help="lead attribute"
    )


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", type=Path, metavar="PATH", help="the export: a folder or one file")
    how = p.add_mutually_exclusive_group()
    how.add_argument(
        "--format",
        choices=(mapping.CANONICAL, *mapping.BUILTIN_FORMATS),
        help="how the export is written (default: recognised from the headers)",
    )
    how.add_argument("--mapping", type=Path, help="a mapping file (TOML) for any other export")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress lines (by default a line per stage on stderr: its rows and rows/s)",
    )


def _progress(args: argparse.Namespace) -> importer.Progress | None:
    """The stages of a check or an import on stderr, unless --quiet."""
    return None if args.quiet else progress_mod.printer(sys.stderr, sys.stderr.isatty())


def _db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="database (default data/handoff.duckdb)")
    p.add_argument("--agreement", type=Path, default=None, help="default data/agreement.toml")


def _agreement(args: argparse.Namespace) -> agreement_mod.Agreement:
    return agreement_mod.load(args.agreement or agreement_path_from_env())


def _demo(args: argparse.Namespace) -> int:
    counts = demo.generate(
        args.out,
        n_leads=args.leads,
        months=args.months,
        end_date=args.end_date,
        seed=args.seed,
        touches_per_lead=args.touches_per_lead,
        file_format=args.format,
        agreement_path=args.agreement or agreement_path_from_env(),
        progress=lambda msg: print(msg, file=sys.stderr),
    )
    for table, n in counts.items():
        print(f"{table:<11} {n:>12,} rows")
    print(f"Written to {args.out}/ (with agreement.toml)")
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        command, env = serve_mod.prepare(
            args.address,
            args.port,
            args.db,
            args.agreement,
            args.open_without_sign_in,
            say=lambda msg: print(msg, file=sys.stderr),
        )
    except serve_mod.ServeRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Serving Handoff on http://{args.address}:{args.port}", file=sys.stderr)
    serve_mod.serve(command, env)
    return 0  # not reached: serve becomes the server


def _import(args: argparse.Namespace) -> int:
    agreement = _agreement(args)
    db_path = args.db or db_path_from_env()
    print(f"Agreement: {agreement.name} (time zone {agreement.time_zone})")
    if args.complete and not args.update:
        raise importer.ImportFailure(
            "--complete says which leads an update deletes: use it with --update (a full "
            "import always replaces every lead)"
        )
    if args.update:
        update = importer.update_dataset(
            args.folder,
            db_path,
            agreement,
            complete=args.complete,
            rejects_path=args.rejects,
            progress=_progress(args),
            format=args.format,
            mapping=args.mapping,
        )
        result = update.result
        print(result.summary())
        print(update.summary())
    else:
        result = importer.import_dataset(
            args.folder,
            db_path,
            agreement,
            rejects_path=args.rejects,
            progress=_progress(args),
            format=args.format,
            mapping=args.mapping,
        )
        print(result.summary())
    changelog.record(
        db_path,
        changelog.cli_actor(),
        "update" if args.update else "import",
        f"{Path(args.folder).name}: {sum(t.n_accepted for t in result.tables):,} rows, "
        f"{result.n_rejected:,} rejected",
    )
    done = "Updated" if args.update else "Imported into"
    print(f"{done} {db_path}; the data ends {_when(result.data_end_at, agreement)}.")
    db = Database(db_path, agreement)
    _print_quality(db)
    gaps = starter.mismatch(db)
    if not starter.fits(gaps):
        bh = agreement.business_hours
        print(
            f"The agreement does not fit this data ({starter.describe(gaps)}); for a starter "
            f"agreement from it: python -m handoff starter --db {db_path} --time-zone "
            f"{agreement.time_zone} --opens {bh.opens:%H:%M} --closes {bh.closes:%H:%M} "
            "--out starter.toml (the time zone and hours shown are the agreement in use's: give "
            "yours)"
        )
    return 0


def _check(args: argparse.Namespace) -> int:
    """Exit 0 when no row is bad, 1 when rows would be rejected, 2 when the export cannot be
    read (an error `main` reports, or with --json one printed as JSON)."""
    agreement = _agreement(args)
    try:
        result, con = importer.check_dataset(
            args.folder, agreement, _progress(args), format=args.format, mapping=args.mapping
        )
    except (importer.ImportFailure, mapping.MappingError) as exc:
        if not args.json:
            raise
        json.dump({"error": str(exc), "exit_code": 2}, sys.stdout, indent=2)
        print()
        return 2
    code = 1 if result.n_rejected else 0
    if args.json:
        json.dump({**result.to_json(), "exit_code": code}, sys.stdout, indent=2)
        print()
        return code
    print(result.summary())
    rows = con.execute(
        "select file_name, line, column_name, reason from (select *, row_number() over"
        " (partition by table_name order by line) as nth from import_rejects"
        " where outcome = 'rejected') where nth <= $limit order by table_name, line",
        {"limit": args.limit},
    ).fetchall()
    if rows:
        print("\nRejected rows (file line: what is wrong):")
        for file, line, _column, reason in rows:
            print(f"  {file} line {line}, {reason}")
        if result.n_rejected > len(rows):
            print(f"  ... {result.n_rejected - len(rows):,} more (raise --limit to see them)")
    aside = (
        f" {_rows(result.n_set_aside)} would be set aside by the mapping's rules (not bad data)."
        if result.n_set_aside
        else ""
    )
    if result.n_rejected:
        print(f"\n{_rows(result.n_rejected)} would be rejected.{aside} Nothing was imported.")
    else:
        print(f"\nNo problems: ready to import.{aside} Nothing was imported.")
    return code


def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def _print_quality(db: Database) -> None:
    frame = db.run("data_quality")
    fired = frame[frame["n_rows"] > 0]
    if fired.empty:
        print("Data quality: no warnings.")
        return
    print("Data quality:")
    for row in fired.itertuples():
        print(f"  {row.severity:<8} {row.n_rows:>8,}  {row.check_name}: {row.handling}")


def _filters(args: argparse.Namespace, db: Database) -> Filters:
    """The period and filters the command line asked for; a conflict or a value the data does not
    have is an error that says so."""
    end = metrics.data_end(db)
    if end is None:
        raise ValueError("the database holds no leads")
    grouped: dict[str, tuple[str, ...]] = {}
    for item in args.attribute:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--attribute takes NAME=VALUE, got {item!r}")
        grouped[name] = (*grouped.get(name, ()), value)
    filters = Filters(
        period=_period(args, end.date()),
        view=args.view,
        strict=args.strict,
        sources=tuple(args.source),
        campaigns=tuple(args.campaign),
        owners=tuple(args.owner),
        teams=tuple(args.team),
        attributes=tuple(grouped.items()),
    )
    unknown = unknown_values(db, filters)
    if unknown:
        raise ValueError("; ".join(unknown))
    return filters


def _period(args: argparse.Namespace, data_end: dt.date) -> Period:
    """--period, or --from and --to alone (a custom period); both at once is a conflict."""
    kind, start, stop = args.period, args.start, args.end
    if kind is None:
        kind = "custom" if start or stop else "last_month"
    elif kind != "custom" and (start or stop):
        given = " and ".join(f for f, v in (("--from", start), ("--to", stop)) if v)
        raise ValueError(
            f"--period {kind} conflicts with {given}: give either --period, or --from and --to "
            "(a custom period)"
        )
    if kind == "custom" and not (start and stop):
        raise ValueError("a custom period needs both --from and --to (dates as YYYY-MM-DD)")
    month = re.fullmatch(r"(\d{4})-(\d{2})", kind)
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", kind, flags=re.I)
    if month or quarter:
        # A month like 2026-10 or a quarter like 2026-Q4: its first to its last day, labelled
        # and compared as that month or quarter.
        year, first_month = (
            (int(month[1]), int(month[2])) if month else (int(quarter[1]), 3 * int(quarter[2]) - 2)
        )
        if not 1 <= first_month <= 12:
            raise ValueError(f"--period {kind}: no such month")
        first = dt.date(year, first_month, 1)
        following = first
        for _ in range(1 if month else 3):
            following = (following + dt.timedelta(days=32)).replace(day=1)
        kind, start, stop = "custom", first, following - dt.timedelta(days=1)
    return resolve_period(kind, data_end, start, stop)


def unknown_values(db: Database, filters: Filters) -> list[str]:
    """For each filter value the data does not have: what was asked and the closest values."""
    options = db.run("filter_options")
    attributes = db.run("attribute_options")
    asked = [
        (key, values, set(options.loc[options["dimension"] == key, "value"]))
        for key, values in zip(
            GROUP_COLUMNS,
            (filters.sources, filters.campaigns, filters.owners, filters.teams),
            strict=True,
        )
    ] + [
        (name, values, set(attributes.loc[attributes["attribute"] == name, "value"]))
        for name, values in filters.attributes
    ]
    out = []
    for key, values, known in asked:
        for value in values:
            if value in known:
                continue
            close = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.5)
            hint = (
                f"closest: {', '.join(repr(c) for c in close)}"
                if close
                else f"{len(known):,} values, e.g. {', '.join(repr(c) for c in sorted(known)[:3])}"
                if known
                else "no such attribute"
            )
            out.append(f"{key} {value!r} is not in the data ({hint})")
    return out


def _metrics(args: argparse.Namespace) -> int:
    db = Database(args.db or db_path_from_env(), _agreement(args))
    data = report.collect(db, _filters(args, db), by=args.by, by2=args.by2)
    json.dump(data, sys.stdout, indent=2)
    print()
    return 0


def _sql(args: argparse.Namespace) -> int:
    db = Database(args.db or db_path_from_env(), _agreement(args))
    filters = _filters(args, db)
    query = load_query(args.name)
    own: dict[str, object] = {}
    for item in args.param:
        key, sep, text = item.partition("=")
        if not sep or key not in query.declared_params:
            raise ValueError(
                f"--param takes NAME=VALUE with a parameter of {args.name}, got {item!r}"
                f" (its parameters: {', '.join(query.declared_params) or 'none'})"
            )
        try:
            own[key] = json.loads(text)
        except json.JSONDecodeError:
            own[key] = text
    periods = [filters.period, filters.period.previous()] if args.compare else None
    trend_months = metrics.TREND_MONTHS if "trend_start_at" in query.declared_params else None
    params = metrics.params_for(db, args.name, filters, periods=periods, trend_months=trend_months)
    params.update(own)
    missing = [p for p in query.declared_params if p not in params]
    if missing:
        raise ValueError(f"{args.name} needs --param for {', '.join(missing)}")
    slot = "credited" if "credited" in query.declared_slots else "group_1"
    columns = {slot: column for slot, column in ((slot, args.by), ("group_2", args.by2)) if column}
    print(db.script(args.name, params, columns, explain=args.explain), end="")
    return 0


def _report(args: argparse.Namespace) -> int:
    db = Database(args.db or db_path_from_env(), _agreement(args))
    filters = _filters(args, db)
    print(f"Collecting {filters.period.label} ...", file=sys.stderr)
    page = report.render(report.collect(db, filters))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    print(f"Report written to {args.out} ({len(page.encode()) / 1e6:.1f} MB, self-contained).")
    if args.pdf is not None:
        report.to_pdf(args.out, args.pdf)
        print(f"PDF written to {args.pdf}.")
    return 0


def _when(value: dt.datetime | None, agreement: agreement_mod.Agreement) -> str:
    if value is None:
        return "nowhere (no timestamps)"
    return f"{value.astimezone(agreement.tz):%Y-%m-%d %H:%M %Z}"


def _starter(args: argparse.Namespace) -> int:
    if args.out is not None and args.out.exists() and not args.force:
        raise ValueError(f"{args.out} exists; give --force to overwrite it")
    db = Database(args.db or db_path_from_env(), _agreement(args))
    name = args.name or starter.default_name(db)
    proposal = starter.propose(
        db,
        time_zone=args.time_zone,
        opens=args.opens,
        closes=args.closes,
        working_days=starter.working_days_of(args.working_days),
        name=name,
    )
    for note in proposal.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.out is None:
        print(proposal.toml, end="")
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(proposal.toml, encoding="utf-8")
    print(
        f"Starter agreement written to {args.out}. Review it with both teams, then use it: "
        f"python -m handoff import FOLDER --agreement {args.out}"
    )
    return 0
