"""Chart builders: pure functions from small DataFrames (and a few numbers) to plotly figures.

No Streamlit, no SQL. One template (fonts, colours per stage, number formats) so every chart in
the app and the report looks alike and a stage has the same colour everywhere. Every builder is
`@_literal`: the labels it draws (categories, names, titles, annotations) come from the data
and show as text, never as the HTML plotly renders (handoff.safe.figure); the labels a builder
puts into its own text and hover templates go through safe.plot_text.
"""

from __future__ import annotations

import functools
import math
import re
import textwrap
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from handoff import fmt, safe

STAGE_COLORS = {
    "lead": "#9aa5b1",
    "mql": "#4c78a8",
    "sal": "#72b7b2",
    "sql": "#54a24b",
    "opportunity": "#eeca3b",
    "won": "#2f7d32",
}
MET_COLOR = "#2f7d32"
MISSED_COLOR = "#c62828"
# Reference lines (overall, the agreed target's companions) and the "All" line: a mid grey that
# reads on the light and the dark theme alike.
OVERALL_COLOR = "#7d8794"
GRID_COLOR = "rgba(128, 128, 128, 0.22)"
# The chart style's rules (README, "Charts"): a bar chart names at most TOP_N groups and sums
# the rest into one OTHERS bar, so its bars still add up to the page's total.
TOP_N = 12
OTHERS = "others"
# The band above a title kept free for plotly's toolbar (it shows on hover, and on a phone on
# touch, at the figure's top right): the toolbar never covers a title, however narrow.
TOOLBAR_BAND = 28

