"""The data contract: the canonical dataset's tables and columns, declared once.

The importer, the validator, the README's table and the tests all read this module; nothing else
lists the columns. A dataset is a folder holding one CSV or Parquet file per table, named after it
(`leads.csv`, `touches.parquet`, ...). Only `leads` is required.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    """How a column's text is read."""

    TEXT = "text"
    TIMESTAMP = "timestamp"
    NUMBER = "number"
    MONTH = "month"  # YYYY-MM
    CHOICE = "choice"  # one of a fixed set of words


# The lead columns a filter or a breakdown may use (besides lead attributes): one list for the
# filters, the URL, the query runner and the breakdowns.
GROUP_COLUMNS = ("source", "campaign", "owner", "team")


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    type: ColumnType
    required: bool
    meaning: str
    choices: tuple[str, ...] = ()
    # A required text column whose blank values are replaced instead of rejected.
    blank_becomes: str | None = None
    # A number below this is rejected: money is never negative (a won deal of -500 is not
    # revenue; a refund is not a deal).
    minimum: float | None = None


@dataclass(frozen=True)
class Table:
    """One canonical table."""

    name: str
    required: bool
    meaning: str
    columns: tuple[Column, ...]
    key: str | None = None  # unique within the table
    lead_key: str | None = None  # refers to leads.lead_id

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _ts(name: str, meaning: str, required: bool = False) -> Column:
    return Column(name, ColumnType.TIMESTAMP, required, meaning)


def _text(name: str, meaning: str, required: bool = False) -> Column:
    return Column(name, ColumnType.TEXT, required, meaning)


UNKNOWN_SOURCE = "(unknown)"

LEADS = Table(
    name="leads",
    required=True,
    meaning="one row per lead",
    key="lead_id",
    columns=(
        _text("lead_id", "unique id of the lead", required=True),
        _ts("created_at", "when the lead (inquiry) was created", required=True),
        Column(
            "source",
            ColumnType.TEXT,
            True,
            f"channel / original source; blank becomes `{UNKNOWN_SOURCE}`",
            blank_becomes=UNKNOWN_SOURCE,
        ),
        _text("campaign", "campaign that created the lead"),
        _text("owner", "sales rep who owns the lead"),
        _text("team", "sales team"),
        Column("score", ColumnType.NUMBER, False, "the agreed lead score"),
        _ts("mql_at", "marketing qualified: handed to sales"),
        _ts("assigned_at", "routed to a rep"),
        _ts("first_contacted_at", "first sales follow-up, when no activities file gives it"),
        _ts("sal_at", "accepted by sales"),
        _ts("sql_at", "sales qualified"),
        _ts("opportunity_at", "opportunity created"),
        _ts("won_at", "closed won"),
        _ts("lost_at", "closed lost"),
        _ts("discarded_at", "disqualified or rejected"),
        _text("discard_reason", "why it was discarded"),
        _ts("recycled_at", "sent back to marketing nurture"),
        Column(
            "amount",
            ColumnType.NUMBER,
            False,
            "won revenue, when no deals file gives it",
            minimum=0,
        ),
    ),
)

TOUCHES = Table(
    name="touches",
    required=False,
    meaning="marketing touchpoints",
    lead_key="lead_id",
    columns=(
        _text("lead_id", "the lead touched", required=True),
        _ts("touched_at", "when", required=True),
        _text("channel", "marketing channel of the touch", required=True),
        _text("campaign", "campaign of the touch"),
        _text("touch_type", "form fill, email click, event visit, ..."),
    ),
)

ACTIVITIES = Table(
    name="activities",
    required=False,
    meaning="sales follow-up",
    lead_key="lead_id",
    columns=(
        _text("lead_id", "the lead followed up", required=True),
        _ts("activity_at", "when", required=True),
        _text("rep", "who did it"),
        _text("activity_type", "call, email, meeting, ..."),
    ),
)

DEALS = Table(
    name="deals",
    required=False,
    meaning="opportunities and their outcome",
    key="deal_id",
    lead_key="lead_id",
    columns=(
        _text("deal_id", "unique id of the deal", required=True),
        _text("lead_id", "the lead the deal came from", required=True),
        _ts("created_at", "when the deal (opportunity) was created", required=True),
        _ts("closed_at", "when it was won or lost"),
        Column(
            "status", ColumnType.CHOICE, True, "open, won or lost", choices=("open", "won", "lost")
        ),
        Column("amount", ColumnType.NUMBER, False, "deal value", minimum=0),
        _text("source", "lead source the CRM recorded on the deal, when it keeps its own"),
    ),
)

SPEND = Table(
    name="spend",
    required=False,
    meaning="marketing cost per month",
    columns=(
        Column("month", ColumnType.MONTH, True, "the month, YYYY-MM"),
        _text("source", "source the money was spent on"),
        _text("campaign", "campaign the money was spent on"),
        Column("cost", ColumnType.NUMBER, True, "amount spent", minimum=0),
    ),
)

TABLES: tuple[Table, ...] = (LEADS, TOUCHES, ACTIVITIES, DEALS, SPEND)
TABLES_BY_NAME = {t.name: t for t in TABLES}

# The funnel, in order, with the lead column that stamps entry into each stage.
STAGES: tuple[str, ...] = ("lead", "mql", "sal", "sql", "opportunity", "won")
STAGE_COLUMNS: dict[str, str] = {
    "lead": "created_at",
    "mql": "mql_at",
    "sal": "sal_at",
    "sql": "sql_at",
    "opportunity": "opportunity_at",
    "won": "won_at",
}
EXITS: tuple[str, ...] = ("lost", "discarded", "recycled")

FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet")


def markdown_table() -> str:
    """The contract as the Markdown the README shows."""
    lines = []
    for table in TABLES:
        need = "required" if table.required else "optional"
        lines.append(f"**{table.name}** ({need}) — {table.meaning}")
        lines.append("")
        lines.append("| column | type | required | meaning |")
        lines.append("|---|---|---|---|")
        for c in table.columns:
            shown = c.type.value
            if c.choices:
                shown = " \\| ".join(c.choices)
            lines.append(f"| {c.name} | {shown} | {'yes' if c.required else 'no'} | {c.meaning} |")
        lines.append("")
    lines.append(
        "Any other column is kept: on `leads` as a lead attribute (offered as a filter and a "
        "breakdown), on the other tables as extra text."
    )
    return "\n".join(lines)
