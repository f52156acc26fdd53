"""`import --update`: a newer export merged into the database equals a full import of what the
two exports say together (handoff/importer/update.py defines the rules)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import agreement as agreement_mod
from handoff import cli, demo, importer
from handoff.importer import ImportFailure
from handoff.importer.run import default_rejects_path, previous_path
from handoff.importer.update import update_dataset
from tests.conftest import GOLDEN
from tests.update_split import split

# The tables of the record of an import: they say what the update read, not the data.
_RECORD = {"import_runs", "import_tables", "import_rejects", "staging_info"}


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> str:
    """The table's rows with the surrogate keys made comparable: lead_key as its lead's id,
    touch_key left out (the two imports number lines differently; the order it gives within a
    lead is compared through prev_channel and the attribution it breaks ties in)."""
    cols = [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where database_name = $d"
            " and table_name = $t order by column_index",
            {"d": catalog, "t": table},
        ).fetchall()
    ]
    shown = [
        f"(select lead_id from {catalog}.leads as k where k.lead_key = t.lead_key) as lead_key"
        if c == "lead_key"
        else f't."{c}"'
        for c in cols
        if c != "touch_key"
    ]
    return f"select {', '.join(shown)} from {catalog}.{table} as t"  # test code: names are ours


def assert_same_data(updated: Path, full: Path) -> None:
    """Every canonical and staging table of the two databases holds the same rows."""
    names = _tables(updated)
    assert names == _tables(full)
    con = duckdb.connect()
    con.execute("attach $p as u (read_only)", {"p": str(updated)})
    con.execute("attach $p as f (read_only)", {"p": str(full)})
    for table in sorted(names - _RECORD):
        a, b = _rows(con, "u", table), _rows(con, "f", table)
        extra = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
        missing = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
        assert (table, extra, missing) == (table, 0, 0)
    for column in ("data_end_at", "agreement_time_zone", "format"):
        got = con.execute(f"select {column} from u.import_runs").fetchone()
        assert got == con.execute(f"select {column} from f.import_runs").fetchone()
    con.close()


def metrics_json(db_path: Path, agreement_path: Path, *args: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli.main(["metrics", "--json", "--db", str(db_path), "--agreement", str(agreement_path),
                  *args])  # fmt: skip
    return json.loads(out.getvalue())


def _check_split(
    tmp: Path,
    source: Path,
    seed: int,
    complete: bool,
    agreement_path: Path,
    metric_sets: tuple[tuple[str, ...], ...] = ((),),
) -> str | None:
    """Split `source` at random, update the older export's database with the newer export,
    and compare it with a full import of what the two say together."""
    agreement = agreement_mod.load(agreement_path)
    s = split(source, tmp, seed, complete)
    db_path, full_path = tmp / "updated.duckdb", tmp / "full.duckdb"
    importer.import_dataset(s.old, db_path, agreement)
    out = update_dataset(s.new, db_path, agreement, complete=complete)
    importer.import_dataset(s.union, full_path, agreement)
    assert_same_data(db_path, full_path)
    for args in metric_sets:
        assert metrics_json(db_path, agreement_path, *args) == metrics_json(
            full_path, agreement_path, *args
        )
    if not complete:
        # Every lead only in the newer export was added; none was deleted.
        new_ids = {i for i, g in s.groups.items() if g == "new"}
        assert out.n_deleted == 0
        assert out.n_added == len(new_ids & _accepted_ids(full_path))
    return out.restaged_all


def _accepted_ids(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute("select lead_id from leads").fetchall()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def scored_agreement_path(tmp_path_factory) -> Path:
    """The golden agreement with its [scoring] section, so the score staging is compared too."""
    path = tmp_path_factory.mktemp("agreement") / "agreement.toml"
    text = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
    path.write_text(text + "\n" + (GOLDEN / "scoring.toml").read_text(encoding="utf-8"))
    return path


_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


@settings(max_examples=4, **_SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), complete=st.booleans())
def test_update_equals_full_import_of_what_both_exports_say(
    tmp_path_factory, scored_agreement_path, seed, complete
):
    tmp = tmp_path_factory.mktemp("split")
    _check_split(tmp, GOLDEN, seed, complete, scored_agreement_path)


@pytest.mark.slow
@settings(max_examples=12, **_SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), complete=st.booleans())
def test_update_equals_full_import_over_many_splits(
    tmp_path_factory, scored_agreement_path, seed, complete
):
    tmp = tmp_path_factory.mktemp("split")
    metric_sets = ((), ("--period", "2026-03"), ("--period", "2026-Q2", "--by", "owner"))
    _check_split(tmp, GOLDEN, seed, complete, scored_agreement_path, metric_sets)


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    """A demo export of 400 leads (touches, activities, deals, spend, lead attributes)."""
    out = tmp_path_factory.mktemp("demo")
    demo.generate(out, n_leads=400, months=6, end_date=dt.date(2026, 12, 1))
    return out


@pytest.mark.slow
@settings(max_examples=4, **_SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), complete=st.booleans())
def test_update_equals_full_import_on_a_demo(tmp_path_factory, small_demo, seed, complete):
    tmp = tmp_path_factory.mktemp("split")
    _check_split(
        tmp, small_demo, seed, complete, small_demo / "agreement.toml", ((), ("--by", "team"))
    )


def test_both_staging_paths_are_taken_and_agree(tmp_path, scored_agreement_path):
    # Seed 0's split keeps the data's end and all else every lead depends on (the per-lead
    # staging path); seed 1's changes the kinds of data held (every lead rebuilt). Both equal
    # the full import.
    paths = [
        _check_split(tmp_path / str(seed), GOLDEN, seed, False, scored_agreement_path, ())
        for seed in (0, 1)
    ]
    assert paths[0] is None
    assert paths[1] is not None


# A tiny export written by hand: leads A, B, C in the database; the newer export has B with
# another owner, C as it was, and a new lead D.
LEADS = "lead_id,created_at,source,owner\n"
OLD = {
    "leads.csv": LEADS
    + "A,2026-03-02 09:00,Web,Ana\nB,2026-03-03 09:00,Web,Ana\nC,2026-03-04 09:00,Ads,Ben\n",
    "touches.csv": "lead_id,touched_at,channel\nA,2026-03-01 09:00,Email\nC,2026-03-03 09:00,Ads\n",
}
NEW = {
    "leads.csv": LEADS
    + "B,2026-03-03 09:00,Web,Ben\nC,2026-03-04 09:00,Ads,Ben\nD,2026-03-05 09:00,Web,Ana\n",
    "touches.csv": "lead_id,touched_at,channel\nC,2026-03-03 09:00,Ads\nD,2026-03-05 08:00,Ads\n",
}


def _export(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _leads(path: Path) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select lead_id, owner from leads order by lead_id").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("complete", "counts", "leads"),
    [
        # Without --complete A stays: D added, B replaced (owner Ben), C unchanged.
        (False, (1, 1, 1, 0, 4), [("A", "Ana"), ("B", "Ben"), ("C", "Ben"), ("D", "Ana")]),
        # A complete export lacks A: it is deleted.
        (True, (1, 1, 1, 1, 3), [("B", "Ben"), ("C", "Ben"), ("D", "Ana")]),
    ],
)
def test_update_counts_and_rows(tmp_path, golden_agreement, complete, counts, leads):
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(_export(tmp_path / "old", OLD), db_path, golden_agreement)
    out = update_dataset(_export(tmp_path / "new", NEW), db_path, golden_agreement, complete)
    assert (out.n_added, out.n_changed, out.n_unchanged, out.n_deleted, out.n_leads) == counts
    assert _leads(db_path) == leads
    # The previous database is kept beside it, with its rejects file.
    assert _leads(previous_path(db_path)) == [("A", "Ana"), ("B", "Ana"), ("C", "Ben")]
    assert default_rejects_path(previous_path(db_path)).is_file()
    con = duckdb.connect(str(db_path), read_only=True)
    record = con.execute(
        "select import_mode, n_leads_added, n_leads_changed, n_leads_unchanged, n_leads_deleted,"
        " updated_from_name from import_runs"
    ).fetchone()
    con.close()
    mode = "update (complete export)" if complete else "update"
    assert record == (mode, *counts[:4], "old")


def test_unchanged_leads_are_not_restaged(tmp_path, golden_agreement):
    # The newer export holds C unchanged and B with another owner; the data's end (the last
    # instant is C's creation on 4 March, in both) stays, so only B's staging facts are
    # rebuilt. C's staging row is marked before the update: the mark survives, B's does not.
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(_export(tmp_path / "old", OLD), db_path, golden_agreement)
    newer = {
        "leads.csv": LEADS + "B,2026-03-03 09:00,Web,Ben\nC,2026-03-04 09:00,Ads,Ben\n",
        "touches.csv": OLD["touches.csv"].replace("A,2026-03-01 09:00,Email\n", ""),
    }
    con = duckdb.connect(str(db_path))
    con.execute("update stg_leads set campaign = 'marked' where lead_id in ('B', 'C')")
    con.close()
    out = update_dataset(_export(tmp_path / "new", newer), db_path, golden_agreement)
    assert out.restaged_all is None
    assert (out.n_added, out.n_changed, out.n_unchanged) == (0, 1, 1)
    con = duckdb.connect(str(db_path), read_only=True)
    rows = con.execute("select lead_id, owner, campaign from stg_leads order by 1").fetchall()
    con.close()
    # A blank campaign reads "(no campaign)" in staging.
    assert rows == [
        ("A", "Ana", "(no campaign)"),
        ("B", "Ben", "(no campaign)"),
        ("C", "Ben", "marked"),
    ]


def test_bad_rows_of_the_newer_export_are_rejected_as_in_a_full_import(tmp_path, golden_agreement):
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(_export(tmp_path / "old", OLD), db_path, golden_agreement)
    bad = dict(NEW, **{"leads.csv": NEW["leads.csv"] + "E,not a date,Web,Ana\n"})
    out = update_dataset(_export(tmp_path / "new", bad), db_path, golden_agreement)
    # E (line 5 of leads.csv) is rejected; the rest merges as without it.
    assert out.result.n_rejected == 1
    assert out.n_added == 1
    rejects = default_rejects_path(db_path).read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 2
    assert rejects[1].startswith("leads,leads.csv,5,rejected,created_at,")


def test_an_update_in_another_time_zone_is_refused(tmp_path, golden_agreement):
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(_export(tmp_path / "old", OLD), db_path, golden_agreement)
    other = agreement_mod.parse(
        (GOLDEN / "agreement.toml")
        .read_text(encoding="utf-8")
        .replace(golden_agreement.time_zone, "Asia/Tokyo")
    )
    assert other.time_zone == "Asia/Tokyo" != golden_agreement.time_zone
    with pytest.raises(ImportFailure, match=r"time zone .* import the export in full"):
        update_dataset(_export(tmp_path / "new", NEW), db_path, other)
    assert _leads(db_path) == [("A", "Ana"), ("B", "Ana"), ("C", "Ben")]  # untouched


def test_an_update_with_other_columns_is_refused(tmp_path, golden_agreement):
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(_export(tmp_path / "old", OLD), db_path, golden_agreement)
    wider = dict(NEW, **{"leads.csv": NEW["leads.csv"].replace("owner\n", "owner,region\n", 1)})
    wider["leads.csv"] = (
        wider["leads.csv"].replace(",Ana\n", ",Ana,EMEA\n").replace(",Ben\n", ",Ben,NA\n")
    )
    with pytest.raises(ImportFailure, match="only the export has region"):
        update_dataset(_export(tmp_path / "new", wider), db_path, golden_agreement)
    assert not list(tmp_path.glob(".h.duckdb*building*"))  # nothing left behind


def test_an_update_of_an_older_layout_is_refused(tmp_path, golden_agreement):
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(_export(tmp_path / "old", OLD), db_path, golden_agreement)
    con = duckdb.connect(str(db_path))
    con.execute("update import_runs set schema_version = 1")
    con.close()
    with pytest.raises(ImportFailure, match=r"another version of Handoff .* in full"):
        update_dataset(_export(tmp_path / "new", NEW), db_path, golden_agreement)


def test_an_update_needs_a_database(tmp_path, golden_agreement):
    with pytest.raises(ImportFailure, match="no database to update"):
        update_dataset(_export(tmp_path / "new", NEW), tmp_path / "none.duckdb", golden_agreement)


def test_the_cli_updates_and_says_what_it_did(tmp_path, capsys):
    db_path, agreement = tmp_path / "h.duckdb", GOLDEN / "agreement.toml"
    base = ["import", "--db", str(db_path), "--agreement", str(agreement)]
    assert cli.main([*base, str(_export(tmp_path / "old", OLD))]) == 0
    capsys.readouterr()
    assert cli.main([*base, str(_export(tmp_path / "new", NEW)), "--update"]) == 0
    out = capsys.readouterr().out
    assert (
        "Update: 1 leads added, 1 changed (replaced), 1 unchanged, 0 deleted; 4 leads now." in out
    )
    assert "pass --complete when it holds every lead" in out
    assert f"Updated {db_path}" in out
    assert cli.main([*base, str(tmp_path / "new"), "--update", "--complete"]) == 0
    # B, C and D now match the database: nothing added or changed; A, missing, is deleted.
    assert "0 leads added, 0 changed (replaced), 3 unchanged, 1 deleted; 3 leads now." in (
        capsys.readouterr().out
    )


def test_complete_without_update_is_refused(tmp_path, capsys):
    args = ["import", str(_export(tmp_path / "new", NEW)), "--db", str(tmp_path / "h.duckdb")]
    assert cli.main([*args, "--agreement", str(GOLDEN / "agreement.toml"), "--complete"]) == 2
    assert "use it with --update" in capsys.readouterr().err
    assert not (tmp_path / "h.duckdb").exists()


def test_the_data_page_updates_the_data_in_use(golden_data_page, tmp_path):
    import streamlit as st

    from tests.test_pages import shown_text

    app, _ = golden_data_page
    # A newer leads file: L02 now Ben's (it was Ana's), and a new lead L99 before the data's end.
    # The golden database has 14 leads; its other tables have no file here and stay.
    header, *rows = (GOLDEN / "leads.csv").read_text(encoding="utf-8").splitlines()
    l02 = next(r for r in rows if r.startswith("L02,")).replace(",Ana,", ",Ben,")
    l99 = "L99,2026-03-07 10:00,Webinar,,Ana,East,10,,,,,,,,,,,,,EMEA"
    newer = "\n".join([header, l02, l99]) + "\n"
    app.file_uploader(key="upload_files").set_value(
        [("leads.csv", newer.encode(), "text/csv")]
    ).run()
    app.radio(key="import_mode").set_value("an update of the data in use").run()
    assert not app.checkbox(key="import_complete").value
    button = next(b for b in app.button if b.label.startswith("Import"))
    assert button.label == "Import: update the data in use"
    button.click().run()
    assert not app.exception
    said = shown_text(app.success[0].value)
    assert "Update: 1 leads added, 1 changed (replaced), 0 unchanged, 0 deleted; 15 leads now." in (
        said
    )
    # The loaded data is named as an update of the golden import, with the uploaded file.
    loaded = shown_text(" ".join(c.value for c in app.caption))
    assert re.search(
        r"Updated from golden \(imported \d\d \w{3} 20\d\d \d\d:\d\d\) with leads\.csv at "
        r"\d\d \w{3} 20\d\d \d\d:\d\d \(Europe/Berlin\): 1 leads added, 1 changed, 0 deleted;",
        loaded,
    ), loaded
    changes = next(d.value for d in app.dataframe if "rows_after" in d.value.columns)
    # Leads 14 -> 15; the golden's 3 touches, 10 activities (11 read, one rejected), 3 deals and
    # 4 spend rows stay.
    assert dict(zip(changes["table"], changes["rows_after"], strict=True)) == {
        "leads": 15, "touches": 3, "activities": 10, "deals": 3, "spend": 4,
    }  # fmt: skip
    # The Tables section lists the newer export's one file, and what the database holds.
    captions = shown_text(" ".join(c.value for c in app.caption))
    assert (
        "2 rows read = 2 accepted + 0 set aside by a rule of the mapping + 0 rejected." in captions
    )
    assert (
        "the database now holds: leads 15, touches 3, activities 10, deals 3, spend 4." in captions
    )
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_spelling_the_newer_export_brings_joins_the_databases(tmp_path, golden_agreement):
    # A mapping file merges label spellings (normalize_labels is on for mapping files). The
    # database has Google three times and google once, merged into Google (the most frequent);
    # the newer export's new lead 5 says google: it joins Google, as a full import of all five
    # (Google 3, google 2) would merge it. Without merging after the update it would stay a
    # second source.
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'title = "people"\n[files.p]\ntable = "leads"\nmatch = ["id"]\n[files.p.columns]\n'
        'lead_id = "id"\ncreated_at = "when"\nsource = "src"\n',
        encoding="utf-8",
    )
    head = "id,when,src\n"
    old = (
        head
        + "1,2026-03-02,Google\n2,2026-03-03,Google\n3,2026-03-04,google\n4,2026-03-05,Google\n"
    )
    new = head + "5,2026-03-04,google\n"
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(
        _export(tmp_path / "old", {"people.csv": old}), db_path, golden_agreement, mapping=mapping
    )
    out = update_dataset(
        _export(tmp_path / "new", {"people.csv": new}), db_path, golden_agreement, mapping=mapping
    )
    assert out.result.merges == [("source", "google", "Google", 1)]
    con = duckdb.connect(str(db_path), read_only=True)
    sources = con.execute("select source, count(*) from stg_leads group by 1").fetchall()
    con.close()
    assert sources == [("Google", 5)]


def test_an_update_read_with_another_format_is_refused(tmp_path, golden_agreement):
    # The database holds the canonical OLD export; the newer export is read by a mapping file.
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(_export(tmp_path / "old", OLD), db_path, golden_agreement)
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'title = "people"\n[files.p]\ntable = "leads"\nmatch = ["id"]\n[files.p.columns]\n'
        'lead_id = "id"\ncreated_at = "when"\nsource = "src"\n',
        encoding="utf-8",
    )
    newer = _export(tmp_path / "new", {"people.csv": "id,when,src\nB,2026-03-03,Web\n"})
    with pytest.raises(ImportFailure, match="was imported as canonical, this export reads as"):
        update_dataset(newer, db_path, golden_agreement, mapping=mapping)
    assert _leads(db_path) == [("A", "Ana"), ("B", "Ana"), ("C", "Ben")]


def test_a_deal_moved_to_another_lead_leaves_its_old_lead(tmp_path, golden_agreement):
    # Deal D1 (won, 1,000, closed 10 March) was A's; the newer export gives it to B and does
    # not hold A. A keeps its lead row but not the deal: it is no longer won; B is, for 1,000.
    # The data's end (the close on 10 March) stays, so this is the per-lead staging path, and
    # A's facts are rebuilt though A is not in the newer export.
    deals = "deal_id,lead_id,created_at,closed_at,status,amount\n"
    old = {
        "leads.csv": LEADS + "A,2026-03-02 09:00,Web,Ana\nB,2026-03-03 09:00,Web,Ana\n",
        "deals.csv": deals + "D1,A,2026-03-04 09:00,2026-03-10 09:00,won,1000\n",
    }
    new = {
        "leads.csv": LEADS + "B,2026-03-03 09:00,Web,Ana\n",
        "deals.csv": deals + "D1,B,2026-03-04 09:00,2026-03-10 09:00,won,1000\n",
    }
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(_export(tmp_path / "old", old), db_path, golden_agreement)
    out = update_dataset(_export(tmp_path / "new", new), db_path, golden_agreement)
    assert out.restaged_all is None
    assert (out.n_added, out.n_changed, out.n_unchanged) == (0, 1, 0)
    con = duckdb.connect(str(db_path), read_only=True)
    got = con.execute(
        "select l.lead_id, d.deal_id from deals as d inner join leads as l using (lead_key)"
    ).fetchall()
    won = con.execute("select lead_id, is_won, won_amount from stg_leads order by 1").fetchall()
    con.close()
    assert got == [("B", "D1")]
    assert won == [("A", False, None), ("B", True, 1000.0)]


# The data's end moves, nothing else every lead depends on does. A tiny export on a calendar
# clock in UTC with a 4-hour follow-up target, and one engagement rule whose points halve every
# day: A is handed over (MQL) at 09:00 on 2 March and never followed up; B is never handed over,
# with a form fill at 10:00 and a call at 12:00 (the last instant: the data's end). The newer
# export brings only a new lead C, created at 10:00 on 3 March: the end moves by 22 hours.
END_LEADS = "lead_id,created_at,source,owner,mql_at\n"
END_OLD = {
    "leads.csv": END_LEADS + "A,2026-03-02 09:00,Web,Ana,2026-03-02 09:00\n"
    "B,2026-03-02 10:00,Web,Ben,\n",
    "touches.csv": "lead_id,touched_at,channel,touch_type\nB,2026-03-02 10:00,Web,form fill\n",
    "activities.csv": "lead_id,activity_at,rep,activity_type\nB,2026-03-02 12:00,Ben,call\n",
}
END_NEW = {"leads.csv": END_LEADS + "C,2026-03-03 10:00,Web,Ana,\n"}
END_SCORING = """
[scoring]

