"""POST/GET /webhooks/x with X's own payloads (tests/fixtures/x/), or deliveries built
from them (tests.platform_payloads), signed as X signs them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
from chalicelib.domain.cases import case_id_for
from tests.e2e.stack import X_BRAND_ID, X_SECRET, executions, table_items, wait_for
from tests.platform_payloads import (
    account_activity,
    activity,
    fresh_id,
    load,
    redated,
    stream_delivery,
    v1_direct_message,
    v1_tweet,
    v2_post,
)
from tests.standins import Answer

CUSTOMER = {"id_str": "44196397", "screen_name": "dana_k", "followers_count": 15400}
BRAND = {"id_str": X_BRAND_ID, "screen_name": "NorthwindHelp", "followers_count": 120000}
LONG_TEXT = (
    "@NorthwindHelp my broadband has been down since Monday, three engineer visits were "
    "cancelled and nobody calls back. I work from home and this is costing me money. Fix it."
)


def to_brand(*tweets: dict) -> dict:
    return account_activity(*tweets, for_user_id=X_BRAND_ID)


def test_crc_answers_with_the_hmac_of_the_token(api):
    response = api.http.get(f"{api.url}/webhooks/x", params={"crc_token": "challenge-123"})
    expected = base64.b64encode(
        hmac.new(X_SECRET.encode(), b"challenge-123", hashlib.sha256).digest()
    ).decode()
    assert response.status_code == 200
    assert response.json() == {"response_token": f"sha256={expected}"}


@pytest.mark.parametrize(
    "token",
    [
        '{"for_user_id":"900001","tweet_create_events":[]}',  # a body to sign as X's
        "a" * 129,
        "line\nbreak",
        "",
    ],
)
def test_crc_answers_only_tokens_of_the_shape_x_sends(api, token):
    response = api.http.get(f"{api.url}/webhooks/x", params={"crc_token": token})
    assert response.status_code == 400
    assert "response_token" not in response.text


def test_crc_without_a_token_is_400(api):
    response = api.http.get(f"{api.url}/webhooks/x")
    assert response.status_code == 400
    assert "crc_token" in response.json()["error"]


def test_a_long_mention_becomes_a_case_with_author_reach_and_full_text(api):
    tweet = v1_tweet(CUSTOMER, LONG_TEXT, long=True)
    response = api.send_x(to_brand(tweet))

    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "ignored": [], "unreadable": 0}
    case = api.wait_for_case(case_id_for("x", tweet["id_str"]))
    assert case["post"]["text"] == LONG_TEXT
    assert case["post"]["author"] == {"id": "44196397", "handle": "@dana_k", "followers": 15400}
    assert case["post"]["url"] == f"https://x.com/dana_k/status/{tweet['id_str']}"
    assert case["intent"] == "complaint"
    assert "author reach: 15,400 followers" in case["reasons"]


@pytest.mark.parametrize("signature", [None, "sha256=AAAA", "sha256=" + "A" * 44])
def test_a_bad_signature_gets_401_and_writes_nothing(api, stack, signature):
    tweet = v1_tweet(CUSTOMER, "@NorthwindHelp refund me now, this is a scam")
    response = api.send_x(to_brand(tweet), signature=signature)
    assert response.status_code == 401
    assert "x-twitter-webhooks-signature" in response.json()["error"]
    time.sleep(1.2)
    assert table_items(stack, f"POST#x#{tweet['id_str']}") == []


def test_the_brand_reply_ends_the_escalation_and_a_follow_up_joins_the_case(api, stack):
    complaint = v1_tweet(CUSTOMER, "@NorthwindHelp my router is broken again, still not working")
    api.send_x(to_brand(complaint))
    case_id = case_id_for("x", complaint["id_str"])
    api.wait_for_case(case_id, until=lambda c: c["status"] == "open")

    reply = v1_tweet(BRAND, "@dana_k sorry Dana, we're on it: check your DMs", complaint["id_str"])
    assert api.send_x(to_brand(reply)).json()["accepted"] == 1
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "@dana_k sorry Dana, we're on it: check your DMs"
    assert case["first_response_by"] == "@NorthwindHelp on x"
    wait_for(lambda: executions(stack, case_id)[0]["status"] != "RUNNING", 5, "timer ended")

    follow_up = v1_tweet(CUSTOMER, "@NorthwindHelp thanks, still waiting though", reply["id_str"])
    api.send_x(to_brand(follow_up))
    case = api.wait_for_case(
        case_id, until=lambda c: "follow-up" in [e["kind"] for e in c["events"]]
    )
    assert api.case(case_id_for("x", follow_up["id_str"])) is None  # no second case
    assert [e["kind"] for e in case["events"]].count("responded") == 1
    assert table_items(stack, f"POST#x#{reply['id_str']}")  # the brand reply is on record


def test_a_post_delivered_for_two_subscribed_accounts_is_one_case(api, stack):
    tweet = v1_tweet(CUSTOMER, "@NorthwindHelp @NorthwindMobile both of you ignored my refund")
    api.send_x(to_brand(tweet))
    api.send_x(account_activity(tweet, for_user_id="900002"))
    case_id = case_id_for("x", tweet["id_str"])
    api.wait_for_case(case_id)
    time.sleep(1)
    assert [e["kind"] for e in api.case(case_id)["events"]].count("opened") == 1
    assert len(executions(stack, case_id)) == 1


def test_a_customers_dms_are_one_private_case_and_the_brands_dm_answers_it(api):
    """X's users map has `id`, not `id_str`; a second DM from the customer joins the
    first's case (one conversation per customer), and the brand's DM answers it."""
    customer = {**CUSTOMER, "id_str": fresh_id()}  # a conversation of its own
    first, first_id = v1_direct_message(
        customer, BRAND, "my bill is wrong, charged twice", X_BRAND_ID
    )
    assert "id_str" not in first["users"][customer["id_str"]]
    assert api.send_x(first).json() == {"accepted": 1, "ignored": [], "unreadable": 0}
    case_id = case_id_for("x", f"dm-{first_id}")
    case = api.wait_for_case(case_id)
    assert case["post"]["private"] is True
    assert case["post"]["conversation_id"] == f"dm:{customer['id_str']}"
    assert case["post"]["author"] == {
        "id": customer["id_str"],
        "handle": "@dana_k",
        "followers": 15400,
    }

    second, second_id = v1_direct_message(
        customer, BRAND, "also the app won't let me log in", X_BRAND_ID
    )
    api.send_x(second)
    api.wait_for_case(case_id, until=lambda c: "follow-up" in [e["kind"] for e in c["events"]])
    assert api.case(case_id_for("x", f"dm-{second_id}")) is None

    brand_dm, _ = v1_direct_message(BRAND, customer, "Sorry Dana, refund on its way", X_BRAND_ID)
    api.send_x(brand_dm)
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "Sorry Dana, refund on its way"


def test_a_media_only_dm_says_what_it_carried(api):
    """Zammad's recorded DM with a GIF: its text is only the media's t.co link."""
    payload = redated(load("x", "aaa_dm_received_with_media.json"))
    event = payload["direct_message_events"][0]
    event["id"] = f"{event['id']}-media"  # its own post, and conversation, in this session
    sender = fresh_id()
    payload["users"][sender] = payload["users"].pop(event["message_create"]["sender_id"])
    event["message_create"].update(sender_id=sender, target={"recipient_id": X_BRAND_ID})
    payload["for_user_id"] = X_BRAND_ID
    assert api.send_x(payload).json()["accepted"] == 1
    case = api.wait_for_case(case_id_for("x", f"dm-{event['id']}"))
    assert case["post"]["text"] == "(animated_gif)"
    api.agent("POST", f"/cases/{case['id']}/resolve")


def test_activity_api_mentions_replies_and_dms_in_xs_documented_shapes(api):
    author = {"id": "55501", "username": "kira", "public_metrics": {"followers_count": 812}}
    mention = v2_post("@NorthwindHelp the app crashes at login, useless", "55501")
    delivery = activity("post.mention.create", mention, [author], X_BRAND_ID)
    assert api.send_x(delivery).json()["accepted"] == 1
    case_id = case_id_for("x", mention["id"])
    case = api.wait_for_case(case_id)
    assert case["post"]["conversation_id"] == mention["id"]
    assert case["post"]["author"] == {"id": "55501", "handle": "@kira", "followers": 812}

    brand_reply = v2_post(
        "@kira sorry! a fix ships today",
        X_BRAND_ID,
        conversation_id=mention["id"],
        referenced_tweets=[{"type": "replied_to", "id": mention["id"]}],
    )
    brand = [{"id": X_BRAND_ID, "username": "NorthwindHelp"}]
    api.send_x(activity("post.reply.create", brand_reply, brand, X_BRAND_ID))
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "@kira sorry! a fix ships today"

    # dm.received: AAA's direct_message_events inside the payload, v2 users in {"data"}
    dm = redated(load("x", "xaa_dm_received.json"))
    dm["data"]["filter"]["user_id"] = X_BRAND_ID
    event = dm["data"]["payload"]["direct_message_events"][0]
    event["id"] = f"{event['id']}-session"
    sender = fresh_id()  # a conversation of its own: X's sample sender, under a new id
    users = dm["data"]["payload"]["users"]
    users[sender] = users.pop(event["message_create"]["sender_id"])
    users[sender]["data"]["id"] = sender
    event["message_create"].update(sender_id=sender, target={"recipient_id": X_BRAND_ID})
    event["message_create"]["message_data"]["text"] = "can you help with my order?"
    api.send_x(dm)
    dm_case = api.wait_for_case(case_id_for("x", f"dm-{event['id']}"))
    assert dm_case["post"]["author"] == {"id": sender, "handle": "@OtherUser", "followers": 97}
    assert dm_case["post"]["conversation_id"] == f"dm:{sender}"
    for done in (case_id, dm_case["id"]):
        api.agent("POST", f"/cases/{done}/resolve")


RUI = {"id": "55601", "username": "rui", "public_metrics": {"followers_count": 230}}


def test_filtered_stream_posts_are_found_by_their_rule_unless_written_to_the_brand(api):
    overheard = v2_post("Northwind lost my bag again, nobody answers. Useless.", "55601", lang="en")
    rule = {"id": "1590000000000000001", "tag": "northwind complaints"}
    response = api.send_x(stream_delivery(overheard, rule, RUI))
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "ignored": [], "unreadable": 0}
    found = api.wait_for_case(case_id_for("x", overheard["id"]))["post"]
    assert (found["found_by"], found["brand"], found["language"]) == (
        "rule: northwind complaints",
        None,
        "en",
    )
    assert found["author"] == {"id": "55601", "handle": "@rui", "followers": 230}

    mention = v2_post(
        "@NorthwindHelp my refund never came, this is a scam",
        "55601",
        entities={
            "mentions": [{"start": 0, "end": 14, "username": "NorthwindHelp", "id": X_BRAND_ID}]
        },
    )
    api.send_x(stream_delivery(mention, {"id": "1590000000000000002"}, RUI))
    addressed = api.wait_for_case(case_id_for("x", mention["id"]))["post"]
    assert (addressed["found_by"], addressed["brand"]) == (None, X_BRAND_ID)
    for post in (overheard, mention):
        api.agent("POST", f"/cases/{case_id_for('x', post['id'])}/resolve")


def without_author(post_id: str, text: str) -> dict:
    """A filtered-stream delivery with X's default fields, built from X's documented one
    (`fs_stream_post_embedding_rule_match.json`): only the post's id and text."""
    delivery = redated(load("x", "fs_stream_post_embedding_rule_match.json"))
    delivery["data"] = {"id": post_id, "text": text}
    return delivery


