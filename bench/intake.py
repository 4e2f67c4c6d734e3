"""CPU time per post in the inbox (SQS) handler, in-process and without AWS: how much of
a Lambda's time each queued post costs us, apart from waiting on DynamoDB and Step
Functions.

    .venv/bin/python bench/intake.py [--data ../shared/data/twcs_sample.csv] [--rounds 40]

The posts are the customers' posts of the Customer Support on Twitter sample, each sent
`--rounds` times under new ids (after one round of warm-up). Every AWS call is answered
at once by a stand-in, so what is timed is ours: `time.process_time_ns` around each step.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from time import process_time_ns
from typing import Any

from chalicelib.domain.cases import EventKind

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# As the local stage: no log lines at INFO, no metrics lines (both would print here).
os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true")

from bench.output import percentiles, section, table
from chalicelib.adapters.dynamodb.cases import CaseStore
from chalicelib.adapters.dynamodb.contacts import AuthorContacts
from chalicelib.adapters.sqs import to_message
from chalicelib.adapters.step_functions import EscalationWorkflow
from chalicelib.domain.cases import Case, Event
from chalicelib.domain.policy import load_policy
from chalicelib.domain.posts import Post
from chalicelib.domain.triage import Triage, triage
from chalicelib.use_cases.escalator import Escalator
from infra.replay import read_conversations, tagged
from tests.e2e.stack import SAMPLE, customer_posts

MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:escalator-bench"


class AwsStandIn:
    """Answers, at once, the DynamoDB and Step Functions calls a new post's record makes
    (nothing found, every write accepted), so that only Escalator's own work is timed:
    the requests are built and serialised, never sent."""

    def get_item(self, **request: Any) -> dict[str, Any]:
        return {}

    def update_item(self, **request: Any) -> dict[str, Any]:
        return {"Attributes": {}}

    def transact_write_items(self, **request: Any) -> dict[str, Any]:
        return {}

    def start_execution(self, *, stateMachineArn: str, name: str, **_: Any) -> dict[str, str]:
        return {"executionArn": f"{stateMachineArn}:{name}"}


def queued_posts(path: Path, rounds: int) -> list[list[str]]:
    """Per round, the SQS message bodies of the file's customer posts, ids new each round
    (each post opens a case of its own: no thread is found), each written now as replay
    stamps them (a 2017 post would be a late post and open nothing)."""
    now = datetime.now(UTC)
    conversations = read_conversations(path)
    return [
        [
            to_message(Post.model_validate({**post, "created_at": now}).received(now))
            for post in customer_posts(tagged(conversations, f"r{number}"))
        ]
        for number in range(rounds + 1)
    ]


def cpu_ms(step: Callable[[str], object], rounds: list[list[str]]) -> list[float]:
    """The CPU milliseconds of each post's step, after the first round (the warm-up)."""
    gc.collect()
    samples = []
    for number, bodies in enumerate(rounds):
        for body in bodies:
            start = process_time_ns()
            step(body)
            if number:
                samples.append((process_time_ns() - start) / 1e6)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=SAMPLE)
    parser.add_argument("--rounds", type=int, default=40)
    arguments = parser.parse_args()
    rounds = queued_posts(arguments.data, arguments.rounds)
    aws = AwsStandIn()
    policy = load_policy()
    store = CaseStore(aws, "bench")
    escalator = Escalator(
        cases=store,
        timers=EscalationWorkflow(aws, MACHINE_ARN),
        mailer=None,  # a new post sends no email
        policy=policy,
        sender="escalator@example.com",
        base_url=lambda: "https://escalator.example.com",
        contacts=AuthorContacts(aws, "bench"),
    )

    def verdict_on(post: Post) -> Triage:  # as the service triages: the policy's topics
        return triage(post.text, post.author.followers, post.engagement, False, policy.taxonomy)

    def triaged(body: str) -> None:
        verdict_on(Post.model_validate_json(body))

    def case_written(body: str) -> None:
        post = Post.model_validate_json(body)
        verdict = verdict_on(post)
        rule = policy.for_case(
            post.channel, verdict.intent, verdict.priority, post.brand, verdict.topic, post.language
        )
        case = Case.open(post, verdict, rule, post.received_at, 1.0, policy.calendar_for(rule))
        store.create(
            case, Event(post.received_at, EventKind.OPENED, "triage", {"policy": rule.name})
        )

    steps = {
        "parse the queued post": Post.model_validate_json,
        "+ triage() (VADER, complaint model, rules, topics)": triaged,
        "+ case write preparation (policy, `Case.open`, the create transaction's items)": (
            case_written
        ),
        "the whole record (`Escalator.receive`: also thread look-ups, timer start, its write)": (
            lambda body: escalator.receive(Post.model_validate_json(body))
        ),
    }
    posts = sum(len(bodies) for bodies in rounds[1:])
    section(
        "Inbox (SQS) handler CPU per post",
        __file__,
        f"""In-process, {posts:,} posts: the {len(rounds[0])} customers' posts of the
        Customer Support on Twitter sample, {len(rounds) - 1} times under new ids, after
        one round of warm-up. CPU time (`time.process_time_ns`) of each step per post,
        each row including the ones above it. Every AWS call is answered at once by a
        stand-in: the DynamoDB and Step Functions requests are built and serialised, not
        sent, so this is Escalator's own part of the handler's time; on AWS each post adds
        its DynamoDB and Step Functions round trips (two transactions, a few reads, a
        StartExecution). Logs at WARNING and metrics off, as in the local stage. The
        default policy; storms are not counted (one DynamoDB update per term).""",
    )
    rows = []
    for name, step in steps.items():
        p50, p99 = percentiles(cpu_ms(step, rounds), 50, 99)
        rows.append([name, f"{p50:.3f} ms", f"{p99:.3f} ms"])
    table(["per post", "CPU p50", "p99"], rows)


if __name__ == "__main__":
    main()
