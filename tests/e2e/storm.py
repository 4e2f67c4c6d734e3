"""A webhook storm against the local stack, in a process of its own (a stack per process,
and thousands of cases would weigh on the session's shared one):

    python -m tests.e2e.storm [--deliveries 5000]   # a JSON result on its last line

A burst of deliveries from a handful of client threads: generic, X (Account Activity)
and Meta (Page comments) webhooks carrying the customer tweets of the Customer Support
on Twitter sample (/work/shared/data, read at run time), each post signed as its platform
signs it. Of the deliveries, 20% are duplicates (the very same signed delivery sent
again, as platforms retry; some while the first is still in flight), 5% carry a bad
signature and 5% are signed but malformed. A fixed seed makes every run the same storm.

Then it waits until the inbox is drained, reads the whole table back, and reports what
became of each delivery: status codes, cases by post, what the queues hold, and the sum
of each metric the stack printed (EMF lines, as Lambda's stdout would carry them).

The stack runs the default policy less its [storms], at time scale 1: every complaint
and question opens a case and starts its Step Functions timer, which waits out its real
first tier (an hour at least; urgent cases email a tier at once), and praise and spam are
recorded and closed. Storms are left out because texts from 49 tweets, a few thousand
times over within minutes, are what the storm feature groups into incidents (its own
tests cover that), which would take most cases' timers away; and each complaint would
rewrite its words' ever larger member sets, which moto copies at every update.
LocalStack.stop() stops the timers at the end.

What it costs here (2 cores shared with other work): the whole 5,000 took 11 minutes
(47 deliveries/s accepted over 105 s, 6.5 posts/s recorded as cases, inbox drained
after 541 s, timers stopped in 31 s), all correct. The stack's process is bound to one
core: some 0.1 s of it per post recorded, most of it in moto (its DynamoDB sizes every
item at each write, and serialises every answer) and in the in-process HTTP hops. So
`make test` runs 600 deliveries of the same make-up (about a minute); run the 5,000 by hand.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from chalicelib.channels.signatures import sign_base64, sign_generic, sign_hex
from chalicelib.domain.cases import case_id_for
from infra.local import LocalStack
from infra.replay import read_conversations
from tests.e2e.stack import (
    API_TOKEN,
    CHANNEL_SETTINGS,
    GENERIC_SECRET,
    META_SECRET,
    PAGE_ID,
    SAMPLE,
    X_BRAND_ID,
    X_SECRET,
    Api,
    customer_posts,
    free_port,
    make_post,
    wait_for,
    without_storms,
)
from tests.platform_payloads import account_activity, page_comment, v1_tweet

SEED = 8
CLIENTS = 8  # concurrent senders
SHARES = {"duplicate": 0.20, "signature": 0.05, "malformed": 0.05}  # the rest: genuine
SOURCES = {"generic": 0.5, "x": 0.3, "meta": 0.2}
GENERIC_CHANNELS = ("web", "email")
ROUTES = {  # source: (path, signature header, how it signs, secret)
    "generic": ("/webhooks/generic", "X-Escalator-Signature", sign_generic, GENERIC_SECRET),
    "x": ("/webhooks/x", "x-twitter-webhooks-signature", sign_base64, X_SECRET),
    "meta": ("/webhooks/meta", "X-Hub-Signature-256", sign_hex, META_SECRET),
}


@dataclass
class Delivery:
    kind: str  # genuine, duplicate, signature, malformed
    source: str  # generic, x, meta
    body: bytes
    signature: str | None = "sign"  # as Api.signed takes it
    posts: list[tuple[str, str]] = field(default_factory=list)  # (channel, post id)
    order: float = 0.0
    status: int | None = None
    reply: Any = None


def genuine(source: str, text: str, rng: random.Random) -> Delivery:
    """One post in the source's own payload shape."""
    followers = rng.choice([3, 40, 120, 900, 15_000])
    if source == "x":
        author = {
            "id_str": str(rng.randrange(10**9)),
            "screen_name": f"customer{rng.randrange(10**6)}",
            "followers_count": followers,
        }
        tweet = v1_tweet(author, text, long=len(text) > 140)
        return Delivery(
            "genuine",
            source,
            _json(account_activity(tweet, for_user_id=X_BRAND_ID)),
            posts=[("x", tweet["id_str"])],
        )
    if source == "meta":
        comment_id = f"{rng.randrange(10**15)}_{rng.randrange(10**15)}"
        sender = {"id": str(rng.randrange(10**15)), "name": f"Customer {rng.randrange(10**4)}"}
        payload = page_comment(PAGE_ID, comment_id, text, sender)
        return Delivery("genuine", source, _json(payload), posts=[("facebook", comment_id)])
    post = make_post(text, channel=rng.choice(GENERIC_CHANNELS))
    post["author"]["followers"] = followers
    return Delivery("genuine", source, _json(post), posts=[(post["channel"], post["id"])])


