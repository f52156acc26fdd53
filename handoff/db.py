"""Opening the database, building the staging tables, and running named queries.

One `Database` per process: an in-memory DuckDB catalog that attaches the imported file
read-only as `lake` (so any number of processes can read it while an import builds the next
one), shows its tables under their own names and sets the agreement's time zone. The staging
tables of `queries/staging/` (the per-lead facts every page reads) are built at import, in the
database file, for the agreement of that import. When the agreement (or the staging SQL) has
changed since, they are rebuilt in memory on opening, so the pages always count by the
agreement in force. Every question is a file in `queries/`, run by name through `Database.run`
on its own cursor with bound parameters only.

A query file starts with a header:

    -- Question: what it answers
    -- Params: $a, $b          (or: none; a long list goes on in lines of `--   $c, $d`)
    -- Grain: one row per ...
    -- Uses: scoped_leads      (optional: fragments from queries/fragments/, prepended as CTEs)
    -- Columns: {{group_1}}    (optional: column slots the runner fills, see `Database.run`)
    -- Creates: view           (staging only: a view, not a table)

Params and Columns are the query's interface as it runs: the parameters and the column slots
of the compiled SQL, its fragments' included, so the header says everything a caller binds.
`load_query` refuses a header that says otherwise.

The importer's own SQL (`queries/import/`) has the same header and is loaded the same way.

Values are always bound. A column chosen at run time (a breakdown by source or by a lead
attribute) fills a `{{slot}}` with an identifier checked against the known columns, in
`group_column`; a lead list's score slots (`{{scores}}`, `{{handoff_scores}}`) are filled from
the agreement by `score_columns`: fixed column names, or nothing without a `[scoring]` section.
Nothing else is ever put into SQL text.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from handoff import paths
from handoff.agreement import SCORED_LEAD_COLUMNS, STEPS, Agreement, Scoring
from handoff.contract import GROUP_COLUMNS, TABLES
from handoff.importer.result import SCHEMA_VERSION  # the layout the importer writes
from handoff.sql import Sql, compose, ident, join, literal

QUERY_DIR = paths.QUERY_DIR
DEFAULT_DB = paths.DEFAULT_DB
DEFAULT_AGREEMENT = paths.DEFAULT_AGREEMENT

# Staging objects, in the order they are built; each reads only those before it.
STAGING = (
    "agreement_versions",
    "agreement_settings",
    "agreement_steps",
    "business_calendar",
    "stg_dataset",
    "stg_deals",
    "stg_lead_stages",
    "stg_follow_up",
    "stg_leads",
    "stg_data_quality",
    "stg_filter_values",
    "stg_revenue_events",
    "stg_lead_score_rules",
    "stg_lead_scores",
)
# Staging tables that end in an ORDER BY on a unique key: their stored order is fixed by it, so
# they are built without DuckDB's insertion-order bookkeeping (see `unordered`).
SORTED_STAGING = frozenset(
    {"agreement_versions", "stg_leads", "stg_lead_score_rules", "stg_lead_scores"}
)
# Tables of the imported file, shown under their own names.
LAKE_TABLES = (
    *(t.name for t in TABLES),
    "lead_attributes",
    "import_runs",
    "import_tables",
    "import_rejects",
)
# The staging column of a lead attribute: stg_leads.attr_region.
ATTRIBUTE_COLUMN_PREFIX = "attr_"

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_SLOT = re.compile(r"\{\{([a-z_][a-z0-9_]*)\}\}")
_HEADER = re.compile(r"^--\s*(Question|Params|Grain|Uses|Columns|Creates):\s*(.*)$")
# A line that goes on with the list of parameters above it: only `$names` and commas.
_MORE_PARAMS = re.compile(r"^--\s+(\$[a-z_][a-z0-9_]*,?\s*)+$")


class QueryError(ValueError):
    """A query name, file, parameter set or column is wrong."""


class OutdatedDatabase(QueryError):
    """The database file was written by an older Handoff: import the data again."""

    def __init__(self, message: str, source_folder: str | None):
        super().__init__(message)
        self.source_folder = source_folder


# The most an import lets DuckDB hold before it spills to disk. Measured at 10 million leads
# (bench/results.md): the process peaks about half a GB above it (3.9 GB), where 40% of this
# machine's 24 GB peaked at 9.8 GB, and the import took 5% longer.
IMPORT_MEMORY_BYTES = 3.5 * 2**30


def limit_memory(
    con: duckdb.DuckDBPyConnection, share: float = 0.4, most: float | None = None
) -> None:
    """Cap DuckDB's memory at a share of the machine's, and at `most` bytes if given (it spills
    to disk past that), so an import or a large demo never takes the machine down."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = min(total * share, most) if most else total * share
    con.execute("set memory_limit = $limit", {"limit": f"{int(limit / 2**20)}MiB"})


