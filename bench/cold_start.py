"""Cold start: importing the Lambda's module (`app`) against importing bare boto3, the
floor any boto3 function pays; then, per Lambda function, `app` plus what its handler
and its components factory import on their first call. Each in a fresh interpreter with
Lambda's environment (so Powertools and the X-Ray SDK take their Lambda paths),
alternating, medians. Prints a markdown section (`make bench` collects it).

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
PROBE = (
    "import importlib, time; t = time.perf_counter()\n"
    "for module in {modules!r}: importlib.import_module(module)\n"
    "print(time.perf_counter() - t)"
)
# What components.escalator() imports to build the service (app.py's handlers and
# chalicelib/components.py import these in their bodies, on first call; keep in step).
ESCALATOR = (
    "chalicelib.use_cases.escalator",
    "chalicelib.messages.emails",
    "chalicelib.domain.policy",
    "chalicelib.adapters.dynamodb.cases",
    "chalicelib.adapters.step_functions",
    "chalicelib.adapters.ses",
)
# What app cannot do without: Chalice and Powertools (its package loads Logger, Metrics
# and Tracer; Tracer loads the X-Ray SDK only when a stage traces AWS calls).
FRAMEWORK = ("boto3", "chalice", "aws_lambda_powertools")
TRACING_AWS_CALLS = {"ESCALATOR_TRACE_AWS_CALLS": "true", "POWERTOOLS_TRACE_DISABLED": "false"}
FUNCTIONS = {  # Lambda function (what its first call uses): modules imported after app
    "APIHandler (a webhook: verify, normalise, queue)": (
        "chalicelib.entrypoints.webhooks",
        "chalicelib.adapters.sqs",
    ),
    "APIHandler (agent API, action pages, dashboard: Jinja2)": (
        "chalicelib.entrypoints.http",
        "chalicelib.entrypoints.pages",
        *ESCALATOR,
        "jinja2",
    ),
    "RecordPosts (inbox consumer: batch utility, triage with VADER)": (
        "chalicelib.entrypoints.inbox_consumer",
        *ESCALATOR,
        "vaderSentiment.vaderSentiment",
    ),
    "Escalate (the timer's step; its first email: Jinja2)": (*ESCALATOR, "jinja2"),
    "ReconcileTimers (scheduled)": ESCALATOR,
    "SendIncidentDigests (scheduled; its first digest: Jinja2)": (*ESCALATOR, "jinja2"),
    "PollXMentions (scheduled: tweepy)": (
        "chalicelib.adapters.x_api.mentions",
        "chalicelib.adapters.dynamodb.cases",
        "tweepy",
    ),
    "ListenOnX (scheduled: tweepy, the policy)": (
        "chalicelib.adapters.x_api.listening",
        "chalicelib.domain.policy",
        "chalicelib.adapters.dynamodb.cases",
        "tweepy",
    ),
}


def import_seconds(*modules: str, settings: dict[str, str] | None = None) -> float:
    run = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=modules)],
        cwd=ROOT,
        env={**os.environ, **LAMBDA_ENV, **(settings or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(run.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()
    probes: dict[str, tuple[str, ...]] = {
        "boto3": ("boto3",),
        "framework": FRAMEWORK,
        "app": ("app",),
        **{name: ("app", *modules) for name, modules in FUNCTIONS.items()},
    }
    times: dict[str, list[float]] = {name: [] for name in [*probes, "traced"]}
    for _ in range(arguments.runs):
        for name, modules in probes.items():
            times[name].append(import_seconds(*modules))
        times["traced"].append(import_seconds("app", settings=TRACING_AWS_CALLS))
    ms = {name: statistics.median(samples) * 1000 for name, samples in times.items()}
    boto3, app = ms["boto3"], ms["app"]
    print("## Cold start (`make bench`, `bench/cold_start.py`)\n")
    print(
        "Importing the Lambda's module against importing bare boto3, each in a fresh\n"
        "interpreter with Lambda's environment variables (Powertools and the X-Ray SDK take\n"
        f"their Lambda paths), {arguments.runs} runs each, alternating, medians. `app` imports\n"
        "only what every invocation needs: the floor (the frameworks every function runs in)\n"
        "and a little of chalicelib; a stage that traces AWS calls (ESCALATOR_TRACE_AWS_CALLS)\n"
        "adds Tracer's X-Ray SDK and its botocore patch. Each handler imports its\n"
        "part on its first call, so the second table adds, per function, what its first call\n"
        "imports (creating clients and loading the policy come on top). Issue 8's target:\n"
        "app within 1.2 x of boto3.\n"
    )
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}\n"
    )
    print("| import | median | vs boto3 |")
    print("|---|---|---|")
    print(f"| boto3 | {boto3:.0f} ms | 1.00 x |")
    framework = ms["framework"]
    print(
        f"| boto3, Chalice, Powertools (the floor) | {framework:.0f} ms "
        f"| {framework / boto3:.2f} x |"
    )
    print(f"| app | {app:.0f} ms | {app / boto3:.2f} x |")
    traced = ms["traced"]
    print(f"| app, tracing AWS calls (X-Ray SDK) | {traced:.0f} ms | {traced / boto3:.2f} x |\n")
    print("| function: app + its first call's imports | median | vs boto3 |")
    print("|---|---|---|")
    for name in FUNCTIONS:
        print(f"| {name} | {ms[name]:.0f} ms | {ms[name] / boto3:.2f} x |")


if __name__ == "__main__":
    main()
