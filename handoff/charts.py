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
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
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