def db_path_from_env() -> Path:
    """The database the app and CLI use: $HANDOFF_DB or data/handoff.duckdb."""
    return Path(os.environ.get("HANDOFF_DB") or DEFAULT_DB)


def agreement_path_from_env() -> Path:
    """The agreement the app and CLI use: $HANDOFF_AGREEMENT or data/agreement.toml."""
    return Path(os.environ.get("HANDOFF_AGREEMENT") or DEFAULT_AGREEMENT)


@dataclass(frozen=True)
class QueryFile:
    """A parsed query file."""

    name: str
    path: Path
    question: str
    declared_params: tuple[str, ...]  # the compiled SQL's parameters, its fragments' included
    grain: str
    uses: tuple[str, ...]
    declared_slots: tuple[str, ...]  # the compiled SQL's column slots
    creates: str  # "table" or "view" (staging)
    body: str  # the SQL after the header

    @property
    def body_params(self) -> set[str]:
        return params_in(self.body)

    @property
    def body_slots(self) -> set[str]:
        return set(_SLOT.findall(self.body))


def params_in(sql: str) -> set[str]:
    """The `$name` parameters an SQL text uses, ignoring comments and string literals."""
    without_comments = re.sub(r"--[^\n]*", "", sql)
    without_strings = re.sub(r"'(?:[^']|'')*'", "''", without_comments)
    return set(_PARAM.findall(without_strings))


@cache
def load_query(name: str, folder: str = "") -> QueryFile:
    """Read and parse `queries/[folder/]name.sql`; the name must be a plain identifier."""
    if not _NAME.fullmatch(name) or folder not in ("", "staging", "fragments", "import"):
        raise QueryError(f"not a query name: {name!r}")
    path = QUERY_DIR / folder / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"no query file {paths.shown(path)}")
    lines = path.read_text(encoding="utf-8").splitlines()
    header: dict[str, str] = {}
    start, last = len(lines), None
    for n, line in enumerate(lines):
        match = _HEADER.match(line)
        if match:
            last = match.group(1)
            header[last] = match.group(2).strip()
        elif last == "Params" and _MORE_PARAMS.match(line):
            header["Params"] += " " + line.removeprefix("--").strip()
        elif line.startswith("--"):
            last = None
        else:
            start = n
            break
    missing = [k for k in ("Question", "Params", "Grain") if k not in header]
    if missing:
        raise QueryError(f"{paths.shown(path)}: header lacks {', '.join(missing)}")
    declared = () if header["Params"] == "none" else tuple(_PARAM.findall(header["Params"]))
    query = QueryFile(
        name=name,
        path=path,
        question=header["Question"],
        declared_params=declared,
        grain=header["Grain"],
        uses=tuple(u.strip() for u in header.get("Uses", "").split(",") if u.strip()),
        declared_slots=tuple(_SLOT.findall(header.get("Columns", ""))),
        creates=header.get("Creates", "table"),
        body="\n".join(lines[start:]),
    )
    _check_interface(query)
    return query