pio.templates["handoff"] = go.layout.Template(
    layout=go.Layout(
        font={"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13},
        title={
            "font": {"size": 15},
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": TOOLBAR_BAND},
            "automargin": True,
        },
        margin={"l": 10, "r": 10, "t": 40 + TOOLBAR_BAND, "b": 10},
        # Transparent: the page's background shows through, light or dark (the browser's
        # choice, .streamlit/config.toml), and the report's white page.
        plot_bgcolor="rgba(0, 0, 0, 0)",
        paper_bgcolor="rgba(0, 0, 0, 0)",
        xaxis={"gridcolor": GRID_COLOR, "zeroline": False, "automargin": True},
        # Counts with thousands separators (1,600); a builder sets a rate's or money's own format.
        yaxis={"gridcolor": GRID_COLOR, "zeroline": False, "automargin": True, "tickformat": ","},
        # Right of the plot, so it never sits on the title or an axis title.
        legend={"orientation": "v", "yanchor": "top", "y": 1, "x": 1.01, "xanchor": "left"},
        separators=".,",
        # Text on bars is never shrunk below a readable size.
        uniformtext={"minsize": 11, "mode": "show"},
    ),
    # Text on bars always reads horizontally (plotly turns it vertical on a narrow bar
    # otherwise) and is never cut at the plot's edge.
    data={"bar": [go.Bar(textangle=0, cliponaxis=False)]},
)
# Merged once: a figure built on "plotly_white+handoff" would merge the two on every figure
# (16 ms each, a tenth of a second on a page of charts).
pio.templates["handoff_white"] = pio.templates.merge_templates("plotly_white", "handoff")
pio.templates.default = "handoff_white"


# Plotly does not wrap a title: past this many characters a title wraps onto a second line
# (about as many as the 15-px title fits on a 390-px phone), a subtitle past SUBTITLE_CHARS.
TITLE_CHARS = 44
SUBTITLE_CHARS = 58
TITLE_LINE_PX = 20  # a line of the 15-px title


def _fit_title(fig: go.Figure) -> go.Figure:
    """A long title made to fit a phone, in place: a closing aside in parentheses becomes the
    subtitle ("Quantity against quality (bubble size: won revenue)": "Quantity against
    quality", subtitle "bubble size: won revenue"), before any subtitle already there; what is
    still long wraps at a space. The title's automargin makes room for its lines."""
    title = fig.layout.title
    text, sub = title.text, title.subtitle.text or ""
    if not text:
        return fig
    aside = re.fullmatch(r"([^()]+) \(([^()]+)\)", text)
    if aside and len(text) > TITLE_CHARS:
        text, sub = aside.group(1), " · ".join(filter(None, (aside.group(2), sub)))
    title.text = _wrap(text, TITLE_CHARS)
    if sub:
        title.subtitle.text = _wrap(sub, SUBTITLE_CHARS)
    # Plotly anchors a title of several lines at the top by its last line, so the first ones
    # would sit above the figure: each further line moves it down and the plot with it.
    more = title.text.count("<br>")
    if more:
        title.pad.t = TOOLBAR_BAND + TITLE_LINE_PX * more
        top = fig.layout.margin.t if fig.layout.margin.t is not None else 40 + TOOLBAR_BAND
        fig.layout.margin.t = top + TITLE_LINE_PX * more
    return fig


def _wrap(text: str, width: int) -> str:
    """`text` in lines of at most `width` characters joined by <br>, broken before an aside in
    parentheses where one starts in the second half of a line, else at the last space."""
    if len(text) <= width:
        return text
    cut = text.rfind(" (", 0, width + 1)
    if cut > width // 2:
        return text[:cut] + "<br>" + _wrap(text[cut + 1 :], width)
    first, *rest = textwrap.wrap(text, width)
    return first + ("<br>" + _wrap(" ".join(rest), width) if rest else "")


def _literal(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """A chart builder whose figure shows every data label as literal text, its title fitted
    to a phone (_fit_title)."""

    @functools.wraps(builder)
    def build(*args, **kwargs) -> go.Figure:
        return _fit_title(safe.figure(builder(*args, **kwargs)))

    build.shows_labels_literally = True
    return build


PALE = 0.35  # the previous period: the stage's own colour, pale


@_literal
def stage_counts(frame: pd.DataFrame, current_label: str, previous_label: str) -> go.Figure:
    """Leads per stage in the period next to the previous period, counts printed on the bars.
    `frame` has a row per stage: stage, label, current and previous."""
    stages, labels = frame["stage"].tolist(), frame["label"].tolist()
    current, previous = frame["current"].tolist(), frame["previous"].tolist()
    fig = go.Figure()
    fig.add_bar(
        name=previous_label,
        x=labels,
        y=previous,
        marker_color=[STAGE_COLORS[s] for s in stages],
        marker_opacity=PALE,
        text=[f"{v:,.0f}" for v in previous],
        textposition="outside",
        hovertemplate="%{x}: %{y:,} (" + safe.plot_text(previous_label) + ")<extra></extra>",
    )
    fig.add_bar(
        name=current_label,
        x=labels,
        y=current,
        marker_color=[STAGE_COLORS[s] for s in stages],
        text=[f"{v:,.0f}" for v in current],
        textposition="outside",
        hovertemplate="%{x}: %{y:,} (" + safe.plot_text(current_label) + ")<extra></extra>",
    )
    fig.update_layout(
        barmode="group",
        title=f"Leads per stage: {current_label} (solid) beside {previous_label} (pale)",
        showlegend=False,
        yaxis_title="Leads",
        height=360,
        bargap=0.25,
        yaxis_range=[0, max([*current, *previous, 1]) * 1.15],
    )
    return fig


GROUP_COLORS = (
    "#4c78a8",
    "#f58518",
    "#54a24b",
    "#e45756",
    "#72b7b2",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
    "#eeca3b",
)


def _pct(value: float) -> str:
    """A rate on a chart: whole percent, as fmt.rate says it (a share that is not nil never
    reads 0%; '–' for NaN)."""
    return fmt.rate(value)


@_literal
def funnel_bars(frame: pd.DataFrame, stage_labels: dict[str, str]) -> go.Figure:
    """Leads per stage as horizontal bars, first on top, counts and conversions printed.

    `frame` (metrics.funnel_stages) has a row per stage: stage, n_leads, step_rate and
    cumulative_rate (NaN or None where there is none); the stages are named in `stage_labels`.
    """
    stages = frame["stage"].tolist()
    labels = [stage_labels[s] for s in stages]
    counts = [int(n) for n in frame["n_leads"]]
    step_rates = frame["step_rate"].astype(float).tolist()
    cumulative_rates = frame["cumulative_rate"].astype(float).tolist()
    text = [
        f"{n:,}" if i == 0 else f"{n:,}  ·  {_pct(step)} of previous  ·  {_pct(cum)} of first"
        for i, (n, step, cum) in enumerate(zip(counts, step_rates, cumulative_rates, strict=True))
    ]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=counts,
            orientation="h",
            marker_color=[STAGE_COLORS[s] for s in stages],
            text=text,
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,} leads<extra></extra>",
        )
    )
    fig.update_layout(
        title="Leads reaching each stage",
        height=60 + 48 * len(stages),
        yaxis={"autorange": "reversed"},
        xaxis={"title": "Leads", "tickformat": ",", "range": [0, max([*counts, 1]) * 1.9]},
    )
    return fig


