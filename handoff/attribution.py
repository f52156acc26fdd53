"""Revenue attribution: the heuristic models come from SQL (queries/attribution_credit.sql);
this module adds the data-driven Markov model and the comparison of all eight.

Markov removal effect (first order): the journeys' transition counts give a Markov chain from
'(start)' through the channels to '(conversion)' or '(null)'. The chance to convert from the
start is the chain's absorption probability. Removing a channel sends every path through it to
'(null)'; the relative drop in the chance to convert is that channel's removal effect. Credit is
the touched revenue shared in proportion to the removal effects, so it sums to the revenue like
every other model's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from handoff import metrics
from handoff.db import CREDITED
from handoff.filters import Filters

START, CONVERSION, NULL, NO_TOUCH = "(start)", "(conversion)", "(null)", "(no touch)"
MODELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
    "full_path": "Full path",
    "time_decay": "Time decay",
    "markov": "Markov",
}


def conversion_probability(transitions: pd.DataFrame, removed: str | None = None) -> float:
    """The chance to reach '(conversion)' from '(start)' in the chain of transition counts
    (columns from_state, to_state, n_transitions), with one state removed if asked."""
    states = sorted(
        (set(transitions["from_state"]) | set(transitions["to_state"])) - {CONVERSION, NULL}
    )
    if START not in states:
        return 0.0
    index = {s: i for i, s in enumerate(states)}
    counts = np.zeros((len(states), len(states)))
    to_conversion = np.zeros(len(states))
    totals = np.zeros(len(states))
    for row in transitions.itertuples(index=False):
        i = index[row.from_state]
        totals[i] += row.n_transitions
        if row.to_state == CONVERSION:
            to_conversion[i] += row.n_transitions
        elif row.to_state != NULL:
            counts[i, index[row.to_state]] += row.n_transitions
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(totals[:, None] > 0, counts / totals[:, None], 0.0)
        r = np.where(totals > 0, to_conversion / totals, 0.0)
    if removed is not None and removed in index:
        # A removed channel converts nobody: every path into it ends at '(null)'.
        q[:, index[removed]] = 0.0
        q[index[removed], :] = 0.0
        r[index[removed]] = 0.0
    absorbed = np.linalg.solve(np.eye(len(states)) - q, r)
    return float(absorbed[index[START]])


def markov_credit(transitions: pd.DataFrame, revenue_touched: float) -> dict[str, float]:
    """Touched revenue shared by the channels' removal effects."""
    channels = sorted(
        (set(transitions["from_state"]) | set(transitions["to_state"])) - {START, CONVERSION, NULL}
    )
    base = conversion_probability(transitions)
    if base <= 0:
        return dict.fromkeys(channels, 0.0)
    effects = {c: max(0.0, 1 - conversion_probability(transitions, c) / base) for c in channels}
    total = sum(effects.values())
    if total <= 0:
        return dict.fromkeys(channels, 0.0)
    return {c: revenue_touched * e / total for c, e in effects.items()}


def journeys(transitions: pd.DataFrame) -> dict[str, Any]:
    """How many journeys the Markov model learned from, and how many converted."""
    starts = int(transitions.loc[transitions["from_state"] == START, "n_transitions"].sum())
    converted = int(transitions.loc[transitions["to_state"] == CONVERSION, "n_transitions"].sum())
    return {
        "n_journeys": starts,
        "n_converted": converted,
        "conversion_rate": converted / starts if starts else None,
    }


REVENUES = ("won", "pipeline")


def _revenue(revenue: str) -> str:
    if revenue not in REVENUES:
        raise ValueError(f"revenue is 'won' or 'pipeline', not {revenue!r}")
    return revenue


def attribution_params(revenue: str, lookback_days: float, half_life_days: float) -> dict[str, Any]:
    """The attribution queries' own parameters (the filters give the rest), checked. What gets
    the credit is a column choice, `credited_to`."""
    return {
        "revenue": _revenue(revenue),
        "lookback_days": float(lookback_days),
        "half_life_days": float(half_life_days),
    }