[[scoring.engagement]]
touch_type = "form fill"
points = 10
half_life_days = 1
"""


@pytest.fixture
def end_agreement(tmp_path) -> Path:
    text = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
    text = text.replace('time_zone = "Europe/Berlin"', 'time_zone = "UTC"')
    text = text.replace('clock = "business"', 'clock = "calendar"')
    assert 'time_zone = "UTC"' in text
    assert 'clock = "calendar"' in text
    path = tmp_path / "agreement.toml"
    path.write_text(text + END_SCORING, encoding="utf-8")
    return path


def _end_facts(path: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select l.lead_id, l.sla_status, l.hours_waiting, l.hours_overdue, l.breach,"
            " l.is_open_breach, l.days_without_activity, s.scored_at, s.engagement_points,"
            " s.handoff_score from stg_leads as l"
            " left join stg_lead_scores as s on s.lead_key = l.lead_key"
        ).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def test_an_update_moving_the_data_end_moves_every_leads_facts(tmp_path, end_agreement):
    agreement = agreement_mod.load(end_agreement)
    db_path, full_path = tmp_path / "h.duckdb", tmp_path / "full.duckdb"
    importer.import_dataset(_export(tmp_path / "old", END_OLD), db_path, agreement)
    old_end = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    new_end = dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC)
    before = _end_facts(db_path)
    # At the old end (12:00) A has waited 3 hours of its 4: pending. B (scored at the end) has
    # its form fill 2 hours old: 10 × 0.5^(2/24) = 9.44 points, score 9. A is scored at its
    # hand-over, with no event before it: 0 points.
    assert before["A"][:5] == ("pending", 3.0, None, None, False)
    assert (before["B"][6], round(before["B"][7], 2), before["B"][8]) == (old_end, 9.44, 9)
    assert before["A"][7:] == (0.0, 0)
    out = update_dataset(_export(tmp_path / "new", END_NEW), db_path, agreement)
    # Only C was added: A and B are not restaged, yet the end moved to C's creation.
    assert (out.n_added, out.n_changed, out.n_unchanged, out.restaged_all) == (1, 0, 0, None)
    assert out.moved_end is not None
    after = _end_facts(db_path)
    # A has now waited 25 hours (09:00 to 10:00 the next day): breached only because the end
    # moved, 21 hours over the target, an open breach; no activity for 25/24 days since its
    # hand-over.
    assert after["A"][:5] == ("breached", 25.0, 21.0, "open", True)
    assert after["A"][5] == pytest.approx(25 / 24)
    # B's last activity (12:00) is 22 hours before the end; its form fill is one day old: one
    # half-life, 5 points, score 5.
    assert after["B"][5] == pytest.approx(22 / 24)
    assert after["B"][6:] == (new_end, 5.0, 5)
    assert after["A"][6:] == (before["A"][6], 0.0, 0)
    # And all of it equals a full import of the three leads.
    both = {**END_OLD, "leads.csv": END_OLD["leads.csv"] + END_NEW["leads.csv"][len(END_LEADS) :]}
    importer.import_dataset(_export(tmp_path / "both", both), full_path, agreement)
    assert_same_data(db_path, full_path)
    assert metrics_json(db_path, end_agreement) == metrics_json(full_path, end_agreement)


def test_an_empty_newer_export_changes_nothing(tmp_path, end_agreement):
    # The newer export has a leads file with its header only: nothing added, changed or
    # deleted; the data's end stays, and the database equals a full import of the older one.
    agreement = agreement_mod.load(end_agreement)
    db_path, full_path = tmp_path / "h.duckdb", tmp_path / "full.duckdb"
    importer.import_dataset(_export(tmp_path / "old", END_OLD), db_path, agreement)
    out = update_dataset(_export(tmp_path / "new", {"leads.csv": END_LEADS}), db_path, agreement)
    assert (out.n_added, out.n_changed, out.n_unchanged, out.n_deleted, out.n_leads) == (
        0, 0, 0, 0, 2
    )  # fmt: skip
    assert (out.restaged_all, out.moved_end) == (None, None)
    importer.import_dataset(tmp_path / "old", full_path, agreement)
    assert_same_data(db_path, full_path)