@_literal
def rate_whiskers(
    frame: pd.DataFrame,
    title: str,
    overall: float | None = None,
    x_title: str = "Conversion (95% interval)",
    target: float | None = None,
    target_label: str = "target",
) -> go.Figure:
    """Rates as dots with 95% interval whiskers, one row each, the rate and its counts in a
    column right of the plot; the overall rate dashed and an agreed target dotted red, each
    named in the subtitle (so no line crosses a label, and no legend grows into the title on a
    narrow screen).

    `frame` (tables.rate_rows) has a row per dot: label, rate, low, high, counts (the words
    beside the dot: "12 of 40") and, optionally, color.
    """
    labels, rates, counts = frame["label"].tolist(), frame["rate"].tolist(), frame["counts"]
    lows, highs = frame["low"].tolist(), frame["high"].tolist()
    colors = frame["color"].tolist() if "color" in frame else None
    fig = go.Figure(
        go.Scatter(
            y=labels,
            x=rates,
            mode="markers",
            marker={"size": 11, "color": colors or GROUP_COLORS[0]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [h - r for h, r in zip(highs, rates, strict=True)],
                "arrayminus": [r - lo for r, lo in zip(rates, lows, strict=True)],
                "thickness": 1.5,
                "color": OVERALL_COLOR,
            },
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
            showlegend=False,
        )
    )
    # The rates and counts as the tick labels of a second y axis right of the plot, where no
    # line runs: an axis's labels take the margin they need (automargin), so on a phone the
    # plot narrows and the words are never cut. The axis's points are invisible; its
    # categories are the rows'.
    fig.add_scatter(
        y=labels,
        x=rates,
        yaxis="y2",
        mode="markers",
        marker={"opacity": 0},
        hoverinfo="skip",
        showlegend=False,
    )
    lines = []
    if overall is not None and overall == overall:
        lines.append((overall, "dash", OVERALL_COLOR, "dashed", f"overall {_pct(overall)}"))
    if target is not None:
        lines.append((target, "dot", MISSED_COLOR, "dotted red", f"{target_label} {_pct(target)}"))
    for x, dash, color, _look, name in lines:
        # A shape's name is not among the labels safe.figure escapes.
        fig.add_vline(
            x=x, line_dash=dash, line_color=color, line_width=2, name=safe.plot_text(name)
        )
    fig.update_layout(
        title={
            "text": title,
            "subtitle": {"text": " · ".join(f"{look}: {name}" for _, _, _, look, name in lines)},
        },
        height=130 + 40 * len(labels),
        yaxis={"autorange": "reversed"},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "matches": "y",
            "tickmode": "array",
            "tickvals": labels,
            "ticktext": [f"{_pct(r)}  ({c})" for r, c in zip(rates, counts, strict=True)],
            "showgrid": False,
            "automargin": True,
        },
        xaxis={"title": x_title, "tickformat": ".0%", "range": [0, 1.02]},
        showlegend=False,
    )
    return fig


@_literal
def trend_lines(
    frame: pd.DataFrame, title: str, y_title: str = "Conversion", y_format: str = ".0%"
) -> go.Figure:
    """Rate by cohort month per group: mature months solid, immature ones hollow and dotted.

    `frame` has columns month, group, rate, n_to, n_from, is_mature.
    """
    fig = go.Figure()
    groups = list(dict.fromkeys(frame["group"]))
    for i, group in enumerate(groups):
        rows = frame[frame["group"] == group].sort_values("month")
        color = OVERALL_COLOR if group == "All" else GROUP_COLORS[i % len(GROUP_COLORS)]
        counts = [
            f"{int(k):,} of {int(n):,}" for k, n in zip(rows["n_to"], rows["n_from"], strict=True)
        ]
        mature = rows["is_mature"].astype(bool).tolist()
        # The immature tail starts at the last mature point, so the line stays continuous.
        first_immature = mature.index(False) if False in mature else len(mature)
        for part, sl, dash, symbol in (
            ("", slice(0, first_immature), "solid", "circle"),
            (" (immature)", slice(max(first_immature - 1, 0), len(mature)), "dot", "circle-open"),
        ):
            chunk = rows.iloc[sl]
            if chunk.empty or (part and first_immature == len(mature)):
                continue
            fig.add_scatter(
                x=chunk["month"],
                y=chunk["rate"],
                name=f"{group}{part}",
                legendgroup=group,
                showlegend=not part,
                mode="lines+markers",
                line={"color": color, "dash": dash, "width": 3 if group == "All" else 2},
                marker={"symbol": symbol, "size": 8, "color": color},
                customdata=counts[sl],
                hovertemplate=f"{safe.plot_text(group)}{part}<br>%{{x|%b %Y}}: "
                f"%{{y:{y_format}}} (%{{customdata}})<extra></extra>",
            )
    fig.update_layout(
        title=title,
        height=420,
        yaxis={"title": y_title, "tickformat": y_format, "rangemode": "tozero"},
        xaxis={"title": "Cohort month", "dtick": "M1", "tickformat": "%b %Y"},
    )
    return fig