def _check_interface(query: QueryFile) -> None:
    """Refuse a header whose Params or Columns are not those of the compiled SQL."""
    fragments = _fragments(query.uses)
    params = query.body_params.union(*(f.body_params for f in fragments))
    slots = query.body_slots.union(*(f.body_slots for f in fragments))
    where = paths.shown(query.path)
    if len(set(query.declared_params)) != len(query.declared_params):
        raise QueryError(f"{where}: Params lists a parameter twice")
    if set(query.declared_params) != params:
        raise QueryError(
            f"{where}: the header's Params {sorted(query.declared_params)} are not the"
            f" parameters of the compiled SQL {sorted(params)}"
        )
    if set(query.declared_slots) != slots:
        raise QueryError(
            f"{where}: the header's Columns {sorted(query.declared_slots)} are not the"
            f" column slots of the compiled SQL {sorted(slots)}"
        )


def compile_query(
    name: str, folder: str = "", slots: Mapping[str, Sql] | None = None
) -> tuple[Sql, set[str]]:
    """The runnable SQL of a query (fragments prepended as CTEs, column slots filled) and the
    parameters it binds."""
    query = load_query(name, folder)
    fragments = _fragments(query.uses)
    body = query.body.strip()
    params = set(query.body_params)
    if fragments:
        ctes = [f"{f.name} as (\n{f.body.strip()}\n)" for f in fragments]
        params |= set().union(*(f.body_params for f in fragments))
        prefix = "with " + ",\n".join(ctes)
        # Fragments join the query's own CTEs, or start them.
        if re.match(r"with\s", body):
            body = prefix + ",\n" + body[len("with") :].lstrip()
        else:
            body = prefix + "\n" + body
    return _fill_slots(name, body, slots or {}), params


def query_param_names(name: str, folder: str = "") -> frozenset[str]:
    """The `$parameters` a query binds, its fragments' included (its header's Params)."""
    return frozenset(load_query(name, folder).declared_params)


def _fill_slots(name: str, body: str, slots: Mapping[str, Sql]) -> Sql:
    wanted = set(_SLOT.findall(body))
    if wanted != set(slots):
        raise QueryError(
            f"{name}: column slots do not match (query has {sorted(wanted)}, given {sorted(slots)})"
        )
    for slot, value in slots.items():
        if not isinstance(value, Sql):
            raise QueryError(f"{name}: slot {slot} must be Sql from group_column or ident")
    return Sql(_SLOT.sub(lambda m: slots[m.group(1)], body))


def _fragments(names: tuple[str, ...]) -> list[QueryFile]:
    """The fragments a query uses, each after the fragments it uses itself, each once."""
    ordered: list[QueryFile] = []
    for name in names:
        fragment = load_query(name, "fragments")
        for needed in [*_fragments(fragment.uses), fragment]:
            if needed.name not in {f.name for f in ordered}:
                ordered.append(needed)
    return ordered


# What the attribution models credit, and the Markov model's states: a touch's channel or
# campaign (`t`), or its lead's source (`e.lead_source`). One choice fills every `credited`
# slot: the touch's value, the value of the touch before it, and whether they are the lead's
# (the journeys then join the leads).
CREDITED = ("channel", "campaign", "source")
_CREDITED_SQL = {
    "credited": ("t.channel", "coalesce(t.campaign, '(no campaign)')", "e.lead_source"),
    "credited_before": (
        "t.prev_channel", "coalesce(t.prev_campaign, '(no campaign)')", "e.lead_source"
    ),
    "credited_from_leads": ("false", "false", "true"),
}  # fmt: skip


def credited(slot: str, by: str | None) -> Sql:
    """The SQL for an attribution slot when the credit goes to `by` (one of CREDITED)."""
    if by not in CREDITED:
        raise QueryError(f"attribution is by channel, campaign or source, not {by!r}")
    return Sql(_CREDITED_SQL[slot][CREDITED.index(by)])


# Handoff's lead score in a lead list, beside the CRM's: the columns of stg_lead_scores (joined
# as `sc`) that a slot adds when the agreement has a [scoring] section, and none without one, so
# the list has no such columns rather than blank ones (no grade either without grades). `scores`
# is for a list that shows no score of its own; `handoff_scores` for one that shows the CRM's
# already (as crm_score).
SCORE_SLOTS = {
    "scores": ("crm_score", "handoff_score", "grade"),
    "handoff_scores": ("handoff_score", "grade"),
}


