"""X brand listening against tweepy's real HTTP layer, with `responses` standing in for
X's recent search, and the stack's DynamoDB (the checkpoint) and SQS (the inbox)."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import responses
import tweepy

from chalicelib import components
from chalicelib.adapters.dynamodb.checkpoints import Checkpoints
from chalicelib.adapters.sqs import Inbox
from chalicelib.adapters.x_api.listening import CHECKPOINT, BrandListener
from chalicelib.channels import as_json
from chalicelib.domain.actions import Action
from chalicelib.domain.cases import case_id_for
from chalicelib.domain.policy_sections import Listening
from chalicelib.domain.posts import Post
from tests.e2e.stack import X_BRAND_ID, queued_posts

BRAND = X_BRAND_ID
SEARCH = re.compile(r"https://api\.twitter\.com/2/tweets/search/recent.*")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LISTENING = Listening(terms=["Northwind Air", "northwindair"], hashtags=["#nwfail"])
QUERY = f'("Northwind Air" OR northwindair OR #nwfail) -is:retweet -from:{BRAND} -to:{BRAND}'
USERS = [
    {"id": "501", "name": "Dana", "username": "dana_k", "public_metrics": {"followers_count": 777}},
    {"id": BRAND, "name": "Northwind", "username": "NorthwindHelp"},
]


def found(number: int, text: str = "Northwind Air lost my bag again", **fields) -> dict:
    return {
        "id": str(3000 + number),
        "text": text,
        "author_id": "501",
        "created_at": "2026-11-23T08:59:00.000Z",
        "conversation_id": str(3000 + number),
        "lang": "en",
        "edit_history_tweet_ids": [str(3000 + number)],
        **fields,
    }


def page(tweets: list[dict], next_token: str | None = None) -> dict:
    meta = {"result_count": len(tweets)}
    if tweets:
        meta.update(newest_id=tweets[0]["id"], oldest_id=tweets[-1]["id"])
    if next_token:
        meta["next_token"] = next_token
    return (
        {"data": tweets, "includes": {"users": USERS}, "meta": meta} if tweets else {"meta": meta}
    )


def sent(call) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlparse(call.request.url).query).items()}


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def harness(stack):
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=f"listener-{time.monotonic_ns()}")["QueueUrl"]
    checkpoints = Checkpoints(stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"])
    checkpoints.put(CHECKPOINT, {})
    clock = Clock()
    listener = BrandListener(
        tweepy.Client(bearer_token="test-bearer", wait_on_rate_limit=False),
        checkpoints,
        Inbox(sqs, url),
        frozenset({BRAND}),
        LISTENING,
        clock,
    )

    def queued() -> list[Post]:
        return queued_posts(sqs, url)

    with responses.RequestsMock() as api:
        yield listener, checkpoints, queued, api, clock


def test_walks_every_page_queues_each_found_post_and_moves_the_checkpoint(harness):
    listener, checkpoints, queued, api, _ = harness
    checkpoints.put(CHECKPOINT, {"since_id": "2999"})
    api.get(SEARCH, json=page([found(3), found(2)], next_token="p2"))
    api.get(SEARCH, json=page([found(1)]))

    result = listener.listen()

    assert (result.queued, result.left_out, result.error) == (3, 0, None)
    posts = queued()
    assert [p.id for p in posts] == ["3003", "3002", "3001"]
    post = posts[0]
    assert (post.author.handle, post.author.followers) == ("@dana_k", 777)
    assert (post.found_by, post.addressed_to_us, post.language) == ("Northwind Air", False, "en")
    assert post.url == "https://x.com/dana_k/status/3003"
    assert post.received_at == NOW and not post.from_brand
    assert checkpoints.get(CHECKPOINT) == {"since_id": "3003"}
    first, second = (sent(call) for call in api.calls)
    assert first["query"] == QUERY
    assert first["since_id"] == "2999" and "start_time" not in first
    assert "next_token" not in first and second["next_token"] == "p2"
    assert (first["expansions"], first["user.fields"]) == ("author_id", "public_metrics")
    fields = set(first["tweet.fields"].split(","))
    assert {"entities", "referenced_tweets", "in_reply_to_user_id", "lang"} <= fields
    assert api.calls[0].request.headers["Authorization"] == "Bearer test-bearer"


def test_the_first_run_looks_back_an_hour_not_a_week(harness):
    listener, checkpoints, queued, api, _ = harness
    api.get(SEARCH, json=page([found(4)]))

    assert listener.listen().queued == 1

    asked = sent(api.calls[0])
    assert asked["start_time"] == "2026-11-23T08:00:00Z" and "since_id" not in asked
    assert [p.id for p in queued()] == ["3004"]
    assert checkpoints.get(CHECKPOINT) == {"since_id": "3004"}


def test_nothing_new_leaves_the_checkpoint_where_it_was(harness):
    listener, checkpoints, queued, api, _ = harness
    checkpoints.put(CHECKPOINT, {"since_id": "3004"})
    api.get(SEARCH, json=page([]))

    assert listener.listen().queued == 0
    assert queued() == []
    assert checkpoints.get(CHECKPOINT) == {"since_id": "3004"}


def test_the_brands_own_posts_reposts_mentions_and_replies_to_it_are_left_out(harness):
    listener, _, queued, api, _ = harness
    mention = {"mentions": [{"start": 0, "end": 14, "username": "NorthwindHelp", "id": BRAND}]}
    api.get(
        SEARCH,
        json=page(
            [
                found(10, author_id=BRAND),
                found(11, referenced_tweets=[{"type": "retweeted", "id": "1"}]),
                found(12, text="@NorthwindHelp Northwind Air lost my bag", entities=mention),
                found(13, in_reply_to_user_id=BRAND),
                found(14, text="thanks to #NWfail I missed my meeting"),
            ]
        ),
    )

    result = listener.listen()

    assert (result.queued, result.left_out) == (1, 4)
    (post,) = queued()
    assert (post.id, post.found_by) == ("3014", "#nwfail")  # whatever the case


def test_a_post_matching_no_term_as_written_is_found_by_the_query(harness):
    listener, _, queued, api, _ = harness
    link = "lost my bag again https://t.co/nw42"  # X matched the term in the expanded link
    api.get(SEARCH, json=page([found(20, text=link)]))

    listener.listen()

    assert queued()[0].found_by == QUERY.partition(" -is:retweet")[0]


def test_a_rate_limit_is_remembered_runs_skip_until_the_reset_then_carry_on(harness):
    listener, checkpoints, queued, api, clock = harness
    checkpoints.put(CHECKPOINT, {"since_id": "2999"})
    reset = int(NOW.timestamp()) + 600
    api.get(SEARCH, json=page([found(5)], next_token="p2"))
    api.get(
        SEARCH,
        status=429,
        json={"title": "Too Many Requests"},
        headers={"x-rate-limit-reset": str(reset)},
    )

    started = time.monotonic()
    result = listener.listen()

    assert time.monotonic() - started < 5  # it never sleeps on the limit
    assert result.skipped_until == datetime.fromtimestamp(reset, UTC)
    assert as_json(result)["skipped_until"] == "2026-11-23T09:10:00+00:00"
    assert [p.id for p in queued()] == ["3005"]  # what it got before the limit is kept
    assert checkpoints.get(CHECKPOINT) == {"since_id": "2999", "rate_limited_until": reset}
    calls = len(api.calls)
    clock.now = NOW + timedelta(minutes=5)
    assert listener.listen().skipped_until is not None
    assert len(api.calls) == calls  # skipped: no request at all

    clock.now = NOW + timedelta(minutes=11)
    api.get(SEARCH, json=page([found(6), found(5)]))
    assert listener.listen().queued == 2
    assert sent(api.calls[-1])["since_id"] == "2999"  # on from the checkpoint
    assert [p.id for p in queued()] == ["3006", "3005"]  # 3005 again: the store dedupes
    assert checkpoints.get(CHECKPOINT) == {"since_id": "3006"}


def test_a_since_id_too_old_for_recent_search_falls_back_to_the_look_back(harness):
    listener, checkpoints, queued, api, _ = harness
    checkpoints.put(CHECKPOINT, {"since_id": "1000"})
    refusal = {
        "errors": [
            {
                "parameters": {"since_id": ["1000"]},
                "message": "Invalid 'since_id':'1000'. 'since_id' must be a tweet id created "
                "after 2026-11-16T09:00Z.",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    api.get(SEARCH, status=400, json=refusal)
    api.get(SEARCH, json=page([found(7)]))

    result = listener.listen()

    assert (result.queued, result.error) == (1, None)
    stale, fresh = (sent(call) for call in api.calls)
    assert stale["since_id"] == "1000"
    assert fresh["start_time"] == "2026-11-23T08:00:00Z" and "since_id" not in fresh
    assert [p.id for p in queued()] == ["3007"]
    assert checkpoints.get(CHECKPOINT) == {"since_id": "3007"}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"errors": [{"message": "There were errors processing your request: query"}]}),
        (401, {"title": "Unauthorized"}),
        (503, {"title": "Service Unavailable"}),
    ],
)
def test_errors_are_reported_and_the_checkpoint_stays(harness, status, body):
    listener, checkpoints, queued, api, _ = harness
    checkpoints.put(CHECKPOINT, {"since_id": "2999"})
    api.get(SEARCH, status=status, json=body)

    result = listener.listen()

    assert result.error and as_json(result)["error"] == result.error
    assert len(api.calls) == 1  # a refused query is not retried without the since_id
    assert queued() == []
    assert checkpoints.get(CHECKPOINT) == {"since_id": "2999"}


def test_a_found_post_also_delivered_as_a_mention_is_one_case(api, stack, harness):
    """Found (it mentions an account not among the brand ids), then delivered by the
    webhook for that subscribed account: the case id is the post's, so one case, which
    the mention makes addressed to us."""
    listener, _, queued, x_api, _ = harness
    x_api.add_passthru("http://127.0.0.1")
    post_id = str(uuid.uuid4().int % 10**18)
    text = "@NorthwindMobile Northwind Air lost my bag and nobody answers, refund me now"
    mobile = {"mentions": [{"start": 0, "end": 16, "username": "NorthwindMobile", "id": "900002"}]}
    x_api.get(SEARCH, json=page([found(0, text=text, id=post_id, entities=mobile)]))
    listener.listen()
    (post,) = queued()
    assert post.found_by == "Northwind Air"
    service = components.escalator()
    service.receive(post)
    case_id = case_id_for("x", post_id)

    tweet = {
        "id_str": post_id,
        "created_at": "Mon Nov 23 08:59:00 +0000 2026",
        "text": text,
        "user": {"id_str": "501", "screen_name": "dana_k", "followers_count": 777},
    }
    response = api.send_x({"for_user_id": "900002", "tweet_create_events": [tweet]})
    assert response.json()["accepted"] == 1

    case = api.wait_for_case(case_id, until=lambda c: c["addressed_to_us"])
    assert case["post"]["brand"] == "900002"  # the mention says which account it was for
    kinds = [e["kind"] for e in case["events"]]
    assert (kinds.count("opened"), kinds.count("addressed to us")) == (1, 1)
    service.do_action(case_id, Action.RESOLVE, "test")


def test_without_a_token_or_listening_in_the_policy_the_listener_is_off(monkeypatch):
    from app import listen_on_x
    from infra.local import LambdaContext, scheduled_event

    monkeypatch.delenv("ESCALATOR_X_BEARER_TOKEN", raising=False)
    components.brand_listener.cache_clear()
    assert components.brand_listener() is None
    event, context = scheduled_event("listen_on_x"), LambdaContext("listen_on_x")
    assert listen_on_x(event, context) == {}

    monkeypatch.setenv("ESCALATOR_X_BEARER_TOKEN", "test-bearer")  # the stack's policy: none
    components.brand_listener.cache_clear()
    assert components.brand_listener() is None
    components.brand_listener.cache_clear()
