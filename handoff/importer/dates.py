"""A file's day-month order, decided once from every date it writes, before its values are typed.

HubSpot writes 03/31/2026 or 31/03/2026, by the account's locale; a mapping that lists date
formats of both orders is read in the one order its file writes, so one file is never read both
ways (05/04/2026 as 4 May beside 13/04/2026 as 13 April).
"""

from __future__ import annotations

import duckdb

from handoff import mapping as mapping_mod
from handoff.contract import ColumnType, Table
from handoff.importer import queries
from handoff.importer.extract import Source, day_month_order
from handoff.importer.result import ImportFailure
from handoff.mapping import Mapping
from handoff.sql import Sql, compose, ident, join

# A date written with numbers only, day and month in either order: 05/04/2026, 5.4.26.
NUMERIC_DATE = r"^\s*([0-9]{1,2})[/.-]([0-9]{1,2})[/.-][0-9]{2,4}"


def file_order(
    con: duckdb.DuckDBPyConnection, table: Table, src: Source, mapping: Mapping
) -> str | None:
    """The day-month order of a file's dates when its mapping lists date formats of both orders:
    "month" or "day", decided from every date the file writes. A file that writes both orders,
    or whose dates could all be read either way, stops with a message saying how to name the
    order; so does a file that writes the other order than a mapping that declares one
    (Salesforce: month first). None: read with every format."""
    declared = {day_month_order(f) for f in mapping.date_formats} - {None}
    if not declared:
        return None
    names = _date_columns(table, src)
    if not names:
        return None
    found = _orders_found(con, src, names)
    header = dict(zip(src.types, src.headers, strict=False))
    said = {
        kind: f"{header.get(names[int(h)], names[int(h)])} '{v}' on line {line}"
        for kind, (_, (h, v, line)) in found.items()
    }
    how = _how_to_name(mapping)
    name = src.path.name
    if len(declared) == 1:
        # One order declared (Salesforce reports write US dates): a date that can only be the
        # other order means the file is not written as the mapping says, and its dates that
        # could be either would be read wrong. A file never read half one way, half the other.
        (order,) = declared
        other = "day" if order == "month" else "month"
        if other in found:
            raise ImportFailure(
                f"{name}: {mapping.said} reads numeric dates {order} first, but the file writes "
                f"them {other} first ({said[other]}); {how}"
            )
        return None
    if "month" in found and "day" in found:
        raise ImportFailure(
            f"{name}: dates are written both month first ({said['month']}) and day first "
            f"({said['day']}); one file has one order: correct the file, or {how}"
        )
    if "month" in found or "day" in found:
        return "month" if "month" in found else "day"
    if "either" in found:
        raise ImportFailure(
            f"{name}: dates like {said['either']} could be month first or day first, and no "
            f"date in the file decides it (a day above 12); {how}"
        )
    return None


def _date_columns(table: Table, src: Source) -> list[str]:
    """The file's columns that a timestamp or month of the table is read from."""
    return sorted(
        {
            name
            for col in table.columns
            if col.type in (ColumnType.TIMESTAMP, ColumnType.MONTH)
            and (spec := src.kind.spec(col.name)) is not None
            for header in spec.columns()
            if (name := src.column(header)) is not None
        }
    )


def _orders_found(
    con: duckdb.DuckDBPyConnection, src: Source, names: list[str]
) -> dict[str, tuple[int, list[str]]]:
    """Per order found (day, month, either): how many dates, and the first one as [column
    number in `names`, its text, its line]."""
    dates = join(
        [
            compose(
                "select cast({i} as varchar) as header, s.{c} as v, {line} as line from {t} as s"
                " where regexp_matches(s.{c}, $numeric_date)",
                i=Sql(str(i)),
                c=ident(name),
                line=src.line,
                t=src.table,
            )
            for i, name in enumerate(names)
        ],
        sep=" union all ",
    )
    rows = queries.run(
        con, "numeric_dates", {**src.line_params, "numeric_date": NUMERIC_DATE}, dates=dates
    ).fetchall()
    return {kind: (n, example) for kind, n, example in rows}


def _how_to_name(mapping: Mapping) -> str:
    """How a person names the order: the date formats of each order, as a mapping writes them."""
    formats = mapping.date_formats
    declared = {day_month_order(f) for f in formats} - {None}
    # The formats of each order: the mapping's own, or its numeric ones with day and month
    # swapped when it declares one order only.
    month = [f for f in formats if day_month_order(f) != "day"]
    day = [f for f in formats if day_month_order(f) != "month"]
    if declared == {"month"}:
        day = [_swapped(f) for f in formats if day_month_order(f) == "month"]
    if declared == {"day"}:
        month = [_swapped(f) for f in formats if day_month_order(f) == "day"]
    where = (
        f'a mapping file (--mapping) with extends = "{mapping.name}" and'
        if mapping.name in mapping_mod.BUILTIN_FORMATS
        else f"{mapping.said}:"
    )
    return (
        f"name the order in {where} date_formats = {_toml_list(month)} for month first (US), "
        f"or {_toml_list(day)} for day first"
    )


def _swapped(fmt: str) -> str:
    """A date format with its day and month swapped: %m/%d/%Y becomes %d/%m/%Y."""
    return fmt.replace("%m", "\0").replace("%d", "%m").replace("\0", "%d")


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"
