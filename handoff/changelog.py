"""Who changed what, and when: every import, update, restore and agreement version, in a log.

Each change is one JSON line appended to a log file beside what it changed: the database's log
is `<database>.changes.jsonl` (data/handoff.duckdb.changes.jsonl), the agreement's is
`<agreement>.changes.jsonl`. A log is its own file, outside the database an import replaces
and a restore swaps, so it survives both; it is only ever appended to, one whole line per
`record` (O_APPEND under an exclusive lock, so two writers at once are two lines).

Who: in the app, the signed-in person's e-mail (`app:this machine` without sign-in); on the
command line, the operating-system user (`cli:<user>`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What a line's `what` says, as the pages name it.
KINDS = {
    "import": "Import (replaced the data)",
    "update": "Update (merged into the data)",
    "restore": "Restore of the earlier data",
    "restore_demo": "Restore of the demo data",
    "agreement": "Agreement version saved",
}


@dataclass(frozen=True)
class Change:
    """One line of a log."""

    at: dt.datetime  # UTC
    who: str
    what: str  # a key of KINDS
    detail: str
    version: int | None = None  # an agreement version's number


def log_path(path: str | Path) -> Path:
    """The log of the database or agreement file at `path`."""
    path = Path(path)
    return path.with_name(path.name + ".changes.jsonl")


def cli_actor() -> str:
    """Who runs a command: `cli:` and the operating-system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container's)
        user = str(os.getuid())
    return f"cli:{user}"


def record(
    path: str | Path,
    who: str,
    what: str,
    detail: str = "",
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Change:
    """Append one change to the log of the file at `path`, and return it."""
    if what not in KINDS:
        raise ValueError(f"unknown change {what!r}: one of {', '.join(KINDS)}")
    at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    change = Change(at=at, who=who, what=what, detail=detail, version=version)
    line = {"at": at.isoformat(timespec="seconds"), "who": who, "what": what, "detail": detail}
    if version is not None:
        line["version"] = version
    log = log_path(path)
    log.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, data)
    finally:
        os.close(fd)
    return change


def read(path: str | Path, kinds: tuple[str, ...] | None = None) -> list[Change]:
    """The changes in the log of the file at `path`, newest first (only `kinds`, when given).
    A line that is not a change (a torn or hand-edited one) is skipped; no log, no changes."""
    log = log_path(path)
    if not log.is_file():
        return []
    changes = []
    for text in log.read_text(encoding="utf-8", errors="replace").splitlines():
        change = _parse(text)
        if change is not None and (kinds is None or change.what in kinds):
            changes.append(change)
    changes.sort(key=lambda c: c.at, reverse=True)
    return changes


def _parse(text: str) -> Change | None:
    try:
        line: dict[str, Any] = json.loads(text)
        at = dt.datetime.fromisoformat(line["at"]).astimezone(dt.UTC)
        version = line.get("version")
        return Change(
            at=at,
            who=str(line["who"]),
            what=str(line["what"]),
            detail=str(line.get("detail", "")),
            version=version if isinstance(version, int) else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def saved_by(path: str | Path) -> dict[int, Change]:
    """The agreement's versions the log knows, by number: the latest save of each."""
    found: dict[int, Change] = {}
    for change in read(path, ("agreement",)):
        if change.version is not None and change.version not in found:
            found[change.version] = change
    return found
