"""The one place where SQL text is put together from parts.

Values are always bound as `$parameters`. What cannot be bound (a table or column name, a
generated list of column expressions in the importer) goes through `compose`, which only accepts
`Sql` pieces: trusted templates and identifiers checked by `ident`. User input never becomes `Sql`
without passing `ident`, which allows plain identifiers only and quotes them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Sql(str):
    """SQL text built from trusted templates and checked identifiers only."""


def ident(name: str) -> Sql:
    """A quoted identifier; refuses anything but letters, digits and underscores."""
    if not isinstance(name, str) or not _IDENT.fullmatch(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return Sql('"' + name + '"')


def compose(template: str, **parts: Sql) -> Sql:
    """Fill `{name}` slots of a trusted template with `Sql` pieces (never with raw strings)."""
    for key, part in parts.items():
        if not isinstance(part, Sql):
            raise TypeError(f"slot {key!r} must be Sql (use ident() or compose()), got {part!r}")
    return Sql(template.format(**parts))


def join(parts: Iterable[Sql], sep: str = ",\n    ") -> Sql:
    """Join `Sql` pieces."""
    parts = list(parts)
    for part in parts:
        if not isinstance(part, Sql):
            raise TypeError(f"cannot join non-Sql piece {part!r}")
    return Sql(sep.join(parts))


# Whitespace a value is trimmed of: space, tab, line feed, vertical tab, form feed, carriage
# return and the no-break space spreadsheets write, so "\tL1" and " L1 " are both "L1".
_WHITESPACE = "' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160)"


def stripped(value: Sql) -> Sql:
    """A value as text without surrounding spaces; NULL when nothing is left."""
    return compose("nullif(trim(cast({v} as varchar)), '')", v=value)


def trimmed(value: Sql) -> Sql:
    """A value as text without surrounding whitespace of any kind; NULL when nothing is left.
    For ids, where a tab or a no-break space would make a second lead of the same one."""
    # Trimming a set of characters is three times slower than trimming spaces: it is done only
    # to values that start or end with one of the others. (Comparisons, not `in (...)`, which
    # DuckDB plans as a join: one per column.)
    text = compose("cast({v} as varchar)", v=value)
    return compose(
        "nullif(case when ascii({t}) < 33 or ascii({t}) = 160 or ascii(right({t}, 1)) < 33"
        " or ascii(right({t}, 1)) = 160 then trim({t}, {ws}) else trim({t}) end, '')",
        t=text,
        ws=Sql(_WHITESPACE),
    )


def literal(value: object) -> str:
    """A value as DuckDB literal text, typed as binding it would type it: for SQL a person reads
    and runs (`python -m handoff sql`), never for SQL Handoff executes. It is a plain `str`, so
    `compose` and `join` refuse it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # A bare 1.5 is a DECIMAL in DuckDB; a Python float binds as a DOUBLE.
        return f"cast('{value!r}' as double)" if not math.isfinite(value) else f"{value!r}::double"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return f"timestamp '{value.isoformat(sep=' ')}'"
        return f"timestamptz '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        fields = (f"{literal(str(k))}: {literal(v)}" for k, v in value.items())
        return "{" + ", ".join(fields) + "}"
    raise TypeError(f"no literal for {type(value).__name__} {value!r}")