def credited_to(by: str) -> dict[str, str]:
    """The column choice of the attribution queries: credit to the touches' channel or
    campaign, or to the leads' source (checked by handoff.db.credited)."""
    if by not in CREDITED:
        raise ValueError(f"attribution is by channel, campaign or source, not {by!r}")
    return {"credited": by}


def compare(
    db,
    filters: Filters,
    revenue: str = "won",
    by: str = "channel",
    lookback_days: float | None = None,
    half_life_days: float | None = None,
) -> dict:
    """Every model's credit per group, the spread between models, rank changes, influence,
    the Markov model's journeys, and the totals."""
    agreement = db.agreement
    params = attribution_params(
        revenue,
        lookback_days if lookback_days is not None else agreement.lookback_days,
        half_life_days if half_life_days is not None else agreement.half_life_days,
    )
    columns = credited_to(by)
    credit = metrics.run(db, "attribution_credit", filters, columns=columns, **params)
    totals = metrics.run(db, "attribution_totals", filters, columns=columns, **params).iloc[0]
    journey_params = {k: v for k, v in params.items() if k != "half_life_days"}
    transitions = metrics.run(
        db, "attribution_journeys", filters, columns=columns, **journey_params
    )
    touched = float(totals["revenue_usd"] - totals["revenue_without_touch_usd"])
    markov = markov_credit(transitions, touched)
    # A channel only in journeys that never converted earns nothing from the heuristic models;
    # it still gets its row (with zeros) so that no credit is lost.
    missing = sorted(set(markov) - set(credit["group_name"]))
    if missing:
        extra = pd.DataFrame({"group_name": missing}).reindex(columns=credit.columns, fill_value=0)
        extra["group_name"] = missing
        credit = pd.concat([credit, extra], ignore_index=True)
    credit["markov"] = [
        float(totals["revenue_without_touch_usd"]) if g == NO_TOUCH else markov.get(g, 0.0)
        for g in credit["group_name"]
    ]
    models = list(MODELS)
    values = credit[models].astype(float)
    credit["spread_usd"] = values.max(axis=1) - values.min(axis=1)
    ranks = values.rank(ascending=False, method="min")
    credit["best_rank"] = ranks.min(axis=1).astype(int)
    credit["worst_rank"] = ranks.max(axis=1).astype(int)
    credit["highest_model"] = values.idxmax(axis=1).map(MODELS)
    credit["lowest_model"] = values.idxmin(axis=1).map(MODELS)
    return {
        "credit": credit,
        "totals": {key: _plain(value) for key, value in totals.items()},
        "journeys": journeys(transitions),
        "params": {
            "revenue": params["revenue"],
            "by": by,
            "lookback_days": params["lookback_days"],
            "half_life_days": params["half_life_days"],
        },
    }


def recorded_sources(db, filters: Filters, revenue: str = "won") -> pd.DataFrame:
    """Revenue by the lead source the CRM recorded on each deal (the CRM's own report)."""
    return metrics.run(db, "revenue_by_recorded_source", filters, revenue=_revenue(revenue))


def reading(credit: pd.DataFrame, n: int = 3) -> list[str]:
    """Plain sentences on the groups whose credit depends most on the model."""
    from handoff import fmt

    rows = credit[credit["group_name"] != NO_TOUCH].sort_values("spread_usd", ascending=False)
    sentences = []
    for row in rows.head(n).itertuples():
        if row.spread_usd <= 0:
            continue
        high = getattr(row, _key(row.highest_model))
        low = getattr(row, _key(row.lowest_model))
        ratio = f", {high / low:.1f} times as much" if low > 0 else ""
        sentences.append(
            f"{row.group_name} earns {fmt.usd(high)} under {row.highest_model} but "
            f"{fmt.usd(low)} under {row.lowest_model}{ratio}; it ranks between "
            f"{_ordinal(row.best_rank)} and {_ordinal(row.worst_rank)} depending on the model."
        )
    return sentences


def _key(label: str) -> str:
    return next(k for k, v in MODELS.items() if v == label)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value
