"""Webhook handling time per request, in-process: verify the signature, validate and
normalise the payload, queue the posts (SQS on moto, in-process), build the response.

    .venv/bin/python bench/webhooks.py [--requests 1000]

Prints p50 and p99 per endpoint, with and without the queue write (the part that is ours).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
)

import boto3
from moto import mock_aws

from bench.output import note, percentiles, section, table
from chalicelib.adapters.sqs import Inbox
from chalicelib.channels import id_set
from chalicelib.channels.signatures import sign_base64, sign_generic, sign_hex
from chalicelib.entrypoints.webhooks import receive_generic, receive_meta, receive_x
from tests.payloads import GENERIC, MESSENGER, META, X_ACCOUNT, X_ACTIVITY, X_DIRECT_MESSAGE

SECRET = "bench-secret"


class NoQueue:
    """Stands in for the inbox to time our part alone."""

    def put(self, posts: list) -> None:
        self.last = posts


def cases(queue) -> dict[str, Callable[[], object]]:
    """One request per payload family: the platforms' own payloads (tests/fixtures/)."""

    def request(handler, sample, sign, header, **kwargs):
        body = json.dumps(sample).encode()
        headers = {header: sign(SECRET, body)}
        return lambda: handler(body, headers, SECRET, inbox=queue, **kwargs)

    x_header, meta_header = "x-twitter-webhooks-signature", "X-Hub-Signature-256"
    x = {"brand_ids": id_set("9"), "unreadable_events": nowhere}
    meta = {"page_ids": id_set("77"), "unreadable_events": nowhere}
    return {
        "generic": request(receive_generic, GENERIC, sign_generic, "X-Escalator-Signature"),
        "x account activity (a tweet)": request(receive_x, X_ACCOUNT, sign_base64, x_header, **x),
        "x account activity (a DM)": request(
            receive_x, X_DIRECT_MESSAGE, sign_base64, x_header, **x
        ),
        "x activity api (a mention)": request(receive_x, X_ACTIVITY, sign_base64, x_header, **x),
        "meta page (a comment)": request(receive_meta, META, sign_hex, meta_header, **meta),
        "meta messenger (a message)": request(
            receive_meta, MESSENGER, sign_hex, meta_header, **meta
        ),
    }


def nowhere():
    raise AssertionError("the samples are readable: nothing is kept unread")


def measure(
    call: Callable[[], object], requests: int, drain: Callable[[], None] = lambda: None
) -> tuple[float, float]:
    for _ in range(min(50, requests)):
        call()
    samples = []
    for number in range(requests):
        if number % 50 == 0:
            drain()  # moto's queue slows as it fills; a real consumer keeps it short
        start = time.perf_counter_ns()
        response = call()
        samples.append((time.perf_counter_ns() - start) / 1e6)
        assert response.status_code in (200, 202), response.body
    p50, p99 = percentiles(samples, 50, 99)
    return p50, p99


def renew(sqs, url: str) -> None:
    """An empty queue under the same URL (moto allows no quick PurgeQueue)."""
    sqs.delete_queue(QueueUrl=url)
    sqs.create_queue(QueueName=url.rsplit("/", 1)[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    arguments = parser.parse_args()
    section(
        "Webhook handling per request",
        __file__,
        f"""In-process, {arguments.requests} requests per endpoint after 50 warm-up
        requests. "verify + normalise" is Escalator's own part: the HMAC check on the raw
        body, payload validation and normalisation into posts, the response. "+ queue
        write" adds the `SendMessageBatch` to SQS, here moto's in-process SQS (on AWS the
        call goes over the network instead).""",
    )
    rows = []
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="bench")["QueueUrl"]
        alone, queued = cases(NoQueue()), cases(Inbox(sqs, url))
        for name in alone:
            timings = measure(alone[name], arguments.requests)
            timings += measure(queued[name], arguments.requests, lambda: renew(sqs, url))
            rows.append([name, *(f"{ms:.3f} ms" for ms in timings)])
    table(
        ["endpoint", "verify + normalise p50", "p99", "+ queue write (moto SQS) p50", "p99"], rows
    )
    note(
        """X allows a few seconds for a webhook answer and Meta retries slow endpoints: the
        handler's own work is orders of magnitude inside that."""
    )


if __name__ == "__main__":
    main()
