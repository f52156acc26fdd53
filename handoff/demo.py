"""The demo dataset: a deterministic, realistic revenue team, generated in DuckDB.

`generate` writes a canonical dataset folder (the five tables and the agreement). The same seed
and end date give the same files. Sources and campaigns have clearly different volume and quality
(trade shows: many leads, low quality; referrals: few, high quality), the score predicts
conversion imperfectly, reps differ in follow-up speed and slow follow-up lowers acceptance,
discards carry reasons (not always), some leads are recycled and come back, and campaigns have
monthly spend. The SQL is in `demo.sql`; this module holds the constants and writes the files.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from handoff import agreement as agreement_mod
from handoff import importer, paths
from handoff.contract import TABLES, TABLES_BY_NAME, ColumnType
from handoff.db import DEFAULT_DB, OutdatedDatabase, limit_memory
from handoff.sql import compose, ident, join

DEMO_SQL = Path(__file__).with_name("demo.sql")
DEFAULT_AGREEMENT = paths.DEFAULT_AGREEMENT

# (source, share of leads, quality multiplier, cost per lead in USD; 0 = no paid spend)
SOURCES = (
    ("Content download", 17, 0.60, 40),
    ("Trade show", 15, 0.55, 150),
    ("Paid search", 14, 0.95, 85),
    ("Webinar", 11, 1.00, 55),
    ("Paid social", 10, 0.50, 45),
    ("Organic search", 10, 1.00, 0),
    ("Email", 7, 0.85, 6),
    ("Partner", 5, 1.50, 70),
    ("Direct", 5, 1.25, 0),
    ("Referral", 4, 2.10, 0),
)

# Campaigns per source; within a source, volume falls off and quality varies by campaign.
CAMPAIGNS = {
    "Trade show": (
        "Trade show: SaaStr Annual",
        "Trade show: Dreamforce",
        "Trade show: Web Summit",
        "Trade show: RSA Conference",
        "Trade show: Gartner Symposium",
        "Trade show: Local roadshow",
    ),
    "Content download": (
        "Ebook: State of RevOps",
        "Ebook: Pipeline playbook",
        "Whitepaper: Buyer intent",
        "Template pack: QBR",
        "Checklist: CRM hygiene",
        "Report: Benchmarks 2026",
        "Ebook: Marketing ops handbook",
    ),
    "Paid search": (
        "Search: Generic CRM",
        "Search: Brand terms",
        "Search: Competitor terms",
        "Search: Lead scoring",
        "Search: Retargeting",
        "Search: Display network",
    ),
    "Webinar": (
        "Webinar: Attribution 101",
        "Webinar: SLA in practice",
        "Webinar: Scoring that works",
        "Webinar: Forecasting",
        "Webinar: Customer panel",
        "Webinar: Partner series",
    ),
    "Paid social": (
        "LinkedIn: Lead gen forms",
        "LinkedIn: Conversation ads",
        "Facebook: Lookalikes",
        "Social: Video series",
        "Twitter: Promoted posts",
    ),
    "Email": (
        "Email: Monthly newsletter",
        "Email: Product launch",
        "Email: Reactivation",
        "Email: Event invites",
        "Email: Webinar follow-up",
    ),
    "Partner": (
        "Partner: Northwind Consulting",
        "Partner: Contoso Agency",
        "Partner: Fabrikam Marketplace",
        "Partner: Tailspin Resellers",
    ),
    "Referral": ("Referral: Customer advocates", "Referral: Employee referrals"),
}
_CAMPAIGN_WEIGHTS = (30, 22, 18, 12, 9, 6, 3)
_CAMPAIGN_QUALITY = (1.0, 1.35, 0.7, 1.2, 0.6, 1.5, 0.85)
_CAMPAIGN_COST = (1.0, 1.3, 0.8, 1.5, 0.7, 1.1, 0.9)

# (value, share, quality multiplier[, typical deal amount in USD])
REGIONS = (("North America", 45, 1.0), ("EMEA", 30, 1.0), ("APAC", 15, 1.0), ("LATAM", 10, 1.0))
INDUSTRIES = (
    ("Software", 30, 1.2),
    ("Manufacturing", 18, 0.9),
    ("Financial services", 15, 1.1),
    ("Retail", 15, 0.8),
    ("Healthcare", 12, 1.0),
    ("Education", 10, 0.7),
)
COMPANY_SIZES = (
    ("1-50", 40, 0.8, 8_000),
    ("51-200", 30, 1.0, 18_000),
    ("201-1000", 20, 1.15, 42_000),
    ("1000+", 10, 1.3, 110_000),
)
# Where marketing touches come from (nurture email dominates).
TOUCH_CHANNELS = (
    ("Email", 25, 1),
    ("Paid search", 15, 1),
    ("Paid social", 12, 1),
    ("Organic search", 12, 1),
    ("Content download", 10, 1),
    ("Webinar", 8, 1),
    ("Direct", 8, 1),
    ("Trade show", 4, 1),
    ("Partner", 3, 1),
    ("Referral", 3, 1),
)

# (owner, team, region, median hours to follow up, spread, share never followed up,
#  median routing hours). Inbound West's router is slow; Morgan Lee and Jan de Vries are slow.
REPS = (
    ("Avery Chen", "Inbound East", "North America", 0.4, 0.9, 0.03, 0.25),
    ("Jordan Patel", "Inbound East", "North America", 1.5, 1.0, 0.05, 0.25),
    ("Sam Rivera", "Inbound East", "North America", 6.0, 1.1, 0.08, 0.25),
    ("Taylor Brooks", "Inbound West", "North America", 2.0, 1.0, 0.05, 3.0),
    ("Morgan Lee", "Inbound West", "North America", 20.0, 1.2, 0.18, 3.0),
    ("Casey Nguyen", "Inbound West", "North America", 0.8, 0.9, 0.04, 3.0),
    ("Lena Fischer", "EMEA", "EMEA", 1.0, 1.0, 0.04, 0.5),
    ("Tom Baker", "EMEA", "EMEA", 9.0, 1.2, 0.12, 0.5),
    ("Sofia Rossi", "EMEA", "EMEA", 2.5, 1.0, 0.06, 0.5),
    ("Jan de Vries", "EMEA", "EMEA", 30.0, 1.1, 0.20, 0.5),
    ("Priya Sharma", "APAC & LATAM", "APAC", 3.0, 1.0, 0.06, 1.0),
    ("Kenji Watanabe", "APAC & LATAM", "APAC", 12.0, 1.1, 0.10, 1.0),
    ("Lucas Silva", "APAC & LATAM", "LATAM", 5.0, 1.0, 0.08, 1.0),
    ("Mariana Costa", "APAC & LATAM", "LATAM", 1.5, 1.0, 0.05, 1.0),
)

# Columns written per table: the canonical ones the demo fills, plus lead attributes.
_OUTPUT = {
    "leads": (
        "lead_id", "created_at", "source", "campaign", "owner", "team", "score", "mql_at",
        "assigned_at", "sal_at", "sql_at", "lost_at", "discarded_at", "discard_reason",
        "recycled_at", "region", "industry", "company_size",
    ),
    "touches": ("lead_id", "touched_at", "channel", "campaign", "touch_type"),
    "activities": ("lead_id", "activity_at", "rep", "activity_type"),
    "deals": ("deal_id", "lead_id", "created_at", "closed_at", "status", "amount"),
    "spend": ("month", "source", "campaign", "cost"),
}  # fmt: skip


def _slots(rows: tuple, n: int) -> list[tuple[int, str, float]]:
    """Spread `n` slots over weighted values: a draw picks slot floor(u * n)."""
    total = sum(r[1] for r in rows)
    counts = [int(r[1] * n // total) for r in rows]
    counts[0] += n - sum(counts)
    out, slot = [], 0
    for row, count in zip(rows, counts, strict=True):
        for _ in range(count):
            out.append((slot, row[0], float(row[2])))
            slot += 1
    return out


def _create_dimensions(con: duckdb.DuckDBPyConnection) -> None:
    slots = []
    for kind, rows in (
        ("source", SOURCES),
        ("region", REGIONS),
        ("industry", INDUSTRIES),
        ("company_size", COMPANY_SIZES),
        ("touch_channel", TOUCH_CHANNELS),
    ):
        slots += [(kind, *s) for s in _slots(rows, 1000)]
    _table(con, "demo_slots", ("kind", "slot", "value", "quality"), slots)
    _table(
        con,
        "demo_values",
        ("kind", "value", "amount"),
        [("company_size", v, float(a)) for v, _, _, a in COMPANY_SIZES],
    )
    campaign_slots, campaigns = [], []
    cost = {s: c for s, _, _, c in SOURCES}
    for source, names in CAMPAIGNS.items():
        rows = tuple(
            (name, _CAMPAIGN_WEIGHTS[k], _CAMPAIGN_QUALITY[k]) for k, name in enumerate(names)
        )
        campaign_slots += [(source, *s) for s in _slots(rows, 100)]
        campaigns += [
            (name, source, cost[source] * _CAMPAIGN_COST[k]) for k, name in enumerate(names)
        ]
    _table(con, "demo_campaign_slots", ("source", "slot", "campaign", "quality"), campaign_slots)
    _table(con, "demo_campaigns", ("campaign", "source", "cost_per_lead"), campaigns)
    reps = []
    for region in {r[2] for r in REPS}:
        in_region = [r for r in REPS if r[2] == region]
        reps += [(region, k, len(in_region), *r[:2], *r[3:]) for k, r in enumerate(in_region)]
    _table(
        con,
        "demo_reps",
        (
            "region", "slot", "n_slots", "owner", "team", "latency_median_hours",
            "latency_sigma", "p_never", "routing_median_hours",
        ),
        reps,
    )  # fmt: skip


def _table(con: duckdb.DuckDBPyConnection, name: str, columns: tuple, rows: list) -> None:
    """A small temp table from Python rows, bound column by column as lists."""
    params = {f"c{k}": [r[k] for r in rows] for k in range(len(columns))}
    cols = join(
        (compose("unnest($c" + str(k) + ") as {c}", c=ident(c)) for k, c in enumerate(columns)),
        sep=", ",
    )
    con.execute(
        compose("create or replace temp table {t} as select {cols}", t=ident(name), cols=cols),
        params,
    )


def _steps() -> list[tuple[str, str]]:
    text = DEMO_SQL.read_text(encoding="utf-8")
    parts = re.split(r"^-- step: (\w+)\n", text, flags=re.MULTILINE)
    return [(parts[k], parts[k + 1]) for k in range(1, len(parts), 2)]


def generate(
    out_dir: str | Path,
    n_leads: int = 24_000,
    months: int = 20,
    end_date: dt.date | None = None,
    seed: int = 7,
    touches_per_lead: float = 4,
    file_format: str = "csv",
    agreement_path: str | Path = DEFAULT_AGREEMENT,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write the demo dataset to `out_dir`; return the rows written per table."""
    say = progress or (lambda _msg: None)
    agreement = agreement_mod.load(agreement_path)
    end_date = end_date or dt.datetime.now(agreement.tz).date()
    start_date = _months_before(end_date, months)
    end_at = dt.datetime.combine(end_date, dt.time(), agreement.tz)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = {
        "n_leads": n_leads,
        "n_days": (end_date - start_date).days,
        "start_date": start_date,
        "end_date": end_date,
        "end_at": end_at,
        "tz": agreement.time_zone,
        "score_threshold": agreement.score_threshold if agreement.score_threshold else 101,
        "touches_per_lead": touches_per_lead,
    }
    with tempfile.TemporaryDirectory(prefix="handoff-demo-") as scratch:
        # An on-disk scratch database lets DuckDB spill at 10 million leads.
        con = duckdb.connect(str(Path(scratch) / "demo.duckdb"))
        try:
            con.execute("set TimeZone = $tz", {"tz": agreement.time_zone})
            con.execute("set temp_directory = $d", {"d": scratch})
            con.execute("set enable_progress_bar = false")
            limit_memory(con)
            con.execute("set variable seed = $seed", {"seed": seed})
            _create_dimensions(con)
            for name, sql in _steps():
                say(f"Generating demo data: {name} ...")
                used = set(re.findall(r"\$([a-z_]+)", sql))
                con.execute(sql, {k: v for k, v in params.items() if k in used})
            counts = {}
            for table in TABLES:
                say(f"Writing {table.name} ...")
                counts[table.name] = _write(con, table.name, out_dir, file_format)
        finally:
            con.close()
    shutil.copyfile(agreement_path, out_dir / "agreement.toml")
    return counts


