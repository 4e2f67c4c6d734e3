"""What a case costs on AWS, measured on the local stack: each kind of case is run from
its webhook to its end, one at a time, while every AWS call the Lambda handlers make is
counted (with DynamoDB's capacity units from the items' sizes), every handler run is
timed, and each execution's state transitions are read from its history; then list
prices turn the counts into dollars per 1,000 cases.

    .venv/bin/python bench/cost.py [--cases 3]

Kinds: praise (recorded, no timer), a complaint answered in time, one answered after
tier 1's email, and one that climbed to the last tier (three emails) before an answer.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.domain.cases import EventKind

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.local_stack import COMPLAINT, running_stack
from bench.output import section, table
from infra.local import LocalStack
from tests.e2e.stack import Api, make_post

TIME_SCALE = (
    900.0  # the default X complaint tiers (1 h, 2 h, 4 h) in 4, 8 and 16 s: room to answer in time
)
PROBE = "X-Bench-Probe"  # marks the bench's own reads of a case
MEMORY_GB = 256 / 1024  # the dev stage's functions
PRICES = {  # US East (N. Virginia) list prices, without free tiers
    "api": 3.50 / 1e6,  # API Gateway REST API, per request
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second": 0.0000166667,  # x86
    "transition": 0.025 / 1000,  # Step Functions Standard
    "wru": 0.625 / 1e6,  # DynamoDB on-demand write request unit
    "rru": 0.125 / 1e6,  # read request unit
    "sqs": 0.40 / 1e6,  # standard queue, per request
    "email": 0.10 / 1000,  # SES
}
PRAISE = "@brand thank you so much, the team was brilliant and fixed it in minutes!"
KINDS = {  # kind: (text, emails before the answer, None: no answer needed)
    "praise (no timer)": (PRAISE, None),
    "complaint answered in time": (COMPLAINT, 0),
    "answered after tier 1's email": (COMPLAINT, 1),
    "climbed to the last tier (3 emails)": (COMPLAINT, 3),
}


@dataclass
class Meter:
    """Counts what the handlers do; `inside` marks the threads running a handler."""

    calls: Counter = field(default_factory=Counter)
    units: Counter = field(default_factory=Counter)
    invocations: Counter = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    local: threading.local = field(default_factory=threading.local)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def middleware(self, event: Any, get_response: Any) -> Any:
        kind = type(event).__name__
        if kind == "Request" and event.headers.get(PROBE):
            return get_response(event)  # the bench watching, not a cost of the case
        self.local.inside = True
        started = time.perf_counter()
        try:
            return get_response(event)
        finally:
            self.local.inside = False
            with self.lock:
                self.invocations[kind] += 1
                self.seconds.append(time.perf_counter() - started)

    def before_call(self, model: Any, params: dict, context: dict, **_: Any) -> None:
        if getattr(self.local, "inside", False):
            context["metered_params"] = params  # for after_call
            with self.lock:
                self.calls[f"{model.service_model.service_name}:{model.name}"] += 1

    def after_call(self, model: Any, parsed: dict, context: dict, **_: Any) -> None:
        params = context.get("metered_params")
        if params is None or model.service_model.service_name != "dynamodb":
            return
        wru, rru = capacity(model.name, params, parsed, self.size_of)
        with self.lock:
            self.units["wru"] += wru
            self.units["rru"] += rru

    def attach(self) -> None:
        """Meter the app's handlers and the AWS clients of the default session."""
        import boto3

        import app

        app.app.register_middleware(self.middleware)
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register("before-parameter-build", self.before_call)
        boto3.DEFAULT_SESSION.events.register("after-call", self.after_call)

    def size_of(self, table: str, key: dict) -> int:
        """An item's size now, read by a client of its own (not counted)."""
        if not hasattr(self.local, "probe"):
            import boto3

            self.local.probe = boto3.session.Session().client("dynamodb")
        found = self.local.probe.get_item(TableName=table, Key=key).get("Item")
        return item_bytes(found or {})

    def take(self) -> tuple[Counter, Counter, Counter, list[float]]:
        with self.lock:
            taken = (self.calls, self.units, self.invocations, self.seconds)
            self.calls, self.units, self.invocations, self.seconds = (
                Counter(),
                Counter(),
                Counter(),
                [],
            )
        return taken


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's item size: names plus values (numbers rounded up generously)."""

    def value(typed: dict[str, Any]) -> int:
        (kind, given), *_ = typed.items()
        if kind in ("S", "B"):
            return len(given.encode() if isinstance(given, str) else given)
        if kind == "N":
            return len(given) // 2 + 2
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "M":
            return 3 + sum(len(k) + value(v) + 1 for k, v in given.items())
        if kind == "L":
            return 3 + sum(value(v) + 1 for v in given)
        return sum(len(str(v)) for v in given)  # sets

    return sum(len(name) + value(typed) for name, typed in item.items())


