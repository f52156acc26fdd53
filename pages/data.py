"""Data loaded: what is in the database, where it came from, and what in it needs attention."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import duckdb
import pandas as pd
import streamlit as st

from handoff import (
    access,
    changelog,
    demo,
    fmt,
    importer,
    mapping,
    restore,
    safe,
    starter,
    ui,
    uploads,
)
from handoff import agreement as agreement_mod
from handoff.db import agreement_path_from_env, db_path_from_env

ctx = ui.page(
    "Data loaded",
    "What is loaded, from where and when, which rows the import rejected and why, and what in "
    "the data breaks the agreed definitions. (The sidebar filters do not apply here.)",
)

# When and from where the data was imported, and where it ends.
run = ctx.db.run("dataset_import").iloc[0]
imported = f"{run['imported_at'].tz_convert(ctx.agreement.time_zone):%d %b %Y %H:%M}"
c1, c2, c3 = st.columns(3)
c1.metric("Imported" if run["import_mode"] == "full import" else "Updated", imported)
c2.metric("Data through", f"{ctx.data_end:%d %b %Y %H:%M}")
c3.metric("Time zone", run["agreement_time_zone"])
if run["import_mode"] == "full import":
    st.caption(
        f"Loaded: {safe.md(run['source_name'])}, imported {imported} "
        f"({safe.md(ctx.agreement.time_zone)}) by Handoff {safe.md(run['handoff_version'])}."
    )
else:
    # An update names the import it updated (itself perhaps an update) and what it merged.
    base_at = run["updated_from_imported_at"]
    base_when = (
        f" (imported {base_at.tz_convert(ctx.agreement.time_zone):%d %b %Y %H:%M})"
        if not pd.isna(base_at)
        else ""
    )
    whole = " (a complete export)" if run["import_mode"] == "update (complete export)" else ""
    st.caption(
        f"Updated from {safe.md(run['updated_from_name'] or 'an earlier import')}{base_when} with "
        f"{safe.md(run['source_name'])}{whole} at {imported} "
        f"({safe.md(ctx.agreement.time_zone)}): {int(run['n_leads_added']):,} leads added, "
        f"{int(run['n_leads_changed']):,} changed, {int(run['n_leads_deleted']):,} deleted; by "
        f"Handoff {safe.md(run['handoff_version'])}."
    )
if run["agreement_time_zone"] != ctx.agreement.time_zone:
    st.warning(
        f"The data was imported with the time zone {safe.md(run['agreement_time_zone'])}, but the "
        f"agreement now says {ctx.agreement.time_zone}: timestamps without an offset were read "
        "in the old zone. Import the data again."
    )

if notice := access.local_notice():
    st.info(safe.md(notice), icon=":material/lock:")

# Who changed the data and when: the database's change log (handoff.changelog), kept beside it,
# so an import or a restore does not replace it.
st.subheader("Changes to the data")
changes = changelog.read(db_path_from_env())
if changes:
    ui.table(
        pd.DataFrame(ui.change_rows(changes[:50], ctx.agreement.time_zone)),
        hide_index=True,
        column_config={"Detail": st.column_config.TextColumn("Detail", width="large")},
    )
    if len(changes) > 50:
        st.caption(
            f"The latest 50 of {len(changes):,}; the whole log is "
            f"{safe.md(changelog.log_path(db_path_from_env()).name)} beside the database."
        )
else:
    st.caption(
        "No import, update or restore is recorded for this database yet: each is recorded, with "
        "who and when, from now on."
    )

# Loading an export from the browser: upload, see how it is read, check it, import it.
st.subheader("Load your own data")
# Refused here, at the server, for a session that may not change the data: nothing below this
# line (upload, check, import) runs for it.
refusal = ui.data_changes_refusal()
outcome = st.session_state.get("upload_outcome")
if outcome:
    st.success(
        f"Imported {outcome['n_rows']:,} rows ({outcome.get('n_set_aside', 0):,} set aside by a "
        f"rule, {outcome['n_rejected']:,} rejected) as "
        f"{safe.md(outcome['format_title'])}."
        + (f" {safe.md(outcome['update'])}" if outcome.get("update") else "")
    )
    ui.table(
        pd.DataFrame(outcome["changes"]),
        hide_index=True,
        column_config={
            "table": "Table",
            "rows_before": st.column_config.NumberColumn("Rows before", format="localized"),
            "rows_after": st.column_config.NumberColumn("Rows after", format="localized"),
            "change": st.column_config.NumberColumn("Change", format="localized"),
        },
    )
limit_mb = st.get_option("server.maxUploadSize")
files = None
if refusal:
    st.error(refusal)
else:
    files = st.file_uploader(
        "Export files: CSV, TSV, TXT or Parquet, from Handoff's format, HubSpot, Salesforce or "
        f"Zoho, or any export with a mapping file (.toml). Up to {limit_mb:,} MB per file, "
        f"{safe.MAX_UPLOAD_FILES} files and {safe.MAX_UPLOAD_MB:,} MB in all.",
        type=[s.lstrip(".") for s in (*importer.FILE_SUFFIXES, uploads.MAPPING_SUFFIX)],
        accept_multiple_files=True,
        key="upload_files",
    )
    st.caption(
        "The data in use stays until an import succeeds. Files are kept only in the data folder "
        f"({safe.md(uploads.uploads_root(db_path_from_env()).name)}/ beside the database); the "
        "per-file limit is `server.maxUploadSize` in `.streamlit/config.toml`."
    )
too_big = safe.upload_refusal([f.size for f in files]) if files else None
if too_big:
    st.error(f"Nothing was saved. {too_big}")
if files and not too_big and not refusal:
    upload_key = tuple((f.file_id, f.name, f.size) for f in files)
    if st.session_state.get("upload_key") != upload_key:
        saved = uploads.save(
            [(f.name, f.getvalue()) for f in files], uploads.uploads_root(db_path_from_env())
        )
        st.session_state.update(upload_key=upload_key, upload_saved=saved, upload_check=None)
    saved = st.session_state["upload_saved"]
    for refused in saved.refused:
        st.warning(f"Not used: {safe.md(refused)}")
    formats = {"Recognise it from the headers": None, "Handoff's canonical dataset": "canonical"}
    formats |= {f"{name.capitalize()} export": name for name in mapping.BUILTIN_FORMATS}
    if saved.mapping is not None:
        st.info(f"Read with the mapping file {safe.md(saved.mapping.name)}.")
        how = {}
    else:
        how = {"format": formats[st.selectbox("How the export is written", list(formats))]}
    how["mapping"] = saved.mapping
    try:
        plan = importer.plan_export(saved.folder, **how)
    except (importer.ImportFailure, mapping.MappingError, duckdb.Error) as exc:
        st.error(f"Cannot read this export: {safe.md(exc)}")
        plan = None
    if plan is not None:
        st.markdown(f"**{safe.md(plan.mapping.title)}**")
        st.markdown("\n".join(f"- {safe.md(line)}" for line in plan.explanation))
        for note in plan.mapping.notes:
            st.caption(safe.md(note))
        st.markdown("Where each column comes from:")
        ui.table(
            pd.DataFrame(mapping.column_mapping(plan.assignment)),
            hide_index=True,
            column_config={"from": st.column_config.TextColumn("From", width="large")},
        )
        # Replace the data in use, or merge the export into it (a daily refresh: README).
        updating = (
            st.radio(
                "Import as",
                ["a replacement of the data in use", "an update of the data in use"],
                horizontal=True,
                key="import_mode",
                help="An update adds the export's new leads, replaces the ones that changed and "
                "keeps every other lead; the export must be read the same way as the data in use.",
            )
            == "an update of the data in use"
        )
        complete = updating and st.checkbox(
            "This export holds every lead: delete the leads it lacks", key="import_complete"
        )
        check_clicked, import_clicked = st.columns(2)
        if check_clicked.button("Check: list every problem, import nothing"):
            bar = ui.StageBar("Checking the export")
            try:
                result, con = importer.check_dataset(saved.folder, ctx.agreement, bar, **how)
                st.session_state["upload_check"] = (result, *importer.rejected(con))
                con.close()
            except (importer.ImportFailure, mapping.MappingError) as exc:
                st.error(safe.md(exc))
            finally:
                bar.close()
        label = "Import: update the data in use" if updating else "Import: replace the data in use"
        if import_clicked.button(label, type="primary"):
            loaded = ctx.db.run("dataset_tables")
            before = loaded.groupby("table_name")["n_rows"].max().to_dict()
            update = None
            bar = ui.StageBar("Updating the data" if updating else "Importing the export")
            try:
                if updating:
                    update = importer.update_dataset(
                        saved.folder,
                        db_path_from_env(),
                        ctx.agreement,
                        complete=complete,
                        progress=bar,
                        source_name=uploads.source_name(saved),
                        **how,
                    )
                    result = update.result
                else:
                    result = importer.import_dataset(
                        saved.folder,
                        db_path_from_env(),
                        ctx.agreement,
                        progress=bar,
                        source_name=uploads.source_name(saved),
                        **how,
                    )
            except (importer.ImportFailure, mapping.MappingError) as exc:
                st.error(f"Nothing was imported; the data in use is unchanged. {safe.md(exc)}")
            else:
                changelog.record(
                    db_path_from_env(),
                    access.current_person().actor,
                    "update" if update else "import",
                    f"{uploads.source_name(saved)}: "
                    f"{sum(t.n_accepted for t in result.tables):,} rows, "
                    f"{result.n_rejected:,} rejected",
                )
                st.cache_data.clear()
                st.session_state["upload_outcome"] = {
                    "n_rows": sum(t.n_accepted for t in result.tables),
                    "n_rejected": result.n_rejected,
                    "n_set_aside": result.n_set_aside,
                    "format_title": result.format_title,
                    "changes": uploads.changes(
                        before, update.table_counts if update else result.counts()
                    ),
                    "update": update.summary().splitlines()[0] if update else None,
                }
                st.session_state.update(upload_check=None)
                st.rerun()
            finally:
                bar.close()
        checked = st.session_state.get("upload_check")
        if checked:
            result, problems, counted = checked
            per_file = pd.DataFrame(
                [
                    {
                        "file": t.file,
                        "table": t.table or importer.LOOKUP_TABLE,
                        "n_read": t.n_read,
                        "n_accepted": t.n_accepted,
                        "n_set_aside": t.n_set_aside,
                        "n_rejected": t.n_rejected,
                    }
                    for t in result.tables
                    if t.file
                ]
            )
            ui.table(
                per_file,
                hide_index=True,
                column_config={
                    "n_read": st.column_config.NumberColumn("Read", format="localized"),
                    "n_accepted": st.column_config.NumberColumn("Accepted", format="localized"),
                    "n_set_aside": st.column_config.NumberColumn(
                        "Set aside by a rule", format="localized"
                    ),
                    "n_rejected": st.column_config.NumberColumn("Rejected", format="localized"),
                },
            )
            # Every row read ends one way: accepted, set aside by a rule, or rejected as bad.
            st.caption(
                f"{fmt.count(per_file['n_read'].sum())} rows read = "
                f"{fmt.count(per_file['n_accepted'].sum())} accepted + "
                f"{fmt.count(per_file['n_set_aside'].sum())} set aside by a rule of the mapping "
                f"+ {fmt.count(per_file['n_rejected'].sum())} rejected."
            )
            problem_columns = {
                "file_name": "File",
                "line": st.column_config.NumberColumn("Line", format="plain"),
                "column_name": "Column",
                "reason": st.column_config.TextColumn("Reason", width="large"),
                "n_rows": st.column_config.NumberColumn("Rows", format="localized"),
            }
            for outcome, title in (("set_aside", "Set aside by a rule"), ("rejected", "Rejected")):
                rows = problems[problems["outcome"] == outcome].drop(columns="outcome")
                if rows.empty:
                    continue
                by_cause = counted[counted["outcome"] == outcome].drop(columns="outcome")
                if outcome == "set_aside":
                    st.info(
                        f"{fmt.count(len(rows))} rows would be set aside by the mapping's rules "
                        "(not bad data: rows it leaves out, such as tasks about contacts)."
                    )
                    by_cause = by_cause.rename(columns={"reason": "rule"})
                    problem_columns["rule"] = st.column_config.TextColumn("Rule", width="large")
                else:
                    st.warning(f"{fmt.count(len(rows))} rows would be rejected as bad data.")
                st.markdown(f"**{title}**")
                ui.table(by_cause, hide_index=True, column_config=problem_columns)
                ui.table(rows.head(10_000), hide_index=True, column_config=problem_columns)
            if (problems["outcome"] == "rejected").sum() == 0:
                st.success("No problems: every row that is not set aside would be imported.")
            if not problems.empty:
                ui.csv_download(
                    "Download every rejected and set-aside row (CSV)",
                    problems,
                    "problems.csv",
                    column_config=problem_columns,
                    time_zone=ctx.agreement.time_zone,
                )
            if result.merges:
                st.caption(
                    "Label spellings merged: "
                    + "; ".join(
                        f"{safe.md(g)}: '{safe.md(a)}' → '{safe.md(b)}' ({n:,})"
                        for g, a, b, n in result.merges
                    )
                )

# Going back: the database the last import replaced, or the demo data, each after a confirmation.
if not refusal:
    st.subheader("Go back to earlier data")
    db_path = db_path_from_env()
    kept = restore.previous(db_path)
    n_leads = int(ctx.db.run("dataset_tables").query("table_name == 'leads'")["n_rows"].max())
    using = f"{safe.md(run['source_name'])}, imported {imported}, {fmt.plural(n_leads, 'lead')}"
    restored = st.session_state.pop("restore_outcome", None)
    if restored:
        st.success(
            f"Loaded {safe.md(restored)}. The data it replaced is now the previous data: "
            "restore it the same way."
        )

    def when(loaded: restore.Loaded) -> str:
        at = pd.Timestamp(loaded.imported_at).tz_convert(ctx.agreement.time_zone)
        return f"{at:%d %b %Y %H:%M}"

    b1, b2 = st.columns(2)
    if kept is not None:
        label = f"Restore the previous data ({safe.md(kept.name)}, imported {safe.md(when(kept))})"
        if b1.button(label, key="restore_previous_ask"):
            st.session_state["restore_confirm"] = "previous"
    else:
        b1.caption("No previous data is kept: each import keeps the data it replaces.")
    if b2.button("Go back to the demo data", key="restore_demo_ask"):
        st.session_state["restore_confirm"] = "demo"
    asked = st.session_state.get("restore_confirm")
    if asked == "previous" and kept is not None:
        st.warning(
            f"This replaces the data in use ({using}) with the previous data "
            f"({safe.md(kept.name)}, imported {safe.md(when(kept))}, "
            f"{fmt.plural(kept.n_leads, 'lead')}) "
            "for every page and every user. The data in use becomes the previous data, so you "
            "can swap back. The agreement is not changed."
        )
    elif asked == "demo":
        st.warning(
            f"This generates the demo dataset and imports it (about a minute), replacing the "
            f"data in use ({using}) for every page and every user. The data in use becomes the "
            "previous data, so you can restore it; the data kept before it is dropped. The "
            "agreement is not changed."
        )
    if asked in ("previous", "demo"):
        yes, no = st.columns(2)
        if no.button("Cancel", key="restore_cancel"):
            st.session_state.pop("restore_confirm", None)
            st.rerun()
        if yes.button("Yes, replace the data in use", key="restore_yes", type="primary"):
            st.session_state.pop("restore_confirm", None)
            try:
                if asked == "previous":
                    back = restore.restore_previous(db_path)
                    said = f"{back.name}, imported {when(back)}"
                else:
                    with st.status("Building the demo data…", expanded=True) as status:
                        restore.restore_demo(db_path, agreement_path_from_env(), status.write)
                        status.update(label="Demo data loaded", state="complete")
                    said = demo.DEMO_NAME
            except (importer.ImportFailure, agreement_mod.AgreementError, OSError) as exc:
                st.error(f"Nothing was restored; the data in use is unchanged. {safe.md(exc)}")
            else:
                changelog.record(
                    db_path,
                    access.current_person().actor,
                    "restore" if asked == "previous" else "restore_demo",
                    said,
                )
                st.cache_data.clear()
                st.session_state.update(
                    restore_outcome=said,
                    upload_outcome=None,
                )
                st.rerun()

# Does the agreement in use fit this data? If not, a starter agreement made from the data's own
# counts: its sources, goals from their recent volume, targets from the observed rates.
st.subheader("Starter agreement")
gaps = starter.mismatch(ctx.db)
absent = {d: names for d, names in gaps.items() if d != "no_goal" and names}
absent_said = (
    "**The agreement in use does not fit this data:** it names "
    + "; ".join(f"{safe.md(d)}s {', '.join(safe.md(n) for n in ns)}" for d, ns in absent.items())
    + ", which are not in the data. "
    if absent
    else ""
)
no_goal_said = (
    f"It sets MQL goals by source, but none for {fmt.plural(len(gaps['no_goal']), 'source')} of "
    f"the data that hand over MQLs month by month: "
    f"{', '.join(safe.md(s) for s in gaps['no_goal'])}. "
    if gaps["no_goal"]
    else ""
)
below = "Below: a starter agreement from the data's own counts, a goal for each source."
if absent:
    st.warning(absent_said + no_goal_said + below)
elif gaps["no_goal"]:
    st.caption(no_goal_said + below)
in_use = ctx.agreement
hours = in_use.business_hours
with st.expander(
    "Start an agreement from this data", expanded=not starter.fits(gaps), icon=":material/draft:"
):
    st.caption(
        "The MQL goals are the median of the last three complete months' MQLs handed over (per "
        "source too), the acceptance and discard targets the rates observed over the latest "
        "three months mature for MQL → SAL; the time zone and business hours are yours to give. "
        "Shown first: the agreement in use's "
        f"({safe.md(in_use.time_zone)}, {hours.opens:%H:%M}–{hours.closes:%H:%M}, "
        f"{safe.md(', '.join(agreement_mod.WEEKDAYS[d] for d in hours.working_days))})."
    )
    c1, c2, c3 = st.columns([2, 1, 1])
    time_zone = c1.text_input("Time zone (IANA)", value=in_use.time_zone, key="starter_tz")
    opens = c2.text_input("Opens", value=f"{hours.opens:%H:%M}", key="starter_opens")
    closes = c3.text_input("Closes", value=f"{hours.closes:%H:%M}", key="starter_closes")
    days = st.multiselect(
        "Working days",
        list(agreement_mod.WEEKDAYS),
        default=[agreement_mod.WEEKDAYS[d] for d in hours.working_days],
        key="starter_days",
    )
    name = st.text_input("Name", value=starter.default_name(ctx.db), key="starter_name")
    try:
        proposal = starter.propose(
            ctx.db,
            time_zone=time_zone.strip(),
            opens=opens.strip(),
            closes=closes.strip(),
            working_days=days,
            name=name,
        )
    except (agreement_mod.AgreementError, starter.StarterError) as exc:
        st.error(f"No starter agreement: {safe.md(exc)}")
    else:
        for note in proposal.notes:
            st.warning(safe.md(note))
        st.markdown("Where each value comes from (every other key is a default, said in the file):")
        ui.table(
            starter.reasons_table(proposal),
            hide_index=True,
            column_config={
                "key": "Key",
                "value": "Proposed",
                "source": "From",
                "counts": st.column_config.TextColumn("From what counts", width="large"),
            },
        )
        st.code(proposal.toml, language="toml")
        st.download_button(
            "Download the starter agreement (TOML)",
            data=proposal.toml,
            file_name="starter-agreement.toml",
            mime="application/toml",
            on_click="ignore",
            icon=":material/download:",
        )
        st.caption(
            "Nothing is saved here. Review the file with both teams, then use it: set "
            "HANDOFF_AGREEMENT to it (or replace data/agreement.toml) and import the data again."
        )

# Rows per table: read = accepted + set aside + rejected.
st.subheader("Tables")
tables = ctx.db.run("dataset_tables")
tables["extra_columns"] = tables["extra_columns"].map(lambda cols: ", ".join(cols))
ui.table(
    tables,
    hide_index=True,
    column_config={
        "table_name": "Table",
        "file_name": "File",
        "n_read": st.column_config.NumberColumn("Rows read", format="localized"),
        "n_accepted": st.column_config.NumberColumn("Accepted", format="localized"),
        "n_set_aside": st.column_config.NumberColumn("Set aside by a rule", format="localized"),
        "n_rejected": st.column_config.NumberColumn("Rejected", format="localized"),
        "extra_columns": "Kept as attributes / extra columns",
        "first_at": st.column_config.DatetimeColumn("First", format="YYYY-MM-DD"),
        "last_at": st.column_config.DatetimeColumn("Last", format="YYYY-MM-DD"),
        "n_rows": None,
    },
)
st.caption(
    f"{fmt.count(tables['n_read'].sum())} rows read = {fmt.count(tables['n_accepted'].sum())} "
    f"accepted + {fmt.count(tables['n_set_aside'].sum())} set aside by a rule of the mapping + "
    f"{fmt.count(tables['n_rejected'].sum())} rejected."
)
# After an update (import --update) the files are the newer export's: say what the merge left.
in_db = tables.groupby("table_name", sort=False)["n_rows"].max()
if (in_db != tables.groupby("table_name", sort=False)["n_accepted"].sum()).any():
    st.caption(
        "The last import was an update: the files above are the newer export's; the database "
        "now holds: " + ", ".join(f"{safe.md(t)} {fmt.count(n)}" for t, n in in_db.items()) + "."
    )

# Data-quality checks: kept data that a metric treats in a defined way.
st.subheader("Data quality")
quality = ctx.db.run("data_quality")
fired = quality[quality["n_rows"] > 0]
if fired.empty:
    st.success("No data-quality warnings.")
ui.table(
    quality,
    hide_index=True,
    column_config={
        "severity": "Severity",
        "check_name": "Check",
        "handling": "How Handoff counts it",
        "n_rows": st.column_config.NumberColumn("Rows", format="localized"),
    },
)

# Rows a rule of the mapping left out (not bad data), counted per rule.
set_aside = ctx.db.run("set_aside_by_rule")
if not set_aside.empty:
    st.subheader("Set aside by a rule at import")
    st.caption(
        "Not bad data: rows the mapping leaves out on purpose (a task about a contact, not a "
        "lead), each counted under the rule that set it aside. They are in the rejects file "
        "beside the database, with the outcome set_aside."
    )
    ui.table(
        set_aside,
        hide_index=True,
        # The rule last, where its text has room.
        column_order=("table_name", "file_name", "n_rows", "first_line", "rule"),
        column_config={
            "table_name": "Table",
            "file_name": "File",
            "rule": st.column_config.TextColumn("Rule", width="large"),
            "n_rows": st.column_config.NumberColumn("Rows", format="localized"),
            "first_line": st.column_config.NumberColumn("First line", format="plain"),
        },
    )

# Rejected rows (bad data), with the reason and where to find them.
st.subheader("Rejected at import")
reasons = ctx.db.run("rejects_by_reason")
if reasons.empty:
    st.success("The import rejected no rows.")
else:
    ui.table(
        reasons,
        hide_index=True,
        column_config={
            "table_name": "Table",
            "file_name": "File",
            "column_name": "Column",
            "reason": "Reason",
            "n_rows": st.column_config.NumberColumn("Rows", format="localized"),
            "first_line": st.column_config.NumberColumn("First line", format="plain"),
        },
    )
    rows = ctx.db.run("rejected_rows", {"limit": 500})
    st.markdown("First rejected rows per table (line 1 is the header):")
    rejected_columns = {
        "table_name": "Table",
        "file_name": "File",
        "line": st.column_config.NumberColumn("Line", format="plain"),
        "column_name": "Column",
        "reason": "Reason",
        "record": st.column_config.TextColumn("Row as read", width="large"),
    }
    ui.table(rows, hide_index=True, column_config=rejected_columns)
    ui.csv_download(
        "Download these rejected rows (CSV)",
        rows,
        "rejected_rows.csv",
        column_config=rejected_columns,
        time_zone=ctx.agreement.time_zone,
    )