def test_a_stream_post_without_its_author_is_looked_up_before_triage(api, platform_apis):
    """X's default fields carry no author: the consumer asks X's API (the stand-in,
    answering with X's documented lookup, its post's text a complaint's) for the post,
    its author and their reach."""
    text = "Northwind charged me twice and nobody answers"
    looked_up = load("x", "api_get_post_expansions_public_metrics.json")
    looked_up["data"]["text"] = text
    post_id = looked_up["data"]["id"]
    platform_apis.answer(f"/2/tweets/{post_id}", Answer(200, looked_up))
    asked_before = len(platform_apis.seen(f"/2/tweets/{post_id}"))
    delivery = without_author(post_id, text)
    assert api.send_x(delivery).json()["accepted"] == 1
    case = api.wait_for_case(case_id_for("x", post_id))
    assert case["post"]["author"] == {
        "id": "2244994945",
        "handle": "@xdevelopers",
        "followers": 570842,
    }
    assert case["post"]["url"] == f"https://x.com/xdevelopers/status/{post_id}"
    (request,) = platform_apis.seen(f"/2/tweets/{post_id}")[asked_before:]
    assert request.query["expansions"] == "author_id"
    assert request.query["user.fields"] == "public_metrics"
    assert request.headers["Authorization"] == "Bearer test-x-bearer-token"
    api.agent("POST", f"/cases/{case['id']}/resolve")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(Answer(429, {"title": "Too Many Requests"}), id="rate limited"),
        pytest.param(Answer(503, {"title": "Service Unavailable"}), id="X down"),
        pytest.param(
            Answer(200, load("x", "api_get_post_with_author.json")),
            id="an answer tweepy cannot read",
        ),
    ],
)
def test_a_lookup_that_fails_keeps_the_post_with_its_author_unknown(api, platform_apis, answer):
    post_id = f"{time.time_ns()}"
    platform_apis.answer(f"/2/tweets/{post_id}", answer)
    delivery = without_author(post_id, "Northwind charged me twice and nobody answers")
    assert api.send_x(delivery).json()["accepted"] == 1
    case = api.wait_for_case(case_id_for("x", post_id))
    assert case["post"]["author"] == {"id": None, "handle": "(author unknown)", "followers": None}
    assert case["post"]["url"] == f"https://x.com/i/status/{post_id}"
    assert platform_apis.seen(f"/2/tweets/{post_id}")
    api.agent("POST", f"/cases/{case['id']}/resolve")


