"""Where Handoff's own files are, in a checkout and in an installed copy.

A checkout (this repository) has the app (app.py, pages/, .streamlit/config.toml), the queries
and the default agreement at its top level, beside the `handoff` package, and keeps its data in
its own data/ folder. `pip install .` copies the same files into the package as `handoff/_app`
(setup.py), and an installed copy keeps its data in data/ of the folder it runs in (HANDOFF_DB,
HANDOFF_AGREEMENT and HANDOFF_VIEWS say otherwise). Nothing else in Handoff decides where these
files are.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_INSTALLED = PACKAGE / "_app"
INSTALLED = (_INSTALLED / "app.py").is_file()
# app.py, pages/, queries/, .streamlit/config.toml and the shipped data/agreement.toml.
APP_DIR = _INSTALLED if INSTALLED else PACKAGE.parent
QUERY_DIR = APP_DIR / "queries"
SHIPPED_AGREEMENT = APP_DIR / "data" / "agreement.toml"
DATA_DIR = Path("data") if INSTALLED else APP_DIR / "data"
DEFAULT_DB = DATA_DIR / "handoff.duckdb"
DEFAULT_AGREEMENT = DATA_DIR / "agreement.toml"
# The saved views (handoff.views): beside the database, never inside it, so an import keeps them.
DEFAULT_VIEWS = DATA_DIR / "views.sqlite"

# The files `pip install .` copies into handoff/_app (setup.py), as patterns under APP_DIR.
APP_FILES = (
    "app.py",
    "pages/*.py",
    "queries/*.sql",
    "queries/*/*.sql",
    "data/agreement.toml",
    ".streamlit/config.toml",
)


def shown(path: Path) -> str:
    """A file of Handoff's own, as messages name it: relative to APP_DIR."""
    try:
        return str(path.relative_to(APP_DIR))
    except ValueError:
        return str(path)
