"""How numbers are written, once for the pages and the report (worked by hand)."""

from __future__ import annotations

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
