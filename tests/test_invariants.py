"""Every invariant of tests/invariants.py, on the golden data and on a demo, for several filter
sets: every view, strict order, a scope by source, team and attribute, and each period kind."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from handoff import agreement as agreement_mod
from handoff import demo, importer, metrics
from handoff.db import Database
from handoff.filters import Filters, resolve_period
from tests.conftest import DEMO_AGREEMENT
from tests.invariants import INVARIANTS

GOLDEN_END = dt.date(2026, 4, 10)
DEMO_END = dt.date(2026, 12, 1)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A demo of 3,000 leads over 12 months, built once."""
    folder = tmp_path_factory.mktemp("demo3k")
    demo.generate(
        folder / "data", n_leads=3000, months=12, end_date=DEMO_END, agreement_path=DEMO_AGREEMENT
    )
    terms = agreement_mod.load(DEMO_AGREEMENT)
    importer.import_dataset(folder / "data", folder / "demo.duckdb", terms)
    db = Database(folder / "demo.duckdb", terms)
    yield db
    db.close()


def golden_filters() -> dict[str, Filters]:
    march = resolve_period("last_month", GOLDEN_END)
    return {
        "March": Filters(period=march),
        "March, hand-overs, strict": Filters(period=march, view="handover", strict=True),
        "March, flow": Filters(period=march, view="flow"),
        "year to date, flow, strict": Filters(
            period=resolve_period("ytd", GOLDEN_END), view="flow", strict=True
        ),
        "March, two sources": Filters(period=march, sources=("Paid search", "Referral")),
        "April, NA": Filters(
            period=resolve_period("custom", GOLDEN_END, dt.date(2026, 4, 1), GOLDEN_END),
            attributes=(("region", ("NA",)),),
        ),
    }


def demo_filters(db: Database) -> dict[str, Filters]:
    end = metrics.data_end(db).date()
    options = db.run("filter_options")
    sources = tuple(options.loc[options["dimension"] == "source", "value"][:2])
    teams = tuple(options.loc[options["dimension"] == "team", "value"][:1])
    regions = db.run("attribute_options")
    region = tuple(regions.loc[regions["attribute"] == "region", "value"][:1])
    return {
        "last month": Filters(period=resolve_period("last_month", end)),
        "last quarter, hand-overs, strict": Filters(
            period=resolve_period("last_quarter", end), view="handover", strict=True
        ),
        "year to date, flow": Filters(period=resolve_period("ytd", end), view="flow"),
        "custom days, two sources": Filters(
            period=resolve_period("custom", end, dt.date(2026, 6, 10), dt.date(2026, 8, 20)),
            sources=sources,
        ),
        "last month, a team and a region": Filters(
            period=resolve_period("last_month", end), teams=teams, attributes=(("region", region),)
        ),
    }


@pytest.mark.parametrize("rule", INVARIANTS, ids=lambda r: r.name)
def test_invariant_on_the_golden_data(golden_db, rule):
    for label, filters in golden_filters().items():
        try:
            rule.check(golden_db, filters)
        except AssertionError as e:
            raise AssertionError(f"{rule.name} ({rule.says}) fails for {label}: {e}") from e


@pytest.mark.parametrize("rule", INVARIANTS, ids=lambda r: r.name)
def test_invariant_on_a_demo(demo_db, rule):
    for label, filters in demo_filters(demo_db).items():
        try:
            rule.check(demo_db, filters)
        except AssertionError as e:
            raise AssertionError(f"{rule.name} ({rule.says}) fails for {label}: {e}") from e


def test_the_demo_is_not_empty(demo_db):
    # The checks mean something: the demo's last month has hand-overs, breaches, discards, wins.
    f = demo_filters(demo_db)["last month"]
    summary = metrics.follow_up_summary(demo_db, f)["current"]
    current, _ = metrics.compare(demo_db, "discard_summary", f)
    assert summary["n_breached"] > 0
    assert current["n_discarded"] > 0
    assert metrics.won_in_period(demo_db, f)["n_deals"] > 0


def test_every_invariant_says_what_it_checks():
    names = [rule.name for rule in INVARIANTS]
    assert len(set(names)) == len(names)
    for rule in INVARIANTS:
        assert rule.says.strip(), rule.name


class Canned:
    """A stand-in for a Database whose queries return the frames given: to see a check fail."""

    def __init__(self, agreement, **frames):
        self.agreement, self.frames = agreement, frames

    def run(self, name, params=None, columns=None):
        return self.frames[name]


def test_the_invariants_fail_when_they_do_not_hold(golden_agreement):
    checks = {rule.name: rule.check for rule in INVARIANTS}
    march = golden_filters()["March"]
    widening = pd.DataFrame(
        {"stage": ["lead", "mql"], "n_leads": [3, 4], "n_previous_stage": [None, 3]}
    )
    db = Canned(golden_agreement, funnel_stages=widening)
    with pytest.raises(AssertionError, match="funnel_stages"):
        checks["funnel_narrows"](db, march)
    lost_row = pd.DataFrame(
        {"n_read": [11], "n_accepted": [10], "n_set_aside": [0], "n_rejected": [0]}
    )
    with pytest.raises(AssertionError):
        checks["every_row_read_is_accounted_for"](
            Canned(golden_agreement, dataset_tables=lost_row), march
        )
    shares = pd.DataFrame(
        {
            "reason": ["a", "b"],
            "n_discarded": [1, 1],
            "share": [0.5, 0.4],
            "cumulative_share": [0.5, 0.9],
        }
    )
    with pytest.raises(AssertionError):
        checks["shares_sum_to_one"](Canned(golden_agreement, discard_reasons=shares), march)