def capacity(
    operation: str, params: dict, parsed: dict, size_of: Callable[[str, dict], int]
) -> tuple[float, float]:
    """Write and read request units of one DynamoDB call: a write is billed on the
    item's size (an update's, read after it), a transaction's items twice, strongly
    consistent reads per 4 KB."""

    def kb(size: int) -> int:
        return max(1, math.ceil(size / 1024))

    def four_kb(size: int) -> int:
        return max(1, math.ceil(size / 4096))

    if operation == "PutItem":
        return kb(item_bytes(params["Item"])), 0
    if operation in ("UpdateItem", "DeleteItem"):
        return kb(size_of(params["TableName"], params["Key"])), 0
    if operation == "TransactWriteItems":
        units = 0
        for entry in params["TransactItems"]:
            ((kind, spec),) = entry.items()
            size = (
                item_bytes(spec["Item"])
                if kind == "Put"
                else size_of(spec["TableName"], spec["Key"])
            )
            units += 2 * kb(size)
        return units, 0
    if operation == "GetItem":
        return 0, four_kb(item_bytes(parsed.get("Item") or {}))
    if operation == "Query":
        return 0, four_kb(sum(item_bytes(i) for i in parsed.get("Items", [])))
    return 0, 0


def run_case(stack: LocalStack, api: Api, text: str, emails: int | None) -> tuple[str, int]:
    """One case from its webhook to its end; its id and its state transitions."""
    case_id = api.send(make_post(text.format(n=uuid.uuid4().hex[:6]))).json()["case_id"]

    def case() -> Any:
        return api.agent("GET", f"/cases/{case_id}", headers={PROBE: "1"})

    def until(done: Any, timeout: float = 40) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = case()
            if found.status_code == 200 and done(found.json()):
                return found.json()
            time.sleep(0.05)
        raise TimeoutError(f"case {case_id}: {case().text}")

    if emails is None:
        until(lambda c: c["status"] != "open")
        return case_id, 0
    kinds = lambda c: [e["kind"] for e in c["events"]]  # noqa: E731
    # answered once its timer runs (and its emails went out): nothing still on its way
    until(
        lambda c: (
            EventKind.TIMER_STARTED in kinds(c) and kinds(c).count(EventKind.NOTIFIED) >= emails
        )
    )
    api.agent("POST", f"/cases/{case_id}/respond", json={"by": "bench"})
    sfn = stack.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=stack.env["ESCALATOR_STATE_MACHINE_ARN"])
    timers = [e["executionArn"] for e in listed["executions"] if e["name"].startswith(case_id)]
    deadline = time.monotonic() + 20
    while any(sfn.describe_execution(executionArn=t)["status"] == "RUNNING" for t in timers):
        if time.monotonic() > deadline:
            raise TimeoutError(f"case {case_id}: a timer still runs")
        time.sleep(0.05)
    histories = [sfn.get_execution_history(executionArn=t, maxResults=1000) for t in timers]
    entered = [e for h in histories for e in h["events"] if e["type"].endswith("StateEntered")]
    return case_id, len(entered)


