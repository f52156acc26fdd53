"""The app's pages: the sidebar navigation, grouped by who uses it, and the page that explains
each scorecard commitment. Plain data (no Streamlit), so the shell draws it and the metrics JSON
names the same pages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    path: str  # relative to app.py
    label: str
    icon: str


# The sidebar navigation: every page, grouped by who uses it.
NAVIGATION: tuple[tuple[str, tuple[Link, ...]], ...] = (
    (
        "Feedback session",
        (
            Link("app.py", "Scorecard", ":material/scoreboard:"),
            Link("pages/funnel.py", "Lead funnel", ":material/filter_alt:"),
            Link("pages/discards.py", "Discards & dispositions", ":material/delete_sweep:"),
        ),
    ),
    (
        "Marketing",
        (Link("pages/quality.py", "Quantity vs quality", ":material/scatter_plot:"),),
    ),
    # The lead's journey is what sales should see at hand-over: with the pages sales acts on.
    (
        "Sales",
        (
            Link("pages/follow_up.py", "Follow-up", ":material/timer:"),
            Link("pages/lead.py", "Lead journey", ":material/person_search:"),
        ),
    ),
    ("Executives", (Link("pages/attribution.py", "Attribution", ":material/account_tree:"),)),
    (
        "Data",
        (
            Link("pages/data.py", "Data loaded", ":material/database:"),
            Link("pages/definitions.py", "Definitions", ":material/handshake:"),
        ),
    ),
)

# The page behind each commitment ("See why" on the home page), by the commitment's key before
# any ":<source>".
_SEE_WHY = {
    "mql_volume": "pages/quality.py",
    "follow_up": "pages/follow_up.py",
    "acceptance": "pages/discards.py",
    "discards": "pages/discards.py",
}


def see_why(commitment_key: str) -> str:
    """The page that explains a commitment: 'pages/quality.py' for 'mql_volume:Webinar'."""
    return _SEE_WHY[commitment_key.partition(":")[0]]
