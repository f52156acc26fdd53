"""`metrics --json` of a checkout on the demo and the golden data, for refactors to compare.

    python tests/metrics_snapshot.py OUT [--repo CHECKOUT]

imports the golden fixture and a fixed demo (24,000 leads ending 1 December 2026) with the
checkout's own code, then writes one JSON file per data set and filter set into OUT. A refactor
leaves every file byte-identical; compare two checkouts with

    git worktree add /tmp/before <commit>
    python tests/metrics_snapshot.py /tmp/snap-before --repo /tmp/before
    python tests/metrics_snapshot.py /tmp/snap-after
    diff -r /tmp/snap-before /tmp/snap-after && echo identical
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

# (name, arguments after `metrics --json`): periods, views, order, each filter and breakdowns.
GOLDEN_SETS = [
    ("march", ["--period", "2026-03"]),
    ("march-strict-flow", ["--period", "2026-03", "--strict", "--view", "flow"]),
    ("q1-paid-search", ["--period", "2026-Q1", "--source", "Paid search"]),
    ("custom-ana-by-owner", ["--from", "2026-03-01", "--to", "2026-04-10", "--owner", "Ana"]),
    ("q1-east-by-campaign", ["--period", "2026-Q1", "--team", "East", "--by", "campaign"]),
    ("march-emea-by2", ["--period", "2026-03", "--attribute", "region=EMEA", "--by2", "owner"]),
]
DEMO_SETS = [
    ("last-month", ["--period", "last_month"]),
    ("quarter-flow", ["--period", "2026-Q3", "--view", "flow"]),
    ("webinar-strict", ["--period", "2026-10", "--source", "Webinar", "--strict"]),
    ("ytd-by-team", ["--period", "ytd", "--by", "team"]),
    (
        "custom-by-campaign-owner",
        ["--from", "2026-06-01", "--to", "2026-08-31", "--by", "campaign", "--by2", "owner"],
    ),
    (
        "paid-search-by-industry",
        [
            "--period",
            "2026-11",
            "--source",
            "Paid search",
            "--by",
            "industry",
            "--attribute",
            "region=EMEA",
        ],
    ),
]


def run(repo: Path, *args: str, out: Path | None = None) -> None:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    with open(out, "wb") if out else open(os.devnull, "wb") as sink:
        subprocess.run(
            [sys.executable, "-m", "handoff", *args],
            cwd=repo, env=env, stdout=sink, stderr=subprocess.DEVNULL, check=True,
        )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--repo", type=Path, default=HERE)
    args = parser.parse_args()
    repo = args.repo.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        golden = repo / "tests" / "fixtures" / "golden"
        g_agreement = golden / "agreement.toml"
        run(repo, "import", str(golden), "--db", str(scratch / "g.duckdb"),
            "--agreement", str(g_agreement))  # fmt: skip
        run(repo, "demo", "--out", str(scratch / "demo"), "--end-date", "2026-12-01")
        d_agreement = scratch / "demo" / "agreement.toml"
        run(repo, "import", str(scratch / "demo"), "--db", str(scratch / "d.duckdb"),
            "--agreement", str(d_agreement))  # fmt: skip
        for prefix, db, agreement, sets in (
            ("golden", "g.duckdb", g_agreement, GOLDEN_SETS),
            ("demo", "d.duckdb", d_agreement, DEMO_SETS),
        ):
            for name, extra in sets:
                run(repo, "metrics", "--json", "--db", str(scratch / db),
                    "--agreement", str(agreement), *extra,
                    out=args.out / f"{prefix}-{name}.json")  # fmt: skip
    print(f"{len(GOLDEN_SETS) + len(DEMO_SETS)} snapshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
