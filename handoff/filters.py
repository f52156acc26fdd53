"""The shared filters: period, view and scope, as one value every page and the CLI pass around.

Periods are whole local days in the agreement's time zone, relative to the data's end (the last
timestamp imported), so "last full month" means the same thing on a fresh export and an old one.
Filters round-trip through URL query parameters, so a link to a filtered page can be shared.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handoff.contract import GROUP_COLUMNS

if TYPE_CHECKING:
    from handoff.agreement import Agreement

PERIODS = {
    "last_month": "Last full month",
    "last_quarter": "Last full quarter",
    "ytd": "Year to date",
    "custom": "Custom dates",
}
VIEWS = {
    "created": "Cohort: leads created in the period",
    "handover": "Cohort: leads handed over (MQL) in the period",
    "flow": "Flow: stage entries in the period",
}
# A lead attribute's filter in a link: ?attr_region=EMEA.
ATTRIBUTE_URL_PREFIX = "attr_"
# Custom dates must fall in these years: wide enough for any CRM's history, far enough from the
# calendar's ends (years 1 and 9999) that a period, the one before it and a trend of months
# before that are all dates.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
# The parameters a link may give once; a repeat is said and the first value used.
SINGLE_PARAMS = ("period", "from", "to", "view")


@dataclass(frozen=True)
class Period:
    """Whole local days [start, end) and the words for them.

    `kind` is how the period was chosen; its `shape` comes from the dates themselves, so a custom
    range from the 1st of a month to its last day is that month, labelled and compared as one.
    """

    kind: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def shape(self) -> str:
        """'month', 'quarter', 'ytd' (year to date) or 'days' (any other range)."""
        if self.kind == "ytd":
            return "ytd"
        if self.start.day == 1 and self.end == _add_months(self.start, 1):
            return "month"
        if (
            self.start.day == 1
            and self.start.month % 3 == 1
            and self.end == _add_months(self.start, 3)
        ):
            return "quarter"
        return "days"

    @property
    def label(self) -> str:
        last = self.end - dt.timedelta(days=1)
        if self.shape == "month":
            return f"{self.start:%B %Y}"
        if self.shape == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.start == last:
            return f"{self.start:%d %b %Y}"
        return f"{self.start:%d %b %Y} – {last:%d %b %Y}"

    def bounds(self, tz: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The period as instants: local midnight at start and end."""
        return (
            dt.datetime.combine(self.start, dt.time(), tz),
            dt.datetime.combine(self.end, dt.time(), tz),
        )

    def previous(self) -> Period:
        """The period to compare with (PRODUCT.md, Periods): of a month the month before, of a
        quarter the quarter before, of year to date the same span a year before, of any other
        range the same number of days just before it."""
        shape = self.shape
        if shape == "month":
            return Period(self.kind, _add_months(self.start, -1), self.start)
        if shape == "quarter":
            return Period(self.kind, _add_months(self.start, -3), self.start)
        if shape == "ytd":
            return Period(self.kind, _add_years(self.start, -1), _add_years(self.end, -1))
        length = self.end - self.start
        return Period(self.kind, self.start - length, self.start)

    @property
    def months(self) -> float:
        """Calendar months covered; a partial month counts by its share of days."""
        total, day = 0.0, self.start
        while day < self.end:
            month_end = _add_months(day.replace(day=1), 1)
            stop = min(month_end, self.end)
            total += (stop - day).days / (month_end - day.replace(day=1)).days
            day = stop
        return total


