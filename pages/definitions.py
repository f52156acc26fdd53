"""Definitions: the agreement in plain language, the playbook both teams read from."""

import handoff.preload  # noqa: F401  (first: the heavy modules, once; see there)

# isort: split
import streamlit as st

from handoff import agreement as agreement_mod
from handoff import contract, metrics, safe, ui
from handoff.db import agreement_path_from_env

ctx = ui.page(
    "Definitions",
    "What did sales and marketing agree: stages, follow-up, time limits, targets and goals? "
    "Every number in Handoff is counted this way.",
)

for section, sentences in agreement_mod.plain_language(ctx.agreement):
    st.subheader(section)
    st.markdown("\n".join(f"- {s}" for s in sentences))

# Which days does the business clock stop on, in the years the data spans?
years = metrics.data_years(ctx.db)
st.subheader("Holidays")
st.caption(safe.md(agreement_mod.holidays_in_words(ctx.agreement, years)))
if days_off := ctx.agreement.business_hours.holidays_in(years):
    st.dataframe(days_off, hide_index=True)

st.subheader("The agreement file")
st.caption(
    f"{safe.md(agreement_path_from_env())}: edit it, and every page counts by the new terms on "
    "its next run. Its keys:"
)
st.dataframe(
    [
        {
            "key": k.path,
            "required": "yes" if k.required else "no",
            "expected": k.expected,
            "meaning": k.doc,
        }
        for k in agreement_mod.KEYS
    ],
    hide_index=True,
)
with st.expander("The file as written"):
    st.code(agreement_path_from_env().read_text(encoding="utf-8"), language="toml")

st.subheader("The data contract")
st.markdown(contract.markdown_table())
