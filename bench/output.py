"""What every bench prints: one markdown section of bench/RESULTS.md, opened by a heading
that names the script, a paragraph saying what was measured, and the machine and date
(numbers mean little without them), then its tables. `bench/run.py` collects them."""

from __future__ import annotations

import os
import platform
import statistics
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path


def machine() -> str:
    """The processor, cores, Python and date a bench ran on, and how busy the machine
    was (the load average over the last minute: other work slows what is timed)."""
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def section(title: str, script: str, measured: str) -> None:
    """Print a section's heading, what it measures (wrapped) and the machine line."""
    print(f"## {title} (`make bench`, `bench/{Path(script).name}`)\n")
    print(paragraph(measured) + "\n")
    print(machine() + "\n")


def note(text: str) -> None:
    """A paragraph after the tables."""
    print("\n" + paragraph(text))


def paragraph(text: str) -> str:
    """Text written across indented lines, as one markdown paragraph."""
    return textwrap.fill(" ".join(text.split()), width=90, break_on_hyphens=False)


def percentiles(samples: Sequence[float], *cuts: int) -> list[float]:
    """The given percentiles of the samples (statistics' inclusive method: never beyond
    the largest sample); 100 is the maximum."""
    points = statistics.quantiles(samples, n=100, method="inclusive")
    return [max(samples) if cut == 100 else points[cut - 1] for cut in cuts]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A markdown table."""
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
