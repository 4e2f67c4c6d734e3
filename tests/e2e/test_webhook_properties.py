"""Property tests over each webhook handler: whatever a client sends, the answer is a 2xx
or a clear 4xx, never an exception (a 500); nothing is queued unless it was accepted, and
a refusal writes nothing. A signed platform delivery (X, Meta) that is a JSON object is
never refused: 200, with what could not be read kept, and counted in the answer.

The handlers run in-process against a queue and a table of their own on the stack's AWS;
payloads are arbitrary JSON, and valid samples with one part replaced or removed.
"""

from __future__ import annotations

import copy
import json
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
from chalicelib.adapters.sqs import Inbox
from chalicelib.channels import id_set
from chalicelib.channels.signatures import sign_base64, sign_generic, sign_hex
from chalicelib.entrypoints.webhooks import receive_generic, receive_meta, receive_x
from tests.payloads import (
    GENERIC,
    INSTAGRAM,
    INSTAGRAM_MENTION,
    MESSENGER,
    META,
    X_ACCOUNT,
    X_ACTIVITY,
    X_ACTIVITY_DM,
    X_DIRECT_MESSAGE,
    X_STREAM,
)
from tests.tables import create_cases_table

SECRET = "property-secret"
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, sample: Any) -> Any:
    """A valid sample with one part replaced by arbitrary JSON, or removed."""
    document = copy.deepcopy(sample)
    path = draw(st.sampled_from(paths(sample)))
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON)
    return document


class Destinations(NamedTuple):
    """Where the handlers under test write: a queue and a table of their own."""

    inbox: Inbox
    sqs: Any
    url: str
    kept: UnreadableEvents


@pytest.fixture(scope="module")
def inbox(stack) -> Destinations:
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName="property-inbox")["QueueUrl"]
    dynamodb = stack.client("dynamodb")
    kept = UnreadableEvents(dynamodb, create_cases_table(dynamodb, "property-unreadable"))
    return Destinations(Inbox(sqs, url), sqs, url, kept)


def queued(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def readable_json(body: bytes) -> Any:
    """The body's JSON, or None when Python cannot read it (too deep is no JSON)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def check(handler, body: bytes, signature: str, header: str, inbox: Destinations) -> None:
    before, kept_before = queued(inbox.sqs, inbox.url), inbox.kept.count()
    response = handler(body, {header: signature}, inbox)
    after, kept_after = queued(inbox.sqs, inbox.url), inbox.kept.count()
    assert response.status_code in (200, 202, 400, 413), (response.status_code, response.body)
    if response.status_code >= 400:
        assert "error" in response.body
        assert (after, kept_after) == (before, kept_before)
        if handler is not generic:  # a platform's signed delivery: refused if no JSON object
            assert not isinstance(readable_json(body), dict)
    else:
        accepted = response.body["accepted"]
        assert after - before == (1 if accepted is True else accepted)
        assert kept_after - kept_before <= response.body.get("unreadable", 0)


PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def generic(body: bytes, headers: dict, to: Destinations):
    return receive_generic(body, headers, SECRET, to.inbox)


def x(body: bytes, headers: dict, to: Destinations):
    return receive_x(body, headers, SECRET, id_set("9"), to.inbox, lambda: to.kept)


def meta(body: bytes, headers: dict, to: Destinations):
    return receive_meta(body, headers, SECRET, id_set("77,88"), to.inbox, lambda: to.kept)


@PROPERTY
@given(payload=JSON | mutated(GENERIC))
def test_generic_webhook_never_fails_on_client_input(inbox, payload):
    body = json.dumps(payload).encode()
    check(generic, body, sign_generic(SECRET, body), "X-Escalator-Signature", inbox)


@PROPERTY
@given(
    payload=JSON
    | mutated(X_ACCOUNT)
    | mutated(X_DIRECT_MESSAGE)
    | mutated(X_ACTIVITY)
    | mutated(X_ACTIVITY_DM)
    | mutated(X_STREAM)
)
def test_x_webhook_never_fails_on_client_input(inbox, payload):
    body = json.dumps(payload).encode()
    check(x, body, sign_base64(SECRET, body), "x-twitter-webhooks-signature", inbox)


@PROPERTY
@given(
    payload=JSON
    | mutated(META)
    | mutated(MESSENGER)
    | mutated(INSTAGRAM)
    | mutated(INSTAGRAM_MENTION)
)
def test_meta_webhook_never_fails_on_client_input(inbox, payload):
    body = json.dumps(payload).encode()
    check(meta, body, sign_hex(SECRET, body), "X-Hub-Signature-256", inbox)


@PROPERTY
@given(body=st.binary(max_size=300))
def test_raw_bytes_are_refused_or_rejected_cleanly(inbox, body):
    for handler, sign, header in (
        (generic, sign_generic, "X-Escalator-Signature"),
        (x, sign_base64, "x-twitter-webhooks-signature"),
        (meta, sign_hex, "X-Hub-Signature-256"),
    ):
        check(handler, body, sign(SECRET, body), header, inbox)


def test_deeply_nested_json_is_a_400(inbox):
    body = ("[" * 100_000 + "]" * 100_000).encode()[:200_000]
    for handler, sign, header in (
        (x, sign_base64, "x-twitter-webhooks-signature"),
        (meta, sign_hex, "X-Hub-Signature-256"),
    ):
        check(handler, body, sign(SECRET, body), header, inbox)


@pytest.mark.parametrize(
    ("handler", "sample", "sign", "header", "accepted"),
    [
        (generic, GENERIC, sign_generic, "X-Escalator-Signature", True),
        (x, X_ACCOUNT, sign_base64, "x-twitter-webhooks-signature", 1),
        (x, X_DIRECT_MESSAGE, sign_base64, "x-twitter-webhooks-signature", 1),
        (x, X_ACTIVITY, sign_base64, "x-twitter-webhooks-signature", 1),
        (x, X_ACTIVITY_DM, sign_base64, "x-twitter-webhooks-signature", 1),
        (x, X_STREAM, sign_base64, "x-twitter-webhooks-signature", 1),
        (meta, META, sign_hex, "X-Hub-Signature-256", 1),
        (meta, MESSENGER, sign_hex, "X-Hub-Signature-256", 1),
        (meta, INSTAGRAM, sign_hex, "X-Hub-Signature-256", 1),
        (meta, INSTAGRAM_MENTION, sign_hex, "X-Hub-Signature-256", 1),
    ],
)
def test_the_unmutated_samples_are_accepted(inbox, handler, sample, sign, header, accepted):
    """So the mutations above start from payloads that go all the way through."""
    body = json.dumps(sample).encode()
    response = handler(body, {header: sign(SECRET, body)}, inbox)
    assert response.status_code in (200, 202)
    assert response.body["accepted"] == accepted
    assert response.body.get("unreadable", 0) == 0
