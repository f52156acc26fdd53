"""Damaged exports whose truth is known: the generator behind tests/test_robustness.py.

Each case is (damage kind, format, seed). Its export is built from leads (and, for the number
and secondary-file kinds, deals) whose true values are drawn first from a seeded random
generator: id, creation instant, source, owner, score, amount. Each row is then written the way
its format writes it (HubSpot's `2025-03-01 10:00` in the agreement's zone, Salesforce's
`...T20:36:47.000+0000`, Zoho's `15 Apr, 2021 00:03:00`, the X Education mapping's columns), and
one kind of damage is applied, either to the bytes of a file (encodings, delimiters, line ends,
quotes, NUL bytes, blank lines, huge fields, wide headers) or to chosen values (dates, zones,
numbers, ids). Every row carries a unique `row_tag` column (kept by every format as an extra
column), so each accepted row can be traced to the row written.

For every written row the generator records what the importer may do with it:
- `expect` holds the canonical values the row means (timestamps as microseconds since the
  epoch, so instants compare whatever the zone). A damaged value whose meaning is known (a zone
  name after a time, `$1,117.10K`, ` L1 `) keeps it; an accepted row must show exactly that.
- `expect is None` when the damaged value means nothing (2026-02-30, `infinity`, `+25:00`,
  `Mars/Olympus`, an invalid byte): the row must be rejected.
- `damaged` is False for rows the damage did not touch: they must be accepted.
A whole export may always be refused with a clear message instead, except where `must_read`
says the input is valid (a UTF-8 BOM, `;` or tab delimiters, CRLF, doubled quotes, quoted
newlines, blank lines, 300 columns), and some refusals must say a given word (the encoding, the
column count).
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

ZONE = zoneinfo.ZoneInfo("Europe/Berlin")  # the golden agreement's time zone
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TAG = "row_tag"
TAG_RE = re.compile(r"rt[0-9]{4}[ld]")
X_EDUCATION = "data/mappings/x_education.toml"
FORMATS = ("canonical", "hubspot", "salesforce", "zoho", "mapping")

# Labels whose letters differ, so that no label merge joins two of them.
SOURCES = ("Paid Search", "Referrals", "Direct Traffic", "Email Marketing", "Trade Show", "Webinar")
OWNERS = ("Rita Rep", "Sam Seller", "Ana Alves", "Ben Berg", "Cem Cakir")
STAGES = ("won", "lost", "open")


def us(when: dt.datetime) -> int:
    """An instant as microseconds since the epoch (what `epoch_us` gives in DuckDB)."""
    return (when - EPOCH) // dt.timedelta(microseconds=1)


class Raw(str):
    """A cell written exactly as it is, never quoted (to damage the CSV structure)."""


@dataclass
class Row:
    """One physical data row of a file: its cells and what the importer may make of it."""

    tag: str
    cells: dict[str, str]
    expect: dict[str, Any] | None
    damaged: bool = False
    raw_line: str | None = None  # the record's text when the damage writes it itself
    line: int = 0  # first physical line of the record (the header is line 1)
    sheet_line: int = 0  # its row as a spreadsheet shows it (blank lines count, records once)


@dataclass
class File:
    """One file of an export, before and after it is written."""

    name: str
    table: str  # the canonical table it feeds
    header: list[str]
    rows: list[Row]
    delim: str = ","
    newline: str = "\n"
    encoding: str = "utf-8"
    blank_before: set[int] = field(default_factory=set)  # row indexes preceded by a blank line
    data: bytes | None = None  # the bytes, when the damage writes them itself
    columns: tuple[str, ...] = ()  # the table's columns its rows' values are checked in

    @property
    def damaged(self) -> bool:
        return any(r.damaged for r in self.rows)


@dataclass
class Case:
    """A damaged export and its oracle's settings."""

    kind: str
    format: str
    seed: int
    files: list[File]
    how: dict[str, str]
    must_read: bool = False  # a refusal is wrong: the input is valid
    refusal_says: tuple[str, ...] = ()  # a refusal must say one of these
    must_refuse: bool = False  # reading it at all is wrong (a header past any sane width)
    bound_s: float = 30.0
    mode: str = "check"  # or "import"

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.format}-{self.seed}"


# --- Formats: how a lead and a deal are written, and what they mean -----------------------------


@dataclass
class Lead:
    tag: str
    lead_id: str
    created: dt.datetime
    source: str
    owner: str
    score: int


@dataclass
class Deal:
    tag: str
    deal_id: str
    lead: Lead
    created: dt.datetime
    status: str
    amount: float


