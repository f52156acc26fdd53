"""Rates with their uncertainty, defined once: every rate Handoff shows comes through here.

A rate is k of n with a 95% Wilson score interval (Wilson 1927; Newcombe 1998, method 3), which
behaves at 0, at n and for small n, where the normal approximation does not. A group is better
or worse than overall only when its interval excludes the overall rate.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


def wilson(k: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of k successes in n trials; (nan, nan) when n is 0 or k > n."""
    if n <= 0 or k < 0 or k > n:
        return (math.nan, math.nan)
    p = k / n
    denominator = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At k = 0 or k = n the bound is exactly the rate; rounding must not move it past.
    low = 0.0 if k == 0 else min(p, center - half)
    high = 1.0 if k == n else max(p, center + half)
    return (low, high)


def add_rate(frame: pd.DataFrame, k: str, n: str, name: str) -> pd.DataFrame:
    """Add `<name>_rate`, `<name>_low` and `<name>_high` for the counts in columns k and n.

    A rate whose numerator exceeds its denominator (a flow-view ratio of entries, not a share of
    the same leads) keeps its ratio but gets no interval.
    """
    ks = frame[k].astype(float).to_numpy()
    ns = frame[n].astype(float).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(ns > 0, ks / ns, np.nan)
    bounds = [wilson(a, b) for a, b in zip(ks, ns, strict=True)]
    out = frame.copy()
    out[f"{name}_rate"] = rate
    out[f"{name}_low"] = [b[0] for b in bounds]
    out[f"{name}_high"] = [b[1] for b in bounds]
    return out


def versus(low: float, high: float, overall: float, higher_is_better: bool = True) -> str:
    """'better' or 'worse' when the interval [low, high] excludes the overall rate, else ''
    (for a rate where lower is better, such as a discard rate, pass higher_is_better=False)."""
    if any(math.isnan(x) for x in (low, high, overall)):
        return ""
    if low > overall:
        return "better" if higher_is_better else "worse"
    if high < overall:
        return "worse" if higher_is_better else "better"
    return ""
