"""Real third-party exports (../shared/realdata), imported as they come, against figures computed
independently: the ones published in each folder's SOURCE.md, and the same figures recomputed
here from the raw CSV with Python's csv module (no Handoff code involved)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter, defaultdict

import pytest

from handoff import agreement as agreement_mod
from handoff.cli import main
from tests.conftest import DEMO_AGREEMENT, ROOT

REALDATA = ROOT.parent / "shared" / "realdata"
ZOHO = REALDATA / "zoho_crm_analytics_sample"
X_EDUCATION = REALDATA / "x_education_leads"
SALESFORCE = REALDATA / "salesforce_sample_exports"

pytestmark = pytest.mark.skipif(
    not REALDATA.is_dir(), reason="../shared/realdata is not beside the checkout"
)


def rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def run_json(capsys, *args):
    assert main(["metrics", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def imported(tmp_path, capsys, folder, *extra):
    db = tmp_path / "real.duckdb"
    code = main(
        ["import", str(folder), "--db", str(db), "--agreement", str(DEMO_AGREEMENT), *extra]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    return db, out


# --- Zoho ----------------------------------------------------------------------------------------

# SOURCE.md, "Facts to check the dashboard against": closed-won amount by the potential's Lead
# Source, in millions rounded to two decimals ("OnlineStore" is "Online Store" once merged).
ZOHO_WON_BY_SOURCE_M = {
    "Sales Mail Alias": 10.46,
    "Trade Show": 9.46,
    "Online Store": 9.32,
    "Advertisement": 9.21,
    "Employee Referral": 8.93,
    "External Referral": 8.68,
    "Cold Call": 8.66,
    "Partner": 8.39,
    "Public Relations": 8.25,
    "Web Research": 7.69,
}


@pytest.fixture(scope="module")
def zoho(tmp_path_factory):
    db = tmp_path_factory.mktemp("zoho") / "zoho.duckdb"
    assert main(["import", str(ZOHO), "--db", str(db), "--agreement", str(DEMO_AGREEMENT)]) == 0
    return db


def test_zoho_is_recognised_and_every_row_is_accounted_for(tmp_path, capsys):
    _, out = imported(tmp_path, capsys, ZOHO)
    assert "Format: zoho (Zoho CRM export)" in out
    assert "Leads.csv → leads (the leads table): has LEADID, Lead Status, Created Time" in out
    assert "Users.csv: not used" in out
    # By hand from the CSVs: 4,100 calls of which 170 name a lead; 2,978 events, 1,115 with one.
    calls, events = rows(ZOHO / "Calls.csv"), rows(ZOHO / "Events.csv")
    n_calls_with_lead = sum(1 for r in calls if r["LEADID"].strip())
    n_events_with_lead = sum(1 for r in events if r["LEADID"].strip())
    assert (n_calls_with_lead, n_events_with_lead) == (170, 1115)
    line = f"{'activities':<11} {'Calls.csv':<22} {len(calls):>10,} {n_calls_with_lead:>10,}"
    assert line in out
    assert f"{len(calls) - n_calls_with_lead:>10,}" in out
    assert "source: 'OnlineStore' → 'Online Store'" in out
    assert "(accepted + set aside + rejected = read)" in out


def test_zoho_figures_match_source_md(zoho, capsys):
    data = run_json(
        capsys,
        "--db",
        str(zoho),
        "--agreement",
        str(DEMO_AGREEMENT),
        "--period",
        "custom",
        "--from",
        "2018-01-01",
        "--to",
        "2021-06-01",
    )
    leads = rows(ZOHO / "Leads.csv")
    potentials = rows(ZOHO / "Potentials.csv")
    # Junk rate: SOURCE.md says 388 / 3,900 = 9.9%; recounted here from Leads.csv.
    n_junk = sum(1 for r in leads if r["Lead Status"] == "Junk Lead")
    assert (n_junk, len(leads)) == (388, 3900)
    current = data["discards"]["summary"]["current"]
    assert (current["n_discarded"], current["n_mql"]) == (388, 3900)
    assert round(current["discard_rate"], 3) == 0.099
    # Closed-won amount: 89,066,200 in total (SOURCE.md), and by the potential's Lead Source.
    won = [r for r in potentials if r["Stage"] == "Closed Won"]
    total = sum(float(r["Amount"].replace("$", "").replace(",", "")) for r in won)
    assert total == 89_066_200
    assert data["attribution"]["won"]["totals"]["revenue_usd"] == total
    by_source = {
        r["source"]: r["revenue_usd"] for r in data["attribution"]["won"]["recorded_source"]
    }
    recount: dict[str, float] = defaultdict(float)
    for r in won:
        label = r["Lead Source"].strip() or "(not recorded)"
        label = "Online Store" if label == "OnlineStore" else label
        recount[label] += float(r["Amount"].replace("$", "").replace(",", ""))
    assert by_source == pytest.approx(dict(recount))
    assert {k: round(v / 1e6, 2) for k, v in by_source.items() if k in ZOHO_WON_BY_SOURCE_M} == (
        ZOHO_WON_BY_SOURCE_M
    )
    assert by_source["(not recorded)"] == 28_500  # two won potentials with a blank Lead Source


# --- X Education ---------------------------------------------------------------------------------

# SOURCE.md: conversion by Lead Source and by Lead Origin, in percent to one decimal.
X_BY_SOURCE = {
    "Google": 40.0,
    "Direct Traffic": 32.2,
    "Olark Chat": 25.5,
    "Organic Search": 37.8,
    "Reference": 91.8,
    "Welingak Website": 98.6,
    "Referral Sites": 24.8,
    "Facebook": 23.6,
}
X_BY_ORIGIN = {
    "API": 31.1,
    "Landing Page Submission": 36.2,
    "Lead Add Form": 92.5,
    "Lead Import": 23.6,
}


@pytest.fixture(scope="module")
def x_education(tmp_path_factory):
    db = tmp_path_factory.mktemp("x") / "x.duckdb"
    mapping = ROOT / "data" / "mappings" / "x_education.toml"
    args = ["import", str(X_EDUCATION), "--mapping", str(mapping), "--db", str(db)]
    assert main([*args, "--agreement", str(DEMO_AGREEMENT)]) == 0
    return db


def x_funnel(db, capsys, by):
    data = run_json(
        capsys,
        "--db",
        str(db),
        "--agreement",
        str(DEMO_AGREEMENT),
        "--period",
        "custom",
        "--from",
        "2019-01-01",
        "--to",
        "2019-01-01",
        "--by",
        by,
    )
    return {r["group_1"]: r for r in data["funnel"]["breakdown"]}


def test_x_education_conversion_by_lead_source_matches_source_md(x_education, capsys):
    funnel = x_funnel(x_education, capsys, "source")
    leads = rows(X_EDUCATION / "Leads.csv")
    # Recount: "Select" is blank, and labels that differ only in case are one ("google" has 5
    # leads, none converted, so Google's rate is 1,147 / 2,873 = 39.9% against SOURCE.md's
    # 40.0% for the 2,868 spelled "Google").
    spelled = Counter(r["Lead Source"] for r in leads if r["Lead Source"].strip())
    folded: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in leads:
        label = r["Lead Source"].strip()
        if not label:
            continue
        canon = max((s for s in spelled if s.lower() == label.lower()), key=spelled.__getitem__)
        folded[canon][0] += 1
        folded[canon][1] += int(r["Converted"])
    assert folded["Google"] == [2873, 1147]
    for source, expected in X_BY_SOURCE.items():
        row = funnel[source]
        assert (row["n_lead"], row["n_won"]) == tuple(folded[source]), source
        assert row["lead_to_won_rate"] * 100 == pytest.approx(expected, abs=0.1), source
        if source != "Google":
            assert round(row["lead_to_won_rate"] * 100, 1) == expected, source
    assert funnel["(unknown)"]["n_lead"] == 36  # blank Lead Source
    assert "google" not in funnel


def test_x_education_conversion_by_lead_origin_matches_source_md(x_education, capsys):
    funnel = x_funnel(x_education, capsys, "lead_origin")
    for origin, expected in X_BY_ORIGIN.items():
        assert round(funnel[origin]["lead_to_won_rate"] * 100, 1) == expected, origin


# --- Zoho: the starter agreement -----------------------------------------------------------------

# SOURCE.md's ten lead sources ("OnlineStore" in Potentials.csv is "Online Store" once merged).
ZOHO_SOURCES = {
    "Employee Referral", "Advertisement", "Cold Call", "Partner", "Web Research",
    "External Referral", "Sales Mail Alias", "Trade Show", "Online Store", "Public Relations",
}  # fmt: skip


def zoho_hand_overs() -> dict[str, tuple[str, str, str, bool]]:
    """Each lead's hand-over month, recounted from the CSVs: the Created Time (Zoho's leads are
    handed over when created), or earlier when the lead's potential was created or won before
    it (the demo data's dates are incoherent; PRODUCT.md: a lead is handed over at the latest
    when it reaches a later stage). With its source, status and whether it has a potential."""

    def when(text):
        return dt.datetime.strptime(text, "%d %b, %Y %H:%M:%S")

    earliest: dict[str, dt.datetime] = {}
    for p in rows(ZOHO / "Potentials.csv"):
        dates = [when(p["Created Time"])]
        if p["Stage"] == "Closed Won":
            dates.append(when(p["Closing Date"]))
        lead = p["LEADID"]
        earliest[lead] = min([*dates, *([earliest[lead]] if lead in earliest else [])])
    out = {}
    for r in rows(ZOHO / "Leads.csv"):
        moments = [
            when(r["Created Time"]),
            *([earliest[r["LEADID"]]] if r["LEADID"] in earliest else []),
        ]
        out[r["LEADID"]] = (
            min(moments).strftime("%Y-%m"),
            r["Lead Source"],
            r["Lead Status"],
            r["LEADID"] in earliest,
        )
    return out


def test_zoho_with_the_demo_agreement_proposes_a_starter_one(tmp_path, capsys):
    db, out = imported(tmp_path, capsys, ZOHO)
    # The demo agreement's goal sources are not Zoho's; the import says so in one line.
    fit = [line for line in out.splitlines() if "does not fit" in line]
    assert len(fit) == 1
    assert fit[0].startswith(
        "The agreement does not fit this data (sources it names that the data does not have: "
        "Paid search, Webinar, Trade show, Content download; sources in the data with no MQL "
        "goal: "
    )
    assert "python -m handoff starter --db" in fit[0]
    code = main(
        ["starter", "--db", str(db), "--agreement", str(DEMO_AGREEMENT), "--time-zone",
         "America/New_York", "--opens", "09:00", "--closes", "17:00"]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    proposal = agreement_mod.parse(text)
    # The sources found are SOURCE.md's ten, each with a goal.
    assert set(proposal.mql_goal_by_source) == ZOHO_SOURCES
    # Recounted from the CSVs: the last lead was created on 15 April 2021, so March 2021 is the
    # latest complete month; hand-overs January 51, February 33, March 11: median 33.
    hand_overs = zoho_hand_overs()
    months = ("2021-01", "2021-02", "2021-03")
    per_month = [sum(1 for m, *_ in hand_overs.values() if m == month) for month in months]
    assert per_month == [51, 33, 11]
    assert "per_month = 33  # median of Jan 51, Feb 33, Mar 11 MQLs handed over in 2021" in text
    for source, goal in proposal.mql_goal_by_source.items():
        counts = sorted(sum(1 for m, s, *_ in hand_overs.values() if (m, s) == (month, source))
                        for month in months)  # fmt: skip
        assert goal == counts[1], source  # the median of three
    # Rates: the data ends 20 May 2021 (a potential's closing date), so March is mature for
    # MQL → SAL too: the same three months' 95 MQLs. Discarded: Lead Status "Junk Lead" (the
    # Zoho format's discard); accepted: Contacted (SAL), Pre Qualified (SQL) or converted to a
    # potential (an opportunity: SAL passed).
    cohort = [v for v in hand_overs.values() if v[0] in months]
    n_junk = sum(1 for _, _, status, _ in cohort if status == "Junk Lead")
    n_accepted = sum(
        1
        for _, _, status, has_deal in cohort
        if status in ("Contacted", "Pre Qualified") or has_deal
    )
    assert (len(cohort), n_junk, n_accepted) == (95, 11, 58)
    assert "max_discard_rate = 0.12  # 11 of 95 MQLs handed over in Jan–Mar 2021" in text
    assert "min_acceptance_rate = 0.61  # 58 of 95 MQLs handed over in Jan–Mar 2021" in text


# --- Marketing's support after hand-over -----------------------------------------------------------


def test_salesforce_support_after_hand_over_matches_the_raw_csv(tmp_path, capsys):
    # The data-cloud workshop's leads were all created (and, with no MQL date, handed over) at
    # one instant; its campaign members are touches (FirstRespondedDate, else CreatedDate). A
    # lead is supported when one of them is later than its creation, within 30 days, and none
    # of these leads is closed (no converted or unqualified status): counted from the CSV alone.
    folder = SALESFORCE / "sfdc_assets_data_cloud_workshop"
    leads = {r["Id"][:15]: r for r in rows(folder / "Lead.csv")}

    def instant(text):
        return dt.datetime.fromisoformat(text.replace("+0000", "+00:00"))

    supported = set()
    for m in rows(folder / "CampaignMember.csv"):
        lead = leads.get(m["LeadId"][:15])
        if lead is None:
            continue
        gap = instant(m["FirstRespondedDate"] or m["CreatedDate"]) - instant(lead["CreatedDate"])
        if dt.timedelta(0) < gap <= dt.timedelta(days=30):
            supported.add(m["LeadId"][:15])
    assert {lead["Status"] for lead in leads.values()} <= {"New", "Working", "Qualified"}
    db, _ = imported(tmp_path, capsys, folder)
    data = run_json(capsys, "--db", str(db), "--agreement", str(DEMO_AGREEMENT), "--period",
                    "custom", "--from", "2024-01-01", "--to", "2024-01-31")  # fmt: skip
    overall = data["support"]["overall"]
    assert (overall["n_handed_over"], overall["n_supported"]) == (len(leads), len(supported))
    assert (overall["n_handed_over"], overall["n_supported"]) == (60, 31)


def test_zoho_has_no_touch_data(zoho, capsys):
    # The Zoho sample has no touches at all: support after hand-over is not judged, never 0%.
    data = run_json(capsys, "--db", str(zoho), "--agreement", str(DEMO_AGREEMENT), "--period",
                    "custom", "--from", "2020-01-01", "--to", "2020-12-31")  # fmt: skip
    assert data["support"]["note"] == "no touch data"
    assert data["support"]["overall"]["n_supported"] is None
