"""The app shell: what every page starts with, in one call.

`page("Title", "the question it answers")` sets the page config, opens the database (building
the demo one on a fresh clone), draws the grouped sidebar navigation and the shared filters,
writes the title, and returns a `PageContext` with the filters and a cached query runner.

Filters persist across pages through shadow keys (a widget's value is copied to `_<key>` after
it is drawn and back before it is drawn next time, on whatever page) and are mirrored in the URL
query parameters, so a filtered page can be shared as a link.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from handoff import access, changelog, demo, fmt, metrics, prefetch, safe, tables, views
from handoff import agreement as agreement_mod
from handoff.contract import GROUP_COLUMNS
from handoff.db import (
    Database,
    OutdatedDatabase,
    QueryError,
    agreement_path_from_env,
    db_path_from_env,
)
from handoff.filters import (
    ATTRIBUTE_URL_PREFIX,
    EARLIEST_DATE,
    LATEST_DATE,
    PERIODS,
    VIEWS,
    Filters,
    Period,
    is_filter_param,
    read_query_params,
    resolve_period,
)
from handoff.importer.progress import Stage
from handoff.navigation import NAVIGATION

_SCOPE_LABELS = {"source": "Source", "campaign": "Campaign", "owner": "Owner", "team": "Team"}


class CachedDatabase:
    """A `Database` whose query results are cached per (file, query, parameters)."""

    def __init__(self, db: Database, key: tuple):
        self._db = db
        self.key = key
        self.agreement = db.agreement
        # This run's page queries (metrics.run notes them), for the next run's prefetch.
        self.recorder: prefetch.Recorder | None = None

    def prefetch(self, page: str, filters: Filters) -> None:
        """Ask the page's last questions again for these filters, in the background, and note
        this run's (handoff.prefetch)."""

        def ask(name: str, f: Filters, columns: dict, options: dict[str, Any]) -> None:
            self.run(name, metrics.params_for(self, name, f, **options), columns)

        self.recorder = prefetch.start(page, filters, st.session_state, ask)

    def run(
        self,
        name: str,
        params: dict[str, Any] | None = None,
        columns: dict[str, str | None] | None = None,
    ) -> pd.DataFrame:
        return _cached_run(self._db, self.key, name, params or {}, columns or {})

    @property
    def database(self) -> Database:
        """The database itself, uncached (for work outside a page run, like a download)."""
        return self._db

    @property
    def attributes(self) -> tuple[str, ...]:
        """The lead attributes offered as filters and breakdowns (categories, not ids)."""
        return tuple(dict.fromkeys(self.run("attribute_options")["attribute"]))


@dataclass(frozen=True)
class PageContext:
    """What a page needs: the filters, the database and the agreement."""

    filters: Filters
    db: CachedDatabase
    agreement: agreement_mod.Agreement
    data_end: dt.datetime

    def run(
        self,
        name: str,
        columns: dict[str, str | None] | None = None,
        trend_months: int | None = None,
        **extra: Any,
    ) -> pd.DataFrame:
        """A named query for the page's filters (cached), with the query's own parameters; with
        `trend_months`, over that many months up to the period's end."""
        return metrics.run(
            self.db, name, self.filters, columns=columns, trend_months=trend_months, **extra
        )

    @property
    def spans(self) -> list[agreement_mod.Span]:
        """The agreement versions in force over the period's days, oldest first."""
        period = self.filters.period
        return self.agreement.in_force(period.start, period.end - dt.timedelta(days=1))

    @property
    def judging(self) -> agreement_mod.Agreement:
        """The version in force on the period's last day: its targets head the page (a period
        spanning a change says so, see _versions_notice)."""
        return self.spans[-1].version.agreement


