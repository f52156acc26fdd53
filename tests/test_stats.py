"""Wilson intervals against published values, and the better/worse rule."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.stats import add_rate, versus, wilson


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 3 (Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe(k, n, low, high):
    got = wilson(k, n)
    assert got[0] == pytest.approx(low, abs=5e-5)
    assert got[1] == pytest.approx(high, abs=5e-5)


def test_wilson_edges():
    assert all(math.isnan(x) for x in wilson(0, 0))
    assert all(math.isnan(x) for x in wilson(5, 3))  # a flow ratio above 1 has no interval
    low, high = wilson(7, 7)
    assert high == 1.0
    assert 0.59 < low < 0.66  # 7/7: (0.6457, 1)


@given(n=st.integers(1, 10_000), data=st.data())
def test_wilson_contains_the_rate(n, data):
    k = data.draw(st.integers(0, n))
    low, high = wilson(k, n)
    assert 0 <= low <= k / n <= high <= 1


def test_add_rate():
    frame = pd.DataFrame({"k": [1, 0, 4], "n": [2, 0, 3]})
    out = add_rate(frame, "k", "n", "step")
    assert out["step_rate"].iloc[0] == 0.5
    assert math.isnan(out["step_rate"].iloc[1])
    assert out["step_rate"].iloc[2] == pytest.approx(4 / 3)
    assert math.isnan(out["step_low"].iloc[2])


@pytest.mark.parametrize(
    ("low", "high", "overall", "verdict"),
    [
        (0.5, 0.7, 0.4, "better"),
        (0.1, 0.3, 0.4, "worse"),
        (0.3, 0.5, 0.4, ""),
        (math.nan, 0.5, 0.4, ""),
    ],
)
def test_versus(low, high, overall, verdict):
    assert versus(low, high, overall) == verdict
    flipped = {"better": "worse", "worse": "better", "": ""}[verdict]
    assert versus(low, high, overall, higher_is_better=False) == flipped