def resolve_period(
    kind: str,
    data_end: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Period:
    """The period of a kind, counted back from the data's last day (`data_end`, inclusive)."""
    if kind == "last_month":
        # The latest month that ended by the data's last day.
        this_month = (data_end + dt.timedelta(days=1)).replace(day=1)
        return Period(kind, _add_months(this_month, -1), this_month)
    if kind == "last_quarter":
        after = data_end + dt.timedelta(days=1)
        quarter_start = dt.date(after.year, (after.month - 1) // 3 * 3 + 1, 1)
        return Period(kind, _add_months(quarter_start, -3), quarter_start)
    if kind == "ytd":
        return Period(kind, dt.date(data_end.year, 1, 1), data_end + dt.timedelta(days=1))
    if kind == "custom":
        if start is None or end is None:
            raise ValueError("a custom period needs a start and an end date")
        if end < start:
            raise ValueError(f"the period ends ({end}) before it starts ({start})")
        if start < EARLIEST_DATE or end > LATEST_DATE:
            raise ValueError(
                f"dates must lie between {EARLIEST_DATE} and {LATEST_DATE} (got {start} to {end})"
            )
        return Period(kind, start, end + dt.timedelta(days=1))
    raise ValueError(f"unknown period {kind!r} (expected one of {', '.join(PERIODS)})")


@dataclass(frozen=True)
class Filters:
    """Everything that narrows what a page counts."""

    period: Period
    view: str = "created"
    strict: bool = False  # strict stage order (the funnel page's switch); any order otherwise
    sources: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"unknown view {self.view!r} (expected one of {', '.join(VIEWS)})")

    def scope_params(self) -> dict[str, Any]:
        """Parameters of the scoped_leads fragment; an empty selection means all."""
        pairs = [f"{name}={value}" for name, values in self.attributes for value in values]
        return {
            "sources": list(self.sources) or None,
            "campaigns": list(self.campaigns) or None,
            "owners": list(self.owners) or None,
            "teams": list(self.teams) or None,
            "attribute_pairs": pairs or None,
        }

    def params(
        self,
        agreement: Agreement,
        *,
        periods: Sequence[Period] | None = None,
        trend_months: int | None = None,
    ) -> dict[str, Any]:
        """Every parameter the filters can give a query: the scope, the view and order mode, the
        period's bounds, the periods a comparison or trend counts ($periods: the period alone
        unless given), the first instant of a trend, and the scan window that covers them all."""
        tz = agreement.tz
        start_at, end_at = self.period.bounds(tz)
        bounds = [p.bounds(tz) for p in (periods or [self.period])]
        scan_start_at = min(start_at, *(b[0] for b in bounds))
        scan_end_at = max(end_at, *(b[1] for b in bounds))
        out: dict[str, Any] = {
            **self.scope_params(),
            "view": self.view,
            "strict": self.strict,
            "start_at": start_at,
            "end_at": end_at,
            "periods": [
                {"period_index": n, "start_at": s, "end_at": e}
                for n, (s, e) in enumerate(bounds, 1)
            ],
        }
        if trend_months is not None:
            out["trend_start_at"] = self.trend_start(trend_months, tz)
            scan_start_at = min(scan_start_at, out["trend_start_at"])
        out["scan_start_at"], out["scan_end_at"] = scan_start_at, scan_end_at
        return out

    def trend_start(self, months: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
        """The first instant of a monthly trend of `months` calendar months, the last of them
        the month that holds the period's last day."""
        last = self.period.end - dt.timedelta(days=1)
        index = last.year * 12 + last.month - months
        return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=tz)

    def describe(self) -> dict[str, Any]:
        """The filters as plain data, for JSON output."""
        return {
            "period": {
                "kind": self.period.kind,
                "label": self.period.label,
                "start": self.period.start.isoformat(),
                "end_exclusive": self.period.end.isoformat(),
            },
            "previous_period": {
                "label": self.period.previous().label,
                "start": self.period.previous().start.isoformat(),
                "end_exclusive": self.period.previous().end.isoformat(),
            },
            "view": self.view,
            "sources": list(self.sources),
            "campaigns": list(self.campaigns),
            "owners": list(self.owners),
            "teams": list(self.teams),
            "attributes": {name: list(values) for name, values in self.attributes},
        }

    def to_query_params(self) -> dict[str, list[str]]:
        """URL query parameters; defaults are left out so links stay short."""
        out: dict[str, list[str]] = {"period": [self.period.kind]}
        if self.period.kind == "custom":
            out["from"] = [self.period.start.isoformat()]
            out["to"] = [(self.period.end - dt.timedelta(days=1)).isoformat()]
        if self.view != "created":
            out["view"] = [self.view]
        for key, values in zip(
            GROUP_COLUMNS, (self.sources, self.campaigns, self.owners, self.teams), strict=True
        ):
            if values:
                out[key] = list(values)
        for name, values in self.attributes:
            out[ATTRIBUTE_URL_PREFIX + name] = list(values)
        return out


def is_filter_param(key: str) -> bool:
    """A key of the URL that the shared filters own (the rest are the pages' own choices)."""
    return key in ("period", "from", "to", "view", *GROUP_COLUMNS) or key.startswith(
        ATTRIBUTE_URL_PREFIX
    )


def from_query_params(
    params: Mapping[str, Sequence[str]], data_end: dt.date, attributes: Sequence[str] = ()
) -> Filters:
    """Filters from URL query parameters; anything unknown or malformed falls back to defaults."""
    return read_query_params(params, data_end, attributes)[0]


def read_query_params(
    params: Mapping[str, Sequence[str]], data_end: dt.date, attributes: Sequence[str] = ()
) -> tuple[Filters, list[str]]:
    """Filters from URL query parameters, and a note for every value that was ignored (which
    parameter, which value, what was used instead). Never raises on what a link holds."""
    notes: list[str] = []

    def first(key: str) -> str | None:
        values = list(params.get(key) or [])
        if len(values) > 1 and key in SINGLE_PARAMS:
            notes.append(
                f"{key} is given {len(values)} times; the first ({_quoted(values[0])}) is used"
            )
        return values[0] if values else None

    kind = first("period") or "last_month"
    if kind not in PERIODS:
        notes.append(f"period {_quoted(kind)} is not a period Handoff knows; showing last month")
        kind = "last_month"
    raw_from, raw_to = first("from"), first("to")
    period = None
    if kind == "custom":
        try:
            start, end = _url_date("from", raw_from), _url_date("to", raw_to)
            try:
                period = resolve_period(kind, data_end, start, end)
            except ValueError as exc:
                raise ValueError(
                    f"from {_quoted(str(raw_from))} to {_quoted(str(raw_to))}: {exc}"
                ) from None
        except ValueError as exc:
            notes.append(f"{exc}; showing the last month instead of custom dates")
    elif raw_from is not None or raw_to is not None:
        notes.append(f"from and to count only with period=custom; showing {PERIODS[kind].lower()}")
    if period is None:
        period = resolve_period("last_month" if kind == "custom" else kind, data_end)
    view = first("view") or "created"
    if view not in VIEWS:
        notes.append(f"view {_quoted(view)} is not a way Handoff counts; counting leads created")
        view = "created"
    # A value repeated in a link counts once.
    scope = {key: tuple(dict.fromkeys(params.get(key) or ())) for key in GROUP_COLUMNS}
    attrs = tuple(
        (name, tuple(dict.fromkeys(params[ATTRIBUTE_URL_PREFIX + name])))
        for name in attributes
        if params.get(ATTRIBUTE_URL_PREFIX + name)
    )
    filters = Filters(
        period=period,
        view=view,
        sources=scope["source"],
        campaigns=scope["campaign"],
        owners=scope["owner"],
        teams=scope["team"],
        attributes=attrs,
    )
    return filters, notes


def _url_date(key: str, value: str | None) -> dt.date:
    if not value:
        raise ValueError(f"custom dates need both from and to ({key} is missing)")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{key} {_quoted(value)} is not a date like 2026-03-31") from None


def _quoted(value: str, limit: int = 40) -> str:
    """A value from a link, quoted and cut short, to echo in a note."""
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return f"“{text}”"


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
