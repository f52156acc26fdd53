"""The MQL goal worked back from revenue: how many MQLs sales' revenue goal needs.

From the agreement's `[revenue_goal]` (per month or per quarter) and the team's own history over
the `window_months` latest hand-over months mature for MQL → won (every step after MQL has had its
agreed time by the data's end):

- the MQL → won rate = won / MQLs handed over in the window, with its 95% Wilson interval;
- the deal size = the window's won revenue / its won MQLs with an amount;
- the cycle time = the median days from hand-over to win (the MQLs a period's revenue needs are
  handed over about that long before it);
- MQLs needed = goal / (rate × deal size), rounded up to whole MQLs; its range the same with the
  interval's ends: goal / (high × size) to goal / (low × size).

Per source, a month's overall number is split two ways: by today's mix (each source's share of the
window's MQLs) and by quality (each source's won revenue per MQL, as a share of the sum of all
sources' revenue per MQL, so the split leans to the sources that convert into revenue). Both
splits share out the same overall number and its range. Missing data is said (no mature cohort,
no won deal, no amounts): no number and the reason, never 0 or infinity.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from handoff import metrics, stats
from handoff.agreement import STEPS, Agreement
from handoff.db import Database
from handoff.filters import Period


def mql_to_won_days(agreement: Agreement) -> float:
    """The days the agreement allows from hand-over to won: every step after MQL."""
    return sum(agreement.time_limits_days[s] for s in STEPS if s != "lead_to_mql")


def window(agreement: Agreement, end: dt.datetime, months: int) -> Period:
    """The `months` calendar months ending with the latest one mature for MQL → won."""
    latest = metrics.month_mature_after(agreement, end, mql_to_won_days(agreement))
    start = latest.start
    for _ in range(months - 1):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return Period("custom", start, latest.end)


def window_label(period: Period) -> str:
    """'January 2026 to June 2026', or one month's name."""
    last = period.end - dt.timedelta(days=1)
    if (period.start.year, period.start.month) == (last.year, last.month):
        return f"{period.start:%B %Y}"
    return f"{period.start:%B %Y} to {last:%B %Y}"


def _whole(value: float) -> int:
    """MQLs needed, rounded up to whole MQLs (a rounding error of 1e-9 is not a lead more)."""
    return math.ceil(round(value, 6))


def _rates(row: dict[str, Any], has_amounts: bool, where: str, empty: str = "") -> dict[str, Any]:
    """A query row with its rate, interval, deal size and revenue per MQL, or why not (`empty`
    ends the reason when no MQL was handed over at all)."""
    n_mql, n_won = row["n_mql"], row["n_won"]
    low, high = stats.wilson(n_won, n_mql)
    out = {
        "n_mql": n_mql,
        "n_won": n_won,
        "n_won_with_amount": row["n_won_with_amount"],
        "won_amount_usd": row["won_amount_usd"] if has_amounts else None,
        "won_rate": round(n_won / n_mql, 6) if n_mql else None,
        "won_low": None if math.isnan(low) else round(low, 6),
        "won_high": None if math.isnan(high) else round(high, 6),
        "deal_size_usd": None,
        "revenue_per_mql_usd": None,
        "median_mql_to_won_days": row["median_mql_to_won_days"],
        "note": None,
    }
    if not n_mql:
        out["note"] = f"no MQL handed over in {where}{empty}"
    elif not n_won:
        out["note"] = f"no MQL handed over in {where} has been won"
    elif not has_amounts:
        out["note"] = metrics.NO_AMOUNTS
    elif not row["n_won_with_amount"]:
        out["note"] = f"no won deal of {where} has an amount"
    elif not row["won_amount_usd"] > 0:
        out["note"] = f"the won deals of {where} add up to $0"
    else:
        out["deal_size_usd"] = round(row["won_amount_usd"] / row["n_won_with_amount"], 6)
        out["revenue_per_mql_usd"] = round(n_won / n_mql * out["deal_size_usd"], 6)
    return out