def _write(con: duckdb.DuckDBPyConnection, table: str, out_dir: Path, file_format: str) -> int:
    # CRM exports carry whole seconds.
    types = {c.name: c.type for c in TABLES_BY_NAME[table].columns}
    cols = join(
        (
            compose("date_trunc('second', {c}) as {c}", c=ident(c))
            if types.get(c) is ColumnType.TIMESTAMP
            else ident(c)
            for c in _OUTPUT[table]
        ),
        sep=", ",
    )
    source = ident("demo_" + table)
    # Sorted on every column after the main one, so the same seed writes the same bytes.
    main = "created_at" if table == "leads" else _OUTPUT[table][1]
    order = join((ident(c) for c in (main, *_OUTPUT[table])), sep=", ")
    query = compose("select {cols} from {t} order by {o}", cols=cols, t=source, o=order)
    path = out_dir / f"{table}.{file_format}"
    for other in out_dir.glob(f"{table}.*"):
        other.unlink()
    options = "(format parquet)" if file_format == "parquet" else "(header, delimiter ',')"
    con.execute(compose("copy ({q}) to $path " + options, q=query), {"path": str(path)})
    return con.execute(compose("select count(*) from {t}", t=source)).fetchone()[0]


def _months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


DEMO_FOLDER_PREFIX = "handoff-demo-"


