"""The last step of an import: what is done once every table is built.

Label spellings that differ only in case, spaces or punctuation are merged (when the mapping
asks for it), the leads' attributes are listed one row per lead and attribute for filters and
breakdowns, and the import records what it read, from where and how (`import_runs`,
`import_tables`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from handoff import __version__
from handoff.contract import TABLES, ColumnType
from handoff.importer import queries
from handoff.importer.result import LOOKUP_TABLE, SCHEMA_VERSION, ImportResult, TableResult
from handoff.sql import compose, ident, join

# Label columns whose spellings are merged together, by shared vocabulary. Campaign names are
# left alone: two campaigns may differ by one character on purpose ("Dashboards #2" and
# "Dashboards - 2" are two Zoho campaigns with their own costs).
LABEL_GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("source", (("leads", "source"), ("deals", "source"), ("spend", "source"))),
    ("channel", (("touches", "channel"),)),
    ("owner", (("leads", "owner"), ("activities", "rep"))),
    ("team", (("leads", "team"),)),
    ("discard reason", (("leads", "discard_reason"),)),
    ("touch type", (("touches", "touch_type"),)),
    ("activity type", (("activities", "activity_type"),)),
)

_TIMESTAMP_COLUMNS = [
    (t.name, c.name) for t in TABLES for c in t.columns if c.type is ColumnType.TIMESTAMP
]


def merge_label_spellings(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """Merge label spellings that differ only in case, spaces or punctuation, within each
    vocabulary (queries/import/label_spellings.sql); each merge as (group, from, to, rows)."""
    merges: list[tuple[str, str, str, int]] = []
    for group, columns in LABEL_GROUPS:
        values = join(
            [
                compose("select {c} as v from {t} where {c} is not null", c=ident(c), t=ident(t))
                for t, c in columns
            ],
            sep=" union all ",
        )
        rows = queries.run(con, "label_spellings", label_values=values).fetchall()
        if not rows:
            continue
        for table, column in columns:
            queries.run(
                con,
                "label_merge",
                {"from": [r[0] for r in rows], "to": [r[1] for r in rows]},
                table=ident(table),
                column=ident(column),
            )
        merges += [(group, before, after, n) for before, after, n in rows]
    return merges


def gather_lead_attributes(results: list[TableResult]) -> None:
    """List the lead attributes that files about leads (deals, ...) gave the leads table with
    the leads file's own, where the filters and breakdowns find every lead attribute."""
    leads = next(r for r in results if r.table == "leads")
    for r in results:
        if r.table != "leads":
            leads.extra_columns += [a for a in r.lead_attributes if a not in leads.extra_columns]


def build_lead_attributes(con: duckdb.DuckDBPyConnection, attributes: list[str]) -> None:
    """One row per lead and attribute with a value: filters and breakdowns bind the name."""
    queries.run(con, "lead_attributes_table")
    for name in attributes:
        queries.run(con, "lead_attribute", {"attribute": name}, column=ident(name))


def write_metadata(
    con: duckdb.DuckDBPyConnection,
    folder: str,
    time_zone: str,
    result: ImportResult,
    name: str | None = None,
) -> dt.datetime | None:
    """Record what was imported, from where and how, and where the data ends. `name` is what
    the user calls the export (the uploaded files' names); by default the folder's name."""
    maxes = join(
        compose("(select max({c}) from {t})", c=ident(c), t=ident(t)) for t, c in _TIMESTAMP_COLUMNS
    )
    data_end = con.execute(compose("select greatest({m})", m=maxes)).fetchone()[0]
    queries.run(
        con,
        "import_runs",
        {
            "folder": folder,
            "tz": time_zone,
            "data_end": data_end,
            "version": __version__,
            "schema": SCHEMA_VERSION,
            "format": result.format,
            "title": result.format_title,
            "detection": result.detection,
            "merges": [f"{g}: '{a}' → '{b}' ({n:,} rows)" for g, a, b, n in result.merges],
            "name": name or Path(folder).name,
        },
    )
    queries.run(con, "import_tables_table")
    for r in result.tables:
        con.execute(
            "insert into import_tables values ($t, $f, $k, $r, $a, $x, $s, $e, $n)",
            {
                "t": r.table or LOOKUP_TABLE,
                "f": r.file,
                "k": r.kind,
                "r": r.n_read,
                "a": r.n_accepted,
                "x": r.n_rejected,
                "s": r.n_set_aside,
                "e": r.extra_columns,
                "n": r.notes,
            },
        )
    return data_end


def reasons(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Rejected rows per table and cause (the kind of problem), most frequent first."""
    return [(t, r, n) for t, r, n in queries.run(con, "reasons").fetchall()]


def set_aside(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """Rows set aside per table, file and rule of the mapping, most frequent first."""
    return [(t, f, r, n) for t, f, r, n in queries.run(con, "set_aside").fetchall()]