def _split(exact: tuple[float, float, float] | None, share: float | None) -> dict[str, int | None]:
    """A share of the overall number needed and its range, each rounded up; None for all three
    when the overall number or the share is not known."""
    if exact is None or share is None:
        return {"mqls_needed": None, "mqls_needed_low": None, "mqls_needed_high": None}
    needed, low, high = (share * x for x in exact)
    return {
        "mqls_needed": _whole(needed),
        "mqls_needed_low": _whole(low),
        "mqls_needed_high": _whole(high),
    }


def worked_back(db: Database) -> dict[str, Any] | None:
    """The MQLs the agreement's revenue goal needs, overall and per source, with the rates they
    rest on; None when the agreement sets no revenue goal."""
    agreement = db.agreement
    goal = agreement.revenue_goal
    if goal is None:
        return None
    out: dict[str, Any] = {
        "goal": {
            "period": goal.period,
            "usd": goal.usd,
            "per_month_usd": round(goal.per_month_usd, 6),
        },
        "mql_goal_per_month": agreement.mql_goal_per_month,
        "mature_after_days": mql_to_won_days(agreement),
        "window": None,
        "overall": None,
        "by_source": [],
    }
    end = metrics.data_end(db)
    if end is None:
        out["note"] = "no data loaded"
        return out
    period = window(agreement, end, goal.window_months)
    start_at, end_at = period.bounds(agreement.tz)
    where = window_label(period)
    out["window"] = {
        "months": goal.window_months,
        "start_date": period.start.isoformat(),
        "end_date": period.end.isoformat(),  # exclusive: the day after the window's last
        "label": window_label(period),
    }
    rows = metrics.records(
        db.run("revenue_goal_rates", {"window_start_at": start_at, "window_end_at": end_at})
    )
    has_amounts = metrics.dataset(db)["has_revenue_data"]
    overall = _rates(rows[0], has_amounts, where, ", the latest months mature for MQL → won")
    per_mql = overall["revenue_per_mql_usd"]
    month = None  # a month's MQLs needed and their range, unrounded: what the splits share
    if per_mql is not None:
        size = overall["deal_size_usd"]

        def needed(usd: float) -> tuple[float, float, float]:
            return (
                usd / per_mql,
                usd / (overall["won_high"] * size),
                usd / (overall["won_low"] * size),
            )

        month = needed(goal.per_month_usd)
        overall.update(_split(needed(goal.usd), 1.0))
    else:
        overall.update(_split(None, None))
    per_month = _split(month, 1.0)
    overall.update({k.replace("needed", "needed_per_month"): v for k, v in per_month.items()})
    out["overall"] = overall
    out["note"] = overall["note"]

    sources = [{"source": r["source"], **_rates(r, has_amounts, "the window")} for r in rows[1:]]
    seen = {s["source"] for s in sources}
    for name in agreement.mql_goal_by_source:
        if name not in seen:  # a source with a goal in force and no MQL in the window
            empty = {
                "n_mql": 0,
                "n_won": 0,
                "n_won_with_amount": 0,
                "won_amount_usd": 0,
                "median_mql_to_won_days": None,
            }
            sources.append({"source": name, **_rates(empty, has_amounts, "the window")})
    total_per_mql = sum((s["won_amount_usd"] or 0) / s["n_mql"] for s in sources if s["n_mql"])
    for s in sources:
        s["mql_goal_in_force"] = agreement.mql_goal_by_source.get(s["source"])
        mix = s["n_mql"] / overall["n_mql"] if s["n_mql"] else None
        weight = None
        if s["revenue_per_mql_usd"] is not None and total_per_mql > 0:
            weight = s["won_amount_usd"] / s["n_mql"] / total_per_mql
        s["share_of_mqls"] = None if mix is None else round(mix, 6)
        s["quality_weight"] = None if weight is None else round(weight, 6)
        s["today_mix"] = _split(month, mix)
        s["by_quality"] = _split(month, weight)
    out["by_source"] = sources
    return out