@dataclass(frozen=True)
class Format:
    name: str
    how: dict[str, str]
    leads_file: str
    header: tuple[str, ...]
    id_col: str
    created_col: str  # None-like "" when the mapping dates leads itself
    source_col: str
    text_col: str  # a free text column: owner, or an attribute
    text_key: str  # the leads table's column that text_col becomes
    score_col: str = ""
    deals_file: str = ""
    deal_header: tuple[str, ...] = ()
    amount_col: str = ""


CANONICAL = Format(
    "canonical", {"format": "canonical"}, "leads.csv",
    ("lead_id", "created_at", "source", "owner", "score", TAG),
    "lead_id", "created_at", "source", "owner", "owner", score_col="score",
    deals_file="deals.csv",
    deal_header=("deal_id", "lead_id", "created_at", "status", "amount", TAG), amount_col="amount",
)  # fmt: skip
HUBSPOT = Format(
    "hubspot", {"format": "hubspot"}, "contacts.csv",
    ("Record ID", "First Name", "Email", "Contact owner", "Lead Status", "Lifecycle Stage",
     "Create Date", "Original Source", "HubSpot Score", TAG),
    "Record ID", "Create Date", "Original Source", "Contact owner", "owner",
    score_col="HubSpot Score", deals_file="deals.csv",
    deal_header=("Record ID", "Deal Name", "Deal Stage", "Amount", "Create Date", "Close Date",
                 "Associated Contact IDs", TAG),
    amount_col="Amount",
)  # fmt: skip
SALESFORCE = Format(
    "salesforce", {"format": "salesforce"}, "Lead.csv",
    ("Id", "LastName", "Company", "LeadSource", "Status", "IsConverted", "CreatedDate",
     "ConvertedDate", "ConvertedOpportunityId", "Owner.Name", TAG),
    "Id", "CreatedDate", "LeadSource", "Owner.Name", "owner", deals_file="Opportunity.csv",
    deal_header=("Id", "Name", "StageName", "CloseDate", "IsWon", "IsClosed", "Amount",
                 "CreatedDate", TAG),
    amount_col="Amount",
)  # fmt: skip
ZOHO = Format(
    "zoho", {"format": "zoho"}, "Leads.csv",
    ("LEADID", "First Name", "Last Name", "Lead Status", "Created Time", "Lead Source",
     "Lead Owner", TAG),
    "LEADID", "Created Time", "Lead Source", "Lead Owner", "owner", deals_file="Potentials.csv",
    deal_header=("POTENTIALID", "Potential Name", "Stage", "Closing Date", "LEADID",
                 "Created Time", "Amount", TAG),
    amount_col="Amount",
)  # fmt: skip
MAPPING = Format(
    "mapping", {"mapping": X_EDUCATION}, "Leads.csv",
    ("Prospect ID", "Lead Number", "Lead Origin", "Lead Source", "Converted", "Tags", "City", TAG),
    "Prospect ID", "", "Lead Source", "City", "city",
)  # fmt: skip
FORMAT_BY_NAME = {f.name: f for f in (CANONICAL, HUBSPOT, SALESFORCE, ZOHO, MAPPING)}
X_EDUCATION_DAY = dt.datetime(2019, 1, 1, tzinfo=ZONE)  # the mapping's constant created_at