def score_columns(slot: str, scoring: Scoring | None) -> Sql:
    """The SQL for a lead list's score slot (one of SCORE_SLOTS): `, sc."handoff_score", ...`
    under scoring rules (the grade only when they set grades), nothing without them."""
    if slot not in SCORE_SLOTS:
        raise QueryError(f"not a score slot: {slot!r}")
    if scoring is None:
        return Sql("")
    graded = bool(scoring.fit_grades or scoring.engagement_grades)
    columns = [c for c in SCORE_SLOTS[slot] if c != "grade" or graded]
    return join((compose(", sc.{c}", c=ident(c)) for c in columns), sep="")


def group_column(name: str | None, attributes: tuple[str, ...], alias: str = "s") -> Sql:
    """The SQL for a breakdown column: a lead column, a lead attribute ('(blank)' when it has
    no value) or, for None, no grouping. Refuses any other name."""
    table = ident(alias)
    if name is None:
        return Sql("cast(null as varchar)")
    if name in GROUP_COLUMNS:
        return compose("{t}.{c}", t=table, c=ident(name))
    if name in attributes:
        return compose(
            "coalesce({t}.{c}, '(blank)')", t=table, c=ident(ATTRIBUTE_COLUMN_PREFIX + name)
        )
    raise QueryError(f"cannot break down by {name!r}: not a lead column or attribute")


def staging_params(agreement: Agreement) -> dict[str, Any]:
    """The agreement's values as the staging files' parameters: lists with one entry per version
    (agreement_versions), except the step limits, which read the data (the latest version's)."""
    versions = [v.agreement for v in agreement.versions]

    def each(value: Callable[[Agreement], Any]) -> list[Any]:
        return [value(a) for a in versions]

    return {
        "version_numbers": [v.number for v in agreement.versions],
        "version_starts": [None if v.number == 1 else v.effective_on for v in agreement.versions],
        "follow_up_target_hours": each(lambda a: a.follow_up_target_hours),
        "follow_up_clock": each(lambda a: a.follow_up_clock),
        "score_threshold": each(lambda a: a.score_threshold),
        "stale_after_days": each(lambda a: a.stale_after_days),
        "opens_at_minute": each(
            lambda a: a.business_hours.opens.hour * 60 + a.business_hours.opens.minute
        ),
        "closes_at_minute": each(
            lambda a: a.business_hours.closes.hour * 60 + a.business_hours.closes.minute
        ),
        "working_isodows": each(lambda a: [d + 1 for d in a.business_hours.working_days]),
        "holidays": each(lambda a: list(a.business_hours.holidays)),
        "step_limit_days": [agreement.time_limits_days[s] for s in STEPS],
        **scoring_params([(v.number, v.agreement.scoring) for v in agreement.versions]),
    }


