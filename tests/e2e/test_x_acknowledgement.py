"""The optional acknowledgement on X: a policy's public reply when a case opens, sent
through tweepy's real HTTP layer (`responses` stands in for the X API)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import responses
import tweepy

from chalicelib import components
from chalicelib.adapters.x_api.replies import XReplier
from chalicelib.domain.actions import Action
from chalicelib.domain.policy import Policy
from chalicelib.domain.posts import Author, Post

TWEETS = "https://api.twitter.com/2/tweets"
TEMPLATE = "Sorry to hear that, {handle}. We're on it: send us a DM so we can check your account."
POLICY = Policy.model_validate(
    {
        "policy": [
            {
                "name": "x-acknowledged",
                "match": {"channel": ["x"]},
                "acknowledge": TEMPLATE,
                "tiers": [{"after": "60m", "notify": ["care@example.com"]}],
            },
            {"name": "default", "tiers": [{"after": "4h", "notify": ["care@example.com"]}]},
        ]
    }
)


def x_post(text: str = "@NorthwindHelp my router is broken again", **fields) -> Post:
    return Post(
        id=fields.pop("id", uuid.uuid4().hex[:18]),
        channel="x",
        text=text,
        created_at=datetime.now(UTC),
        author=fields.pop("author", Author(id="501", handle="@dana_k")),
        **fields,
    )


@pytest.fixture
def service(stack):
    client = tweepy.Client(
        consumer_key="key",
        consumer_secret="secret",
        access_token="token",
        access_token_secret="token-secret",
        wait_on_rate_limit=False,
    )
    escalator = replace(components.escalator(), policy=POLICY, replier=lambda: XReplier(client))
    with responses.RequestsMock() as x_api:
        yield escalator, x_api


def events(service, case_id: str) -> list:
    return service.cases.history(case_id)[1]


def test_a_new_case_is_acknowledged_once_and_the_clock_runs_on(service):
    escalator, x_api = service
    x_api.post(TWEETS, json={"data": {"id": "9990001", "text": "..."}})
    post = x_post()

    case = escalator.receive(post)
    escalator.receive(post)  # redelivered: no second acknowledgement

    assert len(x_api.calls) == 1
    request = x_api.calls[0].request
    assert json.loads(request.body) == {
        "text": TEMPLATE.format(handle="@dana_k"),
        "reply": {"in_reply_to_tweet_id": post.id},
    }
    assert request.headers["Authorization"].startswith("OAuth ")
    acknowledged = [e for e in events(escalator, case.id) if e.kind == "auto-replied"]
    assert [e.detail["post_id"] for e in acknowledged] == ["9990001"]
    assert escalator.cases.get(case.id).status == "open"

    # X delivers our own reply back: it is not the brand answering.
    echo = x_post(
        TEMPLATE.format(handle="@dana_k"),
        id="9990001",
        in_reply_to=post.id,
        author=Author(id="900001", handle="@NorthwindHelp"),
        from_brand=True,
    )
    escalator.receive(echo)
    assert escalator.cases.get(case.id).status == "open"

    # A person's reply is.
    answer = x_post(
        "@dana_k fixed, sorry!",
        in_reply_to=post.id,
        author=Author(id="900001", handle="@NorthwindHelp"),
        from_brand=True,
    )
    assert escalator.receive(answer).status == "responded"


def test_no_acknowledgement_for_direct_messages_or_policies_without_one(service):
    escalator, x_api = service
    direct = escalator.receive(x_post(private=True, conversation_id=f"dm:{uuid.uuid4().hex}"))
    other = escalator.receive(
        Post(
            id=uuid.uuid4().hex,
            channel="facebook",
            text="broken again",
            created_at=datetime.now(UTC),
            author=Author(id="1", handle="Mia"),
        )
    )
    assert len(x_api.calls) == 0
    for case in (direct, other):
        assert "auto-replied" not in [e.kind for e in events(escalator, case.id)]
        escalator.do_action(case.id, Action.RESOLVE, "test")


def test_a_refused_acknowledgement_does_not_stop_the_case(service):
    escalator, x_api = service
    x_api.post(TWEETS, status=403, json={"title": "Forbidden", "detail": "duplicate content"})

    case = escalator.receive(x_post())

    assert len(x_api.calls) == 1
    assert escalator.cases.get(case.id).status == "open"
    assert "auto-replied" not in [e.kind for e in events(escalator, case.id)]
    assert escalator.cases.get(case.id).execution_arn  # the timer runs all the same
    escalator.do_action(case.id, Action.RESOLVE, "test")