def page(title: str, question: str) -> PageContext:
    """Start a page: config, data, navigation, filters, title. Stops the page on bad setup."""
    st.set_page_config(page_title=f"{title} · Handoff", page_icon="🤝", layout="wide")
    # With sign-in on, nothing below runs (no data is read) until a listed person signs in.
    person = access.require_sign_in()
    access.sidebar(person)
    db, agreement = _open()
    end = metrics.data_end(db)
    if end is None:
        with st.sidebar:
            _navigation(None)
        st.title(title)
        st.warning("The database holds no leads. Import a dataset (see the Data loaded page).")
        st.stop()
    navigation = st.sidebar.container()
    shown_page = views.current_page()
    views.open_requested(shown_page)
    filters, absent, ignored = _filters(db, end)
    if shown_page is not None:
        db.prefetch(shown_page, filters)
    with navigation:
        _navigation(filters)
    with st.sidebar:
        views.sidebar(shown_page)
    st.title(title)
    st.caption(question)
    if ignored:
        st.warning(
            "Ignored in the link: " + "; ".join(safe.md(note) for note in ignored) + ". The "
            "filters in the sidebar show what the page counts."
        )
    if absent:
        st.warning(
            f"Not in the data: {', '.join(safe.md(a) for a in absent)}, asked for by the link. "
            "The page counts without that filter."
        )
    _agreement_gaps(db)
    ctx = PageContext(filters=filters, db=db, agreement=agreement, data_end=end)
    _versions_notice(ctx)
    return ctx


def _versions_notice(ctx: PageContext) -> None:
    """Say which version of the agreement judges the period: every page, when the period spans a
    change or is judged by a version other than the latest."""
    spans, latest = ctx.spans, ctx.agreement.version
    if len(spans) > 1:
        parts = "; ".join(
            safe.md(f"{span.version.label} for {fmt.day_range(span.first_day, span.last_day)}")
            for span in spans
        )
        st.info(
            f"**{ctx.filters.period.label} spans a change of the agreement:** {parts}. Each "
            "lead is judged by the version in force at its hand-over; a target of the period "
            "is each version's, weighted by its days (the Scorecard says which target applied "
            "to which days). The history is on the Definitions page."
        )
    elif spans and spans[0].version.number != latest.number:
        st.caption(
            f"{ctx.filters.period.label} is judged by {safe.md(spans[0].version.label)} of the "
            f"agreement; it has changed since ({safe.md(latest.label)}, see Definitions)."
        )


def _agreement_gaps(db: CachedDatabase) -> None:
    """Warn while the agreement names sources, campaigns, owners or teams the data does not have
    (metrics.not_in_data): after importing another team's export, its goals and rules would
    otherwise judge names that are not there."""
    absent = metrics.not_in_data(db)
    if absent["source"]:
        goals = [s for s in absent["source"] if s in db.agreement.mql_goal_by_source]
        others = [s for s in absent["source"] if s not in goals]
        goals_said = (
            f"**The agreement sets MQL goals for {fmt.plural(len(goals), 'source')} the data "
            f"does not have:** {', '.join(safe.md(s) for s in goals)}. Their goals show as not "
            "in the data, not as missed. "
            if goals
            else ""
        )
        others_said = (
            "Its scoring rules look for sources the data does not have: "
            f"{', '.join(safe.md(s) for s in others)} (those rules give no points). "
            if others
            else ""
        )
        st.warning(
            goals_said + others_said + "If this export names its sources otherwise, change "
            "`mql_goal.by_source` in the agreement (see Definitions) to its sources, or start an "
            "agreement from this data (Data loaded: Starter agreement)."
        )
    rest = [(d, names) for d, names in absent.items() if d != "source" and names]
    if rest:
        st.warning(
            "**The agreement's scoring rules name values the data does not have:** "
            + "; ".join(
                f"{_SCOPE_LABELS[d].lower()} {', '.join(safe.md(n) for n in names)}"
                for d, names in rest
            )
            + ". Those rules give no points. Change them in the agreement (see Definitions), or "
            "start one from this data (Data loaded: Starter agreement)."
        )


def no_leads(ctx: PageContext, stop: bool = True) -> None:
    """Say that the filters match nothing and what to change; stop the page unless asked not to."""
    st.info(
        f"No leads match these filters in {ctx.filters.period.label}. Choose a longer period or "
        "clear a filter in the sidebar."
    )
    if stop:
        st.stop()


