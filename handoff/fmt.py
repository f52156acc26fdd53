"""How numbers read on screen: counts, money, rates and changes, the same on every page."""

from __future__ import annotations


def count(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def usd(value: float | None) -> str:
    """Money, shortened past a thousand: $950, $12.3K, $3.19M."""
    if value is None:
        return "–"
    size = abs(value)
    if size >= 1e9:
        return f"${value / 1e9:,.2f}B"
    if size >= 1e6:
        return f"${value / 1e6:,.2f}M"
    if size >= 1e4:
        return f"${value / 1e3:,.1f}K"
    return f"${value:,.0f}"


def rate(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}%}"


def change(delta: float, change_rate: float | None, money: bool = False) -> str:
    """A change against the previous period: '+49 (+3.8%)'; '+12' when there was nothing."""
    # An ASCII minus: Streamlit's metric reads the sign to colour and point the arrow.
    sign = "+" if delta > 0 else ("-" if delta < 0 else "±")
    amount = usd(abs(delta)) if money else f"{abs(delta):,.0f}"
    if change_rate is None:
        return f"{sign}{amount}"
    return f"{sign}{amount} ({sign}{abs(change_rate):.1%})"


def plural(n: int, word: str) -> str:
    """'1 lead', '2 leads'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def stage(key: str | None, labels: dict[str, str]) -> str:
    """A stage key ('lead', 'sql') in the agreement's own words ('Inquiry', 'SQL')."""
    return "–" if key is None else labels.get(key, key)


def account(value: str | None, labels: dict[str, str]) -> str:
    """A disposition as shown: 'active: sql' becomes 'active at SQL'."""
    if value is None:
        return "–"
    state, _, at = value.partition(": ")
    return f"{state} at {stage(at, labels)}" if at else state