def is_demo_import(source_folder: str | None) -> bool:
    """Was a database imported from a demo folder that ensure_demo_database made?"""
    return bool(source_folder) and Path(source_folder).name.startswith(DEMO_FOLDER_PREFIX)


def app_build(db_path: Path, outdated: OutdatedDatabase | None = None) -> str | None:
    """What the app must do with the demo before it opens `db_path`: "build" the default
    database on a fresh clone, "rebuild" an embedded demo database that an older version made
    (`outdated`: why it would not open), or None. A database the user imported, or one named by
    HANDOFF_DB, is never built over."""
    if db_path.resolve() != DEFAULT_DB.resolve():
        return None
    if outdated is not None:
        return "rebuild" if is_demo_import(outdated.source_folder) else None
    return None if db_path.is_file() else "build"


def build_app_database(
    db_path: Path, agreement_path: Path, rebuild: bool, progress: Callable[[str], None]
) -> None:
    """Build the app's demo database (app_build), removing the outdated one first to rebuild."""
    if rebuild:
        db_path.unlink()
    ensure_demo_database(db_path, agreement_path, progress=progress)


def ensure_demo_database(
    db_path: Path,
    agreement_path: Path,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Build the demo database at `db_path` unless it exists; one process builds, others wait."""
    say = progress or (lambda _msg: None)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if db_path.exists():
            return
        import_demo(db_path, agreement_path, say)


DEMO_NAME = "the demo data"


def import_demo(db_path: Path, agreement_path: Path, say: Callable[[str], None]) -> None:
    """Generate the demo dataset in a temporary folder and import it into `db_path` (the
    import keeps the database it replaces as the previous one), named DEMO_NAME."""
    agreement = agreement_mod.load(agreement_path)
    with tempfile.TemporaryDirectory(prefix=DEMO_FOLDER_PREFIX) as folder:
        counts = generate(folder, agreement_path=agreement_path, progress=say)
        say(f"Generated {counts['leads']:,} leads and {counts['touches']:,} touches.")
        result = importer.import_dataset(
            folder,
            db_path,
            agreement,
            progress=lambda stage: say(stage.line()) if stage.ended else None,
            source_name=DEMO_NAME,
        )
        say(f"Imported {sum(t.n_accepted for t in result.tables):,} rows.")