def maturity_notice(ctx: PageContext, steps: tuple[str, ...]) -> None:
    """Say at the top of a page which of `steps` the period is still too young for, and offer,
    in one click, the latest month that is mature for them (and, when that is far back, the
    latest mature for the nearest step). Flow counts are never immature."""
    mature = metrics.period_maturity(ctx.filters, ctx.agreement, ctx.data_end)
    young = [step for step in steps if not mature[step]]
    if not young:
        return
    limits = metrics.step_limits(ctx.agreement)
    young.sort(key=limits.get)
    period = ctx.filters.period
    named = ", ".join(f"{metrics.step_label(s, ctx.agreement)} ({limits[s]:g} days)" for s in young)
    steps_word = "that step" if len(young) == 1 else "those steps"
    rates = "its rate" if len(young) == 1 else "their rates"
    st.warning(
        f"**{period.label} is still young for {named}**: fewer days have passed since it ended "
        f"than the agreement allows for {steps_word}, so {rates} will still rise and cannot yet "
        "be compared with older periods."
    )
    offers: dict[Period, str] = {}
    for step in (young[0], young[-1]):
        month = metrics.latest_mature_month(ctx.agreement, ctx.data_end, step)
        offers.setdefault(month, metrics.step_label(step, ctx.agreement))
    columns = st.columns(len(offers) + 1)
    for column, (month, step_name) in zip(columns, offers.items(), strict=False):
        column.button(
            f"Show {month.label}",
            key=f"mature_{month.start:%Y%m}",
            on_click=choose_period,
            args=(month,),
            help=f"The latest month whose leads have had the time the agreement allows for "
            f"{safe.md(step_name)}.",
            icon=":material/history:",
        )


def choose_period(period: Period) -> None:
    """Set the shared period filter to these dates (a button's callback, before the rerun)."""
    st.session_state["_f_period"] = "custom"
    st.session_state["_f_dates"] = (period.start, period.end - dt.timedelta(days=1))


def link_params(filters: Filters | None) -> dict[str, list[str]] | None:
    return filters.to_query_params() if filters else None


def _navigation(filters: Filters | None) -> None:
    """The grouped page links (drawn into the current container); they carry the filters."""
    st.markdown("### Handoff")
    for section, links in NAVIGATION:
        st.caption(section.upper())
        for link in links:
            st.page_link(
                link.path, label=link.label, icon=link.icon, query_params=link_params(filters)
            )
    st.divider()


def _open() -> tuple[CachedDatabase, agreement_mod.Agreement]:
    """The agreement and the database, or a clear message and a stopped page."""
    agreement_path = agreement_path_from_env()
    try:
        agreement = agreement_mod.load(agreement_path)
    except agreement_mod.AgreementError as exc:
        st.error(f"The agreement file is not valid: {safe.md(exc)}")
        st.stop()
    db_path = db_path_from_env()
    if not db_path.is_file():
        if demo.app_build(db_path) != "build":
            st.error(
                f"No database at {safe.md(db_path)} (set by HANDOFF_DB). Import a dataset with "
                f"python -m handoff import FOLDER --db {safe.md(db_path)}"
            )
            st.stop()
        _build_demo(db_path, agreement_path, rebuild=False)
    try:
        db = _database(str(db_path), str(agreement_path), _key(db_path, agreement_path))
    except OutdatedDatabase as exc:
        if demo.app_build(db_path, exc) != "rebuild":
            st.error(f"Cannot open the database: {safe.md(exc)}.")
            st.stop()
        _build_demo(db_path, agreement_path, rebuild=True)
        db = _database(str(db_path), str(agreement_path), _key(db_path, agreement_path))
    except (QueryError, OSError, agreement_mod.AgreementError) as exc:
        st.error(f"Cannot open the database: {safe.md(exc)}")
        st.stop()
    key = _key(db_path, agreement_path)
    return CachedDatabase(db, key), agreement


def _build_demo(db_path: Path, agreement_path: Path, rebuild: bool) -> None:
    """Build the demo database (demo.build_app_database), its progress in a status box."""
    label = (
        "Rebuilding the demo database for this version…"
        if rebuild
        else "First start: building the demo database…"
    )
    with st.status(label, expanded=True) as status:
        demo.build_app_database(db_path, agreement_path, rebuild, progress=status.write)
        status.update(label="Demo database ready", state="complete", expanded=False)


class StageBar:
    """A progress bar for a check or an import: called with each stage (an importer.Progress),
    it shows the share of stages done and the stage running or just ended, with its rows and
    rows per second; `close` removes it once the outcome is shown."""

    def __init__(self, what: str):
        self.what = what
        self.bar = st.progress(0.0, text=f"{what}: starting…")

    def __call__(self, stage: Stage) -> None:
        self.bar.progress(stage.done, text=f"{self.what}: {safe.md(stage.line())}")

    def close(self) -> None:
        self.bar.empty()


