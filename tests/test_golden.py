"""The golden tests of every query in queries/: one runner for the cases in tests/golden/.

`tests/golden/<query>.toml` holds the query's cases, in the manner of dbt's unit tests: each
`[[case]]` gives the filters, the query's own parameters and the expected rows, with the reasoning
as comments beside the values (how each follows from tests/fixtures/golden/ and PRODUCT.md; see
the fixture's README). Every case runs on the golden database through `metrics.run`, as the pages
run a query. A case's keys:

- `name`: what the case shows (the test's id).
- `period`: "last_month" (the default: March 2026, the data ending on 10 April), "last_quarter",
  "ytd", or `{ from = 2026-03-01, to = 2026-03-15 }` (custom dates, both days included);
  `compare = true` counts the period and the one before it ($periods 1 and 2, as
  `metrics.compare` does); `trend_months` the months of a trend before the period's last.
- `view`, `strict`, `sources`, `campaigns`, `owners`, `teams`, `attributes` (`{ region = ["NA"] }`):
  the shared filters (`handoff.filters.Filters`).
- `by`, `by2`: the breakdown. They fill the query's column slots `{{group_1}}`, `{{group_2}}` when
  it declares them; for the attribution queries `by` is what gets the credit (their `credited`
  slots: channel, campaign or source).
- `params`: the query's own parameters (`limit`, `step`, ...).
- `columns`: the columns compared, and `rows`: the expected rows, one array per row with a value
  per column, in the query's order (`order = "any"` when the query does not order them).
  `where = { group_1 = "NULL" }` keeps only the rows with those values first; `subset = true`
  lets the result hold rows besides those listed (each listed row must be there, in order);
  `first_rows = n` compares the first n rows only; `every = { step = "mql_to_sal" }` says every
  row of the result (before `where`) has those values.
- `tolerance`: how far a number may be from the expected one (default 1e-9; counts are whole).
- `absent`: columns the result must not have (a lead list's scores without `[scoring]`).
- `scoring = true`: the case runs under the golden agreement with the fixture's `[scoring]`
  section (tests/fixtures/golden/scoring.toml; each lead's score in the fixture's README), so a
  lead list has Handoff's score and grade beside the CRM's.

TOML has no null: the string "NULL" stands for SQL NULL, in `params`, `where` and `rows` (it
matches None, NaN and NaT). `{ contains = "..." }` as an expected value matches a text holding it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from handoff import metrics
from handoff.db import Database, load_query
from handoff.filters import Filters, resolve_period
from tests.conftest import ROOT

GOLDEN_DIR = ROOT / "tests" / "golden"
# The golden data's last day (L12's creation, Friday 10 April 2026): "last month" is March.
DATA_END = dt.date(2026, 4, 10)
NULL = "NULL"
TOLERANCE = 1e-9
CASE_KEYS = {
    "name", "period", "compare", "trend_months", "view", "strict", "sources", "campaigns",
    "owners", "teams", "attributes", "by", "by2", "params", "columns", "rows", "order", "where",
    "subset", "first_rows", "every", "tolerance", "scoring",
    "absent",
}  # fmt: skip


def golden_files() -> dict[str, Path]:
    """The golden file of each query, by query name."""
    return {p.stem: p for p in sorted(GOLDEN_DIR.glob("*.toml"))}


def load_cases(path: Path) -> list[dict[str, Any]]:
    """The cases of one golden file."""
    with path.open("rb") as f:
        return tomllib.load(f).get("case", [])


CASES = [
    pytest.param(query, case, id=f"{query}: {case.get('name', '?')}")
    for query, path in golden_files().items()
    for case in load_cases(path)
]


def _null(value: Any) -> Any:
    return None if value == NULL else value


def filters_of(case: dict[str, Any]) -> Filters:
    """The case's filters, as a page would build them."""
    period = case.get("period", "last_month")
    if isinstance(period, dict):
        period = resolve_period("custom", DATA_END, period["from"], period["to"])
    else:
        period = resolve_period(period, DATA_END)
    return Filters(
        period=period,
        view=case.get("view", "created"),
        strict=case.get("strict", False),
        sources=tuple(case.get("sources", ())),
        campaigns=tuple(case.get("campaigns", ())),
        owners=tuple(case.get("owners", ())),
        teams=tuple(case.get("teams", ())),
        attributes=tuple((k, tuple(v)) for k, v in case.get("attributes", {}).items()),
    )


