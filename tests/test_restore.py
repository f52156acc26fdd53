"""The loaded data's name, and going back: each import keeps the database it replaces, a restore
swaps the two, the demo data can be imported again; on the golden fixture and small exports."""

from __future__ import annotations

import functools
import shutil

import duckdb
import pytest

from handoff import demo, importer, restore
from handoff.db import Database
from tests.conftest import GOLDEN, ROOT

HUBSPOT = ROOT / "tests" / "fixtures" / "hubspot"


def _name(db_path, agreement):
    db = Database(db_path, agreement)
    try:
        return db.run("dataset_import")["source_name"].iloc[0]
    finally:
        db.close()


def test_a_cli_import_is_named_by_its_folder(golden_db_path, golden_agreement):
    # tests/conftest.py imports tests/fixtures/golden without a name: the folder's name.
    assert _name(golden_db_path, golden_agreement) == "golden"


def test_an_import_records_the_name_it_is_given(tmp_path, golden_agreement):
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(GOLDEN, db_path, golden_agreement, source_name="leads.csv, deals.csv")
    assert _name(db_path, golden_agreement) == "leads.csv, deals.csv"


def test_an_import_record_without_a_name_reads_as_its_folder(
    tmp_path, golden_db_path, golden_agreement
):
    # A database from before source_name existed: the column is not there at all.
    db_path = tmp_path / "old.duckdb"
    shutil.copy(golden_db_path, db_path)
    con = duckdb.connect(str(db_path))
    con.execute("alter table import_runs drop column source_name")
    con.execute("update import_runs set source_folder = '/exports/zoho_crm_analytics_sample'")
    con.close()
    assert _name(db_path, golden_agreement) == "zoho_crm_analytics_sample"
    assert restore.describe(db_path).name == "zoho_crm_analytics_sample"


def test_each_import_keeps_the_one_it_replaces_and_a_restore_swaps_them(tmp_path, golden_agreement):
    db_path = tmp_path / "data" / "h.duckdb"
    # The first import into a new path replaces nothing: nothing is kept.
    importer.import_dataset(GOLDEN, db_path, golden_agreement)
    assert restore.previous(db_path) is None
    with pytest.raises(importer.ImportFailure, match="no previous database"):
        restore.restore_previous(db_path)
    # The HubSpot fixture's 6 accepted contacts (tests/test_formats.py) replace the golden 14.
    importer.import_dataset(
        HUBSPOT, db_path, golden_agreement, source_name="contacts.csv, deals.csv"
    )
    kept = restore.previous(db_path)
    assert (kept.name, kept.n_leads) == ("golden", 14)
    assert restore.describe(db_path).n_leads == 6
    rejects = importer.default_rejects_path
    previous = importer.run.previous_path(db_path)
    assert previous.name == "h.previous.duckdb"
    # The golden rejects file lists its one rejected row; HubSpot's three.
    assert len(rejects(previous).read_text().splitlines()) == 1 + 1
    assert len(rejects(db_path).read_text().splitlines()) == 1 + 3
    # Restore: the golden data is in use again, the HubSpot data kept, rejects files with them.
    back = restore.restore_previous(db_path)
    assert back.name == "golden"
    assert (restore.describe(db_path).name, restore.describe(db_path).n_leads) == ("golden", 14)
    assert restore.previous(db_path).name == "contacts.csv, deals.csv"
    assert len(rejects(db_path).read_text().splitlines()) == 1 + 1
    assert len(rejects(previous).read_text().splitlines()) == 1 + 3
    assert _name(db_path, golden_agreement) == "golden"
    # A second restore swaps again: the HubSpot data is back.
    restore.restore_previous(db_path)
    assert restore.describe(db_path).n_leads == 6
    assert restore.previous(db_path).n_leads == 14
    # No file of the swaps is left behind (the import lock's file stays, as after any import).
    left = [p.name for p in db_path.parent.iterdir() if "swapping" in p.name or "linking" in p.name]
    assert left == []
    assert sorted(p.name for p in db_path.parent.glob("*.duckdb")) == [
        "h.duckdb", "h.previous.duckdb"
    ]  # fmt: skip


def test_a_third_import_drops_the_oldest(tmp_path, golden_agreement):
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(GOLDEN, db_path, golden_agreement, source_name="first")
    importer.import_dataset(GOLDEN, db_path, golden_agreement, source_name="second")
    importer.import_dataset(GOLDEN, db_path, golden_agreement, source_name="third")
    assert restore.describe(db_path).name == "third"
    assert restore.previous(db_path).name == "second"
    assert len(list(tmp_path.glob("*.duckdb"))) == 2


def test_a_failed_import_keeps_both(tmp_path, golden_agreement):
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(GOLDEN, db_path, golden_agreement, source_name="first")
    importer.import_dataset(GOLDEN, db_path, golden_agreement, source_name="second")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(importer.ImportFailure):
        importer.import_dataset(empty, db_path, golden_agreement)
    assert restore.describe(db_path).name == "second"
    assert restore.previous(db_path).name == "first"


def test_the_demo_data_can_be_restored(tmp_path, golden_agreement, monkeypatch):
    # A small demo (the app's is 24,000 leads): the same generator and import.
    monkeypatch.setattr(demo, "generate", functools.partial(demo.generate, n_leads=300))
    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(GOLDEN, db_path, golden_agreement)
    restore.restore_demo(db_path, GOLDEN / "agreement.toml")
    loaded = restore.describe(db_path)
    assert (loaded.name, loaded.n_leads) == (demo.DEMO_NAME, 300)
    assert restore.previous(db_path).name == "golden"


def test_a_restore_that_fails_midway_leaves_both_whole(tmp_path, golden_agreement, monkeypatch):
    import os

    db_path = tmp_path / "h.duckdb"
    importer.import_dataset(GOLDEN, db_path, golden_agreement, source_name="first")
    importer.import_dataset(GOLDEN, db_path, golden_agreement, source_name="second")
    real_replace = os.replace

    def dies(src, dst):  # the first rename of the swap fails
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", dies)
    with pytest.raises(OSError, match="disk gone"):
        restore.restore_previous(db_path)
    monkeypatch.setattr(os, "replace", real_replace)
    assert restore.describe(db_path).name == "second"
    assert restore.previous(db_path).name == "first"
    assert not [p for p in tmp_path.iterdir() if "swapping" in p.name]
