"""GET/POST /webhooks/meta with Meta's own payloads (tests/fixtures/meta/), or deliveries
built from them (tests.platform_payloads), signed as Meta signs them; and the Graph API
fetches of what mentions only name, against the session's stand-in."""

from __future__ import annotations

import json
import time
import uuid
from contextlib import contextmanager
from typing import Any

import pytest
from click.testing import CliRunner

from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
from chalicelib.domain.cases import case_id_for
from infra.cli import main
from tests.e2e.stack import (
    GRAPH_VERSION,
    INSTAGRAM_ID,
    META_PAGE_TOKEN,
    META_VERIFY_TOKEN,
    PAGE_ID,
    table_items,
    wait_for,
)
from tests.platform_payloads import (
    instagram_comment,
    load,
    messenger,
    page_comment,
    redated,
)
from tests.standins import Answer


def new_id() -> str:
    return uuid.uuid4().hex[:16]


CUSTOMER = {"id": "10001", "name": "Raj Patel"}
PAGE = {"id": PAGE_ID, "name": "Northwind"}


def on_page(comment_id: str, text: str, sender: dict, parent_id: str | None = None) -> dict:
    return page_comment(PAGE_ID, comment_id, text, sender, parent_id)


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
    assert api.send_meta(on_page(comment_id, text, CUSTOMER)).json() == {
        "accepted": 1,
        "ignored": [],
        "unreadable": 0,
    }
    case_id = case_id_for("facebook", comment_id)
    case = api.wait_for_case(case_id)
    assert (case["post"]["text"], case["post"]["channel"]) == (text, "facebook")
    assert case["post"]["author"] == {"id": "10001", "handle": "Raj Patel", "followers": None}
    assert case["post"]["conversation_id"] == comment_id
    assert case["policy"] == "meta-complaints"

    reply_id = f"555_{new_id()}"
    api.send_meta(on_page(reply_id, "Sorry Raj, we've sent you a message", PAGE, comment_id))
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "Sorry Raj, we've sent you a message"

    follow_up = f"555_{new_id()}"
    api.send_meta(on_page(follow_up, "still nothing in my inbox", CUSTOMER, comment_id))
    api.wait_for_case(case_id, until=lambda c: "follow-up" in [e["kind"] for e in c["events"]])
    assert api.case(case_id_for("facebook", follow_up)) is None


def test_messenger_messages_dedupe_by_mid_and_echoes_answer(api, stack):
    mid, customer = f"m_{new_id()}", new_id()
    delivery = messenger(mid, customer, PAGE_ID, "can't log in to my account, help?")
    api.send_meta(delivery)
    api.send_meta(delivery)  # Meta retries
    case_id = case_id_for("facebook", f"mid-{mid}")
    case = api.wait_for_case(case_id)
    assert case["post"]["private"] is True
    time.sleep(1)
    assert [e["kind"] for e in api.case(case_id)["events"]].count("opened") == 1

    api.send_meta(
        messenger(f"m_{new_id()}", PAGE_ID, customer, "Hi! Try resetting here", echo=True)
    )
    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")
    assert case["first_response_text"] == "Hi! Try resetting here"


@pytest.mark.parametrize("flat", [False, True], ids=["changes", "flat"])
def test_instagram_comments_in_both_shapes(api, flat):
    comment_id = new_id()
    sender = {"id": "30003", "username": "kira.draws"}
    api.send_meta(
        instagram_comment(
            INSTAGRAM_ID, comment_id, "my parcel is missing, tracking is wrong", sender, flat
        )
    )
    case_id = case_id_for("instagram", comment_id)
    case = api.wait_for_case(case_id)
    assert case["post"]["author"]["handle"] == "@kira.draws"
    assert case["post"]["channel"] == "instagram"

    brand = {"id": INSTAGRAM_ID, "username": "northwind"}
    api.send_meta(
        instagram_comment(
            INSTAGRAM_ID,
            new_id(),
            "So sorry! DM us your order number",
            brand,
            flat,
            parent_id=comment_id,
        )
    )
    api.wait_for_case(case_id, until=lambda c: c["status"] == "responded")


