"""The numbers the pages show, as plain data: what the home page and `metrics --json` print.

Each function runs named queries and adds only arithmetic that needs the agreement (goals,
changes against the previous period); every count itself comes from a query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from handoff.agreement import Agreement
from handoff.db import Database
from handoff.filters import Filters

# (key in the output, column of the scorecard query, label)
SCORECARD = (
    ("leads", "n_leads", "Leads"),
    ("mqls", "n_mql", "MQLs"),
    ("sals", "n_sal", "SALs"),
    ("sqls", "n_sql", "SQLs"),
    ("opportunities", "n_opportunity", "Opportunities"),
    ("won", "n_won", "Won"),
    ("won_revenue_usd", "won_amount_usd", "Won revenue"),
)


def data_end(db: Database) -> dt.datetime | None:
    """The last timestamp in the loaded data, in the agreement's time zone."""
    frame = db.run("dataset_import")
    if frame.empty or frame["data_end_at"].isna().all():
        return None
    return frame["data_end_at"].iloc[0].to_pydatetime().astimezone(db.agreement.tz)


def query_params(filters: Filters, agreement: Agreement, previous: bool = False) -> dict[str, Any]:
    """The parameters every scoped, period-bound query takes (and the previous period's)."""
    params = {
        **filters.scope_params(),
        **filters.period_params(agreement.tz),
        "view": filters.view,
        "strict": filters.strict,
    }
    if not previous:
        del params["previous_start_at"], params["previous_end_at"]
    return params


def monthly_mql_goal(agreement: Agreement, filters: Filters) -> tuple[float | None, str]:
    """Marketing's monthly MQL goal for the filters' scope, or None with the reason why not."""
    if filters.campaigns or filters.owners or filters.teams or filters.attributes:
        return None, "the goal is set for all leads or per source, not for this selection"
    if not filters.sources:
        return agreement.mql_goal_per_month, "all sources"
    by_source = agreement.mql_goal_by_source
    missing = [s for s in filters.sources if s not in by_source]
    if missing:
        return None, f"no goal is set for {', '.join(missing)}"
    return sum(by_source[s] for s in filters.sources), ", ".join(filters.sources)


def home(db: Database, filters: Filters) -> dict[str, Any]:
    """The home page's numbers: stage counts and won revenue with their change, and the goal."""
    frame = db.run("scorecard", query_params(filters, db.agreement, previous=True))
    frame = frame.set_index("period")
    current, previous = frame.loc["current"], frame.loc["previous"]
    out: dict[str, Any] = {}
    for key, column, label in SCORECARD:
        value, before = float(current[column]), float(previous[column])
        out[key] = {
            "label": label,
            "value": _number(value),
            "previous": _number(before),
            "change": _number(value - before),
            "change_rate": (value - before) / before if before else None,
        }
    monthly, goal_scope = monthly_mql_goal(db.agreement, filters)
    # A partial month (year to date, custom dates) gets its share of the monthly goal by days.
    goal = monthly * filters.period.months if monthly is not None else None
    handed_over = int(current["n_handed_over"])
    out["mql_goal"] = {
        "handed_over": handed_over,
        "goal": round(goal, 1) if goal is not None else None,
        "monthly_goal": monthly,
        "attainment_rate": handed_over / goal if goal else None,
        "is_met": handed_over >= goal if goal is not None else None,
        "scope": goal_scope,
        "months": round(filters.period.months, 3),
    }
    return out


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)
