"""What keeps the app's doors shut: text from the data shown as text, downloads that cannot run
formulas, uploads within their limits, and who may replace the data.

One helper per door, used everywhere that door opens:

- `md(value)`: a value from the data (a source, a campaign, an owner, a file name, a mapping's
  title) as literal text inside Streamlit markdown: no image, no link, no colour, no maths.
- `plot_text(value)` and `figure(fig)`: the same for plotly, whose text renders a little HTML.
- `csv_frame(frame)`: a frame as a spreadsheet may open it, without cells it would run as
  formulas (OWASP's CSV injection advice), numbers kept numbers.
- `data_changes_refusal(address, ip, host, change)`: whether this session may upload and import
  data, or edit the agreement, and if not, why in words.
- `upload_refusal(sizes)`: an upload too big to take, said before anything is saved.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

# ---- markdown -------------------------------------------------------------------------------

# What Streamlit's markdown gives a meaning to anywhere in a line: emphasis (* _ ~), code (`),
# links and images ([ ]), colours, icons, emoji and URLs (:), maths ($), HTML and entities
# (< > &), e-mail autolinks (@), and the escape itself. In CommonMark a backslash before ASCII
# punctuation makes it literal, so the escaped value shows exactly as typed.
_MARKDOWN_ANYWHERE = re.compile(r"([\\`*_~\[\]<>&:$@])")
# At a line's start: headings, quotes, lists, tables, setext underlines, ordered lists.
_MARKDOWN_LINE_START = re.compile(r"^(\s*)(?:([#>+\-=|])|(\d+)([.)])(?=\s|$))")
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(?=://)|(?<=\bwww)(?=\.)|(?=@)")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029]")


def md(value: Any) -> str:
    """A value from the data as literal text in Streamlit markdown (labels, captions, alerts)."""
    text = _LINE_BREAK.sub(" ", str(value))
    # GFM links bare URLs and e-mail addresses after parsing, in the text itself, where a
    # backslash no longer counts: an invisible word joiner breaks "https://", "www." and "a@b".
    text = _AUTOLINK.sub(WORD_JOINER, text)
    text = _MARKDOWN_ANYWHERE.sub(r"\\\1", text)
    return _MARKDOWN_LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match) -> str:
    space, mark, digits, after_digits = match.groups()
    return f"{space}\\{mark}" if mark else f"{space}{digits}\\{after_digits}"


def shorten(value: Any, limit: int = 60) -> str:
    """A value echoed back to the user (from a link, a file), cut to `limit` characters."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- plotly ---------------------------------------------------------------------------------

_PLOT_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def plot_text(value: Any) -> Any:
    """A label as literal text in a plotly figure, whose text renders tags like <a> and <img>;
    anything that is not a string is returned as it is."""
    if not isinstance(value, str):
        return value
    return re.sub(r"[&<>]", lambda m: _PLOT_ENTITIES[m.group()], value)


# Trace attributes that carry data labels. `text` and the hover templates are the builders' own
# (they hold <br> on purpose): a builder escapes the labels it puts into them with plot_text.
_TRACE_LABELS = ("x", "y", "name", "legendgroup", "customdata", "hovertext", "labels")


def figure(fig: Any) -> Any:
    """Escape every data label of a plotly figure in place (categories, trace names, custom
    data, titles, axis titles, annotations) and return it."""
    for trace in fig.data:
        for attribute in _TRACE_LABELS:
            if attribute in trace and trace[attribute] is not None:
                trace[attribute] = _plot_values(trace[attribute])
        if "title" in trace and trace.title.text:  # an indicator's own title
            trace.title.text = plot_text(trace.title.text)
    layout = fig.layout
    if layout.title.text:
        layout.title.text = plot_text(layout.title.text)
    if layout.title.subtitle.text:
        layout.title.subtitle.text = plot_text(layout.title.subtitle.text)
    for name in dir(layout):
        if re.fullmatch(r"[xy]axis\d*", name):
            axis = layout[name]
            if axis.title.text:
                axis.title.text = plot_text(axis.title.text)
            # An axis's own labels, and the categories they name (escaped as the traces' are).
            for attribute in ("ticktext", "tickvals"):
                if axis[attribute] is not None:
                    axis[attribute] = _plot_values(axis[attribute])
    if layout.legend.title.text:
        layout.legend.title.text = plot_text(layout.legend.title.text)
    for annotation in layout.annotations:
        annotation.text = plot_text(annotation.text)
    return fig


