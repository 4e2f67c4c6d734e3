"""Cold start: importing the Lambda's module (`app`) against importing bare boto3, the
floor any boto3 function pays; each in a fresh interpreter with Lambda's environment
(so Powertools and the X-Ray SDK take their Lambda paths), alternating, medians.

    .venv/bin/python bench/cold_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "escalator-bench",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "LAMBDA_TASK_ROOT": str(ROOT),
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def import_seconds(module: str) -> float:
    run = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=ROOT,
        env={**os.environ, **LAMBDA_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(run.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()
    times: dict[str, list[float]] = {"boto3": [], "app": []}
    for _ in range(arguments.runs):
        for module, samples in times.items():
            samples.append(import_seconds(module))
    boto3, app = (statistics.median(times[m]) * 1000 for m in ("boto3", "app"))
    print(f"# Cold start: importing the Lambda's module ({arguments.runs} runs each)")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print("| import | median |")
    print("|---|---|")
    print(f"| boto3 | {boto3:.0f} ms |")
    print(f"| app (Chalice, Powertools, chalicelib) | {app:.0f} ms |")
    print(f"| ratio | {app / boto3:.2f} x |")


if __name__ == "__main__":
    main()
