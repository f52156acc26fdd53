"""The agreement file: the shipped one parses, and every bad key or value names the key."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from handoff import agreement as agreement_mod
from tests.conftest import DEMO_AGREEMENT, GOLDEN, ROOT

GOOD = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")


def test_shipped_agreement_parses_and_has_every_key():
    a = agreement_mod.load(DEMO_AGREEMENT)
    assert a.time_zone == "America/New_York"
    assert a.follow_up_clock in ("calendar", "business")
    text = DEMO_AGREEMENT.read_text(encoding="utf-8")
    for key in agreement_mod.KEYS:
        leaf = key.path.split(".")[-1]
        # An optional key may be shown as a commented-out example instead (the revenue goal's
        # per_month and per_quarter exclude each other, and setting it would change the demo).
        comment = "" if key.required else "(# )?"
        assert re.search(
            rf"^{comment}\s*\"?{re.escape(leaf)}\"?\s*=|^{comment}\[\[?{re.escape(key.path)}\]",
            text,
            re.M,
        ), f"data/agreement.toml does not set {key.path}"


def test_golden_agreement_values():
    a = agreement_mod.parse(GOOD)
    assert a.business_hours.working_days == (0, 1, 2, 3, 4)
    assert a.business_hours.holidays == (dt.date(2026, 4, 3), dt.date(2026, 4, 6))
    assert a.business_hours.hours_per_day == 8
    assert a.mql_goal_by_source == {"Paid search": 4.0, "Webinar": 2.0}
    assert a.score_threshold == 80


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('time_zone = "Europe/Berlin"', 'time_zone = "Mars/Olympus"', "'time_zone' must be an IANA"),
        ('clock = "business"', 'clock = "biz"', "'follow_up.clock' must be 'calendar' or 'business'"),
        ("target_hours = 4", "target_hours = -1", "'follow_up.target_hours' must be a positive"),
        ("target_hours = 4", 'target_hours = "4"', "'follow_up.target_hours' must be a positive"),
        ("min_acceptance_rate = 0.7", "min_acceptance_rate = 70", "'targets.min_acceptance_rate'"),
        ('opens = "09:00"', 'opens = "9am"', "'business_hours.opens' must be a time"),
        ('closes = "17:00"', 'closes = "08:00"', "'business_hours.closes' must be after"),
        ('"Fri"]', '"Fry"]', "'business_hours.working_days'"),
        ("holidays = [2026-04-03, 2026-04-06]", 'holidays = ["Easter"]', "'business_hours.holidays'"),
        ("agreed_on = 2026-01-01", 'agreed_on = "last year"', "'agreed_on' must be a date"),
        ("per_month = 10", "per_month = 0", "'mql_goal.per_month' must be a positive"),
        ('"Webinar" = 2', '"Webinar" = "lots"', "'mql_goal.by_source'"),
        ("half_life_days = 7", "half_life_days = true", "'attribution.half_life_days'"),
        ("lookback_days = 90", "lookback_dayz = 90", "unknown key 'attribution.lookback_dayz'"),
        ("[attribution]", "[attributions]", "unknown section 'attributions'"),
        ("sal_to_sql = 14\n", "", "missing key 'time_limits_days.sal_to_sql'"),
        ('name = "Golden fixture agreement"', "name = [", "not valid TOML"),
    ],
)  # fmt: skip
def test_bad_agreement_names_the_key(old, new, message):
    assert old in GOOD
    with pytest.raises(agreement_mod.AgreementError, match=re.escape(message)):
        agreement_mod.parse(GOOD.replace(old, new, 1))


def test_missing_file():
    with pytest.raises(agreement_mod.AgreementError, match="cannot read the agreement file"):
        agreement_mod.load(ROOT / "no-such-agreement.toml")


def test_score_threshold_is_optional():
    a = agreement_mod.parse(GOOD.replace("score_threshold = 80\n", ""))
    assert a.score_threshold is None
    sentences = dict(agreement_mod.plain_language(a))["Stages"]
    assert any("no score rule" in s for s in sentences)


def test_plain_language_mentions_every_number():
    text = " ".join(
        s for _, ss in agreement_mod.plain_language(agreement_mod.parse(GOOD)) for s in ss
    )
    for fragment in ("4 hours", "09:00–17:00", "2 listed holidays", "70%", "25%", "10 MQLs a month",
                     "Paid search: 4 a month", "90 days", "halves every 7 days", "Europe/Berlin",
                     "scored 80 or more", "MQL → SAL: 2 days", "10 days",
                     "within 30 days of it"):  # fmt: skip
        assert fragment in text, fragment


def with_holidays(value: str) -> agreement_mod.Agreement:
    """The golden agreement with `business_hours.holidays = value`."""
    return agreement_mod.parse(
        GOOD.replace("holidays = [2026-04-03, 2026-04-06]", f"holidays = {value}")
    )


def days_in(a: agreement_mod.Agreement, year: int) -> set[dt.date]:
    return {d for d in a.business_hours.holidays if d.year == year}


def test_us_new_york_calendar():
    a = with_holidays('{ country = "US", subdivision = "NY" }')
    days = days_in(a, 2026)
    # By the calendar: 1 Nov 2026 is a Sunday, so the fourth Thursday (Thanksgiving) is the 26th;
    # Veterans Day is 11 November whatever the weekday (a Wednesday in 2026); 4 July 2026 is a
    # Saturday, observed on Friday 3 July; Christmas Day is a Friday.
    for day in (dt.date(2026, 11, 26), dt.date(2026, 11, 11), dt.date(2026, 7, 3),
                dt.date(2026, 12, 25), dt.date(2026, 1, 1)):  # fmt: skip
        assert day in days, day
    assert dt.date(2026, 11, 27) not in days  # the Friday after Thanksgiving is worked
    # Expanded for every year of HOLIDAY_YEARS, both ends included.
    assert dt.date(2000, 11, 23) in a.business_hours.holidays  # Thanksgiving 2000 (1 Nov: Wed)
    assert dt.date(2050, 12, 26) in a.business_hours.holidays  # Christmas 2050 is a Sunday
    assert a.business_hours.calendar.country == "US"


def test_observed_false_keeps_weekend_holidays_on_their_day():
    days = days_in(with_holidays('{ country = "US", subdivision = "NY", observed = false }'), 2026)
    assert dt.date(2026, 7, 4) in days
    assert dt.date(2026, 7, 3) not in days


def test_berlin_calendar_has_womens_day_and_easter():
    berlin = days_in(with_holidays('{ country = "DE", subdivision = "BE" }'), 2026)
    germany = days_in(with_holidays('{ country = "DE" }'), 2026)
    # Easter Sunday 2026 is 5 April (the computus; the golden agreement lists the same two days):
    # Good Friday 3 April, Easter Monday 6 April, in every German state.
    assert {dt.date(2026, 4, 3), dt.date(2026, 4, 6)} <= berlin & germany
    # International Women's Day, 8 March, is a public holiday in Berlin only.
    assert dt.date(2026, 3, 8) in berlin
    assert dt.date(2026, 3, 8) not in germany


def test_extra_days_are_added_and_removed_days_taken_out():
    plain = days_in(with_holidays('{ country = "US", subdivision = "NY" }'), 2026)
    edited = days_in(
        with_holidays(
            '{ country = "US", subdivision = "NY", extra = ["2026-12-24", 2026-12-31], '
            "remove = [2026-10-12] }"
        ),
        2026,
    )
    # Christmas Eve and New Year's Eve added; Columbus Day (second Monday of October) worked.
    assert edited == (plain | {dt.date(2026, 12, 24), dt.date(2026, 12, 31)}) - {
        dt.date(2026, 10, 12)
    }
    assert dt.date(2026, 10, 12) in plain


def test_plain_list_still_has_no_calendar():
    a = agreement_mod.parse(GOOD)
    assert a.business_hours.calendar is None
    assert a.business_hours.describe_holidays() == "2 listed holidays"


def test_plain_language_says_where_the_holidays_come_from():
    a = with_holidays('{ country = "US", subdivision = "NY", extra = [2026-12-24, 2026-12-31] }')
    text = " ".join(s for _, ss in agreement_mod.plain_language(a) for s in ss)
    assert "except US (NY) public holidays from the holidays package, plus 2 extra days." in text
    one_removed = with_holidays('{ country = "DE", remove = [2026-05-01] }')
    assert one_removed.business_hours.describe_holidays() == (
        "DE public holidays from the holidays package, less 1 worked day"
    )


def test_holiday_names():
    a = with_holidays('{ country = "US", subdivision = "NY", extra = [2026-12-24] }')
    names = a.business_hours.holiday_names()
    assert names[dt.date(2026, 11, 26)] == "Thanksgiving Day"
    assert names[dt.date(2026, 12, 24)] == "extra day"
    assert agreement_mod.parse(GOOD).business_hours.holiday_names() == {
        dt.date(2026, 4, 3): "listed",
        dt.date(2026, 4, 6): "listed",
    }


KEY = "'business_hours.holidays"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{ country = "UX" }', f"{KEY}.country' is not a country the holidays package knows: 'UX'"),
        ('{ country = "us" }', "knows: 'us' (close: US,"),
        ('{ country = "Germany" }', "knows: 'Germany' (close: DE)"),
        ("{ country = 1 }", f"{KEY}.country' must be a country code like US or DE, got 1"),
        ('{ subdivision = "NY" }', f"{KEY}' as a table needs 'country'"),
        ('{ country = "US", subdivision = "ZZ" }',
         f"{KEY}.subdivision' is not a region of US: 'ZZ' (valid: AK, AL,"),
        ('{ country = "DE", subdivision = "NY" }', "(valid: BB, BE, BW, BY,"),
        ('{ country = "US", subdivision = 36 }', f"{KEY}.subdivision' must be a region code"),
        ('{ country = "US", extra = ["2026-13-01"] }',
         f"{KEY}.extra' must be a list of dates like 2026-12-24, got '2026-13-01'"),
        ('{ country = "US", extra = [2026-12-24T09:00:00] }', f"{KEY}.extra' must be a list"),
        ('{ country = "US", extra = 2026-12-24 }', f"{KEY}.extra' must be a list"),
        ('{ country = "US", remove = ["Xmas"] }', f"{KEY}.remove' must be a list"),
        ('{ country = "US", remove = [2026-11-12] }',
         f"{KEY}.remove' lists 2026-11-12, which is not one of the US public holidays"),
        ('{ country = "US", observed = "yes" }', f"{KEY}.observed' must be true or false"),
        ('{ country = "US", state = "NY" }',
         f"unknown key {KEY}.state' (a holiday calendar holds country, subdivision, extra,"),
        ('"US"', f"{KEY}' must be a list of dates like 2026-12-25, or a table"),
    ],
)  # fmt: skip
def test_bad_holiday_calendar_names_the_key(value, message):
    with pytest.raises(agreement_mod.AgreementError) as info:
        with_holidays(value)
    assert message in str(info.value)
