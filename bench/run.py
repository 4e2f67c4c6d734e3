"""`make bench`: run every bench in turn, echo each one's markdown section as it ends,
and write them all into bench/RESULTS.md.

    .venv/bin/python bench/run.py

Each bench is its own process (fresh imports: the cold start and the local stacks must
not share one) with TZ=UTC (moto compares Step Functions timestamps in local time). If
one fails, RESULTS.md is left as it was, so it never holds half a run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS.md"
SCRIPTS = (  # cheap and in-process first, then the local stack's
    "cold_start.py",
    "webhooks.py",
    "triage.py",
    "intake.py",
    "cost.py",
    "escalation_lag.py",
    "throughput.py",
    "storm.py",
)


def run(script: str) -> str:
    """One bench's section (its stdout); its stderr passes through."""
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, str(BENCH / script)],
        cwd=BENCH.parent,
        env={**os.environ, "TZ": "UTC"},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    section = finished.stdout.strip()
    if not section.startswith("## "):
        print(f"warning: {script}'s output does not open with a '## ' heading", file=sys.stderr)
    print(section + "\n", flush=True)
    print(f"({script} took {time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    return section


def main() -> None:
    started = time.monotonic()
    sections = [run(script) for script in SCRIPTS]
    RESULTS.write_text(
        "# Benchmark results\n\n"
        "Written by `make bench` (`bench/run.py`); each section by the script it names.\n\n"
        + "\n\n".join(sections)
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS.relative_to(BENCH.parent)} in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
