"""What an import says: its outcome per file, the failure that stops it, and the version of
the database layout it writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from handoff import mapping as mapping_mod
from handoff.contract import TABLES

# The layout of the database file an import writes: its tables and their columns (`build` and
# queries/import/) and the import's record (`finish`). `handoff.db` refuses a file of another
# version, asking for the data to be imported again. (Here, in a module that needs nothing of
# handoff.db, because handoff.db reads it.)
SCHEMA_VERSION = 6

# How a file used for lookups only is listed in place of a table name.
LOOKUP_TABLE = "(lookup)"


class ImportFailure(Exception):
    """The import cannot go on; the message names the file and, where it applies, the column."""


@dataclass
class TableResult:
    """What happened to one file of the export (or to a canonical table no file feeds)."""

    table: str | None  # the canonical table fed; None for a file used for lookups only
    file: str | None
    kind: str | None = None  # the mapping's kind of file
    # Every row read ends in one of three outcomes: accepted + set aside + rejected = read.
    n_read: int = 0
    n_accepted: int = 0
    n_set_aside: int = 0  # left out by a rule of the mapping (not bad data)
    n_rejected: int = 0  # bad data
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Of a file about leads: the lead attributes its rows give (added to the leads table).
    lead_attributes: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """The outcome of reading an export."""

    folder: Path
    tables: list[TableResult]
    reasons: list[tuple[str, str, int]]  # rejected: (table, cause, rows), most frequent first
    format: str = mapping_mod.CANONICAL
    format_title: str = ""
    detection: list[str] = field(default_factory=list)  # how the format and files were chosen
    mapping_notes: list[str] = field(default_factory=list)  # the mapping's `notes`, as written
    merges: list[tuple[str, str, str, int]] = field(default_factory=list)  # group, from, to, n
    # Set aside by a rule: (table, file, rule, rows), most frequent first.
    set_aside: list[tuple[str, str, str, int]] = field(default_factory=list)
    rejects_path: Path | None = None
    db_path: Path | None = None
    data_end_at: dt.datetime | None = None

    @property
    def n_rejected(self) -> int:
        return sum(t.n_rejected for t in self.tables)

    @property
    def n_set_aside(self) -> int:
        return sum(t.n_set_aside for t in self.tables)

    def shared_files(self) -> dict[str, list[TableResult]]:
        """Files that fed more than one table (by row rules): the results of each."""
        by_file: dict[str, list[TableResult]] = {}
        for t in self.tables:
            if t.file:
                by_file.setdefault(t.file, []).append(t)
        return {f: ts for f, ts in by_file.items() if len(ts) > 1}

    def to_json(self) -> dict[str, object]:
        """What the import or check found, for a program: the three outcomes per file and the
        summaries by cause (rejected) and by rule (set aside)."""
        return {
            "format": self.format,
            "files": [
                {
                    "table": t.table or LOOKUP_TABLE,
                    "file": t.file,
                    "kind": t.kind,
                    "read": t.n_read,
                    "accepted": t.n_accepted,
                    "set_aside": t.n_set_aside,
                    "rejected": t.n_rejected,
                }
                for t in self.tables
            ],
            "total": {
                "read": sum(t.n_read for t in self.tables),
                "accepted": sum(t.n_accepted for t in self.tables),
                "set_aside": self.n_set_aside,
                "rejected": self.n_rejected,
            },
            "rejected_by_cause": [
                {"table": table, "cause": cause, "rows": n} for table, cause, n in self.reasons
            ],
            "set_aside_by_rule": [
                {"table": table, "file": file, "rule": rule, "rows": n}
                for table, file, rule, n in self.set_aside
            ],
        }

    @property
    def lead_attributes(self) -> list[str]:
        out: list[str] = []
        for t in self.tables:
            if t.table == "leads":
                out += [c for c in t.extra_columns if c not in out]
        return out

    def counts(self) -> dict[str, int]:
        """Accepted rows per canonical table."""
        out = {t.name: 0 for t in TABLES}
        for t in self.tables:
            if t.table in out:
                out[t.table] += t.n_accepted
        return out

    def summary(self) -> str:
        """The per-file counts, the merges and the reasons, as printed by the CLI."""
        lines = []
        if self.format != mapping_mod.CANONICAL:
            lines += [f"Format: {self.format} ({self.format_title})"]
        if self.detection:
            lines += [f"  {line}" for line in self.detection] + [""]
        if self.mapping_notes:
            lines.append("What the mapping assumes (its notes):")
            lines += [f"  - {note}" for note in self.mapping_notes] + [""]
        lines.append(
            f"{'table':<11} {'file':<22} {'read':>10} {'accepted':>10} {'set aside':>10}"
            f" {'rejected':>10}"
        )
        for t in self.tables:
            file = t.file or "(none)"
            lines.append(
                f"{t.table or LOOKUP_TABLE:<11} {file:<22} {t.n_read:>10,} {t.n_accepted:>10,}"
                f" {t.n_set_aside:>10,} {t.n_rejected:>10,}"
            )
            for note in t.notes:
                lines.append(f"    {note}")
            if t.extra_columns:
                kind = "lead attributes" if t.table == "leads" else "extra columns"
                lines.append(f"    kept as {kind}: {', '.join(t.extra_columns)}")
        total_read = sum(t.n_read for t in self.tables)
        total_acc = sum(t.n_accepted for t in self.tables)
        adds_up = total_acc + self.n_set_aside + self.n_rejected == total_read
        lines.append(
            f"{'total':<34} {total_read:>10,} {total_acc:>10,} {self.n_set_aside:>10,}"
            f" {self.n_rejected:>10,}"
            + ("   (accepted + set aside + rejected = read)" if adds_up else "")
        )
        for file, parts in self.shared_files().items():
            fed = " + ".join(f"{t.table} {t.n_read:,}" for t in parts)
            lines.append(
                f"  {file} fed {len(parts)} tables by row rules: "
                f"{sum(t.n_read for t in parts):,} rows read = {fed}"
            )
        if self.merges:
            lines.append("")
            lines.append(
                "Label spellings merged (they differ only in case, spaces or punctuation):"
            )
            for group, before, after, n in self.merges:
                lines.append(f"  {group}: '{before}' → '{after}' ({n:,} rows)")
        lines += self._counted_lines()
        if self.rejects_path is not None and (self.n_rejected or self.n_set_aside):
            lines.append(
                f"Every rejected and set-aside row, with its line, outcome and reason: "
                f"{self.rejects_path}"
            )
        return "\n".join(lines)

    def _counted_lines(self) -> list[str]:
        """The rows set aside counted by rule, then the rejected ones by cause (20 of each)."""
        lines: list[str] = []
        if self.set_aside:
            lines += ["", "Set aside by rule (not bad data: rows the mapping leaves out):"]
            lines += [f"  {n:>8,}  {t} ({f}): {rule}" for t, f, rule, n in self.set_aside[:20]]
            if len(self.set_aside) > 20:
                lines.append(f"  ... and {len(self.set_aside) - 20} more rules")
        if self.reasons:
            lines += ["", "Rejected rows by cause:"]
            lines += [f"  {n:>8,}  {table}: {reason}" for table, reason, n in self.reasons[:20]]
            if len(self.reasons) > 20:
                lines.append(f"  ... and {len(self.reasons) - 20} more causes")
        return lines
