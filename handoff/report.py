"""The feedback-session report: one self-contained HTML file for the joint sales-marketing meeting.

`collect` gathers every number the pages show (it is what `metrics --json` prints); `render`
turns that into the report: a written summary, the SLA scorecard with 12-month sparklines, then
one section per question (funnel, quantity and quality, follow-up, discards, attribution) and the
lists to act on. Every number in the file is a formatted value of the collected data, marked
with its path (`data-key`), so a test can hold the report to the JSON. Charts are plotly figures
drawn from the same data, with plotly.js embedded once: the file opens anywhere, offline, and
every chart prints its values (no hover needed).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from handoff import attribution, charts, fmt, metrics, revenue_goal, scorecard, tables
from handoff.db import Database
from handoff.filters import Filters

TOP_ROWS = 15  # rows per table before "and N more"
ACTION_ROWS = 20


def collect(db: Database, filters: Filters, by: str = "source", by2: str | None = None) -> dict:
    """Every page's numbers for a period and filters, as plain data (the metrics JSON)."""
    agreement = db.agreement
    end = metrics.data_end(db)
    home = metrics.home(db, filters)
    follow_up = metrics.follow_up(db, filters)
    discards = metrics.discards(db, filters)
    card = scorecard.scorecard(db, filters, discards=discards["summary"], home=home)
    data: dict[str, Any] = {
        "agreement": {
            "name": agreement.name,
            "time_zone": agreement.time_zone,
            "stage_labels": dict(agreement.stage_labels),
            "version": {
                "number": agreement.version.number,
                "effective_on": agreement.version.effective_on.isoformat(),
                "changed_by": agreement.version.changed_by,
                "reason": agreement.version.reason,
            },
        },
        "data_end_at": end.isoformat() if end is not None else None,
        "dataset": metrics.dataset(db),
        "filters": filters.describe(),
        "home": home,
        "scorecard": card.to_json(),
        "funnel": metrics.funnel(db, filters, by=by, by2=by2),
        "quality": metrics.quality(db, filters),
        "support": metrics.support(db, filters),
        "follow_up": follow_up,
        "discards": discards,
        "attribution": {
            revenue: _attribution(db, filters, revenue) for revenue in ("won", "pipeline")
        },
    }
    goal = revenue_goal.worked_back(db)
    if goal is not None:  # only an agreement with a [revenue_goal] section has it
        data["revenue_goal"] = goal
    data["summary"] = scorecard.summary(card, data)
    return data


def _attribution(db: Database, filters: Filters, revenue: str) -> dict[str, Any]:
    """Every model's credit by channel, with the agreement's lookback and half-life."""
    result = attribution.compare(db, filters, revenue=revenue, by="channel")
    return {
        "params": result["params"],
        "totals": result["totals"],
        "journeys": result["journeys"],
        "credit": metrics.records(result["credit"]),
        "reading": attribution.reading(result["credit"]),
        "recorded_source": metrics.records(attribution.recorded_sources(db, filters, revenue)),
    }


# --- Formatting ---------------------------------------------------------------------------------


def days(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} d"


def when(value: str | None) -> str:
    """An ISO timestamp as '2026-10-26 13:36' (local time as collected)."""
    if not value:
        return "–"
    return dt.datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")


def text(value: Any) -> str:
    return "–" if value is None else str(value)


FORMATS: dict[str, Callable[[Any], str]] = {
    "count": fmt.count,
    "usd": fmt.usd,
    "rate": fmt.rate,
    "rate1": lambda v: fmt.rate(v, 1),
    "ratio": lambda v: "–" if v is None else f"{v:,.1f}×",
    "hours": fmt.hours,
    "days": days,
    "when": when,
    "text": text,
    "plain": lambda v: "–" if v is None else f"{v:g}",
}


