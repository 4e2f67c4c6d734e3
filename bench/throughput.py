"""End-to-end throughput on the local stack: webhook posts per second, accepted and
recorded as cases.

    .venv/bin/python bench/throughput.py [--posts 1000] [--clients 4]

`--clients` threads send the customers' posts of the Customer Support on Twitter sample
(each under a new id, so each opens a case) to the generic webhook over loopback HTTP, as
fast as they can, each waiting for its answer before sending the next. Timed from the
first post to the last 202, and to the moment the inbox queue is drained (every post
recorded as a case, its timer started); then every case is looked up.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.local_stack import inbox_drained, running_stack
from bench.output import section, table
from infra.local import SQS_POLLERS, LocalStack
from infra.replay import read_conversations
from tests.e2e.stack import SAMPLE, Api, case_of, customer_posts, make_post, without_storms

WARM_UP = 20  # posts through the whole pipeline before timing: first imports, clients


def send_all(stack: LocalStack, posts: list[dict], clients: int) -> None:
    """Send the posts from `clients` threads, each its own HTTP connection."""

    def send(share: list[dict]) -> None:
        api = Api(stack)
        for post in share:
            api.send(post).raise_for_status()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, [posts[i::clients] for i in range(clients)]))


def missing_cases(stack: LocalStack, posts: list[dict]) -> int:
    """How many of the posts have no case in the table."""
    dynamodb, table_name = stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"]
    found = 0
    for start in range(0, len(posts), 100):
        keys = [
            {"pk": {"S": f"CASE#{case_of(post)}"}, "sk": {"S": "CASE"}}
            for post in posts[start : start + 100]
        ]
        request = {table_name: {"Keys": keys, "ProjectionExpression": "pk"}}
        while request:
            answer = dynamodb.batch_get_item(RequestItems=request)
            found += len(answer["Responses"][table_name])
            request = answer.get("UnprocessedKeys")
    return len(posts) - found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--data", type=Path, default=SAMPLE)
    arguments = parser.parse_args()
    texts = [post["text"] for post in customer_posts(read_conversations(arguments.data))]
    posts = [make_post(texts[n % len(texts)]) for n in range(arguments.posts)]
    section(
        "Local end-to-end throughput",
        __file__,
        f"""On the local stack at real time (no escalation falls due): {arguments.posts:,}
        posts (the {len(texts)} customers' posts of the Customer Support on Twitter
        sample, over and over, each under a new id) sent to the generic webhook by
        {arguments.clients} client threads over loopback HTTP, each sending its next post
        once the last got its 202, after {WARM_UP} posts of warm-up. "accepted": from
        the first post to the last 202 (signature checked, post queued). "recorded":
        from the first post to the inbox queue drained, every post a case in the table
        with its timer started (by the local stack's {SQS_POLLERS} inbox pollers, in
        batches of up to 10). Storms off. Everything runs in one process: moto's server,
        the Chalice server's threads, the inbox pollers and a thread per running timer
        share one GIL, and the local stack serialises every DynamoDB call (moto's
        DynamoDB is not thread-safe); on AWS each of these scales out on its own.""",
    )
    with (
        tempfile.TemporaryDirectory() as folder,
        running_stack(1.0, Path(folder), without_storms(Path(folder))) as (stack, _),
    ):
        send_all(stack, [make_post(texts[n % len(texts)]) for n in range(WARM_UP)], 1)
        inbox_drained(stack, timeout=60)
        started = time.perf_counter()
        send_all(stack, posts, arguments.clients)
        accepted = time.perf_counter() - started
        recorded = inbox_drained(stack, timeout=600) - started
        missing = missing_cases(stack, posts)
    table(
        ["posts", "accepted in", "accepted posts/s", "recorded in", "recorded posts/s", "missing"],
        [
            [
                f"{arguments.posts:,}",
                f"{accepted:.1f} s",
                f"{arguments.posts / accepted:.0f}",
                f"{recorded:.1f} s",
                f"{arguments.posts / recorded:.0f}",
                str(missing),
            ]
        ],
    )


if __name__ == "__main__":
    main()