def run_case(db: Database, query: str, case: dict[str, Any]) -> pd.DataFrame:
    """The query's result for the case: filters, breakdown and its own parameters."""
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{query}: case {case.get('name')!r} has unknown keys {sorted(unknown)}"
    filters = filters_of(case)
    extra = {k: _null(v) for k, v in case.get("params", {}).items()}
    by, by2 = case.get("by"), case.get("by2")
    slots = load_query(query).declared_slots
    # `by` is the breakdown, or for the attribution queries what gets the credit.
    first = "credited" if "credited" in slots else "group_1"
    columns = {s: g for s, g in ((first, by), ("group_2", by2)) if s in slots}
    if by is not None:
        assert first in slots, f"{query} has no place for by = {by!r}"
    if by2 is not None:
        assert "group_2" in slots, f"{query} has no second column slot for by2 = {by2!r}"
    periods = [filters.period, filters.period.previous()] if case.get("compare") else None
    return metrics.run(
        db,
        query,
        filters,
        periods=periods,
        trend_months=case.get("trend_months"),
        columns=columns or None,
        **extra,
    )


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


def same(expected: Any, got: Any, tolerance: float) -> bool:
    """Whether a value is the expected one (see the module's docstring for the notation)."""
    if expected == NULL:
        return _is_null(got)
    if _is_null(got):
        return isinstance(expected, float) and math.isnan(expected)
    if isinstance(expected, dict):
        return isinstance(got, str) and expected["contains"] in got
    if isinstance(expected, bool):
        return isinstance(got, bool | np.bool_) and bool(got) == expected
    if isinstance(expected, int | float):
        if isinstance(got, bool | np.bool_) or not isinstance(
            got, int | float | decimal.Decimal | np.number
        ):
            return False
        return abs(float(got) - expected) <= tolerance
    if isinstance(expected, dt.datetime):
        return isinstance(got, dt.datetime) and pd.Timestamp(got) == pd.Timestamp(expected)
    if isinstance(expected, dt.date):
        if isinstance(got, dt.datetime):
            got = got.date()
        return isinstance(got, dt.date) and got == expected
    if isinstance(expected, list):
        got = list(got) if isinstance(got, list | tuple | np.ndarray) else None
        return (
            got is not None
            and len(got) == len(expected)
            and all(same(e, g, tolerance) for e, g in zip(expected, got, strict=True))
        )
    return isinstance(got, str) and got == expected


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[list[Any]]:
    return [[r[c] for c in columns] for r in frame.to_dict("records")]


def _table(rows: list[list[Any]]) -> str:
    return "\n".join(f"  {n}: {row!r}" for n, row in enumerate(rows)) or "  (no rows)"


def _sort_key(row: list[Any]) -> list[str]:
    return [repr(None if _is_null(v) else v) for v in row]