def scoring_params(scorings: list[tuple[int, Scoring | None]]) -> dict[str, Any]:
    """Each version's scoring rules as parallel lists, one entry per rule or grade of each version
    that has a `[scoring]` section, tagged with the version's number; caps one entry per version
    (for stg_lead_score_rules and stg_lead_scores)."""
    fit = [(n, no, r) for n, s in scorings if s for no, r in enumerate(s.fit, start=1)]
    engagement = [(n, no, r) for n, s in scorings if s for no, r in enumerate(s.engagement, 1)]
    fit_grades = [(n, g, m) for n, s in scorings if s for g, m in s.fit_grades]
    engagement_grades = [(n, g, m) for n, s in scorings if s for g, m in s.engagement_grades]
    return {
        "scoring_versions": [n for n, s in scorings if s is not None],
        "fit_versions": [n for n, _, _ in fit],
        "fit_rule_numbers": [no for _, no, _ in fit],
        "fit_rules": [r.name for _, _, r in fit],
        "fit_attributes": [r.attribute for _, _, r in fit],
        "fit_values": [list(r.values) if r.values is not None else None for _, _, r in fit],
        "fit_lows": [r.low for _, _, r in fit],
        "fit_highs": [r.high for _, _, r in fit],
        "fit_points": [r.points for _, _, r in fit],
        "engagement_versions": [n for n, _, _ in engagement],
        "engagement_rule_numbers": [no for _, no, _ in engagement],
        "engagement_rules": [r.name for _, _, r in engagement],
        "engagement_sources": [r.event_source for _, _, r in engagement],
        "engagement_types": [r.event_type for _, _, r in engagement],
        "engagement_points": [r.points for _, _, r in engagement],
        "engagement_within_days": [r.within_days for _, _, r in engagement],
        "engagement_half_lives": [r.half_life_days for _, _, r in engagement],
        "fit_caps": [s.fit_cap if s else None for _, s in scorings],
        "engagement_caps": [s.engagement_cap if s else None for _, s in scorings],
        "fit_grade_versions": [n for n, _, _ in fit_grades],
        "fit_grades": [g for _, g, _ in fit_grades],
        "fit_grade_minimums": [m for _, _, m in fit_grades],
        "engagement_grade_versions": [n for n, _, _ in engagement_grades],
        "engagement_grades": [g for _, g, _ in engagement_grades],
        "engagement_grade_minimums": [m for _, _, m in engagement_grades],
    }


def missing_scoring_attributes(agreement: Agreement, attributes: tuple[str, ...]) -> list[str]:
    """The fit rules on an attribute the data does not have, each said naming the rule: they
    give no lead any points (the import and the pages go on; the Quality page says so)."""
    if agreement.scoring is None:
        return []
    known = (*SCORED_LEAD_COLUMNS, *attributes)
    return [
        f"'scoring.fit' rule {n} ({rule.name}): the data has no lead attribute "
        f"'{rule.attribute}', so the rule gives no points (it has {', '.join(known)})"
        for n, rule in enumerate(agreement.scoring.fit, start=1)
        if rule.attribute not in known
    ]