def test_other_event_types_are_acknowledged_and_ignored_by_kind(api, metrics):
    like = redated(load("x", "aaa_favorite_by_brand.json"))
    assert api.send_x(like).json() == {
        "accepted": 0,
        "ignored": ["favorite_events"],
        "unreadable": 0,
    }
    revoked = load("x", "xaa_oauth_revoke.json")  # its filter is empty
    assert api.send_x(revoked).json() == {
        "accepted": 0,
        "ignored": ["oauth.revoke"],
        "unreadable": 0,
    }
    documents = metrics()
    kinds = {(d["source"], d["kind"]) for d in documents if "IgnoredEvents" in d}
    assert {("x", "favorite_events"), ("x", "oauth.revoke")} <= kinds


def test_one_unreadable_event_is_kept_and_counted_and_the_good_one_is_a_case(api, stack, metrics):
    """A delivery whose second event X could not have meant (a tweet without an id):
    200, the first tweet is a case, the second kept whole for an engineer and counted."""
    good = v1_tweet(CUSTOMER, "@NorthwindHelp my parcel never came and support is useless")
    bad = {key: value for key, value in v1_tweet(CUSTOMER, "lost").items() if key != "id_str"}
    response = api.send_x(to_brand(good, bad))
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "ignored": [], "unreadable": 1}
    case = api.wait_for_case(case_id_for("x", good["id_str"]))
    kept = UnreadableEvents(stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"]).list(1000)
    (mine,) = [event for event in kept if event.raw == bad]
    assert (mine.source, mine.kind) == ("x", "tweet")
    assert mine.problems == ["id_str: required field is missing"]
    unreadable = [d for d in metrics() if "UnreadableEvents" in d and d.get("source") == "x"]
    assert unreadable and unreadable[-1]["reason"] == "tweet"
    api.agent("POST", f"/cases/{case['id']}/resolve")


def test_a_deleted_post_is_a_note_on_its_case_and_no_follow_up(api):
    tweet = v1_tweet(CUSTOMER, "@NorthwindHelp your app charged me twice, fix it")
    api.send_x(to_brand(tweet))
    case_id = case_id_for("x", tweet["id_str"])
    api.wait_for_case(case_id)
    deletion = redated(load("x", "aaa_doc_tweet_delete.json"))
    deletion["for_user_id"] = X_BRAND_ID
    deletion["tweet_delete_events"][0]["status"] = {"id": tweet["id_str"], "user_id": "44196397"}
    for _ in range(2):  # X may deliver it twice: one note
        assert api.send_x(deletion).json()["accepted"] == 1
    case = api.wait_for_case(
        case_id, until=lambda c: "post deleted" in [e["kind"] for e in c["events"]]
    )
    time.sleep(0.5)
    kinds = [e["kind"] for e in api.case(case_id)["events"]]
    assert kinds.count("post deleted") == 1 and "follow-up" not in kinds
    case = api.case(case_id)
    assert case["status"] == "open"
    assert case["post"]["text"] == "(deleted by its author)"  # no longer kept
    api.agent("POST", f"/cases/{case_id}/resolve")
