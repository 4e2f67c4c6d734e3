"""GET/POST /webhooks/meta with Facebook Page, Messenger and Instagram payloads in Meta's
documented shapes, signed as Meta signs them."""

from __future__ import annotations

import time
import uuid

import pytest

from chalicelib.cases import case_id_for
from tests.e2e.stack import INSTAGRAM_ID, META_VERIFY_TOKEN, PAGE_ID, table_items


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def page_comment(
    comment_id: str,
    text: str,
    sender: dict,
    parent_id: str | None = None,
    post_id: str = f"{PAGE_ID}_555",
) -> dict:
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": int(time.time()),
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "from": sender,
                            "message": text,
                            "post_id": post_id,
                            "comment_id": comment_id,
                            "parent_id": parent_id or post_id,
                            "created_time": int(time.time()),
                        },
                    }
                ],
            }
        ],
    }


CUSTOMER = {"id": "10001", "name": "Raj Patel"}
PAGE = {"id": PAGE_ID, "name": "Northwind"}


def test_verification_echoes_the_challenge(api):
    response = api.http.get(
        f"{api.url}/webhooks/meta",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": META_VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert response.status_code == 200
    assert response.text == "1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": META_VERIFY_TOKEN, "hub.challenge": "1"},
        {},
    ],
)
def test_verification_with_a_wrong_token_is_403(api, params):
    response = api.http.get(f"{api.url}/webhooks/meta", params=params)
    assert response.status_code == 403
    assert response.json()["error"] == "wrong hub.mode or hub.verify_token"


def test_a_page_comment_opens_a_case_and_the_page_reply_answers_it(api):
    comment_id = f"555_{new_id()}"
    text = "My bill went up with no warning and nobody told me. I want the old price back."
    assert api.send_meta(page_comment(comment_id, text, CUSTOMER)).json() == {
        "accepted": 1,
        "ignored": [],
    }
    case_id = case_id_for("facebook", comment_id)
    case = api.wait_for_case(case_id)
    assert (case["post"]["text"], case["post"]["channel"]) == (text, "facebook")
    assert case["post"]["author"] == {"id": "10001", "handle": "Raj Patel", "followers": None}
    assert case["post"]["conversation_id"] == comment_id
    assert case["policy"] == "meta-complaints"

    reply_id = f"555_{new_id()}"
    api.send_meta(page_comment(reply_id, "Sorry Raj, we've sent you a message", PAGE, comment_id))
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "Sorry Raj, we've sent you a message"

    follow_up = f"555_{new_id()}"
    api.send_meta(page_comment(follow_up, "still nothing in my inbox", CUSTOMER, comment_id))
    api.wait_for_case(case_id, until=lambda c: "follow-up" in [e["kind"] for e in c["events"]])
    assert api.case(case_id_for("facebook", follow_up)) is None


def messenger(mid: str, sender: str, recipient: str, text: str, echo: bool = False) -> dict:
    message = {"mid": mid, "text": text}
    if echo:
        message["is_echo"] = True
    return {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "time": int(time.time() * 1000),
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": recipient},
                        "timestamp": int(time.time() * 1000),
                        "message": message,
                    }
                ],
            }
        ],
    }


def test_messenger_messages_dedupe_by_mid_and_echoes_answer(api, stack):
    mid = f"m_{new_id()}"
    delivery = messenger(mid, "20002", PAGE_ID, "can't log in to my account, help?")
    api.send_meta(delivery)
    api.send_meta(delivery)  # Meta retries
    case_id = case_id_for("facebook", f"mid-{mid}")
    case = api.wait_for_case(case_id)
    assert case["post"]["private"] is True
    time.sleep(1)
    assert [e["kind"] for e in api.case(case_id)["events"]].count("opened") == 1

    api.send_meta(messenger(f"m_{new_id()}", PAGE_ID, "20002", "Hi! Try resetting here", echo=True))
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "Hi! Try resetting here"


def instagram_comment(
    comment_id: str, text: str, sender: dict, flat: bool, parent_id: str | None = None
) -> dict:
    value = {
        "id": comment_id,
        "from": sender,
        "text": text,
        "media": {"id": "1789", "media_product_type": "FEED"},
    }
    if parent_id:
        value["parent_id"] = parent_id
    change = {"field": "comments", "value": value}
    entry = {"id": INSTAGRAM_ID, "time": int(time.time())}
    entry.update(change if flat else {"changes": [change]})
    return {"object": "instagram", "entry": [entry]}


@pytest.mark.parametrize("flat", [False, True], ids=["changes", "flat"])
def test_instagram_comments_in_both_shapes(api, flat):
    comment_id = new_id()
    sender = {"id": "30003", "username": "kira.draws"}
    api.send_meta(
        instagram_comment(comment_id, "my parcel is missing, tracking is wrong", sender, flat)
    )
    case_id = case_id_for("instagram", comment_id)
    case = api.wait_for_case(case_id)
    assert case["post"]["author"]["handle"] == "@kira.draws"
    assert case["post"]["channel"] == "instagram"

    brand = {"id": INSTAGRAM_ID, "username": "northwind"}
    api.send_meta(
        instagram_comment(
            new_id(), "So sorry! DM us your order number", brand, flat, parent_id=comment_id
        )
    )
    api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")


def test_unknown_objects_and_fields_are_acknowledged_and_ignored(api):
    assert api.send_meta({"object": "user", "entry": []}).json() == {
        "accepted": 0,
        "ignored": ["object user"],
    }
    like = {
        "object": "page",
        "entry": [
            {
                "id": PAGE_ID,
                "changes": [{"field": "feed", "value": {"item": "reaction", "verb": "add"}}],
            }
        ],
    }
    assert api.send_meta(like).json() == {"accepted": 0, "ignored": ["feed reaction add"]}


def test_a_bad_signature_gets_401_and_writes_nothing(api, stack):
    comment_id = f"555_{new_id()}"
    response = api.send_meta(
        page_comment(comment_id, "refund me", CUSTOMER), signature="sha256=" + "0" * 64
    )
    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]
    time.sleep(1.2)
    assert table_items(stack, f"POST#facebook#{comment_id}") == []


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"object": "page"}, "entry: required field is missing"),
        ({"object": "page", "entry": [{"time": 1}]}, "entry.0.id: required field is missing"),
        (
            {"object": "page", "entry": [{"id": PAGE_ID, "messaging": [{"sender": {"id": "1"}}]}]},
            "entry.0.messaging.0.recipient: required field is missing",
        ),
        ("just a string", "body: expected a JSON object"),
    ],
)
def test_malformed_payloads_get_400_naming_the_field(api, payload, problem):
    response = api.send_meta(payload)
    assert response.status_code == 400
    assert any(p.startswith(problem) for p in response.json()["problems"]), response.json()