def dollars(calls: Counter, units: Counter, invocations: Counter, seconds: float, steps: int):
    http = invocations["Request"]
    cost = {
        "API Gateway": http * PRICES["api"],
        "Lambda": sum(invocations.values()) * PRICES["lambda_request"]
        + seconds * MEMORY_GB * PRICES["lambda_gb_second"],
        "Step Functions": steps * PRICES["transition"],
        "DynamoDB": units["wru"] * PRICES["wru"] + units["rru"] * PRICES["rru"],
        "SQS": sum(n for call, n in calls.items() if call.startswith("sqs:")) * PRICES["sqs"],
        "SES": calls["ses:SendRawEmail"] * PRICES["email"],
    }
    return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=3, help="cases of each kind")
    arguments = parser.parse_args()
    meter = Meter()
    tiers = ", ".join(f"{hours * 3600 / TIME_SCALE:.0f}" for hours in (1, 2)) + " and "
    section(
        "Cost per case",
        __file__,
        f"""Each kind of case run from its webhook to its end on the local stack,
        {arguments.cases} of each, one at a time (policy time at {TIME_SCALE:.0f}x, so the
        tiers come after {tiers}{4 * 3600 / TIME_SCALE:.0f} s; an answer in time comes once
        the timer runs). Counted: the Lambda handlers' runs (API requests included) and
        their time, every AWS call they make, DynamoDB's write and read request units
        (from the items' sizes; transactions count twice), and the state transitions in
        each timer's execution history. Priced at US East list prices without free
        tiers: API Gateway REST ${PRICES["api"] * 1e6:.2f} per million, Lambda
        ${PRICES["lambda_request"] * 1e6:.2f} per million and
        ${PRICES["lambda_gb_second"]:.10f} per GB-s at {MEMORY_GB * 1024:.0f} MB, Step
        Functions ${PRICES["transition"] * 1000:.3f} per 1,000 transitions, DynamoDB on
        demand ${PRICES["wru"] * 1e6:.3f} per million WRU and ${PRICES["rru"] * 1e6:.3f}
        per million RRU, SQS ${PRICES["sqs"] * 1e6:.2f} per million, SES
        ${PRICES["email"] * 1000:.2f} per 1,000 emails. The Lambda time of escalated cases
        includes the escalate step's wait for its exact deadline (the timer wakes up to a
        second early).""",
    )
    rows = []
    with (
        tempfile.TemporaryDirectory() as folder,
        running_stack(TIME_SCALE, Path(folder)) as (stack, api),
    ):
        meter.attach()  # before the first handler runs and builds its clients
        run_case(stack, api, COMPLAINT, 0)  # warm up: first imports, first clients
        meter.take()
        for kind, (text, emails) in KINDS.items():
            per_case = []
            for _ in range(arguments.cases):
                _, steps = run_case(stack, api, text, emails)
                time.sleep(0.3)  # the last handler's calls land
                calls, units, invocations, seconds = meter.take()
                per_case.append((calls, units, invocations, sum(seconds), steps))
            rows.append((kind, per_case))
    mean = statistics.mean
    summary = []
    for kind, per_case in rows:
        calls = [c for c, *_ in per_case]
        services = [
            mean(sum(n for op, n in c.items() if op.startswith(service)) for c in calls)
            for service in ("dynamodb", "sqs", "stepfunctions", "ses")
        ]
        total = mean(sum(dollars(*case).values()) for case in per_case) * 1000
        summary.append(
            [
                kind,
                f"{mean(sum(i.values()) for _, _, i, _, _ in per_case):.1f}",
                f"{mean(s for *_, s, _ in per_case) * 1000:.0f} ms",
                " + ".join(f"{n:.1f}" for n in services),
                f"{mean(u['wru'] for _, u, *_ in per_case):.1f} / "
                f"{mean(u['rru'] for _, u, *_ in per_case):.1f}",
                f"{mean(t for *_, t in per_case):.1f}",
                f"${total:.3f}",
            ]
        )
    table(
        [
            "case",
            "Lambda runs",
            "Lambda time",
            "AWS calls (DynamoDB, SQS, SFN, SES)",
            "DynamoDB WRU / RRU",
            "transitions",
            "$ per 1,000 cases",
        ],
        summary,
    )
    print("\nBy service, $ per 1,000 cases of each kind:\n")
    services = list(dollars(Counter(), Counter(), Counter(), 0, 0))
    by_service = []
    for kind, per_case in rows:
        costs = [dollars(*case) for case in per_case]
        by_service.append([kind, *(f"{mean(c[s] for c in costs) * 1000:.4f}" for s in services)])
    table(["case", *services], by_service)


if __name__ == "__main__":
    main()
