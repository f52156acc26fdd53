"""The demo dataset: deterministic, big enough, and with the profiles the pages need to show."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from handoff import demo, importer
from handoff.db import Database
from tests.conftest import DEMO_AGREEMENT

END = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, demo_agreement):
    folder = tmp_path_factory.mktemp("demo")
    counts = demo.generate(folder, end_date=END)
    result = importer.import_dataset(folder, folder / "demo.duckdb", demo_agreement)
    db = Database(folder / "demo.duckdb", demo_agreement)
    yield folder, counts, result, db
    db.close()


@pytest.fixture(scope="module")
def demo_agreement():
    from handoff import agreement

    return agreement.load(DEMO_AGREEMENT)


def digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_files(tmp_path):
    demo.generate(tmp_path / "a", n_leads=3000, end_date=END, seed=3)
    demo.generate(tmp_path / "b", n_leads=3000, end_date=END, seed=3)
    demo.generate(tmp_path / "c", n_leads=3000, end_date=END, seed=4)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")["leads.csv"] != digest(tmp_path / "c")["leads.csv"]


def test_imports_cleanly_and_is_big_enough(demo_db):
    _, counts, result, db = demo_db
    assert result.n_rejected == 0
    assert counts["leads"] >= 20_000
    assert counts["touches"] >= 3 * counts["leads"]  # several touches per lead
    span = db.con.execute(
        "select min(created_at), max(created_at), (select data_end_at from import_runs) from leads"
    ).fetchone()
    assert (span[1] - span[0]).days >= 18 * 30
    # It ends recently: the day before the end date, in the agreement's time zone.
    assert span[2].astimezone(db.agreement.tz).date() == END - dt.timedelta(days=1)


def test_sources_and_campaigns(demo_db):
    _, _, _, db = demo_db
    n_sources, n_campaigns, n_spend_campaigns = db.con.execute(
        "select count(distinct source) filter (where source <> '(unknown)'),"
        " count(distinct campaign) filter (where campaign <> '(no campaign)'),"
        " (select count(distinct campaign) from spend) from stg_leads"
    ).fetchone()
    assert 8 <= n_sources <= 12
    assert n_campaigns >= 40
    assert n_spend_campaigns >= 30


def rates(db, group: str) -> dict[str, tuple[int, float, float]]:
    """(leads, SQL rate, win rate) per value of a column of stg_leads."""
    rows = db.con.execute(
        f"select {group}, count(*), avg(is_sql::int), avg(is_won::int) from stg_leads group by 1"
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_volume_and_quality_profiles_differ(demo_db):
    _, _, _, db = demo_db
    by_source = rates(db, "source")
    trade, referral = by_source["Trade show"], by_source["Referral"]
    # Trade shows: many leads, low quality. Referrals: few leads, high quality.
    assert trade[0] > 3 * referral[0]
    assert referral[1] > 4 * trade[1]
    assert referral[2] > 3 * trade[2]


def test_score_predicts_conversion_imperfectly(demo_db):
    _, _, _, db = demo_db
    high, low, low_converted = db.con.execute(
        "select avg(is_sql::int) filter (where score >= 70), avg(is_sql::int) filter"
        " (where score < 40), count(*) filter (where score < 40 and is_sql) from stg_leads"
    ).fetchone()
    assert high > 3 * low
    assert low_converted > 0  # imperfect: some low-scored leads still qualify


def test_follow_up_differs_by_rep_and_slow_follow_up_costs(demo_db):
    _, _, _, db = demo_db
    medians = [
        m
        for (m,) in db.con.execute(
            "select median(follow_up_hours) from stg_leads where follow_up_hours is not null"
            " group by owner"
        ).fetchall()
    ]
    assert max(medians) > 5 * min(medians)
    fast, slow, never = db.con.execute(
        "select avg(is_sal::int) filter (where follow_up_calendar_hours < 1),"
        " avg(is_sal::int) filter (where follow_up_calendar_hours > 72),"
        " avg(is_sal::int) filter (where is_mql and first_follow_up_at is null) from stg_leads"
    ).fetchone()
    assert fast > slow > never


def test_discards_recycling_deals_and_spend(demo_db):
    _, _, _, db = demo_db
    row = db.con.execute(
        "select count(*) filter (where is_discarded),"
        " count(*) filter (where discard_reason = '(no reason given)'),"
        " count(distinct discard_reason),"
        " count(*) filter (where recycled_at is not null),"
        " count(*) filter (where recycled_at < mql_at),"
        " count(*) filter (where won_amount > 0),"
        " count(*) filter (where sla_status = 'pending')"
        " from stg_leads"
    ).fetchone()
    discarded, no_reason, n_reasons, recycled, returned, won, pending = row
    assert 0.1 < no_reason / discarded < 0.4
    assert n_reasons >= 6
    assert recycled > 100
    assert returned > 10
    assert won > 500
    assert pending > 0
    months = db.con.execute(
        "select count(distinct month), min(cost) > 0 from spend where campaign is not null"
    ).fetchone()
    assert months[0] >= 18
    assert months[1]


def test_the_app_builds_the_demo_only_over_its_own_default_database(tmp_path, monkeypatch):
    from handoff.db import OutdatedDatabase

    default, other = tmp_path / "handoff.duckdb", tmp_path / "mine.duckdb"
    monkeypatch.setattr(demo, "DEFAULT_DB", default)
    by_demo = OutdatedDatabase("old", str(tmp_path / f"{demo.DEMO_FOLDER_PREFIX}abc"))
    by_user = OutdatedDatabase("old", "/home/me/crm-export")
    # A fresh clone: the default database is missing, so it is built; another path never is.
    assert demo.app_build(default) == "build"
    assert demo.app_build(other) is None
    default.touch()
    other.touch()
    assert demo.app_build(default) is None
    # Outdated: rebuilt only when the default database is an embedded demo import.
    assert demo.app_build(default, by_demo) == "rebuild"
    assert demo.app_build(default, by_user) is None
    assert demo.app_build(other, by_demo) is None
