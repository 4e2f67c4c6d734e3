"""Every payload the platforms published (or an open-source consumer recorded from them),
signed as its platform signs it, through the real webhook of the local stack: each gets
200 and does what the README's table says (tests/fixtures/effects.toml names the row).

Each is delivered now (tests.platform_payloads.redated: its times set to the moment it is
sent, in their own form), and the documentation's placeholders (`<COMMENT_ID>`,
`{page-id}`) made its own, as real ids are: two samples' `<COMMENT_ID>` are not one
comment. A brand reply is sent to a thread that has a case, and a note
about a post that has one: both are set up first through the generic webhook, in the
thread (or with the post id) the payload names. Graph API and X API look-ups go to the
session's stand-in, which answers with the platforms' documented answers.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
from chalicelib.channels import Delivery, meta, x
from chalicelib.domain.triage import triage
from tests.e2e.stack import GRAPH_VERSION, Api, make_post, table_items, wait_for
from tests.platform_payloads import deliveries, expected_effect, load, redated
from tests.standins import Answer, StandIn

PARSERS = {"x": x.parse, "meta": meta.parse}
PAYLOADS = [(platform, name) for platform in PARSERS for name in deliveries(platform)]


@pytest.fixture(scope="module")
def documented_answers(platform_apis: StandIn) -> StandIn:
    """The Graph API's documented answers for mentions and posts (any id), as of now (a
    post's time in an answer from 2017 would make it late). X's post lookup is not
    answered: a post X delivers without its author stays so."""
    for fields, answer in (
        ("mentioned_comment", "graph_ig_mentioned_comment.json"),
        ("mentioned_media", "graph_ig_mentioned_media.json"),
        ("permalink_url", "graph_page_post.json"),
    ):
        documented = Answer(200, redated(load("meta", answer)))
        platform_apis.answer(f"{GRAPH_VERSION}/", documented, when=fields)
    return platform_apis


PLACEHOLDER = re.compile(r"^(<[^<>]+>|\{[a-z-]+\})$")


def own_placeholders(payload: Any, name: str) -> Any:
    """The payload with each placeholder string suffixed with the payload's name: equal
    within it, distinct from every other payload's."""
    if isinstance(payload, dict):
        return {key: own_placeholders(value, name) for key, value in payload.items()}
    if isinstance(payload, list):
        return [own_placeholders(value, name) for value in payload]
    if isinstance(payload, str) and PLACEHOLDER.match(payload):
        return f"{payload}@{name.removesuffix('.json')}"
    return payload


def send(api: Api, platform: str, payload: Any):
    return api.send_x(payload) if platform == "x" else api.send_meta(payload)


def holding(api: Api, channel: str, post_id: str) -> dict | None:
    """The case that holds a post (opened by it, or joined), with its events."""
    found = api.agent("GET", "/cases", params={"post": f"{channel}:{post_id}"}).json()["cases"]
    return api.case(found[0]["id"]) if found else None


def wait_holding(api: Api, channel: str, post_id: str, until=lambda case: True) -> dict:
    return wait_for(
        lambda: (case := holding(api, channel, post_id)) and until(case) and case,
        10,
        f"the case holding {channel}:{post_id}",
    )


def set_up_case(api: Api, channel: str, **fields: Any) -> dict:
    """A customer's post through the generic webhook, in the channel the payload is
    about; returns the case that holds it once recorded."""
    body = make_post("my order has not arrived, please help", channel=channel, **fields)
    assert api.send(body).status_code == 202
    return wait_holding(api, channel, body["id"])


@pytest.mark.parametrize(("platform", "name"), PAYLOADS)
def test_each_payload_does_what_the_readme_says(api, stack, documented_answers, platform, name):
    payload = own_placeholders(redated(load(platform, name)), name)
    delivery: Delivery = PARSERS[platform](payload, frozenset())
    effect = expected_effect(platform, name)
    thread = None
    if effect == "brand reply":
        (reply,) = delivery.posts
        if reply.conversation_id:
            thread = set_up_case(api, reply.channel, conversation_id=reply.conversation_id)
        elif reply.in_reply_to:
            thread = set_up_case(api, reply.channel, id=reply.in_reply_to)
    if effect == "note":
        (note,) = delivery.notes
        thread = set_up_case(api, note.channel, id=note.post_id)
    kept = UnreadableEvents(stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"])
    kept_before = kept.count()

    response = send(api, platform, payload)

    assert response.status_code == 200, response.text
    answer = response.json()
    opened: list[str] = []
    if effect == "case":
        assert answer["accepted"] == len(delivery.posts) >= 1
        opened = [wait_holding(api, p.channel, p.id)["id"] for p in delivery.posts]
    elif effect == "case if a complaint or a question":
        (post,) = delivery.posts
        if triage(post.text).intent in ("complaint", "question"):
            opened = [wait_holding(api, post.channel, post.id)["id"]]
        else:
            time.sleep(1)
            assert holding(api, post.channel, post.id) is None
    elif effect == "fetched, then a case":
        (reference,) = delivery.references
        case = wait_holding(api, reference.channel, reference.id)
        assert case["post"]["text"] not in ("", "(no text)")
        opened = [case["id"]]
    elif effect == "brand reply":
        (reply,) = delivery.posts
        if thread is None:  # the brand's own post in no thread: nothing to answer
            time.sleep(1)
            assert table_items(stack, f"POST#{reply.channel}#{reply.id}") == []
        else:
            wait_for(
                lambda: any(
                    e["kind"] == "brand reply" and e["detail"]["post_id"] == reply.id
                    for e in api.case(thread["id"])["events"]
                ),
                10,
                f"{name} on the trail of {thread['id']}",
            )
    elif effect == "note":
        (note,) = delivery.notes
        wait_for(
            lambda: f"post {note.change}" in [e["kind"] for e in api.case(thread["id"])["events"]],
            10,
            f"{name} on the trail of {thread['id']}",
        )
    elif effect == "ignored":
        assert (answer["accepted"], answer["unreadable"]) == (0, 0)
        assert answer["ignored"] == delivery.ignored != []
    else:
        assert effect == "kept as unreadable"
        assert (answer["accepted"], answer["unreadable"]) == (0, len(delivery.unreadable))
        assert kept.count() == kept_before + 1
        assert payload in [event.raw for event in kept.list(1000)]
    for case_id in [*opened, *([thread["id"]] if thread else [])]:
        api.agent("POST", f"/cases/{case_id}/resolve")