def lookup(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path like 'discards.by_source.2.n_mql'."""
    value: Any = data
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


class _Page:
    """Builds the report's HTML from the data; every number goes through `num`."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.parts: list[str] = []
        self._plotly_included = False

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def num(self, path: str, shown_as: str = "count") -> str:
        """The value at `path`, formatted as FORMATS[shown_as], marked with its path."""
        shown = FORMATS[shown_as](lookup(self.data, path))
        return (
            f'<span class="n" data-key="{html.escape(path)}" data-kind="{shown_as}">'
            f"{html.escape(shown)}</span>"
        )

    def chart(self, fig: go.Figure) -> None:
        fig.update_layout(width=None, autosize=True)
        self.add(
            '<div class="chart">'
            + fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                config={"staticPlot": True, "displayModeBar": False, "responsive": True},
            )
            + "</div>"
        )

    def table(
        self,
        base: str,
        rows: list[dict[str, Any]],
        columns: list[tuple[str, str, str]],
        limit: int = TOP_ROWS,
        what: str = "rows",
    ) -> None:
        """A table of `rows` (found at `base` in the data): columns (field, heading, shown_as)."""
        self.indexed_table(base, list(enumerate(rows)), columns, limit)
        if len(rows) > limit:
            self.add(f'<p class="more">… and {len(rows) - limit:,} more {what}.</p>')

    def indexed_table(
        self,
        base: str,
        rows: list[tuple[int, dict[str, Any]]],
        columns: list[tuple[str, str, str]],
        limit: int,
    ) -> None:
        """The first `limit` of `rows`, each (its index in the list at `base`, the row)."""
        head = "".join(f"<th>{html.escape(h)}</th>" for _, h, _ in columns)
        body = []
        for i, _row in rows[:limit]:
            cells = "".join(
                f'<td class="{shown_as}">{self.num(f"{base}.{i}.{field}", shown_as)}</td>'
                for field, _, shown_as in columns
            )
            body.append(f"<tr>{cells}</tr>")
        self.add(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def e(value: Any) -> str:
    return html.escape(str(value))


# --- The report ---------------------------------------------------------------------------------


def render(data: dict[str, Any], generated_at: dt.datetime | None = None) -> str:
    """The report as one HTML document."""
    page = _Page(data)
    _header(page, generated_at or dt.datetime.now().astimezone())
    _summary(page)
    _scorecard(page)
    _funnel(page)
    _quality(page)
    _support(page)
    _follow_up(page)
    _discards(page)
    _attribution_section(page)
    _actions(page)
    body = "\n".join(page.parts)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(_title(data))}</title>"
        f"<style>{STYLE}</style>"
        f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>'
        f"</head><body><main>{body}</main></body></html>\n"
    )


def _title(data: dict[str, Any]) -> str:
    return f"Feedback session: {data['filters']['period']['label']}"


def _header(page: _Page, generated_at: dt.datetime) -> None:
    d = page.data
    filters = d["filters"]
    scope = [
        f"{name}: {', '.join(values)}"
        for name, values in (
            ("Sources", filters["sources"]),
            ("Campaigns", filters["campaigns"]),
            ("Owners", filters["owners"]),
            ("Teams", filters["teams"]),
        )
        if values
    ] + [f"{k}: {', '.join(v)}" for k, v in filters["attributes"].items()]
    page.add(
        f'<header><p class="kicker">Handoff · {e(d["agreement"]["name"])}</p>'
        f"<h1>{e(_title(d))}</h1>"
        f'<p class="meta">{e(filters["period"]["label"])} compared with '
        f"{e(filters['previous_period']['label'])} · "
        f"{e(_VIEWS.get(filters['view'], filters['view']))} · "
        f"{e('; '.join(scope) if scope else 'all leads')} · data through "
        f"{e(when(d['data_end_at']))} ({e(d['agreement']['time_zone'])}) · generated "
        f"{generated_at:%Y-%m-%d %H:%M}</p>"
        f'<p class="meta">{e(_versions_line(d))}</p></header>'
    )


def _versions_line(d: dict[str, Any]) -> str:
    """Which version of the agreement judged the period: 'Judged by version 2 (from 16 Mar 2026)
    of the agreement.', or, spanning a change, each version's days."""
    spans = d["scorecard"]["versions"]
    latest = d["agreement"]["version"]

    def label(number: int, effective_on: str) -> str:
        return f"version {number} (from {fmt.day(dt.date.fromisoformat(effective_on))})"

    def days(span: dict[str, Any]) -> str:
        first, last = (dt.date.fromisoformat(span[k]) for k in ("first_day", "last_day"))
        return fmt.day_range(first, last)

    if len(spans) > 1:
        parts = "; ".join(f"{label(s['version'], s['effective_on'])} for {days(s)}" for s in spans)
        return f"The period spans a change of the agreement: {parts}."
    (judged,) = spans
    text = f"Judged by {label(judged['version'], judged['effective_on'])} of the agreement"
    if judged["version"] != latest["number"]:
        text += f"; it has changed since ({label(latest['number'], latest['effective_on'])})"
    return text + "."


