"""The chart style (issue 21): text on bars reads horizontally, counts have thousands
separators, many groups become the top 12 and "others" without losing any of the total,
reference lines cross no label, the Pareto's share axis ends on 100%, and every figure takes the
page's background (light or dark)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from handoff import charts


def bar_figures():
    """One figure from every builder that draws bars, on a few rows."""
    stages = pd.DataFrame(
        {
            "stage": ["lead", "mql"],
            "label": ["Leads", "MQLs"],
            "current": [1600, 40],
            "previous": [1500, 38],
        }
    )
    funnel = pd.DataFrame(
        {
            "stage": ["lead", "mql"],
            "n_leads": [1600, 40],
            "step_rate": [None, 0.025],
            "cumulative_rate": [None, 0.025],
        }
    )
    bins = pd.DataFrame({"bin": ["< 1 day", "1–3 days"], "n_leads": [1200, 3]})
    bands = pd.DataFrame(
        {
            "band": ["0–49", "50+"],
            "n_leads": [1000, 10],
            **{f"n_{k}": [100, 5] for k in ("sql", "won")},
            **{f"{k}_rate": [0.1, 0.5] for k in ("sql", "won")},
            **{f"{k}_low": [0.08, 0.2] for k in ("sql", "won")},
            **{f"{k}_high": [0.12, 0.8] for k in ("sql", "won")},
        }
    )
    reasons = pd.DataFrame(
        {"reason": ["No budget", "(no reason given)"], "n_discarded": [3, 1]}
    ).assign(cumulative_share=[0.75, 1.0])
    accounts = pd.DataFrame({"account": ["won", "discarded"], "n_leads": [1200, 30]})
    credit = pd.DataFrame({"group_name": ["Email", "Search"], "linear": [1200.4, 800.6]})
    return {
        "stage_counts": charts.stage_counts(stages, "March", "February"),
        "funnel_bars": charts.funnel_bars(funnel, {"lead": "Leads", "mql": "MQLs"}),
        "histogram_bins": charts.histogram_bins(bins, "Time to MQL", "#4c78a8"),
        "rates_by_category": charts.rates_by_category(bands, "band", "By score", "Score band"),
        "pareto": charts.pareto(reasons, "Reasons"),
        "accounts": charts.accounts(accounts, 1230, "Where MQLs are"),
        "credit_bars": charts.credit_bars(
            credit, "linear", {"linear": "Linear"}, 2001.0, "Won revenue", "Won revenue (USD)"
        ),
    }


def test_text_on_bars_is_never_turned():
    # The template sets every bar's text angle to 0 (plotly turns text on a narrow bar vertical
    # by default), and no builder sets another.
    template = charts.pio.templates[charts.pio.templates.default]
    assert template.data.bar[0].textangle == 0
    for name, fig in bar_figures().items():
        for trace in fig.data:
            if trace.type == "bar":
                assert trace.textangle in (None, 0), name


def test_count_axes_have_thousands_separators():
    # Plotly prints 1600 as "1600" unless the axis's d3 format has ",": "1,600".
    template = charts.pio.templates[charts.pio.templates.default]
    assert template.layout.yaxis.tickformat == ","
    assert template.layout.separators == ".,"
    figures = bar_figures()
    for name in ("stage_counts", "histogram_bins", "pareto"):
        own = figures[name].layout.yaxis.tickformat
        assert own in (None, ","), name  # the template's, or the same
    for name in ("funnel_bars", "accounts"):  # horizontal bars: the count is on x
        assert figures[name].layout.xaxis.tickformat == ",", name
    assert figures["credit_bars"].layout.xaxis.tickformat == "$,.0f"


def test_top_12_and_others_keep_the_total():
    # 15 channels with 100, 200, ..., 1,500 of credit: the 12 largest are 1,500 down to 400;
    # "others" sums the three left, 100 + 200 + 300 = 600; all 15 add up to
    # 100 * (1 + ... + 15) = 100 * 120 = 12,000, and so do the 13 rows.
    credit = pd.DataFrame(
        {
            "group_name": [f"C{i}" for i in range(1, 16)],
            "linear": [100.0 * i for i in range(1, 16)],
            "markov": [10.0] * 15,
        }
    )
    rows = charts._top_with_others(credit, "linear")
    assert rows["group_name"].tolist() == [f"C{i}" for i in range(15, 3, -1)] + ["others (3)"]
    assert rows["linear"].iloc[-1] == 600
    assert rows["linear"].sum() == 12_000
    assert rows["markov"].sum() == 150  # every numeric column: 15 × 10
    # 12 or fewer: no "others" row.
    assert len(charts._top_with_others(credit.head(12), "linear")) == 12


def test_credit_bars_print_whole_dollars_and_one_decimal_shares():
    fig = bar_figures()["credit_bars"]
    # 1,200.40 of 2,001 is 59.99...%: "$1,200 (60.0%)"; 800.60 is 40.01%: "$801 (40.0%)".
    assert list(fig.data[0].text) == ["$1,200 (60.0%)", "$801 (40.0%)"]
    assert fig.data[0].textposition == "auto"  # inside a long bar, outside a short one


def test_the_pareto_share_axis_ends_on_100_percent():
    fig = bar_figures()["pareto"]
    axis = fig.layout.yaxis2
    assert list(axis.tickvals) == [0, 0.25, 0.5, 0.75, 1]
    assert axis.tickformat == ".0%"
    assert tuple(axis.range) == (0, 1)  # the last point, 100%, sits on the top tick
    # The line has a band of its own above the bars: it never crosses a bar's count.
    assert fig.layout.yaxis.domain[1] < axis.domain[0]


def test_rate_whiskers_keep_labels_clear_of_the_reference_lines():
    rows = pd.DataFrame(
        {
            "label": ["East", "West"],
            "rate": [0.5, 0.2],
            "low": [0.3, 0.1],
            "high": [0.7, 0.4],
            "counts": ["5 of 10", "2 of 10"],
        }
    )
    fig = charts.rate_whiskers(rows, "By team", overall=0.35, target=0.8, target_label="floor")
    _dots, words = fig.data
    # The rates and counts are the tick labels of an axis right of the plot (side "right"),
    # one per row, in the rows' order; the axis takes the margin its labels need, so a
    # narrow screen narrows the plot instead of cutting them (the step chart's "27% (133 of
    # 49" at 390 px).
    right = fig.layout.yaxis2
    assert (words.yaxis, words.marker.opacity) == ("y2", 0)
    assert (right.side, right.overlaying, right.matches) == ("right", "y", "y")
    assert list(right.tickvals) == ["East", "West"]
    assert list(right.ticktext) == ["50%  (5 of 10)", "20%  (2 of 10)"]
    assert right.automargin
    assert all(shape.xref == "x" for shape in fig.layout.shapes)
    # The lines are named in the subtitle, not by text on the plot, nor in a legend (which
    # grew up into the title at 390 px once it wrapped).
    assert [s.name for s in fig.layout.shapes] == ["overall 35%", "floor 80%"]
    assert fig.layout.title.subtitle.text == "dashed: overall 35% · dotted red: floor 80%"
    assert not fig.layout.annotations
    assert fig.layout.showlegend is False


def test_neighbouring_bubbles_label_on_different_sides():
    # Trade show (71 leads, 5.6%) and Content download (85, 5.9%) nearly touch: the second
    # goes below; Referral (18, 33%) is far from both and goes on top.
    sides = charts._label_sides([71, 85, 18], [0.056, 0.059, 0.33])
    assert sides == ["top center", "bottom center", "top center"]


def test_quadrant_names_sit_outside_the_plot():
    rows = pd.DataFrame(
        {"name": ["(unknown)", "Email"], "leads": [1, 40], "quality": [0.0, 0.2], "size": [0, 5]}
    )
    fig = charts.tradeoff(rows, 20, 0.1, "SQL rate", "Won revenue")
    placed = {a.text: (a.y, a.yanchor) for a in fig.layout.annotations}
    # Above the plot's top edge (anchored at their bottom) and below its bottom edge.
    assert placed["↑ few and good"] == (1, "bottom")
    assert placed["↓ few and poor"] == (0, "top")


def test_home_chart_title_names_its_colours():
    fig = bar_figures()["stage_counts"]
    previous, current = fig.data
    # The same stage colours, the previous period pale: as the title says.
    assert list(previous.marker.color) == list(current.marker.color)
    assert previous.marker.opacity < 1
    assert current.marker.opacity in (None, 1)
    # Wrapped for a phone at a space (charts._fit_title); its words as given.
    assert fig.layout.title.text == "Leads per stage: March (solid) beside<br>February (pale)"


@pytest.mark.parametrize("name", ["stage_counts", "pareto", "credit_bars"])
def test_figures_take_the_page_background_and_leave_the_toolbar_a_band(name):
    fig = bar_figures()[name]
    template = fig.layout.template.layout
    for color in (template.paper_bgcolor, template.plot_bgcolor):
        assert color == "rgba(0, 0, 0, 0)"  # transparent: light or dark page
    assert fig.layout.paper_bgcolor is None
    assert fig.layout.plot_bgcolor is None
    # The title sits below a band as tall as plotly's toolbar, at the figure's top.
    assert template.title.yref == "container"
    assert template.title.pad.t >= 28


def test_disposition_bars_read_as_the_table_with_the_teams_stage_names():
    # The table beside the chart reads 'active at SQL'; the bar said 'active: sql'. Coloured by
    # the stage still: SQL's green, discarded the missed colour.
    frame = pd.DataFrame({"account": ["active: sql", "discarded"], "n_leads": [3, 1]})
    bar = charts.accounts(frame, 4, "Where MQLs are", {"sql": "Sales-qualified"}).data[0]
    assert list(bar.y) == ["active at Sales-qualified", "discarded"]
    assert list(bar.marker.color) == [charts.STAGE_COLORS["sql"], charts.MISSED_COLOR]
    assert list(bar.text) == ["3 (75%)", "1 (25%)"]


@pytest.mark.parametrize(
    ("title", "text", "subtitle"),
    [
        ("Followed up in time, by owner", "Followed up in time, by owner", None),  # fits
        # A closing aside becomes the subtitle (it was cut at "won revenue" at 390 px).
        (
            "Quantity against quality (bubble size: won revenue)",
            "Quantity against quality",
            "bubble size: won revenue",
        ),
        # An aside inside the title stays; the 56-character title wraps before it (at the last
        # space within 44 it would break "(linear<br>model)").
        (
            "Won revenue credited to each channel (linear model), USD",
            "Won revenue credited to each channel<br>(linear model), USD",
            None,
        ),
        # A short title keeps its aside.
        ("Discard reasons (all sources)", "Discard reasons (all sources)", None),
    ],
)
def test_a_long_title_fits_a_phone(title, text, subtitle):
    fig = charts._fit_title(go.Figure(layout={"title": {"text": title}}))
    assert fig.layout.title.text == text
    assert fig.layout.title.subtitle.text == subtitle


def test_an_aside_goes_before_the_lines_already_in_the_subtitle():
    rows = pd.DataFrame(
        {"label": ["East"], "rate": [0.5], "low": [0.3], "high": [0.7], "counts": ["5 of 10"]}
    )
    fig = charts.rate_whiskers(rows, "Acceptance rate by team (the 10 largest of 14)", 0.4)
    assert fig.layout.title.text == "Acceptance rate by team"
    assert fig.layout.title.subtitle.text == "the 10 largest of 14 · dashed: overall 40%"


def test_bubbles_at_the_edges_have_room_for_their_names():
    # Leads 1 and 100 on the log axis: 0 and 2 decades, a fifth of a decade beyond each
    # (plotly cut "Content download" at the right edge).
    rows = pd.DataFrame(
        {"name": ["A", "B"], "leads": [1, 100], "quality": [0.1, 0.2], "size": [0, 1]}
    )
    fig = charts.tradeoff(rows, 50, 0.15, "SQL rate", "Won revenue")
    assert list(fig.layout.xaxis.range) == pytest.approx([-0.2, 2.2])


def test_a_wrapped_title_moves_down_by_its_extra_line():
    # Plotly anchors a two-line title at the top by its last line: its first line sat above
    # the figure (cut off at 390 px) until the pad and the top margin took one more line.
    fig = charts._fit_title(
        go.Figure(
            layout={"title": {"text": "Won revenue credited to each channel (linear model), USD"}}
        )
    )
    assert fig.layout.title.pad.t == charts.TOOLBAR_BAND + charts.TITLE_LINE_PX
    assert fig.layout.margin.t == 40 + charts.TOOLBAR_BAND + charts.TITLE_LINE_PX
    one_line = charts._fit_title(go.Figure(layout={"title": {"text": "Followed up in time"}}))
    assert one_line.layout.margin.t is None  # the template's