def write_time(fmt: Format, when: dt.datetime) -> str:
    """An instant as the format's exports write it."""
    local = when.astimezone(ZONE)
    if fmt is SALESFORCE:
        return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    if fmt is ZOHO:
        return local.strftime("%d %b, %Y %H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def lead_id_meaning(fmt: Format, written: str) -> str:
    """The lead_id an id means in the format (Salesforce compares ids by 15 characters)."""
    text = written.strip()
    return text[:15] if fmt is SALESFORCE else text


def lead_cells(fmt: Format, lead: Lead) -> dict[str, str]:
    created = write_time(fmt, lead.created)
    if fmt is CANONICAL:
        values = [lead.lead_id, created, lead.source, lead.owner, str(lead.score)]
    elif fmt is HUBSPOT:
        first = lead.owner.split()[0]
        values = [lead.lead_id, first, f"{first.lower()}.{lead.lead_id}@example.com", lead.owner,
                  "New", "Lead", created, lead.source, str(lead.score)]  # fmt: skip
    elif fmt is SALESFORCE:
        values = [lead.lead_id, lead.owner.split()[-1], "Acme", lead.source,
                  "Open - Not Contacted", "false", created, "", "", lead.owner]  # fmt: skip
    elif fmt is ZOHO:
        first, last = lead.owner.split()
        values = [lead.lead_id, first, last, "Not Contacted", created, lead.source, lead.owner]
    else:
        values = [lead.lead_id, str(600000 + int(lead.tag[2:6])), "API", lead.source, "0",
                  "Ringing", lead.owner]  # fmt: skip
    return dict(zip(fmt.header, [*values, lead.tag], strict=True))


def lead_expect(fmt: Format, lead: Lead) -> dict[str, Any]:
    """The leads table's values the written lead means."""
    out: dict[str, Any] = {
        "lead_id": lead_id_meaning(fmt, lead.lead_id),
        "source": lead.source,
        "created_at": us(X_EDUCATION_DAY if fmt is MAPPING else lead.created),
        fmt.text_key: lead.owner,
    }
    if fmt.score_col:
        out["score"] = float(lead.score)
    return out


def deal_cells(fmt: Format, deal: Deal) -> dict[str, str]:
    amount = f"{deal.amount:.2f}"
    created = write_time(fmt, deal.created)
    closed = (deal.created + dt.timedelta(days=9)).astimezone(ZONE).strftime("%Y-%m-%d")
    stage = {"won": "Closed Won", "lost": "Closed Lost", "open": "Qualification"}[deal.status]
    if fmt is CANONICAL:
        values = [deal.deal_id, deal.lead.lead_id, created, deal.status, amount]
    elif fmt is HUBSPOT:
        values = [deal.deal_id, f"Deal {deal.deal_id}", stage, amount, created, closed,
                  deal.lead.lead_id]  # fmt: skip
    elif fmt is SALESFORCE:
        won, closed_flag = deal.status == "won", deal.status != "open"
        values = [deal.deal_id, f"Deal {deal.deal_id}", stage, closed, str(won).lower(),
                  str(closed_flag).lower(), amount, created]  # fmt: skip
    else:
        values = [deal.deal_id, f"Deal {deal.deal_id}", stage, closed, deal.lead.lead_id, created,
                  amount]  # fmt: skip
    return dict(zip(fmt.deal_header, [*values, deal.tag], strict=True))


def deal_expect(fmt: Format, deal: Deal) -> dict[str, Any]:
    return {
        "deal_id": lead_id_meaning(fmt, deal.deal_id),
        "lead_id": lead_id_meaning(fmt, deal.lead.lead_id),
        "status": deal.status,
        "created_at": us(deal.created),
        "amount": deal.amount,
    }


# --- Building blocks ----------------------------------------------------------------------------


def make_leads(rng: random.Random, fmt: Format, n: int) -> list[Lead]:
    leads = []
    for i in range(n):
        # Daytime wall clock only: never inside a daylight-saving gap or repeat.
        day = dt.date(2025, 1, 6) + dt.timedelta(days=rng.randrange(500))
        wall = dt.datetime.combine(day, dt.time(rng.randrange(8, 20), rng.randrange(60)))
        if fmt is SALESFORCE:
            lead_id = f"00Q{rng.randrange(16**9):09X}{i:03d}A{rng.choice('ABCDEF')}Q"
        elif fmt is ZOHO:
            lead_id = f"4563{rng.randrange(10**9):09d}{i:03d}"
        elif fmt is HUBSPOT:
            lead_id = str(100 + i * 7 + rng.randrange(7))
        elif fmt is MAPPING:
            lead_id = f"{rng.randrange(16**8):08x}-{i:04d}"
        else:
            lead_id = f"L{i + 1:03d}"
        leads.append(
            Lead(
                tag=f"rt{i:04d}l",
                lead_id=lead_id,
                created=wall.replace(tzinfo=ZONE),
                source=rng.choice(SOURCES),
                owner=rng.choice(OWNERS),
                score=rng.randrange(0, 101),
            )
        )
    return leads


def leads_file(fmt: Format, leads: list[Lead]) -> File:
    rows = [Row(x.tag, lead_cells(fmt, x), lead_expect(fmt, x)) for x in leads]
    return File(fmt.leads_file, "leads", list(fmt.header), rows, columns=tuple(rows[0].expect))


def make_deals(rng: random.Random, fmt: Format, leads: list[Lead], n: int) -> list[Deal]:
    deals = []
    # One deal per lead at most: a Salesforce lead names the one opportunity it became.
    for i in range(min(n, len(leads))):
        lead = leads[i]
        if fmt is SALESFORCE:
            deal_id = f"006{rng.randrange(16**9):09X}{i:03d}A{rng.choice('ABCDEF')}Q"
        else:
            deal_id = f"{9000 + i}"
        deals.append(
            Deal(
                tag=f"rt{i:04d}d",
                deal_id=deal_id,
                lead=lead,
                created=lead.created + dt.timedelta(days=1 + rng.randrange(20)),
                status=rng.choice(STAGES),
                amount=float(rng.randrange(100, 90000)),
            )
        )
    return deals


def deals_file(fmt: Format, deals: list[Deal], leads: File) -> File:
    if fmt is SALESFORCE:
        # A lead converted into an opportunity names it: that is how a deal finds its lead.
        by_id = {r.cells["Id"]: r for r in leads.rows}
        for deal in deals:
            by_id[deal.lead.lead_id].cells["ConvertedOpportunityId"] = deal.deal_id
    rows = [Row(d.tag, deal_cells(fmt, d), deal_expect(fmt, d)) for d in deals]
    return File(fmt.deals_file, "deals", list(fmt.deal_header), rows, columns=tuple(rows[0].expect))


def damage(row: Row, col: str, text: str, **expect: Any) -> None:
    """Write `text` into a row's cell; `expect` gives what it means (None: nothing)."""
    row.cells[col] = text
    row.damaged = True
    if row.expect is not None:
        if any(v is None for v in expect.values()):
            row.expect = None
        else:
            row.expect.update(expect)


def when_text(text: str) -> int:
    """A written ISO instant with its offset as microseconds since the epoch."""
    return us(dt.datetime.fromisoformat(text))


# --- Serialising --------------------------------------------------------------------------------


def _cell(text: str, delim: str) -> str:
    if isinstance(text, Raw):
        return str(text)
    if any(c in text for c in (delim, '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def _line(row: Row, f: File, delim: str | None = None) -> str:
    delim = delim or f.delim
    return delim.join(_cell(row.cells[h], delim) for h in f.header)


def encode(f: File) -> bytes:
    """The file's bytes; records each row's physical line and spreadsheet row."""
    if f.data is not None:
        return f.data
    parts = [f.delim.join(_cell(h, f.delim) for h in f.header), f.newline]
    sheet = 1
    starts = []
    for i, row in enumerate(f.rows):
        if i in f.blank_before:
            parts.append(f.newline)
            sheet += 1
        sheet += 1
        row.sheet_line = sheet
        starts.append(sum(len(p) for p in parts))
        parts += [row.raw_line if row.raw_line is not None else _line(row, f), f.newline]
    text = "".join(parts)
    breaks = [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]
    for row, start in zip(f.rows, starts, strict=True):
        row.line = 1 + sum(1 for b in breaks if b <= start)
    return text.encode(f.encoding, "surrogateescape")


# --- Damage kinds -------------------------------------------------------------------------------
# Each takes (rng, fmt, leads file) and damages it in place; it may add files or set the case's
# oracle settings through the returned dict.


def _pick(rng: random.Random, f: File, at_least: int = 0) -> Row:
    return f.rows[rng.randrange(at_least, len(f.rows))]


def _all_damaged(f: File) -> None:
    for row in f.rows:
        row.damaged = True


def k_utf8_bom(rng, fmt, f):
    f.data = b"\xef\xbb\xbf" + encode(f)
    return {"must_read": True}


def _reencode(f: File, codec: str, bom: bytes) -> None:
    text = encode(f).decode("utf-8")
    f.data = bom + text.encode(codec)
    _all_damaged(f)


def k_utf16le(rng, fmt, f):
    _reencode(f, "utf-16-le", b"\xff\xfe")
    return {"refusal_says": ("UTF-16",)}


def k_utf16be(rng, fmt, f):
    _reencode(f, "utf-16-be", b"\xfe\xff")
    return {"refusal_says": ("UTF-16",)}


def k_utf32(rng, fmt, f):
    _reencode(f, "utf-32-le", b"\xff\xfe\x00\x00")
    return {"refusal_says": ("UTF-32",)}


def k_latin1(rng, fmt, f):
    # Latin-1 bytes in one row: Café is Café, or the row (or the file) is refused.
    row = _pick(rng, f)
    name = rng.choice(("Café Crème", "José Müller", "Zoë Ångström"))
    damage(row, fmt.text_col, name, **{fmt.text_key: name})
    f.encoding = "latin-1"


def k_invalid_bytes(rng, fmt, f):
    row = _pick(rng, f)
    damage(row, fmt.text_col, "Bad\udcff\udcfeBytes\udcc3", **{fmt.text_key: None})


def _delimited(f: File, delim: str) -> None:
    f.delim = delim


def k_semicolon(rng, fmt, f):
    _delimited(f, ";")
    return {"must_read": True}


def k_tab(rng, fmt, f):
    _delimited(f, "\t")
    return {"must_read": True}


def k_pipe(rng, fmt, f):
    _delimited(f, "|")


def k_mixed_delimiters(rng, fmt, f):
    # One row written with semicolons in a comma file: it means its values, read or rejected.
    row = _pick(rng, f)
    row.raw_line = _line(row, f, ";")
    row.damaged = True


def k_stray_quote(rng, fmt, f):
    # Issue 16's reproducer: a field opens a quote that a later row's last field closes.
    if len(f.rows) < 4:
        return {}
    i = rng.randrange(0, len(f.rows) - 3)
    j = i + rng.randrange(2, min(4, len(f.rows) - i))
    col = fmt.source_col
    first, last = f.rows[i], f.rows[j]
    first.cells[col] = Raw('"' + first.cells[col])
    last.cells[col] = Raw(last.cells[col] + '"')
    for row in f.rows[i : j + 1]:
        row.damaged = True  # swallowed or rejected, never silently merged


def k_unbalanced_quote(rng, fmt, f):
    # A quote inside an unquoted field: `Web "Ads` is those 8 characters, read or rejected.
    row = _pick(rng, f)
    value = row.cells[fmt.text_col]
    text = value.split()[0] + ' "' + value.split()[-1] + " Jr"
    damage(row, fmt.text_col, Raw(text), **{fmt.text_key: text})


def k_doubled_quotes(rng, fmt, f):
    # Valid CSV: a quoted field with doubled quotes is one field holding quotes.
    for row in rng.sample(f.rows, k=min(3, len(f.rows))):
        text = f'The "{row.cells[fmt.text_col]}" Team, Inc'
        row.cells[fmt.text_col] = text
        row.expect[fmt.text_key] = text
    return {"must_read": True}


def k_quoted_newline(rng, fmt, f):
    # Valid CSV: a quoted field spanning lines (an address, a note).
    for row in rng.sample(f.rows, k=min(2, len(f.rows))):
        text = row.cells[fmt.text_col] + "\nc/o Front Desk"
        row.cells[fmt.text_col] = text
        row.expect[fmt.text_key] = text
    return {"must_read": True}


def k_blank_lines(rng, fmt, f):
    # Blank lines between rows and at the end are no rows; a bad value after one names its line.
    f.blank_before = {rng.randrange(len(f.rows)) for _ in range(3)}
    if fmt.created_col:
        row = f.rows[max(f.blank_before)]
        damage(row, fmt.created_col, "yesterday", created_at=None)
    f.data = encode(f) + f.newline.encode() * 2
    return {"must_read": True}


def k_crlf(rng, fmt, f):
    f.newline = "\r\n"
    return {"must_read": True}


def k_cr(rng, fmt, f):
    f.newline = "\r"


def k_ragged_long(rng, fmt, f):
    row = _pick(rng, f)
    row.raw_line = _line(row, f) + ",extra,fields"
    row.damaged = True
    row.expect = None  # which field is extra cannot be known


def k_ragged_short(rng, fmt, f):
    row = _pick(rng, f)
    keep = rng.randrange(1, len(f.header) - 1)
    row.raw_line = ",".join(_cell(row.cells[h], ",") for h in f.header[:keep])
    row.damaged = True
    row.expect = None


def k_nul_byte(rng, fmt, f):
    row = _pick(rng, f)
    col = rng.choice([fmt.source_col, fmt.text_col])
    key = "source" if col == fmt.source_col else fmt.text_key
    damage(row, col, row.cells[col].replace(" ", "\x00", 1) + "\x00", **{key: None})


def k_empty_file(rng, fmt, f):
    f.rows = []
    f.data = b""
    return {"refusal_says": ("empty",)}


def k_header_only(rng, fmt, f):
    f.rows = []


def k_blank_header_name(rng, fmt, f):
    # An extra column with no name, holding values: kept or dropped, never shifting the others.
    at = rng.randrange(1, len(f.header))
    f.header.insert(at, "")
    for row in f.rows:
        row.cells[""] = f"note {row.tag}"


def k_duplicate_header(rng, fmt, f):
    # The source column twice. Headers are matched first come, first served, so the first one is
    # the source; the second is kept beside it. Rows where the two differ may be rejected.
    f.header.append(fmt.source_col)
    # A dict cannot hold the same key twice: the second column is written from a raw cell.
    second = "\ue000dup"
    f.header[-1] = second
    for row in f.rows:
        if rng.random() < 0.3:
            row.cells[second] = rng.choice([s for s in SOURCES if s != row.cells[fmt.source_col]])
            row.damaged = True
        else:
            row.cells[second] = row.cells[fmt.source_col]
    f.data = encode(f).replace(second.encode(), fmt.source_col.encode())


# Ids ----------------------------------------------------------------------------------------------


def k_id_duplicate(rng, fmt, f):
    if len(f.rows) < 2:
        return {}
    j = rng.randrange(1, len(f.rows))
    first = f.rows[rng.randrange(j)]
    row = f.rows[j]
    damage(row, fmt.id_col, first.cells[fmt.id_col], lead_id=first.expect["lead_id"])


def _id_variant(rng, fmt, f, spell):
    if len(f.rows) < 2:
        return {}
    j = rng.randrange(1, len(f.rows))
    first = f.rows[rng.randrange(j)]
    # The same id spelt with white space around it: the same lead, so a duplicate.
    damage(f.rows[j], fmt.id_col, spell(first.cells[fmt.id_col]), lead_id=first.expect["lead_id"])
    return {}


def k_id_spaces(rng, fmt, f):
    return _id_variant(rng, fmt, f, lambda v: f" {v} ")


def k_id_tab(rng, fmt, f):
    return _id_variant(rng, fmt, f, lambda v: f"\t{v}")


def k_id_blank(rng, fmt, f):
    damage(_pick(rng, f), fmt.id_col, rng.choice(["", " ", "  "]), lead_id=None)


def k_id_long(rng, fmt, f):
    row = _pick(rng, f)
    long_id = row.cells[fmt.id_col] + "".join(rng.choices("ABCDEFGHJK0123456789", k=5000))
    damage(row, fmt.id_col, long_id, lead_id=lead_id_meaning(fmt, long_id))


# Dates and zones (formats whose rows carry their own creation time) ------------------------------


def _date(rng, fmt, f, texts):
    row = _pick(rng, f)
    text, meaning = rng.choice(texts)
    damage(row, fmt.created_col, text, created_at=meaning)


def k_date_impossible(rng, fmt, f):
    _date(rng, fmt, f, [("2026-02-30", None), ("2026-02-30 10:00", None), ("2026-13-01", None),
                        ("30 Feb, 2026 10:00:00", None), ("2026-02-29T10:00:00.000+0000", None),
                        ("2026-04-31", None)])  # fmt: skip


def k_date_years(rng, fmt, f):
    texts = ["0001-01-01T00:00:00+00:00", "9999-12-31T00:00:00+00:00", "0001-01-01T12:00:00Z"]
    _date(rng, fmt, f, [(t, when_text(t)) for t in texts])


def k_date_special(rng, fmt, f):
    _date(rng, fmt, f, [(t, None) for t in ("infinity", "-infinity", "epoch", "Infinity", "now",
                                           "today", "allballs")])  # fmt: skip


def k_date_bad_offset(rng, fmt, f):
    _date(rng, fmt, f, [(t, None) for t in ("2026-01-31 14:05:00+25:00", "2026-01-31 14:05:00+99",
                                           "2026-01-31T14:05:00-24:30", "2026-01-31T14:05+9999")])  # fmt: skip


def k_date_iso_offset(rng, fmt, f):
    # ISO 8601 with an offset is read in every format, as written: these rows must be read.
    texts = ["2026-01-31T14:05:00+01:00", "2026-01-31T14:05:00Z", "2026-07-01T23:30:00-05:30",
             "2026-03-29T01:30:00+00:00"]  # fmt: skip
    row = _pick(rng, f)
    text = rng.choice(texts)
    row.cells[fmt.created_col] = text
    row.expect["created_at"] = when_text(text)
    return {"must_read": True}


def k_date_zone_name(rng, fmt, f):
    texts = [
        ("2026-01-31 14:05:00 Europe/Berlin", "2026-01-31T14:05:00+01:00"),
        ("2026-07-31 14:05:00 America/New_York", "2026-07-31T14:05:00-04:00"),
        ("2026-01-31 14:05:00 UTC", "2026-01-31T14:05:00+00:00"),
        ("2026-06-30 09:00:00 Asia/Tokyo", "2026-06-30T09:00:00+09:00"),
    ]
    _date(rng, fmt, f, [(t, when_text(iso)) for t, iso in texts])


def k_date_zone_bogus(rng, fmt, f):
    _date(rng, fmt, f, [(t, None) for t in ("2026-01-31 14:05:00 Mars/Olympus",
                                           "2026-01-31 14:05:00 Europe/Atlantis",
                                           "2026-01-31 14:05:00 XYZ")])  # fmt: skip


def _slashed(rng, fmt, f, order: str):
    """Every row's date as dd/mm/yyyy ("day") or mm/dd/yyyy ("month"); a quarter of the rows
    have a day above 12, which decides the order. With "none" no day is above 12."""
    deciders = set(rng.sample(range(len(f.rows)), k=max(1, len(f.rows) // 4)))
    for n, row in enumerate(f.rows):
        decides = n in deciders and order != "none"
        day, month = (
            rng.randrange(13, 29) if decides else rng.randrange(1, 13),
            rng.randrange(1, 13),
        )
        date = dt.datetime(2026, month, day, tzinfo=ZONE)
        text = f"{month:02d}/{day:02d}/2026" if order == "month" else f"{day:02d}/{month:02d}/2026"
        if order == "none" and fmt is SALESFORCE:
            # The format declares month first (US reports) and nothing in the file says otherwise.
            damage(row, fmt.created_col, text, created_at=us(date.replace(month=day, day=month)))
            continue
        known = order != "none" or day == month
        damage(row, fmt.created_col, text, created_at=us(date) if known else None)


def k_date_day_first(rng, fmt, f):
    _slashed(rng, fmt, f, "day")


def k_date_month_first(rng, fmt, f):
    _slashed(rng, fmt, f, "month")


def k_date_ambiguous(rng, fmt, f):
    # No value decides the order: where the format allows both orders (HubSpot) or neither
    # (ISO only), a value whose day and month differ means nothing certain.
    _slashed(rng, fmt, f, "none")


# Numbers --------------------------------------------------------------------------------------------

NUMBERS = [
    ("$1,117.10K", 1117100.0), ("1e3", 1000.0), ("  42  ", 42.0),
    ("€99", 99.0), ("-500", -500.0), ("(1,200.00)", -1200.0), ("1,5", 1.5),
    ("1.234,56", 1234.56), ("12 000", 12000.0), ("inf", None), ("-inf", None), ("NaN", None),
    ("1e400", None), ("Infinity", None), ("0x1A", None), ("12..5", None), ("$", None),
    ("--5", None),
]  # fmt: skip


def k_number_score(rng, fmt, f):
    for row in rng.sample(f.rows, k=min(3, len(f.rows))):
        text, meaning = rng.choice(NUMBERS)
        damage(row, fmt.score_col, text, score=meaning)


def k_number_amount(rng, fmt, f, extra):
    leads = extra["leads"]
    deals = make_deals(rng, fmt, leads, rng.randrange(2, 15))
    d = deals_file(fmt, deals, f)
    for row in rng.sample(d.rows, k=min(4, len(d.rows))):
        text, meaning = rng.choice(NUMBERS)
        damage(row, fmt.amount_col, text, amount=meaning)
    return {"add": d}


def k_deals_utf16(rng, fmt, f, extra):
    # A secondary file in UTF-16: read correctly, or refused naming the encoding; never unused.
    deals = make_deals(rng, fmt, extra["leads"], rng.randrange(2, 10))
    d = deals_file(fmt, deals, f)
    _reencode(d, "utf-16-le", b"\xff\xfe")
    return {"add": d, "refusal_says": ("UTF-16",)}


# Slow kinds: a few cases only ------------------------------------------------------------------


def k_huge_below(rng, fmt, f):
    # A text field just below the longest line the importer takes: read in full.
    row = _pick(rng, f)
    text = "x" * 7_900_000
    damage(row, fmt.text_col, text, **{fmt.text_key: text})


def k_huge_above(rng, fmt, f):
    # Issue 16's reproducer: the last row's creation time is 9,000,000 characters; the other rows
    # are good and must not vanish.
    col = fmt.created_col or fmt.text_col
    key = "created_at" if fmt.created_col else fmt.text_key
    damage(f.rows[-1], col, "9" * 9_000_000, **{key: None})


def _wide(f: File, n_columns: int) -> None:
    extra = [f"attribute {i}" for i in range(n_columns - len(f.header))]
    f.header += extra
    for row in f.rows:
        for i, h in enumerate(extra):
            row.cells[h] = str(i % 10) if i % 3 else ""


def k_wide_300(rng, fmt, f):
    _wide(f, 300)
    return {"must_read": True}


def k_wide_1500(rng, fmt, f):
    _wide(f, 1500)
    return {"refusal_says": ("1,500", "1500"), "must_refuse": True}


def k_wide_5000(rng, fmt, f):
    _wide(f, 5000)
    return {"refusal_says": ("5,000", "5000"), "must_refuse": True}


# kind -> (function, formats, seeds per canonical format, seeds per other format)
_ALL = FORMATS
_DATED = ("canonical", "hubspot", "salesforce", "zoho")
KINDS: dict[str, tuple[Any, tuple[str, ...], int, int]] = {
    "utf8_bom": (k_utf8_bom, _ALL, 17, 1),
    "utf16le": (k_utf16le, _ALL, 17, 1),
    "utf16be": (k_utf16be, _ALL, 12, 1),
    "utf32": (k_utf32, _ALL, 12, 1),
    "latin1": (k_latin1, _ALL, 30, 1),
    "invalid_bytes": (k_invalid_bytes, _ALL, 30, 1),
    "semicolon": (k_semicolon, _ALL, 17, 1),
    "tab": (k_tab, _ALL, 12, 1),
    "pipe": (k_pipe, _ALL, 12, 1),
    "mixed_delimiters": (k_mixed_delimiters, _ALL, 30, 1),
    "stray_quote": (k_stray_quote, _ALL, 35, 2),
    "unbalanced_quote": (k_unbalanced_quote, _ALL, 30, 1),
    "doubled_quotes": (k_doubled_quotes, _ALL, 12, 1),
    "quoted_newline": (k_quoted_newline, _ALL, 30, 1),
    "blank_lines": (k_blank_lines, _ALL, 25, 1),
    "crlf": (k_crlf, _ALL, 12, 1),
    "cr": (k_cr, _ALL, 12, 1),
    "ragged_long": (k_ragged_long, _ALL, 30, 1),
    "ragged_short": (k_ragged_short, _ALL, 30, 1),
    "nul_byte": (k_nul_byte, _ALL, 30, 1),
    "empty_file": (k_empty_file, _ALL, 3, 1),
    "header_only": (k_header_only, _ALL, 3, 1),
    "blank_header_name": (k_blank_header_name, _ALL, 12, 1),
    "duplicate_header": (k_duplicate_header, _ALL, 12, 1),
    "id_duplicate": (k_id_duplicate, _ALL, 25, 2),
    "id_spaces": (k_id_spaces, _ALL, 15, 2),
    "id_tab": (k_id_tab, _ALL, 15, 2),
    "id_blank": (k_id_blank, _ALL, 15, 2),
    "id_long": (k_id_long, _ALL, 12, 1),
    "date_impossible": (k_date_impossible, _DATED, 20, 2),
    "date_years": (k_date_years, _DATED, 15, 2),
    "date_special": (k_date_special, _DATED, 25, 3),
    "date_bad_offset": (k_date_bad_offset, _DATED, 20, 3),
    "date_iso_offset": (k_date_iso_offset, _DATED, 15, 2),
    "date_zone_name": (k_date_zone_name, _DATED, 25, 3),
    "date_zone_bogus": (k_date_zone_bogus, _DATED, 15, 3),
    "date_day_first": (k_date_day_first, _DATED, 15, 3),
    "date_month_first": (k_date_month_first, _DATED, 15, 3),
    "date_ambiguous": (k_date_ambiguous, _DATED, 10, 2),
    "number_score": (k_number_score, ("canonical", "hubspot"), 30, 5),
    "number_amount": (k_number_amount, _DATED, 30, 3),
    "deals_utf16": (k_deals_utf16, _DATED, 3, 1),
    "huge_below": (k_huge_below, ("canonical", "hubspot"), 1, 1),
    "huge_above": (k_huge_above, ("canonical", "hubspot"), 1, 1),
    "wide_300": (k_wide_300, ("canonical", "zoho"), 1, 1),
    "wide_1500": (k_wide_1500, ("canonical", "hubspot"), 1, 1),
    "wide_5000": (k_wide_5000, ("canonical",), 1, 1),
}
_NEEDS_LEADS = {"number_amount", "deals_utf16"}
# Seconds a case may take: reading a few dozen rows takes about one; the huge fields are 8 to 9
# MB; a header too wide to take must be refused at once.
BOUNDS = {"huge_below": 90.0, "huge_above": 90.0, "wide_300": 60.0, "wide_1500": 20.0,
          "wide_5000": 20.0}  # fmt: skip


def bound_s(kind: str) -> float:
    return BOUNDS.get(kind, 30.0)


# Every 50th case imports into a database file (and writes its rejects file) instead of checking.
IMPORT_EVERY = 50


@functools.cache
def case_ids() -> list[str]:
    """Every case, as kind-format-seed."""
    out = []
    for kind, (_fn, formats, n_canonical, n_other) in KINDS.items():
        for name in formats:
            for seed in range(n_canonical if name == "canonical" else n_other):
                out.append(f"{kind}-{name}-{seed}")
    return out


def build(case_id: str) -> Case:
    """The damaged export of a case, deterministically from its id."""
    kind, name, seed_text = case_id.rsplit("-", 2)
    seed = int(seed_text)
    fn, _formats, _nc, _no = KINDS[kind]
    fmt = FORMAT_BY_NAME[name]
    rng = random.Random(f"{kind}/{name}/{seed}")
    small = kind.startswith(("huge", "wide"))
    n = rng.randrange(3, 6) if small else rng.randrange(3, 51)
    if kind == "stray_quote":
        n = max(n, 6)
    leads = make_leads(rng, fmt, n)
    f = leads_file(fmt, leads)
    settings = (
        fn(rng, fmt, f, {"leads": leads}) if kind in _NEEDS_LEADS else fn(rng, fmt, f)
    ) or {}
    files = [f]
    if "add" in settings:
        files.append(settings.pop("add"))
    ordinal = case_ids().index(case_id)
    return Case(
        kind=kind,
        format=name,
        seed=seed,
        files=files,
        how=fmt.how,
        must_read=settings.get("must_read", False),
        refusal_says=settings.get("refusal_says", ()),
        bound_s=bound_s(kind),
        must_refuse=settings.get("must_refuse", False),
        mode="import" if ordinal % IMPORT_EVERY == 0 and not small else "check",
    )
