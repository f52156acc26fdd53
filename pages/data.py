"""Data loaded: what is in the database, where it came from, and what in it needs attention."""

import streamlit as st

from handoff import fmt, ui

ctx = ui.page(
    "Data loaded",
    "What is loaded, from where and when, which rows the import rejected and why, and what in "
    "the data breaks the agreed definitions. (The sidebar filters do not apply here.)",
)

# When and from where the data was imported, and where it ends.
run = ctx.db.run("dataset_import").iloc[0]
c1, c2, c3 = st.columns(3)
c1.metric("Imported", f"{run['imported_at'].tz_convert(ctx.agreement.time_zone):%d %b %Y %H:%M}")
c2.metric("Data through", f"{ctx.data_end:%d %b %Y %H:%M}")
c3.metric("Time zone", run["agreement_time_zone"])
st.caption(f"Imported from `{run['source_folder']}` by Handoff {run['handoff_version']}.")
if run["agreement_time_zone"] != ctx.agreement.time_zone:
    st.warning(
        f"The data was imported with the time zone {run['agreement_time_zone']}, but the "
        f"agreement now says {ctx.agreement.time_zone}: timestamps without an offset were read "
        "in the old zone. Import the data again."
    )

# Rows per table: read = accepted + rejected.
st.subheader("Tables")
tables = ctx.db.run("dataset_tables")
tables["extra_columns"] = tables["extra_columns"].map(lambda cols: ", ".join(cols))
st.dataframe(
    tables,
    hide_index=True,
    column_config={
        "table_name": "Table",
        "file_name": "File",
        "n_read": st.column_config.NumberColumn("Rows read", format="localized"),
        "n_accepted": st.column_config.NumberColumn("Accepted", format="localized"),
        "n_rejected": st.column_config.NumberColumn("Rejected", format="localized"),
        "extra_columns": "Kept as attributes / extra columns",
        "first_at": st.column_config.DatetimeColumn("First", format="YYYY-MM-DD"),
        "last_at": st.column_config.DatetimeColumn("Last", format="YYYY-MM-DD"),
    },
)
st.caption(
    f"{fmt.count(tables['n_read'].sum())} rows read = {fmt.count(tables['n_accepted'].sum())} "
    f"accepted + {fmt.count(tables['n_rejected'].sum())} rejected."
)

# Data-quality checks: kept data that a metric treats in a defined way.
st.subheader("Data quality")
quality = ctx.db.run("data_quality")
fired = quality[quality["n_rows"] > 0]
if fired.empty:
    st.success("No data-quality warnings.")
st.dataframe(
    quality,
    hide_index=True,
    column_config={
        "severity": "Kind",
        "check_name": "Check",
        "handling": "How Handoff counts it",
        "n_rows": st.column_config.NumberColumn("Rows", format="localized"),
    },
)

# Rejected rows, with the reason and where to find them.
st.subheader("Rejected at import")
reasons = ctx.db.run("rejects_by_reason")
if reasons.empty:
    st.success("The import rejected no rows.")
else:
    st.dataframe(
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
    st.dataframe(rows, hide_index=True)
    st.download_button(
        "Download these rejected rows (CSV)",
        rows.to_csv(index=False).encode("utf-8"),
        file_name="rejected_rows.csv",
        mime="text/csv",
    )
