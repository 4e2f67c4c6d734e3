"""The X mentions poller against tweepy's real HTTP layer, with `responses` standing in
for the X API, and the stack's DynamoDB (checkpoints) and SQS (the inbox)."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import pytest
import responses
import tweepy

from chalicelib import components
from chalicelib.adapters.dynamodb.checkpoints import Checkpoints
from chalicelib.adapters.sqs import Inbox
from chalicelib.adapters.x_api.mentions import MentionsPoller
from chalicelib.channels import as_json
from chalicelib.domain.actions import Action
from chalicelib.domain.posts import Post
from tests.e2e.stack import queued_posts

BRAND = "900001"
MENTIONS = re.compile(rf"https://api\.twitter\.com/2/users/{BRAND}/mentions.*")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def mention(number: int, author: str = "501") -> dict:
    return {
        "id": str(2000 + number),
        "text": f"@NorthwindHelp my order #{number} is late",
        "author_id": author,
        "created_at": "2026-11-23T08:59:00.000Z",
        "conversation_id": str(2000 + number),
        "edit_history_tweet_ids": [str(2000 + number)],
    }


def page(tweets: list[dict], newest: str | None = None, next_token: str | None = None) -> dict:
    meta = {"result_count": len(tweets)}
    if tweets:
        meta.update(newest_id=newest or tweets[0]["id"], oldest_id=tweets[-1]["id"])
    if next_token:
        meta["next_token"] = next_token
    users = [
        {
            "id": "501",
            "name": "Dana",
            "username": "dana_k",
            "public_metrics": {"followers_count": 777},
        }
    ]
    return (
        {"data": tweets, "includes": {"users": users}, "meta": meta} if tweets else {"meta": meta}
    )


@pytest.fixture
def harness(stack):
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=f"poller-{time.monotonic_ns()}")["QueueUrl"]
    checkpoints = Checkpoints(stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"])
    checkpoints.put(f"x-mentions#{BRAND}", {})
    poller = MentionsPoller(
        tweepy.Client(bearer_token="test-bearer", wait_on_rate_limit=False),
        checkpoints,
        Inbox(sqs, url),
        frozenset({BRAND}),
        lambda: NOW,
    )

    def queued() -> list[Post]:
        return queued_posts(sqs, url)

    with responses.RequestsMock() as api:
        yield poller, checkpoints, queued, api


def test_walks_every_page_queues_each_mention_and_moves_the_checkpoint(harness):
    poller, checkpoints, queued, api = harness
    api.get(MENTIONS, json=page([mention(3), mention(2)], next_token="p2"))
    api.get(MENTIONS, json=page([mention(1)]))

    result = poller.poll(BRAND)

    assert result.queued == 3
    posts = queued()
    assert [p.id for p in posts] == ["2003", "2002", "2001"]
    assert posts[0].author.handle == "@dana_k"
    assert posts[0].author.followers == 777
    assert posts[0].url == "https://x.com/dana_k/status/2003"
    assert posts[0].received_at == NOW
    assert checkpoints.get(f"x-mentions#{BRAND}") == {"since_id": "2003"}
    first, second = api.calls
    assert "pagination_token" not in first.request.url
    assert "pagination_token=p2" in second.request.url
    assert "expansions=author_id" in first.request.url
    assert "user.fields=public_metrics" in first.request.url
    assert first.request.headers["Authorization"] == "Bearer test-bearer"


def test_asks_only_for_mentions_newer_than_the_checkpoint(harness):
    poller, checkpoints, queued, api = harness
    checkpoints.put(f"x-mentions#{BRAND}", {"since_id": "2003"})
    api.get(MENTIONS, json=page([]))

    assert poller.poll(BRAND).queued == 0

    assert "since_id=2003" in api.calls[0].request.url
    assert queued() == []
    assert checkpoints.get(f"x-mentions#{BRAND}") == {"since_id": "2003"}


def test_a_rate_limit_is_remembered_and_polls_skip_until_the_reset(harness):
    poller, checkpoints, queued, api = harness
    reset = int(NOW.timestamp()) + 600
    api.get(MENTIONS, json=page([mention(5)], next_token="p2"))
    api.get(
        MENTIONS,
        status=429,
        json={"title": "Too Many Requests"},
        headers={"x-rate-limit-reset": str(reset)},
    )

    started = time.monotonic()
    result = poller.poll(BRAND)

    assert time.monotonic() - started < 5  # it never sleeps on the limit
    assert result.skipped_until == datetime.fromtimestamp(reset, UTC)
    assert (
        json.loads(json.dumps(as_json(result)))["skipped_until"] == result.skipped_until.isoformat()
    )
    assert [p.id for p in queued()] == ["2005"]  # what it got before the limit is kept
    assert checkpoints.get(f"x-mentions#{BRAND}") == {"rate_limited_until": reset}
    calls = len(api.calls)
    assert poller.poll(BRAND).skipped_until is not None
    assert len(api.calls) == calls  # skipped: no request at all


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"title": "Unauthorized"}),
        (503, {"title": "Service Unavailable"}),
    ],
)
def test_errors_are_reported_and_the_checkpoint_stays(harness, status, body):
    poller, checkpoints, queued, api = harness
    checkpoints.put(f"x-mentions#{BRAND}", {"since_id": "1999"})
    api.get(MENTIONS, status=status, json=body)

    result = poller.poll(BRAND)

    assert result.error
    assert queued() == []
    assert checkpoints.get(f"x-mentions#{BRAND}") == {"since_id": "1999"}


def test_polled_mentions_already_seen_by_webhook_make_no_second_case(api, stack, harness):
    poller, _, queued, x_api = harness
    x_api.add_passthru("http://127.0.0.1")
    tweet = mention(7)
    x_api.get(MENTIONS, json=page([tweet]))
    poller.poll(BRAND)
    service = components.escalator()
    for post in queued():
        service.receive(post)
        service.receive(post)  # the same mention from a webhook delivery
    from chalicelib.domain.cases import case_id_for

    case_id = case_id_for("x", tweet["id"])
    _, events = service.cases.history(case_id)
    assert [e.kind for e in events].count("opened") == 1
    service.do_action(case_id, Action.RESOLVE, "test")


def test_without_credentials_the_poller_is_off(monkeypatch):
    monkeypatch.delenv("ESCALATOR_X_BEARER_TOKEN", raising=False)
    components.mentions_poller.cache_clear()
    assert components.mentions_poller() is None
    from app import poll_x_mentions
    from infra.local import LambdaContext, scheduled_event

    event, context = scheduled_event("poll_x_mentions"), LambdaContext("poll_x_mentions")
    assert poll_x_mentions(event, context) == []