def _key(db_path: Path, agreement_path: Path) -> tuple:
    return (*_fingerprint(db_path), *_fingerprint(agreement_path))


def _fingerprint(path: Path) -> tuple:
    stat = path.stat()
    return (str(path.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size)


@st.cache_resource(max_entries=1, show_spinner="Opening the database…")
def _database(db_path: str, agreement_path: str, key: tuple) -> Database:
    # `key` (the files' fingerprints) makes a re-import or an edited agreement open anew.
    return Database(db_path, agreement_mod.load(agreement_path))


@st.cache_data(ttl=600, max_entries=2000, show_spinner=False)
def _cached_run(
    _db: Database, key: tuple, name: str, params: dict[str, Any], columns: dict[str, str | None]
) -> pd.DataFrame:
    return _db.run(name, params, columns)


# ---- filters -------------------------------------------------------------------------------


def _filters(db: CachedDatabase, end: dt.datetime) -> tuple[Filters, list[str], list[str]]:
    """Draw the shared filters in the sidebar; return their values, the values a link asked
    for that the data does not have, and the link's values that were ignored as malformed."""
    options = db.run("filter_options")
    attribute_options = db.run("attribute_options")
    attributes = sorted(attribute_options["attribute"].unique())
    url = _url_params()
    from_url, ignored = read_query_params(url, end.date(), attributes)
    data_end = end.date()
    # What the link asks for that the data does not have is said, not silently dropped.
    absent = [
        f"attribute “{safe.shorten(key.removeprefix(ATTRIBUTE_URL_PREFIX))}”"
        for key in url
        if key.startswith(ATTRIBUTE_URL_PREFIX)
        and key.removeprefix(ATTRIBUTE_URL_PREFIX) not in attributes
    ]

    with st.sidebar:
        st.markdown("**Filters**")
        period_choice = control(
            st.selectbox,
            "f_period",
            from_url.period.kind,
            "Period",
            options=list(PERIODS),
            format_func=PERIODS.get,
            link=False,
        )
        period = resolve_period(period_choice, data_end) if period_choice != "custom" else None
        if period_choice == "custom":
            default_range = (from_url.period.start, from_url.period.end - dt.timedelta(days=1))
            if from_url.period.kind != "custom":
                default_range = (data_end.replace(day=1), data_end)
            picked = control(
                st.date_input,
                "f_dates",
                default_range,
                "From – to",
                format="YYYY-MM-DD",
                min_value=EARLIEST_DATE,
                max_value=LATEST_DATE,
                link=False,
            )
            if isinstance(picked, tuple | list) and len(picked) == 2:
                period = resolve_period("custom", data_end, picked[0], picked[1])
            else:
                period = resolve_period("custom", data_end, picked[0], picked[0])
        view = control(
            st.radio,
            "f_view",
            from_url.view,
            "Count",
            options=list(VIEWS),
            format_func=VIEWS.get,
            link=False,
        )
        st.caption(f"Data through {data_end:%d %b %Y} ({db.agreement.time_zone}).")
        scope: dict[str, tuple[str, ...]] = {}
        for key in GROUP_COLUMNS:
            values = options.loc[options["dimension"] == key, "value"].tolist()
            asked = getattr(from_url, key + "s")
            said = _SCOPE_LABELS[key].lower()
            absent += [f"{said} “{safe.shorten(v)}”" for v in asked if v not in values]
            wanted = [v for v in asked if v in values]
            scope[key] = tuple(
                control(
                    st.multiselect,
                    "f_" + key,
                    wanted,
                    _SCOPE_LABELS[key],
                    options=values,
                    placeholder="All",
                    link=False,
                )
            )
        chosen_attributes: list[tuple[str, tuple[str, ...]]] = []
        if attributes:
            with st.expander("Lead attributes", expanded=bool(from_url.attributes)):
                url_attrs = dict(from_url.attributes)
                for name in attributes:
                    values = attribute_options.loc[
                        attribute_options["attribute"] == name, "value"
                    ].tolist()
                    asked = url_attrs.get(name, ())
                    absent += [f"{name} “{safe.shorten(v)}”" for v in asked if v not in values]
                    wanted = [v for v in asked if v in values]
                    picked = control(
                        st.multiselect,
                        "f_" + ATTRIBUTE_URL_PREFIX + name,
                        wanted,
                        safe.md(name.replace("_", " ").capitalize()),
                        options=values,
                        placeholder="All",
                        link=False,
                    )
                    if picked:
                        chosen_attributes.append((name, tuple(picked)))

    filters = Filters(
        period=period,
        view=view,
        attributes=tuple(chosen_attributes),
        # sources=, campaigns=, owners=, teams=: the scope's fields are its columns' plurals.
        **{key + "s": values for key, values in scope.items()},
    )
    # The filters' own keys of the URL, rewritten when they differ; the page's own choices
    # (written by `control`) stay.
    wanted_url = filters.to_query_params()
    if {k: v for k, v in url.items() if is_filter_param(k)} != wanted_url:
        for key in [k for k in st.query_params if is_filter_param(k)]:
            del st.query_params[key]
        st.query_params.update(wanted_url)
    return filters, absent, ignored


def _url_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def dollars(heading: str | None = None) -> Any:
    """A table's money column in whole dollars ($12,346), as money reads on the page's metrics
    (fmt.usd): no cents on revenue or costs; the download keeps the same (tables.download_frame
    reads the step)."""
    return st.column_config.NumberColumn(heading, format="dollar", step=1)


def percent(values: Iterable[float | None], heading: str | None = None, digits: int = 1) -> Any:
    """A table's column of percentages (the frame holds 0–100) with `digits` decimals, or more
    where a share that is not nil would read 0% (fmt.percent_digits: fmt.rate's rule, one
    number of decimals down the column)."""
    shown = fmt.percent_digits(values, digits)
    return st.column_config.NumberColumn(heading, format=f"%.{shown}f%%")


def table(data: pd.DataFrame | Styler, **kwargs: Any) -> None:
    """`st.dataframe` by Handoff's table rules: every row up to 20 shows before it scrolls
    (`tables.table_height`), a missing value reads '–', not 'None' (`tables.MISSING`), and no
    index; any of these a call gives itself wins."""
    frame = data.data if isinstance(data, Styler) else data
    kwargs.setdefault("height", tables.table_height(len(frame)))
    kwargs.setdefault("placeholder", tables.MISSING)
    kwargs.setdefault("hide_index", True)
    st.dataframe(data, **kwargs)


def csv_download(
    label: str,
    frame: pd.DataFrame,
    file_name: str,
    *,
    column_config: dict[str, Any] | None,
    time_zone: str,
) -> None:
    """A button that downloads `frame` as CSV; the file is written only when it is clicked.
    It reads as the table on the page: the page's `column_config` headings, numbers rounded as
    shown and times local to `time_zone`, named in the heading (`tables.download_frame`); text
    cells a spreadsheet would run as formulas are made inert (`safe.csv_frame`)."""
    st.download_button(
        label,
        data=lambda: safe.csv_bytes(tables.download_frame(frame, column_config, time_zone)),
        file_name=file_name,
        mime="text/csv",
        on_click="ignore",
    )


def lead_links(frame: pd.DataFrame, ctx: PageContext) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A lead list with its links (tables.with_lead_links) and their column formats: every lead
    list shows `st.dataframe(shown, column_config={..., **links})` (show_lead_list), so each
    has the same."""
    shown = tables.with_lead_links(frame, ctx.filters.to_query_params(), ctx.agreement.crm_url)
    links: dict[str, Any] = {
        "journey": st.column_config.LinkColumn(
            "Journey",
            display_text="Open the journey",
            help="The lead's touches, score, stages and activities on one page",
        )
    }
    if "crm_record" in shown.columns:
        links["crm_record"] = st.column_config.LinkColumn(
            "CRM", display_text="Open in the CRM", help="The lead's record in the CRM (crm_url)"
        )
    return shown, links


def show_lead_list(
    frame: pd.DataFrame,
    ctx: PageContext,
    columns: dict[str, Any],
    *,
    blanks: str,
    has_crm_score: bool,
    download: str,
    file_name: str,
) -> None:
    """A lead list as every page shows it: the table with the journey and CRM links
    (lead_links), what its blanks mean (`blanks`, then the export's own gaps:
    tables.MISSING_IN_LEAD_LIST), what its scores are (tables.scores_caption), and the button
    `download` that writes it as CSV under the table's headings (csv_download)."""
    shown, links = lead_links(frame, ctx)
    table(shown, hide_index=True, column_config={**columns, **links})
    st.caption(f"{blanks}; {tables.MISSING_IN_LEAD_LIST}.")
    scores = tables.scores_caption(frame, ctx.agreement, has_crm_score)
    if scores:
        st.caption(safe.md(scores))
    csv_download(
        download, frame, file_name, column_config=columns, time_zone=ctx.agreement.time_zone
    )


def control(
    widget: Any, key: str, initial: Any, label: str, *, link: bool = True, **kwargs: Any
) -> Any:
    """Draw a widget whose value survives page changes through its shadow key, and, with `link`
    (a page's own choice, not a shared filter), is in the page's URL under `key`.

    Streamlit drops a widget's state when another page runs; the shadow `_<key>` keeps it. The
    widget's value is set from the shadow before it is drawn (on a session's first sight of it,
    from the URL: a link restores the exact view), and a change is copied to the shadow by the
    widget's callback, before the rerun. A choice other than `initial` is written to the URL,
    so the address bar is always a link to what the page shows; a value a link holds that is
    not a choice here is said under the widget, and `initial` is used.
    """
    shadow = "_" + key
    options = kwargs.get("options")
    refused = None
    if shadow in st.session_state:
        value = st.session_state[shadow]
    elif link and key in st.query_params:
        value, refused = _from_link(st.query_params.get_all(key), initial, options, kwargs)
    else:
        value = initial
    if options is not None and isinstance(value, list):
        value = [v for v in value if v in options]
    elif options is not None and value not in options:
        value = options[0]
    st.session_state[key] = value
    result = widget(label, key=key, on_change=_keep, args=(key,), **kwargs)
    st.session_state[shadow] = result
    if refused:
        st.caption(f"The link asked for {safe.md(label)} {safe.md(refused)}, not a choice here.")
    if link:
        if result == initial:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = _link_text(result)
    return result


def _from_link(
    asked: list[str], initial: Any, options: Any, kwargs: dict[str, Any]
) -> tuple[Any, str | None]:
    """A control's value from the URL's texts: an option whose text it is (each of them, for a
    list), or a whole number within a slider's bounds; else `initial` and the refused text."""
    if options is not None:
        by_text = {_link_text(o): o for o in options}
        if isinstance(initial, list):
            picked = [by_text[a] for a in asked if a in by_text]
            wrong = [a for a in asked if a not in by_text]
            return picked, (", ".join(f"“{safe.shorten(w)}”" for w in wrong) or None)
        if asked[0] in by_text:
            return by_text[asked[0]], None
        return initial, f"“{safe.shorten(asked[0])}”"
    text = asked[0]
    if isinstance(initial, str):  # a text input takes the link's text as it is
        return text, None
    if isinstance(initial, bool):
        if text in ("true", "false"):
            return text == "true", None
        return initial, f"“{safe.shorten(text)}”"
    if isinstance(initial, int | float):
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        try:
            number = int(text) if isinstance(initial, int) else float(text)
        except ValueError:
            number = None
        if (
            number is not None
            and math.isfinite(number)
            and (low is None or number >= low)
            and (high is None or number <= high)
        ):
            return number, None
        return initial, f"“{safe.shorten(text)}”"
    return initial, None


def _link_text(value: Any) -> str | list[str]:
    """A control's value as the URL holds it (a list as the key repeated)."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _keep(key: str) -> None:
    st.session_state["_" + key] = st.session_state[key]


# The old names of the changes a page gates, as access.Person's actions.
_CHANGE_ACTIONS = {"data": "change_data", "agreement": "edit_agreement"}


def data_changes_refusal(change: str = "data") -> str | None:
    """Why this session may not upload, import or restore data (or, with `change="agreement"`,
    edit the agreement; None when it may): the signed-in person's role with sign-in on
    (handoff.access), else `safe.data_changes_refusal` from the address the server listens on,
    the peer's, and the host the browser asked for."""
    return access.current_person().refusal(_CHANGE_ACTIONS[change])


def change_rows(changes: list[changelog.Change], time_zone: str) -> list[dict[str, str]]:
    """Change-log lines as the pages' table shows them, times in the agreement's zone."""
    return [
        {
            "When": f"{pd.Timestamp(c.at).tz_convert(time_zone):%d %b %Y %H:%M}",
            "Who": c.who,
            "What": changelog.KINDS.get(c.what, c.what),
            "Detail": c.detail,
        }
        for c in changes
    ]
