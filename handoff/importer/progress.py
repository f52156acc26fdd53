"""How far a check or an import has got: each stage reported as it begins and as it ends, with
the rows it handled and how fast.

The stages of an import, in order: finding the files of the export; reading each file (its rows
as text, structurally broken lines set aside); building each canonical table (typing, checking,
rejecting); finishing (label spellings, lead attributes, the import's record); and, for an
import only, building the staging tables and writing the rejects file. How many there will be is
known once the files are found, so a stage says "3 of 11" and the share of stages done; a stage's
rows are known when it ends. The command line prints a line per stage (`handoff import` and
`handoff check`, on stderr); the Data page shows a progress bar with the stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One stage of a check or an import, as it begins (`seconds` None) or ends."""

    name: str  # what it does, e.g. "reading leads.csv"
    step: int  # its number, from 1
    steps: int | None  # the stages planned (None until the export's files are found)
    rows: int | None = None  # the rows it handled, once it has ended (None if it counts none)
    seconds: float | None = None  # how long it took, once it has ended
    unit: str = "row"  # what `rows` counts, in the singular

    @property
    def ended(self) -> bool:
        return self.seconds is not None

    @property
    def done(self) -> float:
        """The share of the planned stages ended, from 0 to 1 (0 until they are known)."""
        if self.steps is None:
            return 0.0
        return min(1.0, (self.step - (0 if self.ended else 1)) / self.steps)

    def line(self) -> str:
        """The stage as one line: "[3/11] reading leads.csv ..." as it begins, "[3/11] reading
        leads.csv: 1,200,000 rows in 4.1 s, 292,683 rows/s" as it ends."""
        head = f"[{self.step}/{self.steps or '?'}] {self.name}"
        if self.seconds is None:
            return f"{head} ..."
        if self.rows is None:
            return f"{head}: {self.seconds:.1f} s"
        rate = self.rows / self.seconds if self.seconds >= 0.05 and self.rows else None
        per_s = f", {rate:,.0f} {self.unit}s/s" if rate else ""
        counted = f"{self.rows:,} {self.unit}{'' if self.rows == 1 else 's'}"
        return f"{head}: {counted} in {self.seconds:.1f} s{per_s}"


Progress = Callable[[Stage], None]


class Counted:
    """A running stage: its rows (and what they are), set by the code that runs it."""

    rows: int | None = None
    unit: str = "row"


class Tracker:
    """Numbers the stages and reports them to `report` (nothing when it is None)."""

    def __init__(self, report: Progress | None):
        self.report = report
        self.steps: int | None = None
        self.step = 0

    def expect(self, more: int) -> None:
        """Plan `more` stages beyond those run or planned so far."""
        self.steps = max(self.steps or 0, self.step) + more

    def begin(self, name: str) -> None:
        """Begin a stage that lasts until the next `begin` or `close` (for code that only says
        what it starts): the one before ends, with its time."""
        self.close()
        self._open = self.stage(name)
        self._open.__enter__()

    def close(self) -> None:
        """End the stage `begin` began, if one is running."""
        running, self._open = getattr(self, "_open", None), None
        if running is not None:
            running.__exit__(None, None, None)

    @contextmanager
    def stage(self, name: str) -> Iterator[Counted]:
        """Run one stage: reported as it begins, and with its rows and time as it ends (not when
        it fails: the failure says what happened)."""
        self.step += 1
        if self.steps is not None:
            self.steps = max(self.steps, self.step)
        step = self.step
        if self.report:
            self.report(Stage(name, step, self.steps))
        counted = Counted()
        began = time.perf_counter()
        yield counted
        if self.report:
            seconds = time.perf_counter() - began
            self.report(Stage(name, step, self.steps, counted.rows, seconds, counted.unit))


def printer(stream, is_tty: bool) -> Progress:
    """A line per stage on `stream`. On a terminal, the line of a stage that has begun is
    replaced by its figures when it ends; elsewhere (a log, a pipe) both lines are written, so a
    log says what was running when an import stopped."""

    def report(stage: Stage) -> None:
        if is_tty:
            stream.write("\r\033[K" + stage.line() + ("\n" if stage.ended else ""))
        else:
            stream.write(stage.line() + "\n")
        stream.flush()

    return report