def compare_rows(query: str, case: dict[str, Any], frame: pd.DataFrame) -> None:
    """Assert the result holds the case's rows; say where it differs."""
    label = f"{query}: {case['name']}"
    columns, expected = case["columns"], case["rows"]
    tolerance = case.get("tolerance", TOLERANCE)
    named = [*columns, *case.get("where", {}), *case.get("every", {})]
    missing = [c for c in named if c not in frame.columns]
    assert not missing, f"{label}: no column {missing} (the query has {list(frame.columns)})"
    present = [c for c in case.get("absent", []) if c in frame.columns]
    assert not present, f"{label}: columns {present} should be absent"
    for column, value in case.get("every", {}).items():
        bad = [v for v in frame[column] if not same(value, v, tolerance)]
        assert not bad, f"{label}: every {column} should be {value!r}; got {bad}"
    for column, value in case.get("where", {}).items():
        frame = frame[[same(value, v, tolerance) for v in frame[column]]]
    got = _rows(frame, columns)
    if "first_rows" in case:
        got = got[: case["first_rows"]]
    for row in expected:
        assert len(row) == len(columns), (
            f"{label}: expected row {row} has not {len(columns)} values"
        )
    if case.get("order", "exact") == "any":
        got, expected = sorted(got, key=_sort_key), sorted(expected, key=_sort_key)
    if case.get("subset"):
        # Each expected row in turn, found after the one before it.
        at = 0
        for row in expected:
            found = next(
                (
                    n
                    for n in range(at, len(got))
                    if all(same(e, g, tolerance) for e, g in zip(row, got[n], strict=True))
                ),
                None,
            )
            assert found is not None, (
                f"{label}: expected row {row} (columns {columns}) is not in the result after"
                f" row {at}:\n{_table(got)}"
            )
            at = found + 1
        return
    assert len(got) == len(expected), (
        f"{label}: {len(got)} rows, expected {len(expected)} (columns {columns})\n"
        f"got:\n{_table(got)}\nexpected:\n{_table(expected)}"
    )
    for n, (want, row) in enumerate(zip(expected, got, strict=True)):
        for column, e, g in zip(columns, want, row, strict=True):
            assert same(e, g, tolerance), (
                f"{label}: row {n}, column {column}: expected {e!r}, got {g!r}"
                f" (tolerance {tolerance})\ngot:\n{_table(got)}"
            )


@pytest.mark.parametrize(("query", "case"), CASES)
def test_golden(request, query, case):
    db = request.getfixturevalue("golden_scored_db" if case.get("scoring") else "golden_db")
    compare_rows(query, case, run_case(db, query, case))


@pytest.mark.parametrize(
    ("expected", "got", "agrees"),
    [
        (NULL, None, True),
        (NULL, float("nan"), True),
        (NULL, pd.NaT, True),
        (NULL, 0, False),
        (0, None, False),
        (3, np.int64(3), True),
        (3, 3.0000001, False),
        (0.5, decimal.Decimal("0.5"), True),
        (True, np.True_, True),
        (1, True, False),
        (True, 1, False),
        ("3", 3, False),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 1), True),
        (dt.date(2026, 3, 1), pd.Timestamp("2026-03-01 00:00", tz="Europe/Berlin"), True),
        (dt.datetime(2026, 4, 10, 10, tzinfo=dt.UTC), pd.Timestamp("2026-04-10 12:00+02:00"), True),
        (
            dt.datetime(2026, 4, 10, 10, tzinfo=dt.UTC),
            pd.Timestamp("2026-04-10 10:00+02:00"),
            False,
        ),
        (["region"], np.array(["region"], dtype=object), True),
        ({"contains": "LX9"}, '{"lead_id":"LX9"}', True),
        ({"contains": "LX9"}, "L09", False),
    ],
)
def test_the_runner_compares_values_strictly(expected, got, agrees):
    assert same(expected, got, TOLERANCE) is agrees


def test_the_runner_says_where_a_row_differs():
    frame = pd.DataFrame({"stage": ["lead", "mql"], "n_leads": [10, 8]})
    case = {"name": "t", "columns": ["stage", "n_leads"], "rows": [["lead", 10], ["mql", 7]]}
    with pytest.raises(AssertionError, match="q: t: row 1, column n_leads: expected 7, got 8"):
        compare_rows("q", case, frame)
    with pytest.raises(AssertionError, match="2 rows, expected 1"):
        compare_rows("q", {**case, "rows": [["lead", 10]]}, frame)
    compare_rows("q", {**case, "rows": [["mql", 8]], "subset": True}, frame)
    compare_rows("q", {**case, "rows": [["mql", 8], ["lead", 10]], "order": "any"}, frame)
    with pytest.raises(AssertionError, match="is not in the result"):
        compare_rows("q", {**case, "rows": [["mql", 8], ["lead", 10]], "subset": True}, frame)