@_literal
def histogram_bins(frame: pd.DataFrame, title: str, color: str) -> go.Figure:
    """Counts over fixed, labelled bins, each count printed on its bar; `frame` has a row per
    bin: bin (its label) and n_leads."""
    bins, counts = frame["bin"].tolist(), [int(n) for n in frame["n_leads"]]
    total = sum(counts) or 1
    fig = go.Figure(
        go.Bar(
            x=bins,
            y=counts,
            marker_color=color,
            text=[f"{n:,} ({n / total:.0%})" for n in counts],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{x}: %{y:,} leads<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        height=340,
        xaxis={"title": "Time taken"},
        yaxis={"title": "Leads", "range": [0, max([*counts, 1]) * 1.2]},
    )
    return fig


@_literal
def median_trend(frame: pd.DataFrame, title: str, x_title: str) -> go.Figure:
    """Median and 90th-percentile days by month (columns month, median_days, p90_days,
    n_leads, is_mature); immature months are drawn as hollow points."""
    fig = go.Figure()
    mature = frame["is_mature"].astype(bool)
    for column, name, dash in (
        ("median_days", "Median", "solid"),
        ("p90_days", "90th percentile", "dot"),
    ):
        fig.add_scatter(
            x=frame["month"],
            y=frame[column],
            name=name,
            mode="lines+markers",
            line={"color": GROUP_COLORS[0], "dash": dash},
            marker={
                "symbol": ["circle" if m else "circle-open" for m in mature],
                "size": 8,
                "color": GROUP_COLORS[0],
            },
            customdata=[
                f"{n:,} leads" + ("" if m else ", immature")
                for n, m in zip(frame["n_leads"], mature, strict=True)
            ],
            hovertemplate=f"{name}: %{{y:.1f}} days (%{{customdata}})<extra></extra>",
        )
    fig.update_layout(
        title=title,
        height=360,
        yaxis={"title": "Days", "rangemode": "tozero"},
        xaxis={"title": x_title, "dtick": "M1", "tickformat": "%b %Y"},
    )
    return fig


@_literal
def tradeoff(
    frame: pd.DataFrame,
    overall_leads: float,
    overall_quality: float,
    quality_title: str,
    size_title: str,
    is_rate: bool = True,
) -> go.Figure:
    """Volume (log) against quality, one labelled bubble per group, quadrant lines at the overall
    values and the quadrants named, so 'many and poor' and 'few and good' read at a glance.

    `frame` (tables.tradeoff_rows) has a row per bubble: name, leads, quality, size and, for a
    rate, its interval as low and high. A bubble without a size is drawn smallest.
    """
    names, leads = frame["name"].tolist(), frame["leads"].tolist()
    quality = frame["quality"].astype(float).tolist()
    has_interval = "low" in frame
    lows = frame["low"].astype(float).tolist() if has_interval else None
    highs = frame["high"].astype(float).tolist() if has_interval else None
    sizes = [0 if s is None or s != s else s or 0 for s in frame["size"].tolist()]
    biggest = max([s for s in sizes if s == s and s > 0] or [1])
    fig = go.Figure(
        go.Scatter(
            x=leads,
            y=quality,
            mode="markers+text",
            text=[safe.plot_text(n) for n in names],
            textposition=_label_sides(leads, quality, [*(lows or []), *(highs or [])]),
            cliponaxis=False,
            marker={
                "size": [8 + 40 * ((s if s == s and s > 0 else 0) / biggest) ** 0.5 for s in sizes],
                "color": GROUP_COLORS[0],
                "opacity": 0.65,
                "line": {"color": "white", "width": 1},
            },
            error_y=(
                {
                    "type": "data",
                    "symmetric": False,
                    "array": [h - q for h, q in zip(highs, quality, strict=True)],
                    "arrayminus": [q - lo for q, lo in zip(quality, lows, strict=True)],
                    "color": "#999",
                    "thickness": 1,
                }
                if lows is not None
                else None
            ),
            customdata=sizes,
            hovertemplate="%{text}<br>%{x:,} leads<br>"
            + safe.plot_text(quality_title)
            + (": %{y:.1%}" if is_rate else ": $%{y:,.0f}")
            + "<br>"
            + safe.plot_text(size_title)
            + ": %{customdata:$,.0f}<extra></extra>",
        )
    )
    fig.add_vline(x=overall_leads, line_dash="dash", line_color=OVERALL_COLOR)
    fig.add_hline(y=overall_quality, line_dash="dash", line_color=OVERALL_COLOR)
    # The quadrants are named outside the plot, above its top corners and below its bottom
    # ones, where no bubble or bubble label can be.
    for x, y, label in (
        (0, 1, "↑ few and good"),
        (1, 1, "many and good ↑"),
        (0, 0, "↓ few and poor"),
        (1, 0, "many and poor ↓"),
    ):
        fig.add_annotation(
            xref="paper",
            yref="paper",
            x=x,
            y=y,
            text=label,
            showarrow=False,
            xanchor="left" if x < 0.5 else "right",
            yanchor="bottom" if y > 0.5 else "top",
            yshift=0 if y > 0.5 else -QUADRANT_DROP,
            font={"color": OVERALL_COLOR, "size": 12},
        )
    fig.update_layout(
        title=f"Quantity against quality (bubble size: {size_title.lower()})",
        height=560,
        xaxis={
            "title": "Leads (log scale)",
            "type": "log",
            # A fifth of a decade beyond the smallest and largest group (log units): room for
            # the labels of the bubbles at the edges, which plotly cuts at the figure's edge.
            "range": _log_range(leads, 0.2),
            # 1, 2, 5, 10, 20, 50, ...: round numbers a reader can place a bubble against.
            "tickvals": [m * 10**e for e in range(0, 9) for m in (1, 2, 5)],
            "tickformat": ",",
        },
        yaxis={
            "title": quality_title,
            "tickformat": ".0%" if is_rate else "$,.0f",
            "rangemode": "tozero",
        },
        showlegend=False,
        margin={"t": 64 + TOOLBAR_BAND, "b": 24 + QUADRANT_DROP},
    )
    return fig


def _log_range(values: list[float], pad: float) -> list[float] | None:
    """A log axis's range (in log10 units) over the positive `values`, `pad` decades wider on
    each side; None (plotly's own) without any."""
    logs = [math.log10(v) for v in values if v and v > 0]
    return [min(logs) - pad, max(logs) + pad] if logs else None


# Below the x axis's tick labels and title: where the bottom quadrants are named.
QUADRANT_DROP = 58
SIDES = ("top center", "bottom center", "middle right", "middle left")


def _label_sides(
    x: list[float], y: list[float], y_extent: list[float] = (), near: tuple = (0.15, 0.1)
) -> list[str]:
    """For each point of a bubble chart (x on a log scale), the side of it its label goes: the
    first of top, bottom, right and left that no earlier point nearer than `near` (shares of
    each axis's span, which on y covers `y_extent` too: the whiskers) already uses, so two
    neighbours' labels never print on one another; plotly places the text on that side."""
    u = [math.log10(v) if v and v > 0 else 0.0 for v in x]
    v = [0.0 if w != w else w for w in y]  # NaN is not equal to itself
    extent = [w for w in [*v, *y_extent] if w == w]

    def span(values: list[float]) -> float:
        return (max(values) - min(values) or 1.0) if values else 1.0

    su, sv = span(u), span(extent)
    sides: list[str] = []
    for i in range(len(u)):
        taken = {
            sides[j]
            for j in range(i)
            if abs(u[i] - u[j]) / su < near[0] and abs(v[i] - v[j]) / sv < near[1]
        }
        sides.append(next((s for s in SIDES if s not in taken), SIDES[i % len(SIDES)]))
    return sides


@_literal
def threshold_curve(
    frame: pd.DataFrame, current: float | None, total_sql: int, total_won: int
) -> go.Figure:
    """For each MQL threshold: leads handed over (bars, left axis) and the share of all leads
    that reached SQL or won which those would include (lines, right axis)."""
    fig = go.Figure()
    fig.add_bar(
        x=frame["threshold"],
        y=frame["n_handed_over"],
        name="Leads handed over at this threshold",
        marker_color=STAGE_COLORS["mql"],
        opacity=0.45,
        hovertemplate="score ≥ %{x}: %{y:,} leads<extra></extra>",
    )
    lines = (
        ("n_sql", total_sql, "of all SQLs", STAGE_COLORS["sql"]),
        ("n_won", total_won, "of all wins", STAGE_COLORS["won"]),
    )
    for column, total, name, color in lines:
        fig.add_scatter(
            x=frame["threshold"],
            y=frame[column] / total if total else frame[column] * float("nan"),
            name=f"Share {name} they include",
            yaxis="y2",
            mode="lines",
            line={"color": color, "width": 2.5},
            hovertemplate="score ≥ %{x}: %{y:.0%} " + name + "<extra></extra>",
        )
    if current is not None:
        fig.add_vline(
            x=current,
            line_dash="dash",
            line_color=OVERALL_COLOR,
            annotation_text=f"agreed threshold {current:g}",
            annotation_position="top",
        )
    fig.update_layout(
        title="What each MQL threshold would hand over, and what it would keep",
        height=420,
        xaxis={"title": "Score threshold (leads at or above are handed over)"},
        yaxis={"title": "Leads handed over"},
        yaxis2={
            "title": "Share of converting leads included",
            "overlaying": "y",
            "side": "right",
            "tickformat": ".0%",
            "range": [0, 1.05],
            "tickvals": SHARE_TICKS,
            "showgrid": False,
        },
        legend={"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top", "xanchor": "left"},
        margin={"b": 90},
        bargap=0,
    )
    return fig


@_literal
def rates_by_category(frame: pd.DataFrame, category: str, title: str, x_title: str) -> go.Figure:
    """Reached-SQL and won rates per category (a score band, a latency bucket), as grouped bars
    with 95% intervals and converted/leads printed (columns n_leads, n_sql, n_won,
    sql_rate/low/high, won_rate/low/high)."""
    fig = go.Figure()
    for key, name, color in (
        ("sql", "Reached SQL", STAGE_COLORS["sql"]),
        ("won", "Won", STAGE_COLORS["won"]),
    ):
        rate = frame[f"{key}_rate"]
        fig.add_bar(
            x=frame[category],
            y=rate,
            name=name,
            marker_color=color,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (frame[f"{key}_high"] - rate).fillna(0),
                "arrayminus": (rate - frame[f"{key}_low"]).fillna(0),
                "color": "#555",
            },
            text=[
                f"{_pct(r)}<br>{int(k):,}/{int(n):,}"
                for r, k, n in zip(rate, frame[f"n_{key}"], frame["n_leads"], strict=True)
            ],
            textposition="inside",
            insidetextanchor="start",
        )
    fig.update_layout(
        title=title,
        barmode="group",
        height=420,
        xaxis={"title": x_title},
        yaxis={"title": "Share of the leads", "tickformat": ".0%", "rangemode": "tozero"},
    )
    return fig


