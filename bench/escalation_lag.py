"""Escalation lag on the local stack: how long after a tier's deadline its email is out.

    .venv/bin/python bench/escalation_lag.py [--cases 300] [--time-scale 240] [--spread 150]

Complaints on X, sent at an even pace over `--spread` seconds, reach the default X
complaint policy's first tier (60 min of policy time) with nobody answering, so their
deadlines spread out as evenly as the posts. For every email SES accepts, the lag is the
wall-clock time from its deadline, as the case computes it, to the moment moto's SES
returned from SendRawEmail.

One tier only: with all three, the stack would send three emails per case in the same
few minutes, and on one process (moto, the timers and the handlers under one GIL) the
queue of escalate steps, not the timer, would be measured.
"""

from __future__ import annotations

import argparse
import email.parser
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.local_stack import COMPLAINT, running_stack
from bench.output import note, percentiles, section, table
from tests.e2e.stack import make_post

FIRST_TIER = 3600  # policy seconds: the default X complaint policy's tier 1
POLICY = f"""
[[policy]]
name = "x-complaints-first-tier"
tiers = [{{ after = "{FIRST_TIER}s", notify = ["care-agents@example.com"] }}]
"""
SLACK = 30  # seconds to wait for the last emails after the last deadline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--time-scale", type=float, default=240.0)
    parser.add_argument("--spread", type=float, default=150.0, help="seconds to send them in")
    arguments = parser.parse_args()
    section(
        "Escalation lag: deadline → email",
        __file__,
        f"""On the local stack: {arguments.cases} complaints on X sent over
        {arguments.spread:.0f} s at an even pace, time compressed {arguments.time_scale:.0f}x,
        so each reaches the first tier of the default X complaint policy (60 min) after
        {FIRST_TIER / arguments.time_scale:.0f} s, nobody answering. Measured for every
        email: the wall-clock time from the tier's deadline (the case's own, policy time
        turned back into wall time) to the moment SES (moto's, in this process) accepted
        the email. That includes the Step Functions Wait ending (it waits whole seconds
        and wakes up to a second early; the escalate step then waits out the rest), the
        escalate step's Lambda run (reads, conditional writes, rendering the email) and
        SendRawEmail. One tier only, storms off: the stack is one process, moto's server,
        every timer's thread and the handlers under one GIL, and three emails per case in
        the same few minutes would measure the queue of escalate steps instead.""",
    )
    arrivals: list[tuple[float, Path]] = []  # (time.time() when SES accepted it, its .eml)
    with tempfile.TemporaryDirectory() as folder:
        policy = Path(folder) / "first-tier.toml"
        policy.write_text(POLICY, encoding="utf-8")
        accepted = lambda path: arrivals.append((time.time(), path))  # noqa: E731
        with running_stack(arguments.time_scale, Path(folder), policy, accepted) as (_, api):
            from chalicelib import components  # the stack's own, configured on start

            started = time.monotonic()
            for number in range(arguments.cases):
                due = started + number * arguments.spread / arguments.cases
                time.sleep(max(0.0, due - time.monotonic()))
                api.send(make_post(COMPLAINT.format(n=number))).raise_for_status()
            last_deadline = time.monotonic() + FIRST_TIER / arguments.time_scale
            while len(arrivals) < arguments.cases and time.monotonic() < last_deadline + SLACK:
                time.sleep(0.2)
            queries = components.queries()
            lags = []
            for at, path in list(arrivals):
                with path.open("rb") as message:
                    headers = email.parser.BytesHeaderParser().parse(message)
                case = queries.case(headers["X-Escalator-Case"])
                deadline = case.deadline(case.tiers[int(headers["X-Escalator-Tier"]) - 1])
                lags.append((at - deadline.timestamp()) * 1000)

    p50, p90, p99, worst = percentiles(lags, 50, 90, 99, 100)
    table(
        ["emails", "of", "p50", "p90", "p99", "max"],
        [
            [
                f"{len(lags):,}",
                f"{arguments.cases:,}",
                *(f"{lag:.0f} ms" for lag in (p50, p90, p99, worst)),
            ]
        ],
    )
    if early := sum(lag < 0 for lag in lags):
        note(f"{early} emails were accepted before their deadline: that is a bug.")


if __name__ == "__main__":
    main()
