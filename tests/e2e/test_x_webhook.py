"""POST/GET /webhooks/x with payloads in X's documented shapes, signed as X signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid

import pytest

from chalicelib.cases import case_id_for
from tests.e2e.stack import X_BRAND_ID, X_SECRET, executions, table_items, wait_for

CUSTOMER = {"id_str": "44196397", "screen_name": "dana_k", "followers_count": 15400}
BRAND = {"id_str": X_BRAND_ID, "screen_name": "NorthwindHelp", "followers_count": 120000}
LONG_TEXT = (
    "@NorthwindHelp my broadband has been down since Monday, three engineer visits were "
    "cancelled and nobody calls back. I work from home and this is costing me money. Fix it."
)


def tweet_id() -> str:
    return str(uuid.uuid4().int % 10**18)


def v1_tweet(author: dict, text: str, reply_to: str | None = None, long: bool = False) -> dict:
    tweet = {
        "id_str": tweet_id(),
        "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime()),
        "text": text[:140],
        "truncated": long,
        "in_reply_to_status_id_str": reply_to,
        "user": author,
        "timestamp_ms": str(int(time.time() * 1000)),
    }
    if long:
        tweet["extended_tweet"] = {"full_text": text}
    return tweet


def account_activity(*tweets: dict, for_user_id: str = X_BRAND_ID) -> dict:
    return {"for_user_id": for_user_id, "tweet_create_events": list(tweets)}


def test_crc_answers_with_the_hmac_of_the_token(api):
    response = api.http.get(f"{api.url}/webhooks/x", params={"crc_token": "challenge-123"})
    expected = base64.b64encode(
        hmac.new(X_SECRET.encode(), b"challenge-123", hashlib.sha256).digest()
    ).decode()
    assert response.status_code == 200
    assert response.json() == {"response_token": f"sha256={expected}"}


def test_crc_without_a_token_is_400(api):
    response = api.http.get(f"{api.url}/webhooks/x")
    assert response.status_code == 400
    assert "crc_token" in response.json()["error"]


def test_a_long_mention_becomes_a_case_with_author_reach_and_full_text(api):
    tweet = v1_tweet(CUSTOMER, LONG_TEXT, long=True)
    response = api.send_x(account_activity(tweet))

    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "ignored": []}
    case = api.wait_for_case(case_id_for("x", tweet["id_str"]))
    assert case["post"]["text"] == LONG_TEXT
    assert case["post"]["author"] == {"id": "44196397", "handle": "@dana_k", "followers": 15400}
    assert case["post"]["url"] == f"https://x.com/dana_k/status/{tweet['id_str']}"
    assert case["intent"] == "complaint"
    assert "author reach: 15,400 followers" in case["reasons"]


@pytest.mark.parametrize("signature", [None, "sha256=AAAA", "sha256=" + "A" * 44])
def test_a_bad_signature_gets_401_and_writes_nothing(api, stack, signature):
    tweet = v1_tweet(CUSTOMER, "@NorthwindHelp refund me now, this is a scam")
    response = api.send_x(account_activity(tweet), signature=signature)
    assert response.status_code == 401
    assert "x-twitter-webhooks-signature" in response.json()["error"]
    time.sleep(1.2)
    assert table_items(stack, f"POST#x#{tweet['id_str']}") == []


def test_the_brand_reply_ends_the_escalation_and_a_follow_up_joins_the_case(api, stack):
    complaint = v1_tweet(CUSTOMER, "@NorthwindHelp my router is broken again, still not working")
    api.send_x(account_activity(complaint))
    case_id = case_id_for("x", complaint["id_str"])
    api.wait_for_case(case_id, until=lambda c: c["status"] == "open")

    reply = v1_tweet(BRAND, "@dana_k sorry Dana, we're on it: check your DMs", complaint["id_str"])
    assert api.send_x(account_activity(reply)).json()["accepted"] == 1
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "@dana_k sorry Dana, we're on it: check your DMs"
    assert case["first_response_by"] == "@NorthwindHelp on x"
    wait_for(lambda: executions(stack, case_id)[0]["status"] != "RUNNING", 5, "timer ended")

    follow_up = v1_tweet(CUSTOMER, "@NorthwindHelp thanks, still waiting though", reply["id_str"])
    api.send_x(account_activity(follow_up))
    case = api.wait_for_case(
        case_id, until=lambda c: "follow-up" in [e["kind"] for e in c["events"]]
    )
    assert api.case(case_id_for("x", follow_up["id_str"])) is None  # no second case
    assert [e["kind"] for e in case["events"]].count("responded") == 1
    assert table_items(stack, f"POST#x#{reply['id_str']}")  # the brand reply is on record


def test_a_post_delivered_for_two_subscribed_accounts_is_one_case(api, stack):
    tweet = v1_tweet(CUSTOMER, "@NorthwindHelp @NorthwindMobile both of you ignored my refund")
    api.send_x(account_activity(tweet))
    api.send_x(account_activity(tweet, for_user_id="900002"))
    case_id = case_id_for("x", tweet["id_str"])
    api.wait_for_case(case_id)
    time.sleep(1)
    assert [e["kind"] for e in api.case(case_id)["events"]].count("opened") == 1
    assert len(executions(stack, case_id)) == 1


def test_direct_messages_open_a_private_case_and_the_brand_dm_answers_it(api):
    customer_dm = {
        "type": "message_create",
        "id": tweet_id(),
        "created_timestamp": str(int(time.time() * 1000)),
        "message_create": {
            "sender_id": CUSTOMER["id_str"],
            "target": {"recipient_id": X_BRAND_ID},
            "message_data": {"text": "my bill is wrong, charged twice"},
        },
    }
    users = {CUSTOMER["id_str"]: CUSTOMER, X_BRAND_ID: BRAND}
    api.send_x({"for_user_id": X_BRAND_ID, "direct_message_events": [customer_dm], "users": users})
    case_id = case_id_for("x", f"dm-{customer_dm['id']}")
    case = api.wait_for_case(case_id)
    assert case["post"]["private"] is True
    assert case["post"]["author"]["handle"] == "@dana_k"

    brand_dm = {
        **customer_dm,
        "id": tweet_id(),
        "message_create": {
            "sender_id": X_BRAND_ID,
            "target": {"recipient_id": CUSTOMER["id_str"]},
            "message_data": {"text": "Sorry Dana, refund on its way"},
        },
    }
    api.send_x({"for_user_id": X_BRAND_ID, "direct_message_events": [brand_dm], "users": users})
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "Sorry Dana, refund on its way"


def activity(event_type: str, payload: dict, users: list) -> dict:
    return {
        "data": {
            "event_uuid": str(uuid.uuid4()),
            "filter": {"user_id": X_BRAND_ID},
            "event_type": event_type,
            "tag": "brand",
            "payload": payload,
            "includes": {"users": users},
        }
    }


def test_activity_api_mentions_replies_and_dms(api):
    mention = {
        "id": tweet_id(),
        "text": "@NorthwindHelp the app crashes at login, useless",
        "author_id": "55501",
        "created_at": "2026-11-23T09:00:00.000Z",
        "public_metrics": {"like_count": 3},
    }
    mention["conversation_id"] = mention["id"]
    author = {"id": "55501", "username": "kira", "public_metrics": {"followers_count": 812}}
    assert api.send_x(activity("post.mention.create", mention, [author])).json()["accepted"] == 1
    case_id = case_id_for("x", mention["id"])
    case = api.wait_for_case(case_id)
    assert case["post"]["conversation_id"] == mention["id"]
    assert case["post"]["author"] == {"id": "55501", "handle": "@kira", "followers": 812}

    brand_reply = {
        "id": tweet_id(),
        "text": "@kira sorry! a fix ships today",
        "author_id": X_BRAND_ID,
        "conversation_id": mention["id"],
        "referenced_tweets": [{"type": "replied_to", "id": mention["id"]}],
    }
    api.send_x(
        activity(
            "post.reply.create", brand_reply, [{"id": X_BRAND_ID, "username": "NorthwindHelp"}]
        )
    )
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "@kira sorry! a fix ships today"

    dm = {
        "id": tweet_id(),
        "event_type": "MessageCreate",
        "text": "can you help with my order?",
        "sender_id": "55502",
        "dm_conversation_id": f"55502-{X_BRAND_ID}",
        "created_at": "2026-11-23T09:05:00.000Z",
    }
    wrapped = [
        {"data": {"id": "55502", "username": "sam", "public_metrics": {"followers_count": 5}}}
    ]
    api.send_x(activity("dm.received", dm, wrapped))
    dm_case = api.wait_for_case(case_id_for("x", f"dm-{dm['id']}"))
    assert dm_case["post"]["author"] == {"id": "55502", "handle": "@sam", "followers": 5}
    assert dm_case["post"]["conversation_id"] == "dm:55502"


def stream_delivery(post: dict, rule: dict) -> dict:
    """A filtered-stream post, as X delivers one: the post, its author, the rules."""
    author = {"id": "55601", "username": "rui", "public_metrics": {"followers_count": 230}}
    data = {"author_id": "55601", "created_at": "2026-11-23T09:00:00.000Z", "lang": "en", **post}
    return {"data": data, "includes": {"users": [author]}, "matching_rules": [rule]}


def test_filtered_stream_posts_are_found_by_their_rule_unless_written_to_the_brand(api):
    overheard = {"id": tweet_id(), "text": "Northwind lost my bag again, nobody answers. Useless."}
    rule = {"id": "1590000000000000001", "tag": "northwind complaints"}
    response = api.send_x(stream_delivery(overheard, rule))
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "ignored": []}
    found = api.wait_for_case(case_id_for("x", overheard["id"]))["post"]
    assert (found["found_by"], found["brand"], found["language"]) == (
        "rule: northwind complaints",
        None,
        "en",
    )
    assert found["author"] == {"id": "55601", "handle": "@rui", "followers": 230}

    mention = {
        "id": tweet_id(),
        "text": "@NorthwindHelp my refund never came, this is a scam",
        "entities": {
            "mentions": [{"start": 0, "end": 14, "username": "NorthwindHelp", "id": X_BRAND_ID}]
        },
    }
    api.send_x(stream_delivery(mention, {"id": "1590000000000000002"}))
    addressed = api.wait_for_case(case_id_for("x", mention["id"]))["post"]
    assert (addressed["found_by"], addressed["brand"]) == (None, X_BRAND_ID)
    for post in (overheard, mention):
        api.agent("POST", f"/cases/{case_id_for('x', post['id'])}/resolve")


def test_other_event_types_are_acknowledged_and_ignored(api):
    like = {"for_user_id": X_BRAND_ID, "favorite_events": [{"id": "1"}]}
    assert api.send_x(like).json() == {"accepted": 0, "ignored": ["favorite_events"]}
    follow = activity("profile.update.bio", {"id": "1"}, [])
    assert api.send_x(follow).json() == {
        "accepted": 0,
        "ignored": ["event type profile.update.bio"],
    }


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (
            {"for_user_id": X_BRAND_ID, "tweet_create_events": [{"id_str": "1"}]},
            "tweet_create_events.0.created_at: required field is missing",
        ),
        ({"for_user_id": X_BRAND_ID, "tweet_create_events": "nope"}, "tweet_create_events:"),
        (
            {
                "data": {
                    "event_type": "post.mention.create",
                    "filter": {"user_id": "1"},
                    "payload": {"id": "1"},
                }
            },
            "text: required field is missing",
        ),
        (
            {"data": {"id": "1", "text": "t", "author_id": "2"}, "matching_rules": {"id": "3"}},
            "matching_rules: Input should be a valid list",
        ),
        (
            {"data": {"id": "1", "text": "t"}, "matching_rules": [{"id": "3"}]},
            "data.author_id: required field is missing",
        ),
        ([1, 2], "body: expected a JSON object"),
    ],
)
def test_malformed_payloads_get_400_naming_the_field(api, payload, problem):
    response = api.send_x(payload)
    assert response.status_code == 400
    assert any(p.startswith(problem) for p in response.json()["problems"]), response.json()
