"""Invariants on random data (hypothesis): whatever the stage and exit dates, in whatever order
or missing, every MQL has exactly one disposition and the dispositions sum to the MQLs; rates stay
in [0, 1]."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import importer, metrics
from handoff.db import Database
from handoff.filters import Filters, resolve_period
from tests import invariants
from tests.conftest import write_dataset

COLUMNS = ("mql_at", "sal_at", "sql_at", "opportunity_at", "won_at", "lost_at", "discarded_at",
           "recycled_at")  # fmt: skip
START = dt.datetime(2026, 3, 1, 9, 0)

offsets = st.one_of(st.none(), st.integers(min_value=-5 * 24, max_value=60 * 24))
leads = st.lists(
    st.tuples(st.integers(0, 30 * 24), st.tuples(*[offsets for _ in COLUMNS]), st.booleans()),
    min_size=1,
    max_size=25,
)


def dataset(rows) -> str:
    lines = ["lead_id,created_at,source,discard_reason," + ",".join(COLUMNS)]
    for n, (created, stamps, has_reason) in enumerate(rows):
        created_at = START + dt.timedelta(hours=created)
        cells = [
            "" if h is None else (created_at + dt.timedelta(hours=h)).isoformat() for h in stamps
        ]
        reason = "Bad data" if has_reason else ""
        lines.append(f"R{n},{created_at.isoformat()},Web,{reason}," + ",".join(cells))
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=leads)
def test_every_mql_has_exactly_one_disposition(golden_agreement, rows):
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_dataset(Path(tmp) / "data", leads=dataset(rows))
        importer.import_dataset(folder, Path(tmp) / "p.duckdb", golden_agreement)
        db = Database(Path(tmp) / "p.duckdb", golden_agreement)
        try:
            f = Filters(
                period=resolve_period("custom", dt.date(2026, 6, 30), dt.date(2026, 1, 1),
                                      dt.date(2026, 6, 30))
            )  # fmt: skip
            # The invariant as declared once (tests/invariants.py), on this random data; and
            # the period covers every lead, so its MQLs are all of them.
            invariants.every_mql_has_one_disposition(db, f)
            current, _ = metrics.compare(db, "discard_summary", f)
            [(n_mql,)] = db.con.execute("select count(*) from stg_leads where is_mql").fetchall()
        finally:
            db.close()
    assert current["n_mql"] == n_mql
