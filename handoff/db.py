"""Opening the database, building the staging tables, and running named queries.

One `Database` per process: an in-memory DuckDB catalog that attaches the imported file
read-only as `lake` (so any number of processes can read it while an import builds the next
one), shows its tables under their own names, sets the agreement's time zone, and builds the
staging tables of `queries/staging/` from the agreement. Every question is a file in `queries/`,
run by name through `Database.run` on its own cursor with bound parameters only.

A query file starts with a header:

    -- Question: what it answers
    -- Params: $a, $b          (or: none)
    -- Grain: one row per ...
    -- Uses: scoped_leads      (optional: fragments from queries/fragments/, prepended as CTEs)
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from handoff.agreement import STEPS, Agreement
from handoff.contract import TABLES
from handoff.sql import Sql, compose, ident

ROOT = Path(__file__).resolve().parent.parent
QUERY_DIR = ROOT / "queries"
DEFAULT_DB = ROOT / "data" / "handoff.duckdb"
DEFAULT_AGREEMENT = ROOT / "data" / "agreement.toml"

# Staging tables, in the order they are built; each reads only those before it.
STAGING = (
    "agreement_settings",
    "agreement_steps",
    "business_calendar",
    "stg_deals",
    "stg_lead_stages",
    "stg_follow_up",
    "stg_leads",
    "stg_data_quality",
)
# Tables of the imported file, shown under their own names.
LAKE_TABLES = (
    *(t.name for t in TABLES),
    "lead_attributes",
    "import_runs",
    "import_tables",
    "import_rejects",
)

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_HEADER = re.compile(r"^--\s*(Question|Params|Grain|Uses):\s*(.*)$")


class QueryError(ValueError):
    """A query name, file or parameter set is wrong."""


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
    declared_params: tuple[str, ...]
    grain: str
    uses: tuple[str, ...]
    body: str  # the SQL after the header

    @property
    def body_params(self) -> set[str]:
        return params_in(self.body)


def params_in(sql: str) -> set[str]:
    """The `$name` parameters an SQL text uses, ignoring comments and string literals."""
    without_comments = re.sub(r"--[^\n]*", "", sql)
    without_strings = re.sub(r"'(?:[^']|'')*'", "''", without_comments)
    return set(_PARAM.findall(without_strings))


@cache
def load_query(name: str, folder: str = "") -> QueryFile:
    """Read and parse `queries/[folder/]name.sql`; the name must be a plain identifier."""
    if not _NAME.fullmatch(name) or folder not in ("", "staging", "fragments"):
        raise QueryError(f"not a query name: {name!r}")
    path = QUERY_DIR / folder / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"no query file {path.relative_to(ROOT)}")
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    lines = text.splitlines()
    n_header = 0
    for n_header, line in enumerate(lines):  # noqa: B007 (n_header is used after the loop)
        match = _HEADER.match(line)
        if match:
            header[match.group(1)] = match.group(2).strip()
        elif not line.startswith("--"):
            break
    missing = [k for k in ("Question", "Params", "Grain") if k not in header]
    if missing:
        raise QueryError(f"{path.relative_to(ROOT)}: header lacks {', '.join(missing)}")
    declared = () if header["Params"] == "none" else tuple(_PARAM.findall(header["Params"]))
    uses = tuple(u.strip() for u in header.get("Uses", "").split(",") if u.strip())
    return QueryFile(
        name=name,
        path=path,
        question=header["Question"],
        declared_params=declared,
        grain=header["Grain"],
        uses=uses,
        body="\n".join(lines[n_header:]),
    )


def compile_query(name: str, folder: str = "") -> tuple[str, set[str]]:
    """The runnable SQL of a query, fragments prepended as CTEs, and the params it binds."""
    query = load_query(name, folder)
    body = query.body.strip()
    params = set(query.body_params)
    fragments = _fragments(query.uses)
    if fragments:
        ctes = [f"{f.name} as (\n{f.body.strip()}\n)" for f in fragments]
        params |= set().union(*(f.body_params for f in fragments))
        prefix = "with " + ",\n".join(ctes)
        # Fragments join the query's own CTEs, or start them.
        if re.match(r"with\s", body):
            body = prefix + ",\n" + body[len("with") :].lstrip()
        else:
            body = prefix + "\n" + body
    return body, params


def _fragments(names: tuple[str, ...]) -> list[QueryFile]:
    """The fragments a query uses, each after the fragments it uses itself, each once."""
    ordered: list[QueryFile] = []
    for name in names:
        fragment = load_query(name, "fragments")
        for needed in [*_fragments(fragment.uses), fragment]:
            if needed.name not in {f.name for f in ordered}:
                ordered.append(needed)
    return ordered


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
        for table in LAKE_TABLES:
            self.con.execute(
                compose("create view {t} as select * from lake.main.{t}", t=ident(table))
            )
        self._build_staging()

    def _build_staging(self) -> None:
        params = staging_params(self.agreement)
        for name in STAGING:
            sql, used = compile_query(name, "staging")
            self.con.execute(
                compose("create table {t} as ", t=ident(name)) + Sql(sql),
                {k: v for k, v in params.items() if k in used},
            )

    def run(self, name: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run `queries/<name>.sql` with exactly the parameters it uses."""
        sql, used = compile_query(name)
        given = set(params or {})
        if given != used:
            missing, extra = sorted(used - given) or "none", sorted(given - used) or "none"
            raise QueryError(
                f"{name}: parameters do not match the query (missing {missing}, extra {extra})"
            )
        with self._lock:
            cursor = self.con.cursor()
        try:
            return cursor.sql(sql, params=params or {}).to_arrow_table().to_pandas()
        finally:
            cursor.close()

    def close(self) -> None:
        self.con.close()


def staging_params(agreement: Agreement) -> dict[str, Any]:
    """The agreement's values as the staging files' parameters."""
    bh = agreement.business_hours
    return {
        "follow_up_target_hours": agreement.follow_up_target_hours,
        "follow_up_clock": agreement.follow_up_clock,
        "score_threshold": agreement.score_threshold,
        "stale_after_days": agreement.stale_after_days,
        "opens_at_minute": bh.opens.hour * 60 + bh.opens.minute,
        "closes_at_minute": bh.closes.hour * 60 + bh.closes.minute,
        "working_isodows": [d + 1 for d in bh.working_days],
        "holidays": list(bh.holidays),
        "step_limit_days": [agreement.time_limits_days[s] for s in STEPS],
    }
