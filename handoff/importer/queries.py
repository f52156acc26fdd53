"""The import's own SQL: `queries/import/<name>.sql`, loaded by `handoff.db` like every query.

A file's header says what it answers, its `$params` and its `{{slots}}`; a slot takes `Sql`
only (a checked identifier, or SQL composed of such pieces by `handoff.sql.compose`).
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

# The module, not its names: handoff.db imports SCHEMA_VERSION from this package.
from handoff import db
from handoff.sql import Sql

# Every `$name` in a statement's text: composed SQL is one line, so a `--` in a string literal
# would hide the rest of it from `db.params_in`, and no import SQL has a `$` in a comment.
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def sql(name: str, **slots: Sql) -> Sql:
    """The text of `queries/import/<name>.sql` with its column slots filled."""
    text, _ = db.compile_query(name, "import", slots)
    return text


def run(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, Any] | None = None,
    **slots: Sql,
) -> duckdb.DuckDBPyConnection:
    """Execute `queries/import/<name>.sql` on `con`, binding the parameters its text uses (a
    slot's SQL may bind some of `params` too; DuckDB refuses parameters a statement lacks)."""
    return execute(con, sql(name, **slots), params)


def execute(
    con: duckdb.DuckDBPyConnection, text: Sql, params: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute `text`, binding only those of `params` it uses."""
    used = set(_PARAM.findall(text))
    return con.execute(text, {k: v for k, v in (params or {}).items() if k in used} or None)
