"""The local stack as the end-to-end benches run it: in this process, on loopback, with
the tests' secrets (so `tests.e2e.stack.Api` signs and authorises) and a policy of the
bench's choosing.

Storms off, mostly (`tests.e2e.stack.without_storms`): a bench sends hundreds of posts
alike within minutes of policy time, which the default policy rightly takes for a storm
(one incident, one email), and then there is no per-case work left to time."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from infra.local import LocalStack
from tests.e2e.stack import API_TOKEN, GENERIC_SECRET, Api, free_port

# A normal-priority complaint on X: the default X complaint tiers, 1 h, 2 h and 4 h.
COMPLAINT = "@brand my order {n} never arrived and nobody answers the phone, useless"


@contextlib.contextmanager
def running_stack(
    time_scale: float,
    folder: Path,
    policy: Path | None = None,
    on_email: Callable[[Path], None] | None = None,
) -> Iterator[tuple[LocalStack, Api]]:
    """The stack (with the default policy unless given one), and a client of it; emails
    land in `folder`'s outbox."""
    stack = LocalStack(
        port=free_port(),
        time_scale=time_scale,
        outbox=folder / "outbox",
        policy=policy,
        api_token=API_TOKEN,
        generic_secret=GENERIC_SECRET,
        on_email=on_email,
    )
    with stack:
        yield stack, Api(stack)


def inbox_drained(stack: LocalStack, timeout: float) -> float:
    """Wait until the inbox queue is empty, nothing in flight: every queued post recorded
    (the poller deletes a message once its handler succeeded). Returns the moment, by
    `time.perf_counter`."""
    sqs = stack.client("sqs")
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        counts = sqs.get_queue_attributes(
            QueueUrl=stack.env["ESCALATOR_INBOX_QUEUE_URL"], AttributeNames=names
        )["Attributes"]
        if all(counts[name] == "0" for name in names):
            return time.perf_counter()
        time.sleep(0.02)
    raise TimeoutError(f"the inbox still holds posts after {timeout} s")
