"""Files uploaded in the app: written only inside the data folder, under names made safe.

Every upload gets a new folder `uploads/<time>-<token>/` next to the database; a file's name is
reduced to its last part with only letters, digits, `.`, `_`, `-` and spaces kept, and must end
in a data suffix (or `.toml` for a mapping file). The last few upload folders are kept, so an
import can be traced to its files; older ones are removed.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from handoff.contract import FILE_SUFFIXES

MAPPING_SUFFIX = ".toml"
KEEP_FOLDERS = 5
MAX_NAME = 120


@dataclass
class Saved:
    """What an upload wrote, and what it refused."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    mapping: Path | None = None
    refused: list[str] = field(default_factory=list)  # "name: why"


def uploads_root(db_path: Path) -> Path:
    """Where uploads go: the `uploads` folder beside the database, in the data folder."""
    return db_path.resolve().parent / "uploads"


def safe_name(name: str) -> str | None:
    """The file name an upload is stored under, or None when it cannot be made safe."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    if not base or len(base) > MAX_NAME or base.startswith("."):
        return None
    if Path(base).suffix.lower() not in (*FILE_SUFFIXES, MAPPING_SUFFIX):
        return None
    return base


def save(files: list[tuple[str, bytes]], root: Path) -> Saved:
    """Write uploaded files (name, content) into a new folder under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
    folder.mkdir()
    saved = Saved(folder=folder)
    for name, content in files:
        safe = safe_name(name)
        if safe is None:
            allowed = ", ".join((*FILE_SUFFIXES, MAPPING_SUFFIX))
            saved.refused.append(f"{name}: not a data file ({allowed}) with a usable name")
            continue
        target = (folder / safe).resolve()
        if target.parent != folder.resolve():  # cannot happen after safe_name; checked anyway
            saved.refused.append(f"{name}: outside the upload folder")
            continue
        if target.exists():
            saved.refused.append(f"{name}: a second file named {safe}")
            continue
        if target.suffix.lower() == MAPPING_SUFFIX:
            if saved.mapping is not None:
                saved.refused.append(f"{name}: only one mapping file per upload")
                continue
            saved.mapping = target
        else:
            saved.files.append(target)
        target.write_bytes(content)
    _prune(root, keep=folder)
    return saved


def _prune(root: Path, keep: Path) -> None:
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
    for old in folders[:-KEEP_FOLDERS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def source_name(saved: Saved, most: int = 4) -> str:
    """What the user calls an upload: its data files' (safe) names, in upload order, the
    first `most` of a long list and how many more."""
    names = [p.name for p in saved.files]
    if len(names) > most:
        names = [*names[: most - 1], f"{len(names) - most + 1} more files"]
    return ", ".join(names)


def changes(before: dict[str, int], after: dict[str, int]) -> list[dict[str, object]]:
    """Rows per table before and after an import, with the difference."""
    return [
        {
            "table": table,
            "rows_before": before.get(table, 0),
            "rows_after": after.get(table, 0),
            "change": after.get(table, 0) - before.get(table, 0),
        }
        for table in after
    ]