def bad_signature(delivery: Delivery, rng: random.Random) -> Delivery:
    """A post that must not get in: no signature, a made-up one, the wrong secret's, or
    another body's (a replayed header)."""
    _, _, sign, secret = ROUTES[delivery.source]
    forged = rng.choice(
        [
            None,
            "sha256=" + ("A" * 44 if sign is sign_base64 else "0" * 64),  # generic: old form
            sign("not-the-secret", delivery.body),
            sign(secret, delivery.body + b" "),
        ]
    )
    return Delivery("signature", delivery.source, delivery.body, forged, delivery.posts)


def malformed(delivery: Delivery, rng: random.Random) -> Delivery:
    """Signed as the platform signs, but not a delivery the source takes: the generic
    webhook refuses it (400), and so does a platform's when it is not JSON; a platform's
    signed JSON is taken (200), its unreadable event kept and counted."""
    payload = json.loads(delivery.body)
    if delivery.source == "generic":
        broken = [
            {**payload, "id": ""},
            {**payload, "created_at": "yesterday"},
            {key: value for key, value in payload.items() if key != "author"},
            {**payload, "channel": "No Such Channel!"},
        ]
    elif delivery.source == "x":
        (tweet,) = payload["tweet_create_events"]
        broken = [
            {**payload, "tweet_create_events": [{**tweet, "user": None}]},
            {**payload, "tweet_create_events": [{**tweet, "id_str": None}]},
            [payload],
        ]
    else:
        entry = {key: value for key, value in payload["entry"][0].items() if key != "id"}
        broken = [{**payload, "entry": "not a list"}, {**payload, "entry": [entry]}]
    body = rng.choice([*map(_json, broken), delivery.body[: len(delivery.body) // 2]])
    return Delivery("malformed", delivery.source, body, "sign", delivery.posts)


def storm(total: int, rng: random.Random) -> list[Delivery]:
    """The deliveries in the order they are sent. A duplicate follows its original:
    a third of them right behind it (in flight together), the rest any time later."""
    texts = [post["text"] for post in customer_posts(read_conversations(SAMPLE))]
    counts = {kind: round(total * share) for kind, share in SHARES.items()}
    firsts = total - counts["duplicate"]
    kinds = ["signature"] * counts["signature"] + ["malformed"] * counts["malformed"]
    kinds += ["genuine"] * (firsts - len(kinds))
    rng.shuffle(kinds)
    sources = rng.choices(list(SOURCES), weights=list(SOURCES.values()), k=firsts)
    deliveries = []
    for order, (kind, source) in enumerate(zip(kinds, sources, strict=True)):
        delivery = genuine(source, rng.choice(texts), rng)
        if kind == "signature":
            delivery = bad_signature(delivery, rng)
        elif kind == "malformed":
            delivery = malformed(delivery, rng)
        delivery.order = order
        deliveries.append(delivery)
    originals = [d for d in deliveries if d.kind == "genuine"]
    for _ in range(counts["duplicate"]):
        original = rng.choice(originals)
        later = rng.uniform(0.5, CLIENTS) if rng.random() < 1 / 3 else rng.uniform(1, firsts)
        deliveries.append(
            Delivery(
                "duplicate",
                original.source,
                original.body,
                original.signature,
                original.posts,
                original.order + later,
            )
        )
    return sorted(deliveries, key=lambda d: d.order)


def send_all(stack: LocalStack, deliveries: list[Delivery]) -> float:
    """Send every delivery from CLIENTS threads at once; the seconds it took."""
    queue = iter(deliveries)
    lock = threading.Lock()

    def client() -> None:
        api = Api(stack)
        while True:
            with lock:
                delivery = next(queue, None)
            if delivery is None:
                return
            path, header, sign, secret = ROUTES[delivery.source]
            try:
                response = api.signed(path, delivery.body, header, sign, secret, delivery.signature)
            except requests.RequestException as failure:
                delivery.status, delivery.reply = 0, repr(failure)
                continue
            delivery.status = response.status_code
            try:
                delivery.reply = response.json()
            except ValueError:
                delivery.reply = response.text[:200]

    started = time.perf_counter()
    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    return time.perf_counter() - started


def drained(stack: LocalStack) -> Callable[[], dict[str, int]]:
    """What the inbox and its dead-letter queue still hold, as a function to ask again."""
    sqs = stack.client("sqs")
    inbox = stack.env["ESCALATOR_INBOX_QUEUE_URL"]
    redrive = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["RedrivePolicy"])
    dead_letters = json.loads(redrive["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"]
    queues = {
        "inbox": inbox,
        "dead_letters": sqs.get_queue_url(QueueName=dead_letters.rsplit(":", 1)[-1])["QueueUrl"],
    }
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]

    def held() -> dict[str, int]:
        return {
            queue: sum(
                int(count)
                for count in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)[
                    "Attributes"
                ].values()
            )
            for queue, url in queues.items()
        }

    return held


def table(stack: LocalStack) -> list[dict[str, Any]]:
    from boto3.dynamodb.types import TypeDeserializer

    deserialize = TypeDeserializer().deserialize
    pages = (
        stack.client("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=stack.env["ESCALATOR_TABLE"], ConsistentRead=True)
    )
    return [
        {key: deserialize(value) for key, value in item.items()}
        for page in pages
        for item in page["Items"]
    ]


def outcome(deliveries: list[Delivery], items: list[dict[str, Any]]) -> dict[str, Any]:
    """Each genuine post's case, and whatever the table holds that it should not."""
    recorded = {  # post -> the case its dedupe record names
        tuple(item["pk"].split("#", 2)[1:]): item["case_id"]
        for item in items
        if item["sk"] == "POST"
    }
    cases = Counter(
        (item["post"]["channel"], item["post"]["id"]) for item in items if item["sk"] == "CASE"
    )
    posts = {post for d in deliveries if d.kind == "genuine" for post in d.posts}
    bad = {post for d in deliveries if d.kind in ("signature", "malformed") for post in d.posts}
    return {
        "genuine_posts": len(posts),
        "cases": sum(cases.values()),
        "posts_without_a_case": sorted(p for p in posts if cases[p] == 0 or p not in recorded),
        "posts_with_several_cases": sorted(p for p in posts if cases[p] > 1),
        "posts_in_another_case": sorted(
            p for p in posts if p in recorded and recorded[p] != case_id_for(*p)
        ),
        "cases_of_no_genuine_post": sorted(p for p in cases if p not in posts),
        "refused_posts_written": sorted(p for p in bad if p in recorded or cases[p]),
    }


class MetricsOut(io.TextIOBase):
    """Stands in for stdout while the stack runs: sums the EMF lines the handlers print
    (whole lines, per thread) and passes every other line on to stderr."""

    def __init__(self) -> None:
        self.sums: Counter = Counter()
        self._partial = threading.local()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        pending = getattr(self._partial, "text", "") + text
        *lines, self._partial.text = pending.split("\n")
        for line in lines:
            if line.startswith('{"_aws"'):
                self._count(json.loads(line))
            elif line:
                sys.stderr.write(line + "\n")
        return len(text)

    def _count(self, document: dict[str, Any]) -> None:
        (definition,) = document["_aws"]["CloudWatchMetrics"]
        with self._lock:
            for metric in definition["Metrics"]:
                name = metric["Name"]
                key = name if name != "WebhookRejections" else f"{name}.{document['reason']}"
                self.sums[key] += sum(_values(document[name]))

    def flush(self) -> None:
        pass


def _values(value: Any) -> list[float]:
    return value if isinstance(value, list) else [value]


def _json(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def run(total: int, folder: str) -> dict[str, Any]:
    rng = random.Random(SEED)
    deliveries = storm(total, rng)
    metrics = MetricsOut()
    stdout, sys.stdout = sys.stdout, metrics  # before the app's loggers take a stream
    os.environ.update(CHANNEL_SETTINGS)
    stack = LocalStack(
        port=free_port(),
        time_scale=1.0,
        policy=without_storms(Path(folder)),
        api_token=API_TOKEN,
        generic_secret=GENERIC_SECRET,
    )
    stack.start()
    try:
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"  # the local stage silences them
        started = time.perf_counter()
        burst = send_all(stack, deliveries)
        queued = drained(stack)
        wait_for(lambda: not any(queued().values()), 900, "the inbox to drain", 1)
        drain = time.perf_counter() - started
        held = queued()
        items = table(stack)
    finally:
        stopping = time.perf_counter()
        stack.stop()
        stop = time.perf_counter() - stopping
        sys.stdout = stdout
    kinds = Counter(d.kind for d in deliveries)
    statuses = {
        kind: dict(Counter(str(d.status) for d in deliveries if d.kind == kind)) for kind in kinds
    }
    unexpected = [
        {"kind": d.kind, "source": d.source, "status": d.status, "reply": d.reply}
        for d in deliveries
        if not _as_expected(d)
    ]
    return {
        "seed": SEED,
        "deliveries": len(deliveries),
        "kinds": dict(kinds),
        "sources": {
            kind: dict(Counter(d.source for d in deliveries if d.kind == kind)) for kind in kinds
        },
        "duplicated_posts": len({d.posts[0] for d in deliveries if d.kind == "duplicate"}),
        "statuses": statuses,
        "server_errors": sum(1 for d in deliveries if not 0 < (d.status or 0) < 500),
        "unexpected_responses": unexpected[:20],
        "unexpected_count": len(unexpected),
        **outcome(deliveries, items),
        "queues": held,
        "metrics": dict(metrics.sums),
        "seconds": {"burst": round(burst, 2), "drained": round(drain, 2), "stop": round(stop, 2)},
        "deliveries_per_second": round(len(deliveries) / burst, 1),
        "posts_per_second_to_cases": round(kinds["genuine"] / drain, 1),
    }


def _as_expected(delivery: Delivery) -> bool:
    """Genuine and duplicate deliveries accepted (202 generic, 200 the platforms), bad
    signatures 401/403, malformed bodies 4xx with a JSON error, except a platform's
    signed JSON: 200, nothing accepted, its event kept unread."""
    status, reply = delivery.status or 0, delivery.reply
    if delivery.kind in ("genuine", "duplicate"):
        accepted = 202 if delivery.source == "generic" else 200
        return status == accepted and isinstance(reply, dict)
    refused = isinstance(reply, dict) and isinstance(reply.get("error"), str)
    if delivery.kind == "signature":
        return status in (401, 403) and refused
    if status == 200 and delivery.source != "generic" and isinstance(reply, dict):
        return reply.get("accepted") == 0 and reply.get("unreadable", 0) >= 1
    return 400 <= status < 500 and refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=5000)
    with tempfile.TemporaryDirectory() as folder:
        result = run(parser.parse_args().deliveries, folder)
    print(json.dumps(result, default=list))


if __name__ == "__main__":
    main()
