"""What a post brought is kept only as long as the policy's `retention` says (the table's
TTL deletes it): each item carries its `expires_at` (moto; TTL itself is DynamoDB's)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.dynamodb.cases import CaseStore
from chalicelib.adapters.dynamodb.table import deserialize
from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case, Event, Notice
from chalicelib.domain.policy import PolicyError, load_policy
from chalicelib.domain.posts import Post
from chalicelib.domain.triage import triage
from chalicelib.settings import DEFAULT_POLICY_PATH
from tests.tables import create_cases_table

NOW = datetime.now(UTC).replace(microsecond=0)
POLICY = load_policy()


def opened(text: str, conversation: str | None = "dm:a") -> Case:
    post = Post.model_validate(
        {
            "id": text[:10],
            "channel": "x",
            "text": text,
            "created_at": NOW.isoformat(),
            "conversation_id": conversation,
            "author": {"id": "a", "handle": "@a"},
        }
    )
    verdict = triage(text)
    return Case.open(post, verdict, POLICY.for_case("x", verdict.intent, verdict.priority), NOW)


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        yield dynamodb, create_cases_table(dynamodb, "cases")


def expiry(dynamodb, table: str, pk: str) -> dict[str, datetime]:
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )["Items"]
    return {
        deserialize(item)["sk"].split("#")[0]: datetime.fromtimestamp(
            deserialize(item)["expires_at"], UTC
        )
        for item in items
    }


def test_a_case_its_trail_its_thread_and_its_notices_expire_after_the_retention(table):
    dynamodb, name = table
    store = CaseStore(dynamodb, name, timedelta(days=90))
    case = opened("my order is missing and nobody answers, terrible")
    store.create(case, Event(NOW, "opened", "triage"))
    store.claim_notification(store.get(case.id), Notice(1, 0, "lead@example.com"), NOW)
    kept = expiry(dynamodb, name, f"CASE#{case.id}")
    assert kept == {
        "CASE": NOW + timedelta(days=90),
        "EVENT": NOW + timedelta(days=90),
        "NOTIFY": NOW + timedelta(days=90),
    }
    assert expiry(dynamodb, name, "CONV#x#dm:a") == {"CONV": NOW + timedelta(days=90)}
    assert expiry(dynamodb, name, f"POST#x#{case.post.id}") == {"POST": NOW + timedelta(days=30)}


def test_praise_and_spam_are_kept_30_days_at_most(table):
    dynamodb, name = table
    case = opened("thank you so much, brilliant service, love it", conversation=None)
    assert case.status is Status.DISMISSED
    CaseStore(dynamodb, name, timedelta(days=400)).create(case, Event(NOW, "opened", "triage"))
    for until in expiry(dynamodb, name, f"CASE#{case.id}").values():
        assert NOW + timedelta(days=30) <= until <= datetime.now(UTC) + timedelta(days=30)


def test_a_case_still_worked_on_is_kept_30_days_past_its_last_change(table):
    dynamodb, name = table
    store = CaseStore(dynamodb, name, timedelta(days=30))
    case = opened("my refund never came, terrible")
    old = replace(case, opened_at=NOW - timedelta(days=29))
    store.create(old, Event(NOW, "opened", "triage"))
    assert expiry(dynamodb, name, f"CASE#{case.id}")["CASE"] >= NOW + timedelta(days=29)


def test_the_default_retention_is_400_days_and_less_than_30_is_refused(tmp_path):
    assert POLICY.retention == 400 * 24 * 3600
    path = tmp_path / "policy.toml"
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    path.write_text('retention = "7d"\n' + text, encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert any("retention must be at least 30d" in p for p in refused.value.problems)