@_literal
def follow_up_curve(frame: pd.DataFrame, target_hours: float, clock: str) -> go.Figure:
    """Share of hand-overs followed up within each number of hours, with the target marked
    (columns hours, n_within, n_handed_over)."""
    share = frame["n_within"] / frame["n_handed_over"].where(frame["n_handed_over"] > 0)
    fig = go.Figure(
        go.Scatter(
            x=frame["hours"],
            y=share,
            mode="lines+markers",
            line={"color": STAGE_COLORS["sal"], "width": 3, "shape": "hv"},
            customdata=[
                f"{int(k):,} of {int(n):,}"
                for k, n in zip(frame["n_within"], frame["n_handed_over"], strict=True)
            ],
            hovertemplate="within %{x:g} h: %{y:.0%} (%{customdata})<extra></extra>",
        )
    )
    fig.add_vline(
        x=target_hours,
        line_dash="dash",
        line_color=MISSED_COLOR,
        annotation_text=f"target {target_hours:g} h",
        annotation_position="top right",
    )
    fig.update_layout(
        title="Share of hand-overs followed up within so many hours",
        height=380,
        xaxis={
            "title": f"Hours after hand-over ({clock} clock)",
            "tickformat": ",",
            "range": [0, max(3 * target_hours, 24)],
        },
        yaxis={"title": "Followed up", "tickformat": ".0%", "range": [0, 1.05]},
        showlegend=False,
    )
    return fig