def test_unknown_objects_and_fields_are_acknowledged_and_ignored_by_kind(api, metrics):
    assert api.send_meta({"object": "user", "entry": []}).json() == {
        "accepted": 0,
        "ignored": ["object user"],
        "unreadable": 0,
    }
    reaction = redated(load("meta", "page_feed_reaction_add.json"))
    assert api.send_meta(reaction).json() == {
        "accepted": 0,
        "ignored": ["feed reaction add"],
        "unreadable": 0,
    }
    receipt = load("meta", "messenger_delivery_docs.json")  # Meta's own: no timestamp
    assert api.send_meta(receipt).json()["ignored"] == ["facebook messaging delivery"]
    kinds = {(d["source"], d["kind"]) for d in metrics() if "IgnoredEvents" in d}
    assert {("meta", "feed reaction add"), ("meta", "facebook messaging delivery")} <= kinds


def test_a_bad_signature_gets_401_and_writes_nothing(api, stack):
    comment_id = f"555_{new_id()}"
    response = api.send_meta(
        on_page(comment_id, "refund me", CUSTOMER), signature="sha256=" + "0" * 64
    )
    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]
    time.sleep(1.2)
    assert table_items(stack, f"POST#facebook#{comment_id}") == []


def test_a_batch_keeps_its_unreadable_entry_and_takes_the_rest(api, stack, metrics):
    """Meta batches entries: one it cannot read (a messaging event without a sender)
    is kept whole and counted, the good comment in the same delivery is a case."""
    comment_id = f"555_{new_id()}"
    delivery = on_page(comment_id, "my refund is three weeks late, nobody answers", CUSTOMER)
    broken = messenger(f"m_{new_id()}", new_id(), PAGE_ID, "hello")["entry"][0]
    del broken["messaging"][0]["sender"]
    delivery["entry"].append(broken)
    response = api.send_meta(delivery)
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "ignored": [], "unreadable": 1}
    case = api.wait_for_case(case_id_for("facebook", comment_id))
    kept = UnreadableEvents(stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"]).list(1000)
    (mine,) = [event for event in kept if event.raw == broken["messaging"][0]]
    assert (mine.source, mine.kind, mine.problems) == (
        "meta",
        "facebook messaging",
        ["sender: required field is missing"],
    )
    counted = [d for d in metrics() if "UnreadableEvents" in d and d.get("source") == "meta"]
    assert counted and counted[-1]["reason"] == "facebook messaging"
    api.agent("POST", f"/cases/{case['id']}/resolve")


def test_the_escalator_unreadable_command_reads_them_back_and_forgets_them(api, stack):
    """`escalator unreadable` (the local stack's table, through AWS_ENDPOINT_URL)."""
    broken = {"object": "page", "entry": [{"time": 1, "marker": uuid.uuid4().hex}]}  # no id
    assert api.send_meta(broken).json()["unreadable"] == 1
    table = stack.env["ESCALATOR_TABLE"]
    listed = CliRunner().invoke(main, ["unreadable", "--table", table])
    assert listed.exit_code == 0, listed.output
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    (mine,) = [r for r in records if r["event"] == broken["entry"][0]]
    assert (mine["source"], mine["kind"]) == ("meta", "facebook entry")
    assert mine["problems"] == ["id: required field is missing"]
    forgot = CliRunner().invoke(main, ["unreadable", "--table", table, "--delete", mine["id"]])
    assert forgot.exit_code == 0, forgot.output
    again = CliRunner().invoke(main, ["unreadable", "--table", table, "--delete", mine["id"]])
    assert again.exit_code == 1 and "no unreadable event" in again.output


def test_a_visitor_post_and_a_page_mention_with_their_text_are_cases(api):
    post = redated(load("meta", "page_feed_post_add_visitor.json"))
    post_id = f"{PAGE_ID}_{new_id()}"
    post["entry"][0]["id"] = PAGE_ID
    post["entry"][0]["changes"][0]["value"]["post_id"] = post_id
    post["entry"][0]["changes"][0]["value"]["message"] = "Your shop in Leeds refused my return"
    assert api.send_meta(post).json()["accepted"] == 1
    case = api.wait_for_case(case_id_for("facebook", post_id))
    assert case["post"]["author"]["handle"] == "John Doe"

    mention = redated(load("meta", "page_mention_post_add.json"))
    mention_id = f"777_{new_id()}"
    mention["entry"][0]["id"] = PAGE_ID
    mention["entry"][0]["changes"][0]["value"]["post_id"] = mention_id
    assert api.send_meta(mention).json()["accepted"] == 1
    mentioned = api.wait_for_case(case_id_for("facebook", mention_id))
    assert mentioned["post"]["author"]["handle"] == "(author unknown)"  # Meta leaves it out
    for done in (case["id"], mentioned["id"]):
        api.agent("POST", f"/cases/{done}/resolve")


# -- what the webhooks only name, fetched from the Graph API ------------------------------


def instagram_mention(comment: bool = True) -> tuple[dict[str, Any], str]:
    """Meta's documented @mention (in a comment, or in a caption), for our account, with
    ids of its own; returns it and the id of the post it becomes."""
    name = (
        "instagram_mentions_comment_docs.json"
        if comment
        else "instagram_mentions_caption_docs.json"
    )
    delivery = redated(load("meta", name))
    entry = delivery["entry"][0]
    entry["id"] = INSTAGRAM_ID
    value = entry["changes"][0]["value"]
    value["media_id"] = new_id()
    if comment:
        value["comment_id"] = new_id()
    return delivery, value.get("comment_id") or value["media_id"]


def page_mention_without_text() -> tuple[dict[str, Any], str]:
    """The App Dashboard's Page mention (ids and the sender's name, no text), for our
    Page, with an id of its own."""
    delivery = redated(load("meta", "page_mention_post_add_dashboard_sample.json"))
    delivery["entry"][0]["id"] = PAGE_ID
    post_id = f"44444444_{new_id()}"
    delivery["entry"][0]["changes"][0]["value"]["post_id"] = post_id
    return delivery, post_id


def visitor_post_without_text() -> tuple[dict[str, Any], str]:
    """restfb's recorded visitor post on the Page without its `message` (as a photo
    posted without a caption comes), for our Page, with an id of its own."""
    delivery = redated(load("meta", "page_feed_post_add_visitor.json"))
    delivery["entry"][0]["id"] = PAGE_ID
    value = delivery["entry"][0]["changes"][0]["value"]
    del value["message"]
    value["post_id"] = f"44444444_{new_id()}"
    return delivery, value["post_id"]


@pytest.fixture
def graph(platform_apis):
    """The Graph API stand-in, answering for our Instagram account and Page with Meta's
    documented answers (as of now) unless a test says otherwise."""
    account, page_posts = f"{GRAPH_VERSION}/{INSTAGRAM_ID}", f"{GRAPH_VERSION}/44444444_"
    comment = redated(load("meta", "graph_ig_mentioned_comment.json"))
    comment["mentioned_comment"]["text"] = "@northwind my order arrived broken, I want a refund"
    platform_apis.answer(account, Answer(200, comment), when="mentioned_comment")
    media = redated(load("meta", "graph_ig_mentioned_media.json"))
    platform_apis.answer(account, Answer(200, media), when="mentioned_media")
    page_post = redated(load("meta", "graph_page_post.json"))
    page_post["message"] = "@Northwind your driver left my parcel in the rain, it's ruined"
    platform_apis.answer(page_posts, Answer(200, page_post))
    return platform_apis


def test_an_instagram_mention_is_fetched_then_a_case(api, graph):
    delivery, post_id = instagram_mention()
    asked_before = len(graph.seen(f"{GRAPH_VERSION}/{INSTAGRAM_ID}"))
    assert api.send_meta(delivery).json() == {"accepted": 1, "ignored": [], "unreadable": 0}
    case = api.wait_for_case(case_id_for("instagram", post_id))
    assert case["post"]["text"] == "@northwind my order arrived broken, I want a refund"
    assert case["post"]["brand"] == INSTAGRAM_ID and case["intent"] == "complaint"
    (request,) = graph.seen(f"{GRAPH_VERSION}/{INSTAGRAM_ID}")[asked_before:]
    assert request.query["fields"].startswith(f"mentioned_comment.comment_id({post_id})")
    assert request.headers["Authorization"] == f"Bearer {META_PAGE_TOKEN}"
    assert META_PAGE_TOKEN not in json.dumps(request.query)  # never in the URL

    caption, media_id = instagram_mention(comment=False)
    api.send_meta(caption)
    captioned = api.wait_for_case(case_id_for("instagram", media_id))
    assert captioned["post"]["text"] == "metricsaurus headquarters!"  # Meta's documented answer
    for done in (case["id"], captioned["id"]):
        api.agent("POST", f"/cases/{done}/resolve")


@pytest.mark.parametrize("build", [page_mention_without_text, visitor_post_without_text])
def test_a_page_mention_or_visitor_post_without_its_text_is_fetched_then_a_case(api, graph, build):
    delivery, post_id = build()
    assert api.send_meta(delivery).json()["accepted"] == 1
    case = api.wait_for_case(case_id_for("facebook", post_id))
    assert case["post"]["text"] == "@Northwind your driver left my parcel in the rain, it's ruined"
    assert case["post"]["author"] == {"id": "12345678", "handle": "Test", "followers": None}
    request = graph.seen(f"{GRAPH_VERSION}/{post_id}")[-1]
    assert request.query["fields"] == "id,message,from,created_time,permalink_url"
    api.agent("POST", f"/cases/{case['id']}/resolve")


@contextmanager
def retries_after(stack, seconds: int):
    """The inbox's visibility timeout cut to `seconds`, so SQS's retries take seconds,
    not three minutes (it must outlast one try, as the template's does)."""
    sqs = stack.client("sqs")
    inbox = stack.env["ESCALATOR_INBOX_QUEUE_URL"]
    sqs.set_queue_attributes(QueueUrl=inbox, Attributes={"VisibilityTimeout": str(seconds)})
    time.sleep(1.5)  # the pollers' long polls under the old timeout are over
    try:
        yield
    finally:
        sqs.set_queue_attributes(QueueUrl=inbox, Attributes={"VisibilityTimeout": "180"})


FAILURES = {
    "Meta is down (500)": Answer(500, load("meta", "graph_error_unknown_1.json")),
    "a temporary error": Answer(503, load("meta", "graph_error_temporary_2.json")),
    "a rate limit": Answer(400, load("meta", "graph_error_rate_limit_app_4.json")),
    "an expired token": Answer(400, load("meta", "graph_error_expired_token_463.json")),
    "a timeout": Answer(200, load("meta", "graph_error_temporary_2.json"), delay=6.5),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_mention_the_graph_api_fails_to_give_is_retried_never_lost_nor_doubled(
    api, stack, graph, caplog, failure
):
    """The first fetch fails; SQS delivers the reference again and the second succeeds:
    one case, one opening, the error logged and the token never. (A timeout takes the
    Graph client's 5 s: the retry waits longer than that, as SQS's 180 s does.)"""
    delivery, post_id = instagram_mention()
    comment = redated(load("meta", "graph_ig_mentioned_comment.json"))
    comment["mentioned_comment"]["text"] = "@northwind where is my refund? it's been a month"
    account = f"{GRAPH_VERSION}/{INSTAGRAM_ID}"
    first = FAILURES[failure]
    graph.answer(account, first, Answer(200, comment), when=f"comment_id({post_id})")
    with retries_after(stack, 8 if first.delay else 1):
        assert api.send_meta(delivery).json()["accepted"] == 1
        case = api.wait_for_case(case_id_for("instagram", post_id), timeout=30)
        time.sleep(1.5)  # a double would have come by now
    case = api.case(case["id"])
    assert [e["kind"] for e in case["events"]].count("opened") == 1
    assert len([r for r in graph.seen(account) if post_id in r.query["fields"]]) == 2
    retried = [r for r in caplog.records if r.getMessage() == "post not recorded, to be retried"]
    assert retried and "Graph API" in caplog.text
    assert all(META_PAGE_TOKEN not in str(vars(record)) for record in caplog.records)
    assert META_PAGE_TOKEN not in caplog.text
    api.agent("POST", f"/cases/{case['id']}/resolve")


def test_a_mention_that_is_gone_is_kept_unread_not_retried(api, stack, graph):
    delivery, post_id = instagram_mention()
    gone = load("meta", "graph_error_code1_not_transient.json")  # a fault no retry mends
    graph.answer(
        f"{GRAPH_VERSION}/{INSTAGRAM_ID}", Answer(400, gone), when=f"comment_id({post_id})"
    )
    api.send_meta(delivery)
    kept = UnreadableEvents(stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"])
    found = wait_for(
        lambda: [e for e in kept.list(1000) if post_id in json.dumps(e.raw)],
        10,
        "the reference kept",
    )
    assert found[0].kind == "instagram mention"
    assert "code 1" in found[0].problems[0]
    assert api.case(case_id_for("instagram", post_id)) is None


def test_an_unsent_message_is_a_note_and_never_resumes_a_paused_case(api):
    mid, customer = f"m_{new_id()}", new_id()
    api.send_meta(messenger(mid, customer, PAGE_ID, "my order never arrived, where is it?"))
    case_id = case_id_for("facebook", f"mid-{mid}")
    api.wait_for_case(case_id)
    api.agent("POST", f"/cases/{case_id}/pause", json={"by": "agent@example.com"})
    unsend = redated(load("meta", "messenger_message_deleted.json"))
    entry = unsend["entry"][0]
    entry["id"] = PAGE_ID
    entry["messaging"][0].update(sender={"id": customer}, recipient={"id": PAGE_ID})
    entry["messaging"][0]["message"]["mid"] = mid
    assert api.send_meta(unsend).json()["accepted"] == 1
    case = api.wait_for_case(
        case_id,
        until=lambda c: (
            "post unsent" in [e["kind"] for e in c["events"]]
            and c["post"]["text"] == "(deleted by its author)"
        ),
    )
    assert case["paused_at"] is not None and case["status"] == "open"
    assert "resumed" not in [e["kind"] for e in case["events"]]
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_a_chat_plugin_guest_is_the_author_by_their_reference(api):
    """Built from fbmq's recorded text message, sent by a guest of the chat plugin as
    Meta documents it: `sender.user_ref` instead of `sender.id`."""
    mid = f"m_{new_id()}"
    delivery = messenger(mid, "ignored", PAGE_ID, "is anyone there? my card was charged twice")
    delivery["entry"][0]["messaging"][0]["sender"] = {"user_ref": "guest-7731"}
    assert api.send_meta(delivery).json()["accepted"] == 1
    case = api.wait_for_case(case_id_for("facebook", f"mid-{mid}"))
    assert case["post"]["author"]["id"] == "guest-7731"
    assert case["post"]["conversation_id"] == "dm:guest-7731"
    api.agent("POST", f"/cases/{case['id']}/resolve")
