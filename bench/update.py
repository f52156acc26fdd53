"""The incremental refresh's benchmark: is `import --update` with 1% changed leads under 10% of
a full import's time?

    .venv/bin/python bench/update.py SOURCE_EXPORT --work /work/bench-update [--write]

From a demo export (bench/run.py's, e.g. bench-data/demo-10000000) it writes, once, into the
work folder two newer exports a daily refresh would bring (each a delta: only the leads it
names, with all their rows):

- `changed-1pct`: 1% of the leads (those whose id hashes to 0 mod 100) with another owner, and
  0.1% new leads (copies of others under new ids and deal ids, at the same times). The data's end
  stays: only those leads' staging facts are rebuilt.
- `changed-1pct-later`: the same with one activity an hour after the data's end: the end moves,
  which a few facts of every lead depend on (hours waiting, days without activity, the score of a
  lead never handed over): those are moved for every lead, and the leads whose score can change
  rescored.

Then, back to back in one run: a full import of the source, and each update applied to a copy of
that database, timed with the stage each progress line starts (the machine's load average
beside every figure: other processes share it). `--write` puts the figures into bench/
results.md, in a section of its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handoff import agreement as agreement_mod  # noqa: E402
from handoff.importer import import_dataset, update_dataset  # noqa: E402
from handoff.importer.progress import Stage  # noqa: E402
from handoff.sql import Sql, compose, ident, join  # noqa: E402

SECTION = "## Incremental refresh (`import --update`)"
TABLES = ("leads", "touches", "activities", "deals")


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def make_variants(source: Path, work: Path) -> dict[str, Path]:
    """The two newer exports (see the module's docstring), written once."""
    out = {"changed-1pct": work / "changed-1pct", "changed-1pct-later": work / "changed-1pct-later"}
    if all((p / "leads.csv").is_file() for p in out.values()):
        return out
    con = duckdb.connect(str(work / "variants.duckdb"))
    con.execute("set enable_progress_bar = false")
    con.execute("set preserve_insertion_order = false")
    # 1% of the leads change (another owner, picked among the owners), 0.1% are copied as new.
    changed = Sql("hash(lead_id) % 100 = 0")
    new = Sql("hash(lead_id) % 1000 = 1")
    for table in TABLES:
        path = source / f"{table}.csv"
        print(f"reading {path} ...", flush=True)
        # Text as written: the delta repeats the source's values byte for byte.
        con.execute(
            compose(
                "create or replace table {t} as select * from read_csv($path, all_varchar = true,"
                " header = true) where {c} or {n}",
                t=ident(f"src_{table}"),
                c=changed,
                n=new,
            ),
            {"path": str(path)},
        )
    con.execute(
        "create or replace table owners as select list(distinct owner order by owner) as names"
        " from src_leads where owner is not null"
    )
    for folder in out.values():
        folder.mkdir(parents=True, exist_ok=True)
        for table in TABLES:
            src = ident(f"src_{table}")
            cols = [r[0] for r in con.execute(compose("describe {t}", t=src)).fetchall()]
            renamed = join(
                [
                    compose("'N' || {c} as {c}", c=ident(c))
                    if c in ("lead_id", "deal_id")
                    else ident(c)
                    for c in cols
                ],
                sep=", ",
            )
            changed_rows = join(
                [
                    Sql(
                        "coalesce((select names from owners)[cast(1 + hash(lead_id) % len((select"
                        ' names from owners)) as bigint)], owner) as "owner"'
                    )
                    if c == "owner" and table == "leads"
                    else ident(c)
                    for c in cols
                ],
                sep=", ",
            )
            query = compose(
                "select {r} from {t} where {c} union all select {n} from {t} where {new}",
                r=changed_rows,
                t=src,
                c=changed,
                n=renamed,
                new=new,
            )
            con.execute(
                compose("copy ({q}) to $path (header)", q=query),
                {"path": str(folder / f"{table}.csv")},
            )
        shutil.copyfile(source / "spend.csv", folder / "spend.csv")
        shutil.copyfile(source / "agreement.toml", folder / "agreement.toml")
    con.close()
    (work / "variants.duckdb").unlink()
    return out


def move_the_end(folder: Path, full_db: Path) -> None:
    """Give the export in `folder` one more activity, an hour after the data's end of the full
    import's database, on its first lead with activities: the data's end moves."""
    con = duckdb.connect()
    con.execute("attach $p as full_db (read_only)", {"p": str(full_db)})
    end = con.execute("select data_end_at from full_db.import_runs").fetchone()[0]
    path = str(folder / "activities.csv")
    con.execute(
        "create table a as select * from read_csv($p, all_varchar = true, header = true)",
        {"p": path},
    )
    con.execute(
        "insert into a select * replace ($later as activity_at) from a"
        " where not exists (select 1 from a where activity_at = $later) limit 1",
        {"later": (end + dt.timedelta(hours=1)).isoformat()},
    )
    con.execute("copy a to $p (header)", {"p": path})
    con.close()


class Stages:
    """Each stage's name and how long it took, as the progress tracker reports it ended."""

    def __init__(self) -> None:
        self.ended: list[tuple[str, float]] = []

    def __call__(self, stage: Stage) -> None:
        if stage.seconds is not None:
            self.ended.append((stage.name, stage.seconds))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source", type=Path, help="a demo export (read only)")
    p.add_argument("--work", type=Path, default=Path("/work/bench-update"))
    p.add_argument("--write", action="store_true", help="write the figures to bench/results.md")
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    variants = make_variants(args.source, args.work)
    agreement = agreement_mod.load(args.source / "agreement.toml")
    full_db = args.work / "full.duckdb"
    n_leads = sum(1 for _ in (args.source / "leads.csv").open("rb")) - 1
    lines = [
        f"Run {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} on {os.cpu_count()} CPUs"
        f" ({platform.platform()}) by `bench/update.py {args.source.name}`: {n_leads:,} leads.",
        "",
    ]
    print(f"full import of {args.source} ({_load()}) ...", flush=True)
    before = _load()
    started = time.perf_counter()
    import_dataset(args.source, full_db, agreement)
    full = time.perf_counter() - started
    lines += [
        f"- Full import: **{full:.1f} s** ({before} before, {_load()} after).",
        "",
        "| newer export | leads in it | added | changed | unchanged | staging | time (s) |"
        " share of the full import | load average (before → after) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    details = []
    move_the_end(variants["changed-1pct-later"], full_db)
    for name, folder in variants.items():
        db_path = args.work / f"{name}.duckdb"
        shutil.copyfile(full_db, db_path)
        print(f"update with {name} ({_load()}) ...", flush=True)
        before = _load()
        stages = Stages()
        started = time.perf_counter()
        out = update_dataset(folder, db_path, agreement, progress=stages)
        took = time.perf_counter() - started
        n_in = out.n_added + out.n_changed + out.n_unchanged
        staging = (
            "every lead"
            if out.restaged_all
            else "touched leads, the end moved"
            if out.moved_end
            else "touched leads"
        )
        lines.append(
            f"| {name} | {n_in:,} | {out.n_added:,} | {out.n_changed:,} | {out.n_unchanged:,} |"
            f" {staging} | {took:.1f} | {took / full:.1%} | {before[13:]} → {_load()[13:]} |"
        )
        details.append(
            f"- {name}: "
            + "; ".join(f"{name.rstrip(' .')} {secs:.1f} s" for name, secs in stages.ended)
            + (f" (all leads restaged: {out.restaged_all})" if out.restaged_all else "")
        )
        db_path.unlink()
        for p in args.work.glob(f"{name}.*"):
            p.unlink()
    lines += ["", "Where an update's time goes (each progress line to the next):", "", *details]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(text, args.source.name)
    return 0


def write_section(text: str, size: str) -> None:
    """Put the figures into bench/results.md under SECTION (replacing that size's figures)."""
    path = ROOT / "bench" / "results.md"
    current = path.read_text(encoding="utf-8")
    head, _, rest = current.partition(SECTION)
    # The section runs to the next "## " heading; its subsections are one per export.
    body, sep, tail = rest.partition("\n## ")
    subsections = [s for s in body.split("\n### ") if s.strip()]
    intro = (
        "\n\nAn update applies a newer export (a delta of 1% changed and 0.1% new leads) to a"
        " copy of the full import's database; both measured back to back in one run"
        " (bench/update.py). Target: under 10% of the full import's time.\n"
    )
    kept = [s for s in subsections[1:] if not s.startswith(size)]
    new = [*kept, f"{size}\n\n{text}\n"]
    section = SECTION + intro + "".join(f"\n### {s.rstrip()}\n" for s in new)
    path.write_text(
        head.rstrip() + "\n\n" + section + (("\n## " + tail) if sep else ""), encoding="utf-8"
    )


if __name__ == "__main__":
    sys.exit(main())
