"""Unreadable events kept in the table (moto): once however often delivered, read back
whole, cut (and said so) past what an item holds, forgotten on request; and the queue's
messages read back as what they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.dynamodb.unreadable import KEPT_BYTES, UnreadableEvents
from chalicelib.adapters.sqs import from_message, to_message
from chalicelib.channels import Unreadable
from chalicelib.domain.posts import Post, PostNote, PostReference
from tests.tables import create_cases_table

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def kept(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        yield UnreadableEvents(dynamodb, create_cases_table(dynamodb, "cases"))


def test_an_event_is_kept_once_however_often_it_is_delivered(kept):
    event = Unreadable("facebook messaging", ["sender: required field is missing"], {"a": [1]})
    assert kept.keep("meta", [event], NOW) == 1
    assert kept.keep("meta", [event], NOW + timedelta(minutes=5)) == 0  # Meta's retry
    assert kept.count() == 1
    (found,) = kept.list()
    assert (found.source, found.kind, found.raw, found.received_at) == (
        "meta",
        "facebook messaging",
        {"a": [1]},
        NOW,
    )
    assert found.problems == ["sender: required field is missing"]


def test_an_event_larger_than_an_item_holds_is_cut_and_says_so(kept):
    huge = ["y" * 1000] * 500  # 500 KB of JSON: more than a DynamoDB item holds
    kept.keep("x", [Unreadable("delivery", ["not an X delivery"], huge)], NOW)
    (found,) = kept.list()
    assert isinstance(found.raw, str) and len(found.raw.encode()) <= KEPT_BYTES
    assert found.problems[-1].endswith(f"kept its first {KEPT_BYTES}")
    assert "SHA-256" in found.problems[-1]


def test_a_kept_event_is_forgotten_once_dealt_with(kept):
    kept.keep("x", [Unreadable("tweet", ["id_str: required"], {"n": 1})], NOW)
    kept.keep("x", [Unreadable("tweet", ["id_str: required"], {"n": 2})], NOW)
    first, second = kept.list()
    assert kept.delete(first.id) is True
    assert kept.delete(first.id) is False
    assert [event.id for event in kept.list()] == [second.id]
    assert kept.count() == 1


MESSAGES = [
    Post.model_validate(
        {
            "id": "1",
            "channel": "x",
            "text": "où est ma commande 📦",
            "created_at": "2026-12-05T09:00:00Z",
            "author": {"id": None, "handle": "(author unknown)"},
        }
    ),
    PostNote(channel="facebook", post_id="mid-1", change="unsent", at=NOW),
    PostReference(
        channel="instagram", kind="instagram mention", brand="178", post_id="m", comment_id="c"
    ),
]


@pytest.mark.parametrize("message", MESSAGES, ids=["post", "note", "reference"])
def test_each_queued_message_reads_back_as_what_it_is(message):
    body = to_message(message)
    assert body.isascii()  # SQS refuses some code points raw
    assert from_message(body) == message
