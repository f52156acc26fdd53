"""The glossary first on the Definitions page (issue 21, item 2): the stages, exits and the SLA in
business language, built from the agreement in force (its labels, MQL threshold, follow-up target
and clock, step limits) and each team's own words (`stages.aliases`' table form); and the
admins' part below it. Every expected sentence is written from the small agreement here."""

from __future__ import annotations

import pytest

from handoff import agreement as agreement_mod
from handoff import editor
from tests.conftest import GOLDEN
from tests.test_pages import shown_text

# The golden agreement with the team's own labels and words: the lead stage is an "Inquiry",
# sales says "accepted" for SAL (marketing keeps "SAL"), both teams say "deal" for an
# opportunity; threshold 65, a 6-hour target on the calendar clock, 3 days from MQL to SAL.
TEAM_WORDS = {
    'lead = "Lead"': 'lead = "Inquiry"',
    'won = "Won"': 'won = "Won"\n'
    'aliases = { sal = { sales = "accepted", marketing = "SAL" }, opportunity = ["deal"] }',
    "score_threshold = 80": "score_threshold = 65",
    "target_hours = 4": "target_hours = 6",
    'clock = "business"': 'clock = "calendar"',
    "mql_to_sal = 2": "mql_to_sal = 3",
}


def golden_text(**replace: str) -> str:
    text = (GOLDEN / "agreement.toml").read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def team_agreement() -> agreement_mod.Agreement:
    return agreement_mod.parse(golden_text(**TEAM_WORDS))


def test_team_words_are_read_per_team():
    a = team_agreement()
    assert a.team_terms == {"sal": {"sales": ("accepted",), "marketing": ("SAL",)}}
    # Every word, whichever team says it, is an alias of its stage (as before the table form).
    assert a.stage_aliases == {"sal": ("accepted", "SAL"), "opportunity": ("deal",)}


def test_the_glossary_states_the_agreement_s_own_numbers_and_words():
    terms = {t.name: t for t in agreement_mod.glossary(team_agreement())}
    assert list(terms)[:6] == ["Inquiry", "MQL", "SAL", "SQL", "Opportunity", "Won"]
    assert terms["Inquiry"].usual == "lead"  # the team's label differs from the usual word
    assert terms["MQL"].usual is None  # the usual word: nothing to add
    # The threshold in words (65, not the golden 80).
    assert "A lead becomes an MQL when its score reaches 65 or marketing hands it over" in (
        terms["MQL"].meaning
    )
    # Each team's word for SAL, and a word both teams use for an opportunity.
    assert terms["SAL"].said == "Sales says “accepted”; marketing says “SAL”."
    assert terms["Opportunity"].said == "Both teams also say “deal”."
    assert terms["SQL"].said is None
    # 3 days from MQL to SAL; acceptance floor 70%.
    assert "Sales decides within 3 days of the hand-over, and accepts at least 70% of MQLs." in (
        terms["SAL"].meaning
    )
    # The 6-hour target on the calendar clock, the 80% floor.
    assert terms["SLA (service-level agreement)"].meaning.startswith(
        "What both teams signed: sales follows up every MQL within 6 hours, counted in hours "
        "around the clock (nights and weekends count), and at least 80% of them in time."
    )
    assert "At most 25% of MQLs are discarded" in terms["Discarded"].meaning
    assert {"Lost", "Recycled", "Hand-over", "Follow-up"} <= set(terms)


def test_without_a_threshold_only_the_hand_over_makes_an_mql():
    a = agreement_mod.parse(golden_text(**{"score_threshold = 80\n": ""}))
    mql = next(t for t in agreement_mod.glossary(a) if t.name == "MQL")
    assert "A lead becomes an MQL only when marketing hands it over to sales" in mql.meaning


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        # A team the table form does not know, named with its full key.
        (
            '{ sal = { finance = "booked" } }',
            "'stages.aliases.sal' names the team 'finance'; a stage's table holds sales and "
            "marketing, each a word or a list of words",
        ),
        ("{ sal = { sales = 3 } }", "'stages.aliases.sal.sales' must be a word or a list of words"),
        ('{ sal = { sales = [""] } }', "'stages.aliases.sal.sales' must be a word or a list of "),
        ("{ sal = {} }", "'stages.aliases' must be a table of stage = list of words, or of"),
        # The table form's words obey the rules of every alias: one stage each.
        (
            '{ sal = { sales = "accepted" }, sql = ["Accepted"] }',
            "'stages.aliases' gives 'Accepted' to both sal and sql: each word names one stage",
        ),
    ],
)
def test_bad_team_words_name_the_key(aliases, message):
    text = golden_text(**{'won = "Won"': f'won = "Won"\naliases = {aliases}'})
    with pytest.raises(agreement_mod.AgreementError) as error:
        agreement_mod.parse(text, "agreement.toml")
    assert message in str(error.value)


def test_the_editor_round_trips_team_words():
    values = agreement_mod.latest_values(golden_text(**TEAM_WORDS))
    fields = editor.form_defaults(values)
    # SAL: each team's own word, nothing both say; opportunity: "deal" for both teams.
    assert (
        fields["aliases.sal"],
        fields["aliases_sales.sal"],
        fields["aliases_marketing.sal"],
    ) == (
        "",
        "accepted",
        "SAL",
    )
    assert fields["aliases.opportunity"] == "deal"
    assert fields["aliases_sales.opportunity"] == ""
    assert editor.aliases_from_form(fields) == {
        "sal": {"sales": ["accepted"], "marketing": ["SAL"]},
        "opportunity": ["deal"],
    }
    # A word both teams use beside one team's own: both lists hold it, and it reads back as
    # shared.
    form = {"aliases.won": "closed", "aliases_sales.won": "booked"}
    written = editor.aliases_from_form(form)
    assert written == {"won": {"sales": ["closed", "booked"], "marketing": ["closed"]}}
    back = editor.form_defaults({"stages.aliases": written})
    assert (back["aliases.won"], back["aliases_sales.won"], back["aliases_marketing.won"]) == (
        "closed",
        "booked",
        "",
    )


@pytest.fixture
def definitions(definitions_page):
    return definitions_page(golden_text(**TEAM_WORDS))[0]


def test_the_definitions_page_opens_with_the_glossary(definitions):
    at = definitions
    assert not at.exception
    assert next(h.value for h in at.subheader) == "Glossary"
    text = [shown_text(m.value) for m in at.markdown]
    # The first entry is the lead stage under the team's label, the usual word beside it.
    assert text[0].startswith("**Inquiry** · the usual term: lead  \n")
    sal = next(t for t in text if t.startswith("**SAL**"))
    assert "*Sales says “accepted”; marketing says “SAL”.*" in sal
    mql = next(t for t in text if t.startswith("**MQL**  \n"))
    assert "when its score reaches 65 or marketing hands it over" in mql
    # The glossary comes before the agreement in full; the keys and the contract under "For
    # admins", as Markdown tables (code keys, wrapped meanings), at the end.
    headers = [h.value for h in at.header]
    assert headers == ["The agreement in full", "For admins"]
    joined = " ".join(m.value for m in at.markdown)
    assert "| `stages.aliases` | no |" in joined
    assert "| lead_id | text | yes | unique id of the lead |" in joined
    assert not at.dataframe or all("meaning" not in d.value.columns for d in at.dataframe)
