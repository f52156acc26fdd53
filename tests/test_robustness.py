"""Every importer against random and malformed files: wrong delimiters, ragged rows, binary
garbage, huge fields, empty files. None may crash: an export is either read, with accepted +
rejected = read for every file, or refused with a message that names the file."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handoff import importer
from tests.conftest import ROOT

# Each importer: its leads file's name, its header, how to import it, and a plausible row.
IMPORTERS = {
    "canonical": ("leads.csv", "lead_id,created_at,source", {}, "L1,2026-01-05,Web"),
    "hubspot": (
        "contacts.csv",
        "Record ID,Create Date,Lifecycle Stage,Original Source,Lead Status",
        {"format": "hubspot"},
        "101,2025-03-01 10:00,Lead,Paid Search,New",
    ),
    "salesforce": (
        "Lead.csv",
        "Id,LeadSource,Status,IsConverted,CreatedDate,ConvertedDate",
        {"format": "salesforce"},
        "00Q000000000001AAA,Web,Open - Not Contacted,,2024-01-22T20:36:47.000+0000,",
    ),
    "zoho": (
        "Leads.csv",
        "LEADID,Lead Status,Created Time,Lead Source,Lead Owner",
        {"format": "zoho"},
        '4563,Junk Lead,"15 Apr, 2021 00:03:00",Web,David Love',
    ),
    "mapping": (
        "Leads.csv",
        "Prospect ID,Lead Source,Converted,Tags",
        {"mapping": ROOT / "data" / "mappings" / "x_education.toml"},
        "7927b2df,Google,1,Ringing",
    ),
}

fields = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", '"', '""', "a,b", "a;b", "\t", "\r", "2026-01-05", "$1,117.10K"]),
    st.text(min_size=5000, max_size=5000, alphabet="x"),  # a huge field
)
# Rows of any length: ragged against the header more often than not.
rows = st.lists(st.lists(fields, min_size=0, max_size=8).map(",".join), max_size=12)


@st.composite
def bodies(draw, good_row: str) -> bytes:
    """A file body: good rows, ragged rows, other delimiters, quotes, garbage bytes."""
    kind = draw(st.sampled_from(["rows", "binary", "empty", "delimiter", "mixed", "mixed"]))
    if kind == "binary":
        return draw(st.binary(max_size=400))
    if kind == "empty":
        return b""
    lines = draw(rows)
    if kind == "delimiter":
        sep = draw(st.sampled_from([";", "\t", "|"]))
        lines = [line.replace(",", sep) for line in lines] + [good_row.replace(",", sep)]
    if kind == "mixed":
        lines = [good_row, *lines, good_row]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        text += draw(st.binary(max_size=40))
    return text


@pytest.mark.parametrize("name", list(IMPORTERS))
def test_no_importer_crashes_and_nothing_is_lost(name, golden_agreement):
    filename, header, how, good_row = IMPORTERS[name]

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        with_header=st.sampled_from([True, True, True, False]),
        body=bodies(good_row),
        bom=st.booleans(),
    )
    def run(with_header, body, bom):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            content = (header.encode() + b"\n" if with_header else b"") + body
            if bom:
                content = b"\xef\xbb\xbf" + content
            (folder / filename).write_bytes(content)
            try:
                result, con = importer.check_dataset(folder, golden_agreement, **how)
            except importer.ImportFailure as exc:
                refusal = str(exc)
            else:
                refusal = None
            if refusal is not None:
                # Refused as a whole: the message says which file or format.
                assert filename in refusal or "format" in refusal or str(folder) in refusal
                return
            for t in result.tables:
                assert t.n_accepted + t.n_rejected == t.n_read, t
            n_rejects = con.execute("select count(*) from import_rejects").fetchone()[0]
            assert n_rejects == result.n_rejected
            con.close()

    run()