@_literal
def sla_trend(frame: pd.DataFrame, title: str) -> go.Figure:
    """% within SLA (left axis) and median latency (right axis) by week or month (columns
    period_start, within_sla_rate, n_met, n_judged, median_hours)."""
    fig = go.Figure()
    fig.add_scatter(
        x=frame["period_start"],
        y=frame["within_sla_rate"],
        name="% within SLA",
        mode="lines+markers",
        line={"color": MET_COLOR, "width": 3},
        customdata=[
            f"{int(k):,} of {int(n):,}"
            for k, n in zip(frame["n_met"], frame["n_judged"], strict=True)
        ],
        hovertemplate="%{x|%d %b %Y}: %{y:.0%} within SLA (%{customdata})<extra></extra>",
    )
    fig.add_scatter(
        x=frame["period_start"],
        y=frame["median_hours"],
        name="Median hours to follow-up",
        yaxis="y2",
        mode="lines+markers",
        line={"color": GROUP_COLORS[0], "dash": "dot"},
        hovertemplate="%{x|%d %b %Y}: median %{y:.1f} h<extra></extra>",
    )
    fig.update_layout(
        title=title,
        height=380,
        yaxis={"title": "% within SLA", "tickformat": ".0%", "range": [0, 1.05]},
        yaxis2={
            "title": "Median hours",
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "tickformat": ".1f",
            "nticks": 6,
            "showgrid": False,
        },
        legend={"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"},
        margin={"b": 80},
    )
    return fig


