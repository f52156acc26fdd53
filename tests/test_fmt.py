"""How numbers are written, once for the pages and the report (worked by hand)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from handoff import fmt


@pytest.mark.parametrize(
    ("value", "said"),
    [(None, "–"), (0.0, "0.0 h"), (8.24, "8.2 h"), (1234.56, "1,234.6 h")],
)
def test_hours(value, said):
    # The follow-up page wrote 1234.6 h and the report 1,234.6 h before both used this one.
    assert fmt.hours(value) == said


@pytest.mark.parametrize(
    ("low", "high", "said"),
    [(0.31, 0.42, "31%–42%"), (0.0, 1.0, "0%–100%"), (math.nan, 0.4, ""), (None, None, "")],
)
def test_interval(low, high, said):
    assert fmt.interval(low, high) == said


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "–"),
        (950, "$950"),
        (9_950, "$9,950"),  # below ten thousand: in full
        (12_345, "$12.3K"),
        (10_000, "$10K"),  # a round goal reads as written, not "$10.0K"
        (10_050, "$10.1K"),
        (616_100, "$616.1K"),
        (3_190_000, "$3.19M"),
        (1_000_000, "$1M"),
        (1_500_000, "$1.5M"),
        (2_500_000_000, "$2.5B"),
    ],
)
def test_usd(value, shown):
    assert fmt.usd(value) == shown


def test_day_and_day_range():
    assert fmt.day(dt.date(2026, 3, 16)) == "16 Mar 2026"
    assert fmt.day_range(dt.date(2026, 3, 1), dt.date(2026, 3, 15)) == "1–15 Mar 2026"
    assert fmt.day_range(dt.date(2026, 3, 16), dt.date(2026, 4, 2)) == "16 Mar – 2 Apr 2026"
    assert fmt.day_range(dt.date(2026, 12, 28), dt.date(2027, 1, 3)) == ("28 Dec 2026 – 3 Jan 2027")
    assert fmt.day_range(dt.date(2026, 3, 5), dt.date(2026, 3, 5)) == "5 Mar 2026"


@pytest.mark.parametrize(
    ("value", "digits", "said"),
    [
        (None, 0, "–"),
        (math.nan, 1, "–"),
        (0.0, 0, "0%"),  # nil is 0%
        (0.27, 0, "27%"),
        (1 / 491, 0, "0.2%"),  # the funnel's 1 of 491 won: 0.2036…%, not "0%"
        (1 / 491, 1, "0.2%"),  # the same with the table's one decimal
        (0.0004, 1, "0.04%"),  # 0.04% would read 0.0%: one more decimal
        (0.996, 0, "99.6%"),  # short of all never reads 100%
        (1.0, 0, "100%"),
        (1.25, 0, "125%"),  # a flow ratio can pass 100%
    ],
)
def test_rate_never_rounds_a_share_to_nil_or_all(value, digits, said):
    assert fmt.rate(value, digits) == said


@pytest.mark.parametrize(
    ("values", "digits"),
    [
        ([], 1),  # an empty table: the table's one decimal
        ([None, math.nan], 1),  # nothing to show
        ([12.3, 45.6, 0.0], 1),  # nil reads 0.0%, which is right
        ([0.04, 50.0], 2),  # 0.04 at one decimal is 0.0%: the column takes two (0.04%, 50.00%)
        ([99.96, 10.0], 2),  # 99.96 at one decimal is 100.0%: two
        ([0.00004, 3.0], 4),  # 0.00004% needs five; four at most (0.0000%)
        ([0.05, 1.0], 1),  # 0.05 reads 0.1% at one decimal (rounded up), not nil: one is enough
    ],
)
def test_a_column_of_percentages_takes_the_decimals_its_smallest_share_needs(values, digits):
    assert fmt.percent_digits(values) == digits


@pytest.mark.parametrize(
    ("n", "said"),
    [
        (8, "8 MQLs among the leads created in March 2026"),
        (1, "1 MQL among the leads created in March 2026"),
        (0, "0 MQLs among the leads created in March 2026"),
        (1_200, "1,200 MQLs among the leads created in March 2026"),
    ],
)
def test_counted_puts_the_phrase_in_the_singular_for_one(n, said):
    assert fmt.counted(n, "MQLs among the leads created in March 2026") == said


def test_a_whole_percent_column_takes_a_decimal_only_where_needed():
    # Acceptance by group, whole percents: 58% and 92% stay whole; 0.4% (1 of 250) would read
    # 0%, so the column takes one decimal.
    assert fmt.percent_digits([58.0, 92.0], 0) == 0
    assert fmt.percent_digits([58.0, 0.4], 0) == 1
