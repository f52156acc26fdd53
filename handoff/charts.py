"""Chart builders: pure functions from small DataFrames or numbers to plotly figures.

No Streamlit, no SQL. One template (fonts, colours per stage, number formats) so every chart in
the app and the report looks alike and a stage has the same colour everywhere.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

STAGE_COLORS = {
    "lead": "#9aa5b1",
    "mql": "#4c78a8",
    "sal": "#72b7b2",
    "sql": "#54a24b",
    "opportunity": "#eeca3b",
    "won": "#2f7d32",
}
PREVIOUS_COLOR = "#c9d1d9"
MET_COLOR = "#2f7d32"
MISSED_COLOR = "#c62828"
TARGET_COLOR = "#333333"

pio.templates["handoff"] = go.layout.Template(
    layout=go.Layout(
        font={"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13},
        title={"font": {"size": 15}, "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
        paper_bgcolor="white",
        xaxis={"gridcolor": "#eceff1", "zeroline": False},
        yaxis={"gridcolor": "#eceff1", "zeroline": False},
        # Right of the plot, so it never sits on the title or an axis title.
        legend={"orientation": "v", "yanchor": "top", "y": 1, "x": 1.01, "xanchor": "left"},
        separators=".,",
    )
)
pio.templates.default = "plotly_white+handoff"


def stage_counts(
    stages: list[str],
    labels: list[str],
    current: list[float],
    previous: list[float],
    current_label: str,
    previous_label: str,
) -> go.Figure:
    """Leads per stage in the period next to the previous period, counts printed on the bars."""
    fig = go.Figure()
    fig.add_bar(
        name=previous_label,
        x=labels,
        y=previous,
        marker_color=PREVIOUS_COLOR,
        text=[f"{v:,.0f}" for v in previous],
        textposition="outside",
        hovertemplate="%{x}: %{y:,} (" + previous_label + ")<extra></extra>",
    )
    fig.add_bar(
        name=current_label,
        x=labels,
        y=current,
        marker_color=[STAGE_COLORS[s] for s in stages],
        text=[f"{v:,.0f}" for v in current],
        textposition="outside",
        hovertemplate="%{x}: %{y:,} (" + current_label + ")<extra></extra>",
    )
    fig.update_layout(
        barmode="group",
        title=f"Leads per stage: {current_label} (in colour) and {previous_label} (grey)",
        showlegend=False,
        yaxis_title="Leads",
        height=360,
        bargap=0.25,
        yaxis_range=[0, max([*current, *previous, 1]) * 1.15],
    )
    return fig


def goal_bullet(value: float, goal: float, title: str) -> go.Figure:
    """A bullet chart: the value as a bar, the goal as a line, met in green, missed in red."""
    color = MET_COLOR if value >= goal else MISSED_COLOR
    fig = go.Figure(
        go.Indicator(
            mode="number+gauge+delta",
            value=value,
            number={"valueformat": ",.0f"},
            delta={"reference": goal, "valueformat": ",.0f", "position": "right"},
            gauge={
                "shape": "bullet",
                "axis": {"range": [0, max(value, goal) * 1.15 or 1]},
                "bar": {"color": color, "thickness": 0.6},
                "threshold": {
                    "line": {"color": TARGET_COLOR, "width": 3},
                    "thickness": 0.9,
                    "value": goal,
                },
            },
            domain={"x": [0.22, 1], "y": [0, 1]},
            title={"text": title, "font": {"size": 13}},
        )
    )
    fig.update_layout(height=110, margin={"l": 10, "r": 30, "t": 10, "b": 25})
    return fig


GROUP_COLORS = (
    "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d",
    "#bab0ac", "#eeca3b",
)  # fmt: skip
OVERALL_COLOR = "#333333"


def _pct(value: float) -> str:
    return "–" if value != value else f"{value:.0%}"  # NaN is not equal to itself


def funnel_bars(
    stages: list[str],
    labels: list[str],
    counts: list[int],
    step_rates: list[float],
    cumulative_rates: list[float],
) -> go.Figure:
    """Leads per stage as horizontal bars, first on top, counts and conversions printed."""
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
        xaxis={"title": "Leads", "range": [0, max([*counts, 1]) * 1.9]},
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
    )
    return fig


def rate_whiskers(
    labels: list[str],
    rates: list[float],
    lows: list[float],
    highs: list[float],
    counts: list[str],
    title: str,
    overall: float | None = None,
    colors: list[str] | None = None,
    x_title: str = "Conversion (95% interval)",
) -> go.Figure:
    """Rates as dots with 95% interval whiskers, one row each, counts printed beside them."""
    fig = go.Figure(
        go.Scatter(
            y=labels,
            x=rates,
            mode="markers+text",
            marker={"size": 11, "color": colors or GROUP_COLORS[0]},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [h - r for h, r in zip(highs, rates, strict=True)],
                "arrayminus": [r - lo for r, lo in zip(rates, lows, strict=True)],
                "thickness": 1.5,
                "color": "#666",
            },
            text=[f"{_pct(r)}  ({c})" for r, c in zip(rates, counts, strict=True)],
            textposition="top center",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )
    if overall is not None and overall == overall:
        fig.add_vline(
            x=overall,
            line_dash="dash",
            line_color=OVERALL_COLOR,
            annotation_text=f"overall {_pct(overall)}",
            annotation_position="top",
        )
    fig.update_layout(
        title=title,
        height=110 + 42 * len(labels),
        margin={"l": 10, "r": 20, "t": 70, "b": 40},
        yaxis={"autorange": "reversed"},
        xaxis={"title": x_title, "tickformat": ".0%", "range": [0, 1.05]},
        showlegend=False,
    )
    return fig


def trend_lines(frame, title: str, y_title: str = "Conversion") -> go.Figure:
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
                hovertemplate=f"{group}{part}<br>%{{x|%b %Y}}: %{{y:.1%}} (%{{customdata}})"
                "<extra></extra>",
            )
    fig.update_layout(
        title=title,
        height=420,
        yaxis={"title": y_title, "tickformat": ".0%", "rangemode": "tozero"},
        xaxis={"title": "Cohort month", "dtick": "M1", "tickformat": "%b %Y"},
    )
    return fig


def histogram_bins(bins: list[str], counts: list[int], title: str, color: str) -> go.Figure:
    """Counts over fixed, labelled bins, each count printed on its bar."""
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


def median_trend(frame, title: str, x_title: str) -> go.Figure:
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