SHARE_TICKS = [0, 0.25, 0.5, 0.75, 1]


@_literal
def pareto(frame: pd.DataFrame, title: str) -> go.Figure:
    """Discard reasons, most frequent first (bars, below), with their cumulative share (a line
    in a band of its own above the bars, on the right axis at 0, 25, 50, 75 and 100%), so the
    line never crosses a bar's count; no reason in red. `frame` (the discard_reasons query) has
    reason, n_discarded and cumulative_share."""
    reasons, counts = frame["reason"].tolist(), [int(n) for n in frame["n_discarded"]]
    cumulative = frame["cumulative_share"].astype(float).tolist()
    fig = go.Figure()
    fig.add_bar(
        x=reasons,
        y=counts,
        marker_color=[
            MISSED_COLOR if r == "(no reason given)" else GROUP_COLORS[0] for r in reasons
        ],
        text=[f"{n:,}" for n in counts],
        textposition="outside",
        name="Discards",
        hovertemplate="%{x}: %{y:,}<extra></extra>",
    )
    fig.add_scatter(
        x=reasons,
        y=cumulative,
        yaxis="y2",
        mode="lines+markers+text",
        text=[_pct(c) for c in cumulative],
        textposition="top center",
        cliponaxis=False,
        line={"color": OVERALL_COLOR},
        name="Cumulative share",
        hovertemplate="%{x}: %{y:.0%} of discards so far<extra></extra>",
    )
    fig.update_layout(
        title=title,
        height=460,
        xaxis={"title": "Reason"},
        yaxis={
            "title": "Discards",
            "domain": [0, 0.6],
            "range": [0, max([*counts, 1]) * 1.2],
        },
        yaxis2={
            "domain": [0.7, 1],
            "anchor": "x",
            "side": "right",
            "tickvals": SHARE_TICKS,
            "tickformat": ".0%",
            "range": [0, 1],
            "title": "Cumulative share",
        },
        showlegend=False,
    )
    return fig