_VIEWS = {
    "created": "leads created in the period",
    "handover": "leads handed over in the period",
    "flow": "stage entries in the period",
}


def _summary(page: _Page) -> None:
    items = "".join(f"<li>{e(s)}</li>" for s in page.data["summary"])
    page.add(f'<section id="summary"><h2>In short</h2><ul class="summary">{items}</ul></section>')


def _scorecard(page: _Page) -> None:
    card = scorecard.Scorecard.from_json(page.data["scorecard"])
    page.add(
        '<section id="scorecard"><h2>Did each team keep its side of the agreement?</h2>'
        f'<p class="q">Each commitment for {e(card.period)}, counting '
        f"{e(card.counting['counts'])}; its target, the period before "
        f"({e(card.previous_period)}) and the last 12 months, each month counted as the "
        "headline is.</p>"
    )
    rows = []
    for i, c in enumerate(card.commitments):
        base = f"scorecard.commitments.{i}"
        # Rates to one decimal: 69.6% is visibly under a 70% target.
        shown_as = "rate1" if c.is_rate else "count"
        value = page.num(f"{base}.value", shown_as)
        if not c.in_data:
            value = '<span class="of">not in the data</span>'
        elif c.value is None and c.note:
            value = f'<span class="of">{e(c.note)}</span>'
        elif c.is_rate and c.denominator is not None:
            value += (
                f' <span class="of">{page.num(f"{base}.numerator")} of '
                f"{page.num(f'{base}.denominator')}</span>"
            )
        target = (
            f"{e(c.direction)} {page.num(f'{base}.target', shown_as.removesuffix('1'))}"
            if c.target is not None
            else "no target agreed"
        )
        verdict = {True: '<b class="met">met</b>', False: '<b class="missed">missed</b>'}.get(
            c.is_met, '<b class="none">not judged</b>'
        )
        rows.append(
            f"<tr><td>{e(c.team.capitalize())}</td><td>{e(c.label)}"
            f'<br><span class="of">{e(c.counts)}</span>'
            + (f'<br><span class="of">{e(c.note)}</span>' if c.note else "")
            + f'</td><td class="{shown_as}">{value}</td><td>{target}</td><td>{verdict}</td>'
            f'<td class="{shown_as}">{page.num(f"{base}.previous", shown_as)}</td>'
            f"<td>{_sparkline(c)}</td></tr>"
        )
    page.add(
        '<table class="scorecard"><thead><tr><th>Team</th><th>Commitment</th>'
        "<th>This period</th><th>Target</th><th></th><th>Period before</th>"
        "<th>Last 12 months</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    keys = ("leads", "mqls", "sals", "sqls", "opportunities", "won")
    steps = " → ".join(
        f"{page.num(f'scorecard.funnel.{key}.value')} {e(card.funnel[key]['label'])}"
        for key in keys
    )
    words = card.counting
    worth = (
        page.num("scorecard.funnel.won_revenue_usd.value", "usd")
        if card.funnel["won_revenue_usd"]["value"] is not None
        else e(card.funnel["won_revenue_usd"]["note"])
    )
    page.add(f'<p class="oneline">{steps} · {worth} {e(words["won_revenue"])}</p>')
    if words["view"] != "flow":
        page.add(
            f'<p class="q">{e(card.won_in_period["label"])}: '
            f"{page.num('scorecard.won_in_period.n_deals')} deals, "
            f"{page.num('scorecard.won_in_period.revenue_usd', 'usd')}, whoever's leads they "
            "were.</p>"
        )
    page.add("</section>")


def _sparkline(c: scorecard.Commitment) -> str:
    """12 months as a small line with the monthly target dashed; the last month printed."""
    points = [p.value for p in c.trend]
    known = [v for v in points if v is not None]
    if not known:
        return '<span class="of">no data</span>'
    width, height, pad = 150, 34, 3
    level = c.trend_target
    top = max([*known, level or 0]) or 1
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * v / top

    path = " ".join(
        f"{pad + i * step:.1f},{y(v):.1f}" for i, v in enumerate(points) if v is not None
    )
    target = ""
    if level is not None:
        target = (
            f'<line x1="{pad}" x2="{width - pad}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
            'class="target"/>'
        )
    title = ", ".join(f"{p.month}: {_trend_value(c, p.value)}" for p in c.trend)
    return (
        f'<svg class="spark" width="{width}" height="{height}" role="img" '
        f'aria-label="{e(title)}"><title>{e(title)}</title>{target}'
        f'<polyline points="{path}"/></svg> <span class="of">{e(c.trend[-1].month)}: '
        f"{e(_trend_value(c, c.trend[-1].value))}</span>"
    )


def _trend_value(c: scorecard.Commitment, value: float | None) -> str:
    return fmt.rate(value) if c.is_rate else fmt.count(value)


def _funnel(page: _Page) -> None:
    d = page.data["funnel"]
    page.add(
        '<section id="funnel"><h2>Where do leads convert, and where are they lost?</h2>'
        '<p class="q">Leads reaching each stage, and the conversion by source from lead to won, '
        "with the counts behind every rate.</p>"
    )
    page.add(f'<p class="q">Counting {e(d["counting"])}.</p>')
    stages = d["stages"]
    if stages and stages[0]["n_leads"]:
        labels = page.data["agreement"]["stage_labels"]
        page.chart(charts.funnel_bars(pd.DataFrame(stages), labels))
    c = "funnel.closed_opportunities"
    closed = d["closed_opportunities"]
    page.add(
        '<div class="tiles">'
        f"<div><b>{page.num(f'{c}.win_rate', 'rate1')}</b>win rate of closed opportunities "
        f"({page.num(f'{c}.n_won')} won of {page.num(f'{c}.n_closed')} closed; "
        f"{page.num(f'{c}.n_open')} still open)</div>"
        + "".join(
            f"<div><b>{page.num(f'{c}.cycle_days.{o}.median_days', 'days')}</b>median days to "
            f"close, {o} ({page.num(f'{c}.cycle_days.{o}.n_opportunities')} {o})</div>"
            for o in ("won", "lost")
            if closed["cycle_days"][o]["n_opportunities"]
        )
        + "</div>"
    )
    rows = [r for r in d["breakdown"] if r.get("group_2") is None]
    if not rows:
        page.add('<p class="empty">No leads in this period for these filters.</p></section>')
        return
    page.table(
        "funnel.breakdown",
        rows,
        [
            ("group_1", d["by"].capitalize(), "text"),
            ("n_lead", "Leads", "count"),
            ("n_mql", "MQLs", "count"),
            ("n_sal", "SALs", "count"),
            ("n_sql", "SQLs", "count"),
            ("n_opportunity", "Opps", "count"),
            ("n_won", "Won", "count"),
            ("lead_to_mql_rate", "Lead → MQL", "rate"),
            ("mql_to_sal_rate", "MQL → SAL", "rate"),
            ("lead_to_won_rate", "Lead → won", "rate"),
            ("won_amount_usd", "Won revenue", "usd"),
        ],
        what="groups",
    )
    page.add("</section>")


def _quality(page: _Page) -> None:
    rows = page.data["quality"]["by_source"]
    page.add(
        '<section id="quality"><h2>Which sources bring volume, and which bring quality?</h2>'
        '<p class="q">Leads per source against how many became sales-qualified; with spend, '
        "what each lead, SQL and won deal cost.</p>"
    )
    if not rows:
        page.add('<p class="empty">No leads in this period for these filters.</p></section>')
        return
    groups = pd.DataFrame(rows)
    if (groups["n_lead"] > 0).any():
        overall = metrics.quality_overall(groups)
        page.chart(
            charts.tradeoff(
                tables.tradeoff_rows(groups, "sql_rate", "sql", "won_amount_usd"),
                overall_leads=overall["leads_per_group"],
                overall_quality=overall["sql"],
                quality_title="Leads that became SQLs",
                size_title="Won revenue",
            )
        )
    page.table(
        "quality.by_source",
        rows,
        [
            ("group_name", "Source", "text"),
            ("n_lead", "Leads", "count"),
            ("mql_rate", "MQL rate", "rate"),
            ("sql_rate", "SQL rate", "rate"),
            ("won_rate", "Won rate", "rate"),
            ("revenue_per_lead_usd", "Revenue / lead", "usd"),
            ("cost_per_lead_usd", "Cost / lead", "usd"),
            ("cost_per_sql_usd", "Cost / SQL", "usd"),
            ("cost_per_won_usd", "Cost / won", "usd"),
            ("return_on_spend", "Return on spend", "ratio"),
        ],
        what="sources",
    )
    page.add("</section>")


def _support(page: _Page) -> None:
    d = page.data["support"]
    o = "support.overall"
    page.add(
        '<section id="support"><h2>Does marketing keep supporting the leads it handed over?</h2>'
        f'<p class="q">The {e(d["handed_over"])}: how many marketing still touched after the '
        f"hand-over (within {page.num('support.window_days', 'plain')} days, while the lead was "
        "open), and how often those with and without such touches converted.</p>"
    )
    if not d["has_touch_data"]:
        page.add(
            f'<p class="empty">No touch data: {page.num(f"{o}.n_handed_over")} MQLs were handed '
            "over, but the export holds no marketing touches, so support after hand-over cannot "
            "be judged.</p></section>"
        )
        return

    def rate(key: str, k: str, n: str, what: str) -> str:
        return (
            f"<div><b>{page.num(f'{o}.{key}_rate', 'rate1')}</b>{e(what)} "
            f"({page.num(f'{o}.{k}')} of {page.num(f'{o}.{n}')}; 95% interval "
            f"{page.num(f'{o}.{key}_low', 'rate')}–{page.num(f'{o}.{key}_high', 'rate')})</div>"
        )

    labels = page.data["agreement"]["stage_labels"]
    sql, won = labels["sql"], labels["won"]
    page.add(
        '<div class="tiles">'
        + rate("supported", "n_supported", "n_handed_over", "kept receiving touches")
        + rate("sql_supported", "n_sql_supported", "n_supported", f"{sql}: with touches")
        + rate("sql_unsupported", "n_sql_unsupported", "n_unsupported", f"{sql}: without")
        + rate("won_supported", "n_won_supported", "n_supported", f"{won}: with touches")
        + rate("won_unsupported", "n_won_unsupported", "n_unsupported", f"{won}: without")
        + "</div>"
        f'<p class="q">{e(d["caution"])}</p>'
    )
    columns = [
        ("n_handed_over", "Handed over", "count"),
        ("n_supported", "Kept receiving touches", "count"),
        ("supported_rate", "Share", "rate1"),
        ("supported_low", "95% from", "rate"),
        ("supported_high", "to", "rate"),
        ("sql_supported_rate", "SQL with touches", "rate"),
        ("sql_unsupported_rate", "SQL without", "rate"),
        ("won_supported_rate", "Won with touches", "rate"),
        ("won_unsupported_rate", "Won without", "rate"),
    ]
    if d["by_source"]:
        page.table(
            "support.by_source", d["by_source"], [("group_name", "Source", "text"), *columns],
            what="sources",
        )  # fmt: skip
    if d["by_stage"]:
        # A lead's furthest stage says whether it reached SQL or was won: no conversion here.
        page.table(
            "support.by_stage", d["by_stage"], [("stage", "Furthest stage", "text"), *columns[:5]]
        )
    page.add("</section>")


def _follow_up(page: _Page) -> None:
    d = page.data["follow_up"]
    s = "follow_up.summary.current"
    summary = d["summary"]
    clock = "business hours" if summary["clock"] == "business" else "hours"
    page.add(
        '<section id="follow-up"><h2>How fast does sales follow up?</h2>'
        f'<p class="q">The agreement: every MQL followed up within '
        f"{page.num('follow_up.summary.target_hours', 'plain')} {e(clock)}; the MQLs handed "
        f"over in {e(page.data['filters']['period']['label'])}.</p>"
    )
    if not summary["has_follow_up_data"]:
        page.add(
            f'<p class="empty">No follow-up data: {page.num(f"{s}.n_handed_over")} MQLs were '
            "handed over, but the export holds no sales activities and no first-contact dates, "
            "so follow-up cannot be judged.</p></section>"
        )
        return
    page.add(
        '<div class="tiles">'
        f"<div><b>{page.num(f'{s}.within_sla_rate', 'rate1')}</b>followed up in time "
        f"({page.num(f'{s}.n_met')} of {page.num(f'{s}.n_judged')} due)</div>"
        f"<div><b>{page.num(f'{s}.median_hours', 'hours')}</b>median wait of those followed "
        f"up (90% within {page.num(f'{s}.p90_hours', 'hours')})</div>"
        f"<div><b>{page.num(f'{s}.n_open_breaches')}</b>still waiting past the target</div>"
        f"<div><b>{page.num(f'{s}.n_closed_without_follow_up')}</b>closed without follow-up"
        "</div>"
        f"<div><b>{page.num(f'{s}.n_pending')}</b>waiting, still inside the target</div>"
        "</div>"
    )
    owners = d["by_owner"]
    if owners:
        page.table(
            "follow_up.by_owner",
            owners,
            [
                ("group_1", "Owner", "text"),
                ("n_handed_over", "MQLs", "count"),
                ("within_sla_rate", "Followed up in time", "rate1"),
                ("n_met", "Met", "count"),
                ("n_breached", "Breached", "count"),
                ("median_hours", "Median wait", "hours"),
                ("n_not_followed_up", "Never followed up", "count"),
            ],
            what="owners",
        )
    page.add("</section>")


def _discards(page: _Page) -> None:
    d = page.data["discards"]
    s = "discards.summary.current"
    page.add(
        '<section id="discards"><h2>How many MQLs are discarded, why, and where is every MQL now?'
        '</h2><p class="q">Acceptance and discards against the agreement, the reasons sales '
        f"gave, and where each of the {e(d['summary']['mqls'])} stands now.</p>"
        '<div class="tiles">'
        f"<div><b>{page.num(f'{s}.acceptance_rate', 'rate1')}</b>accepted "
        f"({page.num(f'{s}.n_accepted')} of {page.num(f'{s}.n_mql')}; at least "
        f"{page.num('discards.summary.min_acceptance_rate', 'rate')} agreed)</div>"
        f"<div><b>{page.num(f'{s}.discard_rate', 'rate1')}</b>discarded at any point "
        f"({page.num(f'{s}.n_discarded')} of {page.num(f'{s}.n_mql')}; at most "
        f"{page.num('discards.summary.max_discard_rate', 'rate')} agreed)</div>"
        f"<div><b>{page.num(f'{s}.n_discarded_no_reason')}</b>discarded without a reason</div>"
        "</div>"
    )
    reasons = d["reasons"]
    if reasons:
        page.chart(charts.pareto(pd.DataFrame(reasons), "Why MQLs were discarded"))
    accounts = d["dispositions"]
    total = sum(a["n_leads"] for a in accounts)
    if total:
        labels = page.data["agreement"]["stage_labels"]
        page.chart(
            charts.accounts(
                pd.DataFrame(accounts), total, "Where every MQL of the period is now", labels
            )
        )
    if d["by_source"]:
        page.table(
            "discards.by_source",
            d["by_source"],
            [
                ("group_1", "Source", "text"),
                ("n_mql", "MQLs", "count"),
                ("acceptance_rate", "Accepted", "rate"),
                ("discard_rate", "Discarded", "rate"),
                ("n_discarded", "Discards", "count"),
                ("n_discarded_no_reason", "Without reason", "count"),
            ],
            what="sources",
        )
    page.add("</section>")


def _attribution_section(page: _Page) -> None:
    d = page.data["attribution"]["won"]
    totals = d["totals"]
    page.add(
        '<section id="attribution"><h2>Which channels earn the revenue, and where do the models '
        'disagree?</h2><p class="q">Revenue won in the period, deals closed in it '
        f"({page.num('attribution.won.totals.revenue_usd', 'usd')} from "
        f"{page.num('attribution.won.totals.n_events')} deals), credited to the channels of the "
        f"touches in the {page.num('attribution.won.params.lookback_days', 'plain')} days before "
        "each win, under eight models.</p>"
    )
    credit = sorted(d["credit"], key=lambda r: -r["linear"])
    if not page.data["dataset"]["has_touch_data"]:
        page.add(
            '<p class="empty">No touch data: the export has no marketing touches, so no model can '
            "share the revenue among channels. What the CRM itself reports:</p>"
        )
        page.table(
            "attribution.won.recorded_source",
            d["recorded_source"],
            [
                ("source", "Source recorded on the deal", "text"),
                ("n_deals", "Deals", "count"),
                ("revenue_usd", "Revenue", "usd"),
                ("revenue_share", "Share", "rate"),
            ],
            what="sources",
        )
        page.add("</section>")
        return
    if not totals["n_events"]:
        page.add('<p class="empty">No deal was won in this period for these filters.</p>')
        page.add("</section>")
        return
    models = list(attribution.MODELS)
    page.chart(
        charts.models_side_by_side(
            pd.DataFrame(credit[:10]),
            attribution.MODELS,
            "Won revenue credited to each channel under each model",
        )
    )
    for sentence in d["reading"]:
        page.add(f"<p>{e(sentence)}</p>")
    index = {id(r): i for i, r in enumerate(d["credit"])}
    ordered = [(index[id(r)], r) for r in credit]
    head = "".join(
        f"<th>{e(h)}</th>"
        for h in ["Channel", *attribution.MODELS.values(), "Spread", "Deals touched"]
    )
    body = []
    for i, _row in ordered[:TOP_ROWS]:
        base = f"attribution.won.credit.{i}"
        cells = [f"<td>{page.num(f'{base}.group_name', 'text')}</td>"]
        cells += [f'<td class="usd">{page.num(f"{base}.{m}", "usd")}</td>' for m in models]
        cells.append(f'<td class="usd">{page.num(f"{base}.spread_usd", "usd")}</td>')
        cells.append(f'<td class="count">{page.num(f"{base}.n_events_touched")}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    page.add(
        f'<table class="wide"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )
    page.add("</section>")


def _actions(page: _Page) -> None:
    follow, discards = page.data["follow_up"], page.data["discards"]
    page.add(
        '<section id="actions"><h2>What should we act on?</h2>'
        '<p class="q">The leads to talk about: waiting past the follow-up target, untouched for '
        "too long, or discarded without a reason.</p>"
    )
    open_breaches = [
        (i, b) for i, b in enumerate(follow.get("breaches", [])) if b["breach"] == "open"
    ]
    lists = [*follow.get("breaches", []), *discards["slipping"], *discards["without_reason"]]
    scores = _score_columns(lists)
    if scores:
        page.add(
            "<p>Handoff score: Handoff's score as of the hand-over (the agreement's scoring "
            "rules; only touches and activities before the hand-over count), beside the CRM's "
            "own.</p>"
        )
    page.add(
        f"<h3>{page.num('follow_up.summary.current.n_open_breaches')} MQLs still waiting past "
        "the follow-up target</h3>"
    )
    _rows(
        page,
        "follow_up.breaches",
        open_breaches,
        [
            ("lead_id", "Lead", "text"),
            *scores,
            ("owner", "Owner", "text"),
            ("source", "Source", "text"),
            ("handover_at", "Handed over", "when"),
            ("hours_overdue", "Overdue", "hours"),
        ],
    )
    page.add(
        f"<h3>{page.num('discards.summary.current.n_slipping')} leads slipping through the "
        "cracks</h3>"
    )
    _rows(
        page,
        "discards.slipping",
        list(enumerate(discards["slipping"])),
        [
            ("lead_id", "Lead", "text"),
            *scores,
            ("owner", "Owner", "text"),
            ("source", "Source", "text"),
            ("furthest_stage", "Stage", "text"),
            ("days_without_activity", "Untouched", "days"),
        ],
    )
    page.add(
        f"<h3>{page.num('discards.summary.current.n_discarded_no_reason')} discards without a "
        "reason</h3>"
    )
    _rows(
        page,
        "discards.without_reason",
        list(enumerate(discards["without_reason"])),
        [
            ("lead_id", "Lead", "text"),
            *scores,
            ("owner", "Owner", "text"),
            ("source", "Source", "text"),
            ("discarded_at", "Discarded", "when"),
            ("account", "Now", "text"),
        ],
    )
    page.add("</section>")


# A lead list's scores (db.SCORE_SLOTS), when the agreement's [scoring] rules give them.
_SCORES = (("crm_score", "CRM score", "plain"), ("handoff_score", "Handoff score", "plain"),
           ("grade", "Grade", "text"))  # fmt: skip


def _score_columns(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """The score columns the lead lists have (none without scoring: every list has the same)."""
    return [c for c in _SCORES if rows and c[0] in rows[0]]


def _rows(
    page: _Page, base: str, rows: list[tuple[int, dict]], columns: list[tuple[str, str, str]]
) -> None:
    if not rows:
        page.add('<p class="empty">None.</p>')
        return
    page.indexed_table(base, rows, columns, ACTION_ROWS)
    if len(rows) > ACTION_ROWS:
        page.add(
            f'<p class="more">… and {len(rows) - ACTION_ROWS:,} more (the app lists them all, '
            "as CSV).</p>"
        )


STYLE = """
body { font-family: Inter, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933;
       margin: 0; background: #fff; font-size: 14px; line-height: 1.45; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 32px 60px; }
header h1 { font-size: 28px; margin: 4px 0 6px; }
.kicker { text-transform: uppercase; letter-spacing: .06em; color: #4c78a8; font-size: 12px;
          margin: 0; font-weight: 600; }
.meta { color: #52606d; margin: 0 0 8px; }
section { margin-top: 30px; page-break-inside: auto; }
h2 { font-size: 19px; border-bottom: 2px solid #4c78a8; padding-bottom: 4px; margin-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.q { color: #52606d; margin-top: 2px; }
ul.summary li { margin: 3px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th { text-align: left; font-weight: 600; color: #3e4c59; border-bottom: 1px solid #cbd2d9;
     padding: 5px 6px; }
td { border-bottom: 1px solid #eceff1; padding: 5px 6px; vertical-align: middle; }
td.count, td.usd, td.rate, td.rate1, td.hours, td.days, td.ratio { text-align: right;
     font-variant-numeric: tabular-nums; }
table.wide { font-size: 12px; }
.of { color: #7b8794; font-size: 12px; }
b.met { color: #fff; background: #2f7d32; padding: 1px 7px; border-radius: 9px; font-size: 12px; }
b.missed { color: #fff; background: #c62828; padding: 1px 7px; border-radius: 9px;
           font-size: 12px; }
b.none { color: #52606d; background: #eceff1; padding: 1px 7px; border-radius: 9px;
         font-size: 12px; }
svg.spark polyline { fill: none; stroke: #4c78a8; stroke-width: 1.8; }
svg.spark line.target { stroke: #c62828; stroke-dasharray: 3 3; stroke-width: 1; }
.oneline { font-size: 15px; background: #f5f7fa; padding: 8px 12px; border-radius: 6px; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; margin: 10px 0; }
.tiles div { flex: 1 1 200px; background: #f5f7fa; border-radius: 6px; padding: 10px 12px;
             color: #52606d; }
.tiles b { display: block; font-size: 22px; color: #1f2933; }
.chart { margin: 8px 0; }
.more, .empty { color: #7b8794; font-style: italic; }
@media print { main { padding: 0; } section { break-inside: avoid-page; } }
"""


def to_pdf(html_path, pdf_path) -> None:
    """Print the report to PDF with headless Chromium (Debian's), charts drawn first."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.goto(html_path.resolve().as_uri())
            # Every chart has drawn its traces before the page is printed.
            page.wait_for_function(
                "() => [...document.querySelectorAll('.chart .plotly-graph-div')]"
                ".every(div => div.querySelectorAll('.main-svg .trace').length > 0)",
                timeout=30_000,
            )
            page.pdf(path=str(pdf_path), format="A4", print_background=True)
        finally:
            browser.close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