def staging_fingerprint(agreement: Agreement) -> str:
    """What the staging tables depend on: the agreement's values and the staging SQL itself."""
    parts = {
        "time_zone": agreement.time_zone,
        "params": {k: str(v) for k, v in staging_params(agreement).items()},
        "sql": [load_query(n, "staging").path.read_text(encoding="utf-8") for n in STAGING],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def staging_statements(
    agreement: Agreement, attributes: tuple[str, ...], lake_tables: bool = False
) -> list[tuple[Sql, dict[str, Any]]]:
    """The statements that create the staging objects, in order, each with the parameters it
    binds, on a connection whose lead tables are visible by name.

    With `lake_tables`, the staging tables already exist in the attached `lake` (built at
    import for this agreement): only views onto them are made, and the objects that are views.
    """
    params = staging_params(agreement)
    slots = {
        "lead_attributes": join(
            (
                compose(", l.{c} as {a}", c=ident(a), a=ident(ATTRIBUTE_COLUMN_PREFIX + a))
                for a in attributes
            ),
            sep="",
        ),
        "attribute_columns": join(
            (compose(", {a}", a=ident(ATTRIBUTE_COLUMN_PREFIX + a)) for a in attributes), sep=""
        ),
    }
    out: list[tuple[Sql, dict[str, Any]]] = []
    for name in STAGING:
        query = load_query(name, "staging")
        if lake_tables and query.creates == "table":
            out.append((_lake_view(name), {}))
            continue
        sql, used = compile_query(name, "staging", {k: slots[k] for k in query.body_slots})
        creates = Sql("view") if query.creates == "view" else Sql("table")
        out.append(
            (
                compose("create or replace {creates} {t} as ", creates=creates, t=ident(name))
                + sql,
                {k: v for k, v in params.items() if k in used},
            )
        )
    return out


def build_staging(
    con: duckdb.DuckDBPyConnection,
    agreement: Agreement,
    attributes: tuple[str, ...],
    lake_tables: bool = False,
) -> None:
    """Create the staging objects on `con` (see `staging_statements`), and, unless they are the
    lake's, record what they were built for."""
    statements = staging_statements(agreement, attributes, lake_tables)
    for name, (sql, params) in zip(STAGING, statements, strict=True):
        if name in SORTED_STAGING:
            unordered(con, sql, params)
        else:
            con.execute(sql, params or None)
    if not lake_tables:
        con.execute(
            "create or replace table staging_info as select $fingerprint as fingerprint,"
            " now() as built_at",
            {"fingerprint": staging_fingerprint(agreement)},
        )


def unordered(
    con: duckdb.DuckDBPyConnection, sql: Sql, params: dict[str, Any] | None = None
) -> None:
    """Run a statement whose result ends in an ORDER BY on a unique key with
    `preserve_insertion_order` off: the ORDER BY alone decides the order its rows are stored in,
    and DuckDB skips the bookkeeping that keeps every other operator's rows in order (faster and
    lighter on memory for the big sorted tables; figures in bench/results.md)."""
    con.execute("set preserve_insertion_order = false")
    try:
        con.execute(sql, params or None)
    finally:
        con.execute("reset preserve_insertion_order")


def _lake_view(table: str) -> Sql:
    """A table of the attached file under its own name."""
    return compose("create view {t} as select * from lake.main.{t}", t=ident(table))


class Database:
    """The imported data with the agreement's staging tables, ready for named queries."""

    def __init__(self, path: str | Path, agreement: Agreement):
        self.path = Path(path)
        self.agreement = agreement
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no database (run `python -m handoff import`)")
        self._lock = threading.Lock()
        self.con = duckdb.connect()
        self.con.execute("set enable_progress_bar = false")
        self.con.execute("set global TimeZone = $tz", {"tz": agreement.time_zone})
        self.con.execute("attach $path as lake (read_only)", {"path": str(self.path)})
        present = {
            r[0]
            for r in self.con.execute(
                "select table_name from duckdb_tables() where database_name = 'lake'"
            ).fetchall()
        }
        missing = [t for t in LAKE_TABLES if t not in present]
        if missing:
            raise QueryError(
                f"{self.path}: not a Handoff database (no {', '.join(missing)}); re-import it"
            )
        # Read through JSON so that a file from before schema_version existed reads as NULL.
        version, source = self.con.execute(
            "select max(try_cast(json_extract_string(to_json(r), '$.schema_version') as int)),"
            " any_value(source_folder) from lake.main.import_runs as r"
        ).fetchone()
        if version != SCHEMA_VERSION:
            raise OutdatedDatabase(
                f"{self.path} was written by an older version of Handoff; import the data again",
                source,
            )
        for table in LAKE_TABLES:
            self.con.execute(_lake_view(table))
        kept = self.con.execute(
            "select coalesce(flatten(list(extra_columns order by file_name)), [])"
            " from import_tables where table_name = 'leads'"
        ).fetchone()[0]
        self.attributes = tuple(dict.fromkeys(kept))
        started = time.perf_counter()
        # Built at import for this agreement? Otherwise (the agreement or the staging SQL
        # changed since) build them now, in memory, so the pages count by today's terms.
        self.staging_built_on_open = not (
            "staging_info" in present
            and self.con.execute(
                "select fingerprint = $f from lake.main.staging_info",
                {"f": staging_fingerprint(agreement)},
            ).fetchone()[0]
        )
        build_staging(
            self.con, agreement, self.attributes, lake_tables=not self.staging_built_on_open
        )
        self.staging_seconds = time.perf_counter() - started

    def group_column(self, name: str | None, alias: str = "s") -> Sql:
        """A checked breakdown column for a query's column slot."""
        return group_column(name, self.attributes, alias)

    def run(
        self,
        name: str,
        params: dict[str, Any] | None = None,
        columns: Mapping[str, str | None] | None = None,
    ) -> pd.DataFrame:
        """Run `queries/<name>.sql` with exactly the parameters it uses.

        `columns` fills the query's column slots by name: each breakdown slot with a lead
        column, a lead attribute or None for no grouping (checked by `group_column`), and the
        attribution queries' `credited` slots with what gets the credit (`credited`). A lead
        list's score slots are the agreement's to fill (`score_columns`), never the caller's.
        """
        sql = self.compiled(name, params, columns)
        with self._lock:
            cursor = self.con.cursor()
        try:
            return cursor.sql(sql, params=params or {}).to_arrow_table().to_pandas()
        finally:
            cursor.close()

    def compiled(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        columns: Mapping[str, str | None] | None = None,
    ) -> Sql:
        """The SQL `run` executes for these parameters and breakdown columns, which it checks
        against the query's header: its Params exactly, its Columns at most."""
        query = load_query(name)
        unknown = set(columns or {}) - (set(query.declared_slots) - set(SCORE_SLOTS))
        if unknown:
            raise QueryError(f"{name}: no column slots {sorted(unknown)} to choose")
        chosen = columns or {}
        slots = {
            slot: credited(slot, chosen.get("credited"))
            if slot in _CREDITED_SQL
            else score_columns(slot, self.agreement.scoring)
            if slot in SCORE_SLOTS
            else self.group_column(chosen.get(slot))
            for slot in query.declared_slots
        }
        sql, _ = compile_query(name, "", slots)
        given, used = set(params or {}), set(query.declared_params)
        if given != used:
            missing, extra = sorted(used - given) or "none", sorted(given - used) or "none"
            raise QueryError(
                f"{name}: parameters do not match the query (missing {missing}, extra {extra})"
            )
        return sql

    def script(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        columns: Mapping[str, str | None] | None = None,
        explain: bool = False,
    ) -> str:
        """What `run` does, as a script for the DuckDB CLI (`duckdb < script.sql`): attach the
        file, set the time zone, show its tables and the staging objects as this Database does,
        set each parameter as a variable and run the compiled SQL (under EXPLAIN ANALYZE with
        `explain`). For a person to read and run: Handoff never executes this text."""
        sql = self.compiled(name, params, columns)
        lines = [
            f"-- queries/{name}.sql as Handoff runs it; run it with: duckdb < this-file.sql",
            f"attach {literal(str(self.path.resolve()))} as lake (read_only);",
            f"set TimeZone = {literal(self.agreement.time_zone)};",
            *(_lake_view(t) + ";" for t in LAKE_TABLES),
        ]
        staging = staging_statements(
            self.agreement, self.attributes, lake_tables=not self.staging_built_on_open
        )
        lines.append(
            "-- The staging objects: built at import for this agreement (views onto the file)"
            if not self.staging_built_on_open
            else "-- The staging objects, built for this agreement (the file's are for another)"
        )
        staging_values = {k: v for _, used in staging for k, v in used.items()}
        clash = set(staging_values) & set(params or {})
        if clash:
            raise QueryError(f"{name}: parameters named like the staging files' {sorted(clash)}")
        lines += _variables(staging_values)
        lines += [_with_variables(statement) + ";" for statement, _ in staging]
        lines.append("-- The query's parameters")
        lines += _variables(params or {})
        lines.append(("explain analyze\n" if explain else "") + _with_variables(sql) + ";")
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        self.con.close()


def _variables(values: Mapping[str, Any]) -> list[str]:
    return [f"set variable {ident(k)} = {literal(v)};" for k, v in sorted(values.items())]


# A string literal, a comment, or a $parameter: only the last is replaced.
_PARAM_OR_TEXT = re.compile(r"'(?:[^']|'')*'|--[^\n]*|\$([a-z_][a-z0-9_]*)")


def _with_variables(sql: str) -> str:
    """The SQL with each $parameter read from the variable of its name; a last line that is a
    comment keeps the statement's end off it."""
    out = _PARAM_OR_TEXT.sub(
        lambda m: f"getvariable('{m.group(1)}')" if m.group(1) else m.group(0), sql.strip()
    )
    return out + "\n" if "--" in out.rsplit("\n", 1)[-1] else out
