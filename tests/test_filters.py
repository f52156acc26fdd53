"""Periods relative to the data's end, their previous periods, and filters in the URL."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.filters import Filters, Period, from_query_params, read_query_params, resolve_period

D = dt.date


@pytest.mark.parametrize(
    ("kind", "data_end", "start", "end", "previous"),
    [
        # The latest month that ended by the data's last day.
        ("last_month", D(2026, 11, 21), D(2026, 10, 1), D(2026, 11, 1), (D(2026, 9, 1), D(2026, 10, 1))),
        # Data through the 30th of November: November is complete.
        ("last_month", D(2026, 11, 30), D(2026, 11, 1), D(2026, 12, 1), (D(2026, 10, 1), D(2026, 11, 1))),
        ("last_month", D(2026, 1, 5), D(2025, 12, 1), D(2026, 1, 1), (D(2025, 11, 1), D(2025, 12, 1))),
        ("last_quarter", D(2026, 11, 21), D(2026, 7, 1), D(2026, 10, 1), (D(2026, 4, 1), D(2026, 7, 1))),
        ("last_quarter", D(2026, 2, 10), D(2025, 10, 1), D(2026, 1, 1), (D(2025, 7, 1), D(2025, 10, 1))),
        # Year to date includes the data's last day; the previous period is the same span a
        # year before.
        ("ytd", D(2026, 11, 21), D(2026, 1, 1), D(2026, 11, 22), (D(2025, 1, 1), D(2025, 11, 22))),
    ],
)  # fmt: skip
def test_resolve_period(kind, data_end, start, end, previous):
    period = resolve_period(kind, data_end)
    assert (period.start, period.end) == (start, end)
    assert (period.previous().start, period.previous().end) == previous


def test_custom_period_and_its_previous():
    period = resolve_period("custom", D(2026, 5, 1), D(2026, 3, 10), D(2026, 3, 19))
    assert (period.start, period.end) == (D(2026, 3, 10), D(2026, 3, 20))
    # The same number of days (10) just before.
    assert (period.previous().start, period.previous().end) == (D(2026, 2, 28), D(2026, 3, 10))
    with pytest.raises(ValueError, match="before it starts"):
        resolve_period("custom", D(2026, 5, 1), D(2026, 3, 10), D(2026, 3, 1))
    with pytest.raises(ValueError, match="unknown period"):
        resolve_period("fortnight", D(2026, 5, 1))


def test_ytd_previous_on_29_february():
    period = resolve_period("ytd", D(2028, 2, 28))  # 2028 is a leap year; ends 29 Feb exclusive
    assert period.previous().end == D(2027, 2, 28)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2026, 3, 1), D(2026, 4, 1), 1.0),
        (D(2026, 1, 1), D(2026, 4, 1), 3.0),
        (D(2026, 2, 1), D(2026, 2, 15), 0.5),  # 14 of February's 28 days
        (D(2026, 1, 17), D(2026, 2, 15), 0.5 + 15 / 31),  # 15 days of January, 14 of February
    ],
)
def test_period_months_prorates_partial_months(start, end, months):
    assert Period("custom", start, end).months == pytest.approx(months)


def test_period_bounds_are_local_midnights():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    start_at, end_at = Period("last_month", D(2026, 3, 1), D(2026, 4, 1)).bounds(berlin)
    # March starts at 23:00 UTC the day before (CET) and ends at 22:00 UTC (CEST).
    assert start_at.astimezone(dt.UTC) == dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC)
    assert end_at.astimezone(dt.UTC) == dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC)


def test_labels():
    assert resolve_period("last_month", D(2026, 11, 21)).label == "October 2026"
    assert resolve_period("last_quarter", D(2026, 11, 21)).label == "Q3 2026"
    assert resolve_period("ytd", D(2026, 11, 21)).label == "01 Jan 2026 – 21 Nov 2026"


def test_scope_params_empty_means_all():
    f = Filters(period=resolve_period("ytd", D(2026, 1, 5)))
    assert f.scope_params() == {
        "sources": None, "campaigns": None, "owners": None, "teams": None, "attribute_pairs": None,
    }  # fmt: skip
    f = Filters(
        period=f.period, sources=("Web",), attributes=(("region", ("EMEA", "NA")), ("size", ("1",)))
    )
    assert f.scope_params()["attribute_pairs"] == ["region=EMEA", "region=NA", "size=1"]


def test_params_bound_the_periods_the_trend_and_the_scan():
    """Worked by hand: March 2026 in Berlin starts at 23:00 UTC on 28 February (CET, +1) and
    ends at 22:00 UTC on 31 March (summer time, +2, from 29 March); the month before starts
    31 January 23:00 UTC; a trend of 3 months ending with March starts 1 January, 23:00 UTC on
    31 December. The scan covers all of them."""
    utc = dt.UTC
    berlin = SimpleNamespace(tz=zoneinfo.ZoneInfo("Europe/Berlin"))
    march = Period("custom", D(2026, 3, 1), D(2026, 4, 1))
    f = Filters(period=march, view="flow", strict=True, teams=("North",))
    p = f.params(berlin, periods=[march, march.previous()], trend_months=3)
    march_at = (dt.datetime(2026, 2, 28, 23, tzinfo=utc), dt.datetime(2026, 3, 31, 22, tzinfo=utc))
    february_start_at = dt.datetime(2026, 1, 31, 23, tzinfo=utc)
    assert (p["start_at"], p["end_at"]) == march_at
    assert p["periods"] == [
        {"period_index": 1, "start_at": march_at[0], "end_at": march_at[1]},
        {"period_index": 2, "start_at": february_start_at, "end_at": march_at[0]},
    ]
    assert p["trend_start_at"] == dt.datetime(2025, 12, 31, 23, tzinfo=utc)
    assert (p["scan_start_at"], p["scan_end_at"]) == (p["trend_start_at"], march_at[1])
    assert (p["view"], p["strict"], p["teams"], p["sources"]) == ("flow", True, ["North"], None)
    # Without periods the period alone is counted, and without a trend there is no start.
    alone = f.params(berlin)
    assert alone["periods"] == [p["periods"][0]]
    assert "trend_start_at" not in alone
    assert (alone["scan_start_at"], alone["scan_end_at"]) == march_at


def test_url_ignores_junk():
    f = from_query_params(
        {"period": ["forever"], "view": ["sideways"], "from": ["x"], "attr_nope": ["1"]},
        D(2026, 11, 21),
        attributes=["region"],
    )
    assert f.period == resolve_period("last_month", D(2026, 11, 21))
    assert f.view == "created"
    assert f.attributes == ()


labels = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12)
dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31))


@given(
    kind=st.sampled_from(["last_month", "last_quarter", "ytd", "custom"]),
    a=dates,
    b=dates,
    view=st.sampled_from(["created", "handover", "flow"]),
    sources=st.lists(labels, max_size=3, unique=True),
    teams=st.lists(labels, max_size=2, unique=True),
    regions=st.lists(labels, max_size=2, unique=True),
)
def test_filters_round_trip_through_the_url(kind, a, b, view, sources, teams, regions):
    data_end = D(2031, 1, 1)
    period = resolve_period(kind, data_end, min(a, b), max(a, b))
    original = Filters(
        period=period,
        view=view,
        sources=tuple(sources),
        teams=tuple(teams),
        attributes=(("region", tuple(regions)),) if regions else (),
    )
    again = from_query_params(original.to_query_params(), data_end, attributes=["region"])
    assert again == original


@pytest.mark.parametrize(
    ("params", "note"),
    [
        # The audit's reproducers: OverflowError in resolve_period and in Period.previous().
        ({"period": ["custom"], "from": ["2026-01-01"], "to": ["9999-12-31"]},
         "from “2026-01-01” to “9999-12-31”: dates must lie between 1900-01-01 and 2199-12-31 "
         "(got 2026-01-01 to 9999-12-31); showing the last month instead of custom dates"),
        ({"period": ["custom"], "from": ["0001-01-01"], "to": ["0001-01-02"]},
         "from “0001-01-01” to “0001-01-02”: dates must lie between 1900-01-01 and 2199-12-31 "
         "(got 0001-01-01 to 0001-01-02); showing the last month instead of custom dates"),
        ({"period": ["custom"], "from": ["2026-03-10"], "to": ["2026-03-01"]},
         "from “2026-03-10” to “2026-03-01”: the period ends (2026-03-01) before it starts "
         "(2026-03-10); showing the last month instead of custom dates"),
        ({"period": ["custom"], "from": ["2026-02-30"], "to": ["2026-03-01"]},
         "from “2026-02-30” is not a date like 2026-03-31; showing the last month instead of "
         "custom dates"),
        ({"period": ["custom"], "to": ["2026-03-01"]},
         "custom dates need both from and to (from is missing); showing the last month instead "
         "of custom dates"),
        ({"period": ["fortnight"]},
         "period “fortnight” is not a period Handoff knows; showing last month"),
        ({"period": ["ytd"], "from": ["2026-01-01"]},
         "from and to count only with period=custom; showing year to date"),
        ({"view": ["sideways"]}, "view “sideways” is not a way Handoff counts; counting leads created"),
        ({"period": ["ytd", "custom"]}, "period is given 2 times; the first (“ytd”) is used"),
        ({"to": ["9" * 400], "period": ["custom"], "from": ["2026-01-01"]},
         "to “999999999999999999999999999999999999999…” is not a date like 2026-03-31; showing "
         "the last month instead of custom dates"),
    ],
)  # fmt: skip
def test_bad_url_values_fall_back_with_a_note(params, note):
    data_end = D(2026, 4, 10)
    filters, notes = read_query_params(params, data_end)
    assert notes == [note]
    fallback = "ytd" if params.get("period", [""])[0] == "ytd" else "last_month"
    assert filters.period == resolve_period(fallback, data_end)
    assert filters.period.previous().start < filters.period.start  # and no OverflowError
    assert from_query_params(params, data_end) == filters


def test_repeated_values_in_a_link_count_once():
    filters, notes = read_query_params(
        {"source": ["Web", "Web", "Ads"], "attr_region": ["NA", "NA"]},
        D(2026, 4, 10),
        attributes=["region"],
    )
    assert notes == []
    assert filters.sources == ("Web", "Ads")
    assert filters.attributes == (("region", ("NA",)),)


def test_custom_dates_far_from_the_calendar_ends_are_refused_everywhere():
    # The CLI's --from/--to reach resolve_period too: a message, not an OverflowError.
    with pytest.raises(ValueError, match="dates must lie between 1900-01-01 and 2199-12-31"):
        resolve_period("custom", D(2026, 4, 10), D(2026, 1, 1), D(9999, 12, 31))
    period = resolve_period("custom", D(2026, 4, 10), D(1900, 1, 1), D(2199, 12, 31))
    # The widest range: 300 years (109,572 days, as 1600-1900 has: 73 leap years each), and the
    # one before it still a date.
    assert (period.previous().start, period.previous().end) == (D(1600, 1, 1), D(1900, 1, 1))
