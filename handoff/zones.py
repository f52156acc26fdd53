"""Time zones and UTC offsets as Handoff accepts them, in agreements, mappings and data.

A zone is an IANA name that DuckDB's ICU knows (`Europe/Berlin`, `UTC`, `America/New_York`).
Python's `zoneinfo` also opens the files of `posix/Europe/Berlin`, `right/UTC` and `localtime`,
which DuckDB refuses; so the list is DuckDB's own, and an agreement or mapping naming anything
else is refused when it is loaded, before any data is read. An offset written in the data is
between -12:00 and +14:00 (the offsets in use on Earth) with minutes below 60.
"""

from __future__ import annotations

import difflib
from functools import cache

import duckdb

# The widest UTC offsets in use: Baker Island (-12:00) and Kiribati's Line Islands (+14:00).
MIN_OFFSET_MINUTES = -12 * 60
MAX_OFFSET_MINUTES = 14 * 60


@cache
def names() -> frozenset[str]:
    """Every zone name DuckDB can convert to and from."""
    con = duckdb.connect()
    try:
        rows = con.execute("select name from pg_timezone_names()").fetchall()
        return frozenset(r[0] for r in rows)
    finally:
        con.close()


def problem(name: str) -> str | None:
    """Why `name` is not a usable time zone (with the closest ones), or None when it is."""
    if name in names():
        return None
    close = difflib.get_close_matches(name, sorted(names()), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"{name!r} is not an IANA time zone such as Europe/Berlin or UTC{hint}"
