"""What an import refuses to start, and one import at a time per database.

The limits keep a hostile or broken export (a 12 KB Parquet file of 20 million rows, a header of
100,000 columns, a 50 GB CSV) from taking the machine: each is checked from a file's size, its
header line or its Parquet metadata before any data is read, and refused with the limit and the
file's figure. They are set so that PRODUCT.md's scale imports with room to spare (10 million
leads and 100 million touches: the bench's touches.csv is about 7 GB), and each can be raised
with an environment variable, for the command line and the app alike:

- `HANDOFF_MAX_ROWS_PER_FILE` (200,000,000): twice the target's touches in one file.
- `HANDOFF_MAX_ROWS_PER_TABLE` (400,000,000): all the files feeding one table together.
- `HANDOFF_MAX_FILE_BYTES` (32 GiB): a CSV's size, or a Parquet file's uncompressed size.
- `HANDOFF_MAX_COLUMNS` (1,000): the widest real export seen has 250 columns (a Salesforce
  lead export with every custom field); DuckDB's sniffer is quadratic in columns past that
  (51 s at 3,000).
- `HANDOFF_MAX_ROWS_PER_BYTE` (10): a file of over a million rows may hold at most this many rows
  per byte on disk. Real rows carry ids that do not compress below a few bytes each; 20 million
  rows in 12.7 KB (1,575 per byte) is a decompression bomb, not an export.
- `HANDOFF_IMPORT_WAIT_SECONDS` (10): how long a second import into the same database waits for
  the first to finish before it stops, naming the one that holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

GIB = 1024**3


@dataclass(frozen=True)
class Limits:
    """The sizes an import refuses before reading any data (see the module docstring)."""

    max_rows_per_file: int = 200_000_000
    max_rows_per_table: int = 400_000_000
    max_file_bytes: int = 32 * GIB
    max_columns: int = 1_000
    max_rows_per_byte: int = 10
    import_wait_seconds: float = 10.0


ENV = {
    "max_rows_per_file": "HANDOFF_MAX_ROWS_PER_FILE",
    "max_rows_per_table": "HANDOFF_MAX_ROWS_PER_TABLE",
    "max_file_bytes": "HANDOFF_MAX_FILE_BYTES",
    "max_columns": "HANDOFF_MAX_COLUMNS",
    "max_rows_per_byte": "HANDOFF_MAX_ROWS_PER_BYTE",
    "import_wait_seconds": "HANDOFF_IMPORT_WAIT_SECONDS",
}


class LimitError(ValueError):
    """A limit's environment variable is not a number."""


def current() -> Limits:
    """The limits in force: the defaults, each overridden by its environment variable."""
    defaults = Limits()
    values = {}
    for name, var in ENV.items():
        text = os.environ.get(var, "").strip().replace("_", "").replace(",", "")
        if not text:
            continue
        kind = type(getattr(defaults, name))
        try:
            value = kind(text)
        except ValueError:
            raise LimitError(f"{var}={os.environ[var]!r} is not a number") from None
        if value < 0:
            raise LimitError(f"{var}={os.environ[var]!r} is negative")
        values[name] = value
    return Limits(**{**defaults.__dict__, **values})


class ImportBusy(Exception):
    """Another import into the same database is running."""


def lock_path(db_path: Path) -> Path:
    """The import lock beside the database (apart from the demo builder's `<db>.lock`)."""
    return db_path.with_name(f".{db_path.name}.import-lock")


@contextlib.contextmanager
def import_lock(db_path: Path, wait_seconds: float, what: str) -> Iterator[None]:
    """Hold the database's import lock, waiting at most `wait_seconds` for another import.

    The lock file says who holds it (pid, start time, what is imported), so the one that waits
    can name it. flock is released by the kernel when the holder dies, even by kill -9.
    """
    path = lock_path(db_path)
    with open(path, "a+") as f:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    f.seek(0)
                    holder = f.read().strip() or "another process"
                    raise ImportBusy(
                        f"{db_path}: another import into this database is running ({holder});"
                        f" waited {wait_seconds:g} s. Try again when it has finished"
                        f" (or raise {ENV['import_wait_seconds']})."
                    ) from None
                time.sleep(0.2)
        try:
            f.seek(0)
            f.truncate()
            f.write(f"pid {os.getpid()}, started {dt.datetime.now():%Y-%m-%d %H:%M:%S}, {what}")
            f.flush()
            yield
        finally:
            f.seek(0)
            f.truncate()
            f.flush()
            fcntl.flock(f, fcntl.LOCK_UN)


_BUILDING = re.compile(r"\.building-(\d+)-[0-9a-f]+(\.wal)?$")


def remove_stale_building_files(target: Path) -> list[Path]:
    """Remove what killed imports left beside `target` (`.<name>.building-<pid>-<hex>` files
    of processes that are gone); call while holding the import lock. Returns what was removed."""
    removed = []
    prefix = f".{target.name}.building-"
    for p in target.parent.glob(f".{glob_escape(target.name)}.building-*"):
        m = _BUILDING.search(p.name)
        if not p.name.startswith(prefix) or m is None or _alive(int(m.group(1))):
            continue
        p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def glob_escape(name: str) -> str:
    """A name with glob characters made literal for Path.glob."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