def _plot_values(values: Any) -> Any:
    if isinstance(values, str):
        return plot_text(values)
    if isinstance(values, np.ndarray):
        if values.dtype.kind not in "OUS":
            return values
        return np.vectorize(plot_text, otypes=[object])(values)
    if isinstance(values, list | tuple):
        return type(values)(_plot_values(v) for v in values)
    return values


# ---- CSV downloads --------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (tab and carriage return
# too, since they can be stripped before the cell is read). OWASP: prefix a single quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """One text cell made inert for a spreadsheet; other values are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells cannot run as formulas; numeric, boolean and date
    columns are left untouched, so -5 in a number column stays the number -5."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_string_dtype(series) or series.dtype == object:
            out[column] = series.map(csv_cell, na_action="ignore")
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as UTF-8 CSV, made inert for spreadsheets (see `csv_frame`). Rows end in CRLF
    (RFC 4180), so a field holding a carriage return or a line feed is quoted."""
    return csv_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


# ---- who may change the data ----------------------------------------------------------------

DEPLOY_HINT = (
    "To load data on a shared server, import it there with `python -m handoff import FOLDER`, "
    "or set up sign-in, which gives admins the upload (README, Sign-in and roles)."
)

EDIT_HINT = (
    "The agreement file on the server is the source of truth: edit it there (every page counts "
    "by it on its next run), or set up sign-in, which gives editors the editor (README, Sign-in "
    "and roles)."
)


def is_loopback(host: str | None) -> bool:
    """Whether a server address or peer names this machine only (127.0.0.0/8, ::1, localhost)."""
    if not host:
        return False
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# What each kind of change is called, what it could do in the wrong hands, and what to do instead.
CHANGES = {
    "data": ("Uploading and importing are", "replace the data", DEPLOY_HINT),
    "agreement": (
        "Editing the agreement is",
        "change the terms every page counts by",
        EDIT_HINT,
    ),
}


def request_host(header: str | None) -> str | None:
    """The host name of a request's Host header ('localhost:8501' -> 'localhost', '[::1]:8501'
    -> '::1'); None without one."""
    if not header or not header.strip():
        return None
    host = header.strip()
    if host.startswith("["):
        return host[1 : host.index("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def data_changes_refusal(
    address: str | None, ip: str | None, host: str | None = None, change: str = "data"
) -> str | None:
    """Why this session may not make a change (None when it may): upload or import data
    (`change="data"`), or edit the agreement (`"agreement"`).

    Without sign-in (with it, handoff.access decides by role), only a server that listens on this
    machine alone (`server.address` a loopback address) takes changes, and only from a connection
    from this machine (`ip`, the peer's address; None is how Streamlit reports a local or unknown
    peer) that asked for this machine by name (`host`, the request's Host header's host, when there
    is one: localhost or a loopback address). A reverse proxy on the same machine connects locally,
    so it can put sign-in in front; one that passes on the browser's address or its public host name
    makes its users read-only."""
    doing, harm, hint = CHANGES[change]
    if not is_loopback(address):
        where = f"on {address}" if address else "on every network interface"
        return (
            f"{doing} turned off: this server listens {where}, so anyone who can reach it could "
            f"{harm}. " + hint
        )
    if ip is not None and not is_loopback(ip):
        return (
            f"{doing} turned off for connections from other machines (this one comes from {ip}). "
            + hint
        )
    if host is not None and not is_loopback(host):
        return (
            f"{doing} turned off for this address: the browser asked for {host}, not for this "
            "machine (localhost), so it reaches the server through another machine or name. " + hint
        )
    return None


# ---- upload limits --------------------------------------------------------------------------

MAX_UPLOAD_FILES = 20
MAX_UPLOAD_MB = 1024  # all files of one upload together


def upload_refusal(
    sizes: Sequence[int], max_files: int = MAX_UPLOAD_FILES, max_mb: int = MAX_UPLOAD_MB
) -> str | None:
    """Why an upload of files of these sizes (bytes) is refused (None when it is taken)."""
    if len(sizes) > max_files:
        return (
            f"This upload has {len(sizes):,} files; Handoff takes at most {max_files:,} at a "
            "time. Upload the export's files only (leads, touches, activities, deals, spend and "
            "a mapping file), or import a bigger folder with `python -m handoff import FOLDER`."
        )
    total = sum(sizes)
    if total > max_mb * 1024 * 1024:
        return (
            f"This upload holds {total / 1024 / 1024:,.0f} MB; Handoff takes at most "
            f"{max_mb:,} MB in one upload. Import an export this big with "
            "`python -m handoff import FOLDER`."
        )
    return None
