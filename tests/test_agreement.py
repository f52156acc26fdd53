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
            rf"^{comment}\s*\"?{re.escape(leaf)}\"?\s*=|^{comment}\[{re.escape(key.path)}\]",
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
                     "scored 80 or more", "MQL → SAL: 2 days", "10 days"):  # fmt: skip
        assert fragment in text, fragment
