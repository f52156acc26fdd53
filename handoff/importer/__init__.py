"""Import an export (a canonical dataset, a CRM export or anything a mapping describes), safely.

The pipeline, one module per step (`run` runs them; the SQL is in queries/import/):

1. `plan`: which file is which and the mapping that reads them, from the headers alone.
2. `read`: each file loaded as text into its own table (`scan` looks at a text file's bytes
   first; `limits` refuses what is too big), structurally broken lines rejected.
3. `extract` and `typed`: the mapping makes the canonical columns of each file (`extract`), and
   each value is typed against the data contract with the problem it has (`typed`; `dates`
   decides a file's day-month order first).
4. `build`: each canonical table made of its accepted rows; every other row is kept in the
   rejects with its file, line, outcome (rejected as bad, or set aside by a rule of the mapping)
   and a reason a person understands (`result` says what happened).
5. `finish`: label spellings merged, lead attributes listed, the import recorded.

Each step is a stage reported to the caller as it begins and ends, with its rows (`progress`).

Accepted + set aside + rejected = read, always, for every file (for a file feeding several
tables by row rules, summed over them). The database is built in a new file and
swapped in only when everything succeeded, so a failed import leaves the previous data untouched.

Defined handling of bad input (each has a test):
- UTF-8 BOM, `,` `;` or tab delimiters, CRLF and quoted fields are detected by DuckDB's sniffer.
- Blank strings (after trimming) are NULL, and so is any value a mapping lists as `missing`
  (X Education's `Select`); a blank `source` becomes `(unknown)`.
- Timestamps are ISO 8601 with or without offset, or date-only (midnight), or one of the
  mapping's date formats; without an offset they are read in the mapping's time zone, else the
  agreement's (a wall-clock time skipped by a daylight-saving change moves forward by the gap; a
  repeated one takes the later instant).
- Numbers may carry a currency sign, thousands separators and a K/M/B suffix (`$1,117.10K` is
  1117100); a decimal comma, text or an infinite value rejects the row.
- A second row with the same `lead_id` (or `deal_id`) is rejected, naming the first one's line.
- A touch, activity or deal whose `lead_id` is not an accepted lead is rejected as an orphan.
- Rows with more or fewer fields than the header, or bytes that are not UTF-8, are rejected.
- Rows a mapping's rule sets aside (a Salesforce task about a contact; an event-log row no
  kind's row rule takes) are not rejected: they are counted as set aside, naming the rule.
- Stage timestamps out of order are kept and counted as a data-quality warning (staging views).
- Label spellings that differ only in case, spaces or punctuation ("Online Store" and
  "OnlineStore", "google" and "Google") are merged into the most frequent spelling when the
  mapping asks for it (the CRM formats do), and the import lists every merge.
- A missing required column, an unreadable file or a missing leads file stops the import with a
  message naming the file and column.

Every lead gets a `lead_key` (1, 2, ... in order of creation) that the other tables carry too:
the staging tables join on it, and leads are stored sorted by it.
"""

from __future__ import annotations

from handoff.contract import FILE_SUFFIXES
from handoff.importer.finish import LABEL_GROUPS
from handoff.importer.plan import Plan, export_files, plan_export, plan_import, read_headers
from handoff.importer.progress import Progress, Stage
from handoff.importer.read import MAX_LINE_BYTES, normalize_headers
from handoff.importer.result import (
    LOOKUP_TABLE,
    SCHEMA_VERSION,
    ImportFailure,
    ImportResult,
    TableResult,
)
from handoff.importer.run import (
    check_dataset,
    default_rejects_path,
    import_dataset,
    load,
    rejected,
)
from handoff.importer.update import UpdateResult, update_dataset

__all__ = [
    "FILE_SUFFIXES",
    "LABEL_GROUPS",
    "LOOKUP_TABLE",
    "MAX_LINE_BYTES",
    "SCHEMA_VERSION",
    "ImportFailure",
    "ImportResult",
    "Plan",
    "Progress",
    "Stage",
    "TableResult",
    "UpdateResult",
    "check_dataset",
    "default_rejects_path",
    "export_files",
    "import_dataset",
    "load",
    "normalize_headers",
    "plan_export",
    "plan_import",
    "read_headers",
    "rejected",
    "update_dataset",
]
