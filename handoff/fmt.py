"""How numbers read on screen: counts, money, rates and changes, the same on every page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def count(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def usd(value: float | None) -> str:
    """Money, shortened past ten thousand: $950, $9,950, $12.3K, $10K, $3.19M, $1M (no
    trailing zeros: a round goal reads as written)."""
    if value is None:
        return "–"
    size = abs(value)
    for threshold, scale, digits, suffix in ((1e9, 1e9, 2, "B"), (1e6, 1e6, 2, "M"),
                                             (1e4, 1e3, 1, "K")):  # fmt: skip
        if size >= threshold:
            short = f"{value / scale:,.{digits}f}".rstrip("0").rstrip(".")
            return f"${short}{suffix}"
    return f"${value:,.0f}"


def rate(value: float | None, digits: int = 0) -> str:
    """A rate or share in percent with `digits` decimals, and more where needed so that a
    share that is not nil never reads 0% and one short of all never reads 100% (1 in 491 is
    '0.2%', not '0%'; at most four decimals); '–' when there is none (None or NaN)."""
    if value is None or value != value:  # None or NaN
        return "–"
    shown = f"{value:.{digits}%}"
    for more in range(digits + 1, 5):
        if not (value > 0 and float(shown[:-1]) == 0) and not (
            value < 1 and float(shown[:-1]) == 100
        ):
            break
        shown = f"{value:.{more}%}"
    return shown


def percent_digits(values: Iterable[float | None], digits: int = 1) -> int:
    """The decimals a column of percentages (0–100) shows: `digits`, and more where `rate`'s
    rule needs them for any of its values (0.04 reads 0.04%, not 0.0%; 99.96 reads 99.96%, not
    100.0%): one number of decimals down the whole column, at most four."""
    shown = (rate(v / 100, digits) for v in values if v is not None and v == v)
    return max([digits, *(len(r[:-1].partition(".")[2]) for r in shown)])


def hours(value: float | None) -> str:
    """A duration in hours: '8.2 h', '1,234.5 h'; '–' when there is none."""
    return "–" if value is None else f"{value:,.1f} h"


def interval(low: float | None, high: float | None) -> str:
    """A rate's 95% interval: '31%–42%'; '' when there is none (no leads to count)."""
    if low is None or high is None or low != low or high != high:  # None or NaN
        return ""
    return f"{low:.0%}–{high:.0%}"


def plural(n: int, word: str) -> str:
    """'1 lead', '2 leads'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def counted(n: int, phrase: str) -> str:
    """A count before a phrase whose first word is a plural: (8, 'MQLs among the leads …')
    reads '8 MQLs among the leads …', (1, …) '1 MQL among the leads …'."""
    first, space, rest = phrase.partition(" ")
    if n == 1 and first.endswith("s"):
        first = first[:-1]
    return f"{n:,} {first}{space}{rest}"


def stage(key: str | None, labels: dict[str, str]) -> str:
    """A stage key ('lead', 'sql') in the agreement's own words ('Inquiry', 'SQL')."""
    return "–" if key is None else labels.get(key, key)


def account(value: str | None, labels: dict[str, str]) -> str:
    """A disposition as shown: 'active: sql' becomes 'active at SQL'."""
    if value is None:
        return "–"
    state, _, at = value.partition(": ")
    return f"{state} at {stage(at, labels)}" if at else state


def day(value: dt.date) -> str:
    """A local day: '16 Mar 2026'."""
    return f"{value.day} {value:%b %Y}"


def day_range(first: dt.date, last: dt.date) -> str:
    """Local days first..last, both included: '1–15 Mar 2026', '16 Mar – 2 Apr 2026',
    '28 Dec 2026 – 3 Jan 2027', '5 Mar 2026' for one day."""
    if first == last:
        return day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
