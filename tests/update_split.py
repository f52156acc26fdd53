"""Random splits of a canonical export into an older and a newer export, and what the two say
together, for the tests of `import --update` (tests/test_import_update.py).

Each lead is put in one of four groups: only in the older export, only in the newer, in both
unchanged, in both changed (the newer export's copy differs: another owner, a touch fewer, a
deal's amount or an activity's type). The newer export may lack a table's file altogether. What
the two say together is written as a third export: the newer export's leads with their rows,
then (unless the newer one is complete) the older export's other leads with theirs; the newer
export's spend months over the older's; a table the newer export has no file for, the older's.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

CHILDREN = ("touches", "activities", "deals")
GROUPS = ("old", "new", "same", "changed")


@dataclass
class Split:
    old: Path
    new: Path
    union: Path
    groups: dict[str, str]  # lead_id -> group


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _changed(table: str, rows: list[dict[str, str]], rng: random.Random, owners: list[str]):
    """The newer export's copy of one table's rows of a changed lead."""
    rows = [dict(r) for r in rows]
    if table == "leads":
        rows[0]["owner"] = rng.choice([o for o in owners if o != rows[0]["owner"]] or ["Zed"])
    elif table == "touches" and rows:
        rows.pop(rng.randrange(len(rows)))
    elif table == "deals" and rows:
        rows[0]["amount"] = str(rng.randrange(100, 90000))
    elif table == "activities" and rows:
        rows[-1]["activity_type"] = "meeting" if rows[-1]["activity_type"] != "meeting" else "call"
    return rows


def split(source: Path, out: Path, seed: int, complete: bool) -> Split:
    """Split the export in `source` into `out`/old, `out`/new and what they say together,
    `out`/union (with `complete`, the newer export alone)."""
    rng = random.Random(seed)
    lead_header, leads = _read(source / "leads.csv")
    groups = {lead["lead_id"]: rng.choice(GROUPS) for lead in leads}
    owners = sorted({lead["owner"] for lead in leads if lead["owner"]})
    tables = {"leads": (lead_header, leads)}
    for name in (*CHILDREN, "spend"):
        if (source / f"{name}.csv").is_file():
            tables[name] = _read(source / f"{name}.csv")
    # Each table the newer export lacks a file for (never leads), sometimes.
    missing = {name for name in tables if name != "leads" and rng.random() < 0.2}
    # A changed lead changes in one table at least: its lead row, or one of the others.
    change_in = {
        lead_id: rng.choice(["leads", *(t for t in CHILDREN if t in tables and t not in missing)])
        for lead_id, group in groups.items()
        if group == "changed"
    }
    old: dict[str, list[dict[str, str]]] = {}
    new: dict[str, list[dict[str, str]]] = {}
    for name, (_, rows) in tables.items():
        if name == "spend":
            continue
        by_lead: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            by_lead.setdefault(row["lead_id"], []).append(row)
        old[name], new[name] = [], []
        for lead in leads:  # lead order, each lead's rows in file order
            lead_id = lead["lead_id"]
            mine = by_lead.get(lead_id, [])
            group = groups[lead_id]
            if group != "new":
                old[name] += mine
            if group != "old":
                if change_in.get(lead_id) == name:
                    mine = _changed(name, mine, rng, owners)
                new[name] += mine
    # Spend: the older export has some months, the newer some (the shared ones restated).
    if "spend" in tables:
        months = sorted({r["month"] for r in tables["spend"][1]})
        cut_old = rng.randint(0, len(months))
        cut_new = rng.randint(0, cut_old)
        old["spend"] = [r for r in tables["spend"][1] if r["month"] in months[:cut_old]]
        new["spend"] = [
            {**r, "cost": str(rng.randrange(100, 5000))}
            for r in tables["spend"][1]
            if r["month"] in months[cut_new:]
        ]
    union: dict[str, list[dict[str, str]]] = {}
    for name in tables:
        if complete:
            union[name] = [] if name in missing else new[name]
        elif name in missing:  # the newer export says nothing about this table
            union[name] = old[name]
        elif name == "spend":
            new_months = {r["month"] for r in new["spend"]}
            union[name] = [r for r in old["spend"] if r["month"] not in new_months] + new["spend"]
        else:
            newer = {lead_id for lead_id, g in groups.items() if g != "old"}
            union[name] = new[name] + [r for r in old[name] if r["lead_id"] not in newer]
    for where, data, skip in (("old", old, set()), ("new", new, missing), ("union", union, set())):
        for name, rows in data.items():
            if name not in skip:
                _write(out / where / f"{name}.csv", tables[name][0], rows)
    return Split(out / "old", out / "new", out / "union", groups)