@_literal
def accounts(
    frame: pd.DataFrame, total: int, title: str, labels: dict[str, str] | None = None
) -> go.Figure:
    """Where every MQL is now: one bar per disposition, count and share printed; they sum to
    the total. `frame` (the dispositions query) has account and n_leads; with the agreement's
    stage `labels` a bar reads as the page's table does ('active: sql' is 'active at SQL',
    fmt.account), coloured by its stage."""
    names, counts = frame["account"].tolist(), [int(n) for n in frame["n_leads"]]
    shown = [fmt.account(n, labels) for n in names] if labels else names
    colors = {
        "won": STAGE_COLORS["won"],
        "lost": "#8d6e63",
        "discarded": MISSED_COLOR,
        "recycled": "#b279a2",
    }
    fig = go.Figure(
        go.Bar(
            y=shown,
            x=counts,
            orientation="h",
            marker_color=[
                colors.get(n, STAGE_COLORS.get(n.removeprefix("active: "), "#999")) for n in names
            ],
            text=[f"{n:,} ({n / total:.0%})" if total else "0" for n in counts],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        height=80 + 40 * len(names),
        yaxis={"autorange": "reversed"},
        xaxis={"title": "MQLs", "tickformat": ",", "range": [0, max([*counts, 1]) * 1.3]},
        showlegend=False,
    )
    return fig


MODEL_COLORS = (
    "#9aa5b1",
    "#4c78a8",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#f58518",
    "#b279a2",
    "#e45756",
)


@_literal
def models_side_by_side(frame: pd.DataFrame, models: dict[str, str], title: str) -> go.Figure:
    """Each model's credit per group as grouped horizontal bars, so a disagreement shows as bars
    of different lengths in one row. `frame` (attribution's credit) has a row per group:
    group_name and a column of credit per model; `models` names the columns to draw, in order,
    with their labels."""
    groups = frame["group_name"].tolist()
    fig = go.Figure()
    for (column, model), color in zip(models.items(), MODEL_COLORS, strict=False):
        fig.add_bar(
            y=groups,
            x=frame[column].tolist(),
            name=model,
            orientation="h",
            marker_color=color,
            hovertemplate="%{y}, " + safe.plot_text(model) + ": $%{x:,.0f}<extra></extra>",
        )
    fig.update_layout(
        title=title,
        barmode="group",
        height=120 + 26 * len(groups) * max(1, len(models)) // 2,
        yaxis={"autorange": "reversed"},
        xaxis={"title": "Credit (USD)", "tickformat": "$,.0f"},
        bargap=0.25,
    )
    return fig


def _top_with_others(frame: pd.DataFrame, by: str, label: str = "group_name") -> pd.DataFrame:
    """The TOP_N rows largest in column `by`, largest first, and one row named OTHERS whose
    every numeric column sums those of the rest (none when nothing is left over), so the rows
    still add up to the whole frame's totals."""
    ordered = frame.sort_values(by, ascending=False, kind="stable")
    top, rest = ordered.head(TOP_N), ordered.iloc[TOP_N:]
    if rest.empty:
        return top.reset_index(drop=True)
    numeric = rest.select_dtypes("number").sum()
    others = pd.DataFrame([{label: f"{OTHERS} ({len(rest)})", **numeric.to_dict()}])
    return pd.concat([top, others], ignore_index=True)


@_literal
def credit_bars(
    frame: pd.DataFrame,
    model: str,
    models: dict[str, str],
    total: float,
    title: str,
    money_title: str,
) -> go.Figure:
    """One model's credit per group as horizontal bars, largest first: the TOP_N groups and the
    rest summed into one "others" bar, each printed in whole dollars with its share of `total`
    to one decimal; every model's credit for the group in the hover. `frame` (attribution's
    credit) has a row per group: group_name and a column of credit per model in `models`."""
    rows = _top_with_others(frame, model)
    groups, values = rows["group_name"].tolist(), rows[model].astype(float).tolist()
    fig = go.Figure(
        go.Bar(
            y=groups,
            x=values,
            orientation="h",
            marker_color=[
                OVERALL_COLOR if g.startswith(OTHERS) else GROUP_COLORS[0] for g in groups
            ],
            text=[f"${v:,.0f} ({v / total:.1%})" if total else f"${v:,.0f}" for v in values],
            # Inside a long bar, outside a short one: on a phone the longest bar's value would
            # run past the figure's edge outside it.
            textposition="auto",
            customdata=[
                "; ".join(f"{name} ${row[column]:,.0f}" for column, name in models.items())
                for _, row in rows.iterrows()
            ],
            hovertemplate="%{y}: $%{x:,.0f}<br>%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        height=110 + 30 * len(groups),
        yaxis={"autorange": "reversed"},
        xaxis={
            "title": money_title,
            "tickformat": "$,.0f",
            "range": [0, max([*values, 1]) * 1.35],
        },
        showlegend=False,
    )
    return fig
