"""Dashboard sessions kept in the table (moto): what an item holds and what it never
does, when one ends; and the cookie naming one, `Secure` on every stage but local."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.dynamodb.sessions import DashboardSessions
from chalicelib.adapters.dynamodb.table import deserialize
from chalicelib.entrypoints.pages import session_cookie
from chalicelib.settings import secure_cookies
from tests.tables import create_cases_table

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
TOKEN = "the-api-token"
KEY = "the-action-key"
CONFIG = Path(__file__).resolve().parents[2] / ".chalice" / "config.json"


@pytest.fixture
def dynamodb(monkeypatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("dynamodb")
        create_cases_table(client, "cases")
        yield client


def sessions_at(dynamodb, moment: datetime, key: str = KEY) -> DashboardSessions:
    return DashboardSessions(dynamodb, "cases", key, clock=lambda: moment)


def stored(dynamodb, session_id: str) -> dict | None:
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    key = {"pk": {"S": f"SESSION#{digest}"}, "sk": {"S": "SESSION"}}
    found = dynamodb.get_item(TableName="cases", Key=key, ConsistentRead=True)
    return deserialize(found["Item"]) if "Item" in found else None


def test_a_session_is_a_random_id_whose_item_keeps_no_form_of_the_token(dynamodb):
    sessions = sessions_at(dynamodb, NOW)
    first, second = sessions.start(TOKEN), sessions.start(TOKEN)

    assert first != second and len(first) == len(second) == 43
    item = stored(dynamodb, first)
    assert item["created_at"] == "2026-12-05T09:00:00.000Z"
    assert item["expires_at"] == int((NOW + timedelta(hours=12)).timestamp())
    plain = hashlib.sha256(TOKEN.encode()).hexdigest()
    for value in item.values():
        assert TOKEN not in str(value) and plain[:16] not in str(value)
    assert item["api_token_mac"] == stored(dynamodb, second)["api_token_mac"]


def test_a_session_lasts_12_hours(dynamodb):
    session_id = sessions_at(dynamodb, NOW).start(TOKEN)
    assert sessions_at(dynamodb, NOW + timedelta(hours=11, minutes=59)).live(session_id, TOKEN)
    assert not sessions_at(dynamodb, NOW + timedelta(hours=12)).live(session_id, TOKEN)


def test_a_new_api_token_or_action_key_ends_the_sessions_made_before(dynamodb):
    session_id = sessions_at(dynamodb, NOW).start("the-old-api-token")
    assert not sessions_at(dynamodb, NOW).live(session_id, TOKEN)
    assert sessions_at(dynamodb, NOW).live(session_id, "the-old-api-token")
    assert not sessions_at(dynamodb, NOW, key="a-new-key").live(session_id, "the-old-api-token")


@pytest.mark.parametrize(
    "cookie",
    [None, "", "x" * 65, "\udcff", "not-a-session-we-made"],
)
def test_what_names_no_session_is_refused_not_an_error(dynamodb, cookie):
    assert not sessions_at(dynamodb, NOW).live(cookie, TOKEN)


def test_the_tables_key_is_not_a_cookie(dynamodb):
    sessions = sessions_at(dynamodb, NOW)
    session_id = sessions.start(TOKEN)
    assert not sessions.live(hashlib.sha256(session_id.encode()).hexdigest(), TOKEN)


def test_ending_a_session_deletes_it_and_ending_it_again_does_nothing(dynamodb):
    sessions = sessions_at(dynamodb, NOW)
    session_id = sessions.start(TOKEN)
    sessions.end(session_id)
    assert stored(dynamodb, session_id) is None and not sessions.live(session_id, TOKEN)
    sessions.end(session_id)


def test_each_session_has_its_own_sign_out_token(dynamodb):
    sessions = sessions_at(dynamodb, NOW)
    first, second = sessions.start(TOKEN), sessions.start(TOKEN)
    assert sessions.sign_out_token(first) != sessions.sign_out_token(second)
    assert sessions.sign_out_token(first) != sessions_at(dynamodb, NOW, "k2").sign_out_token(first)


@pytest.mark.parametrize("stage", ["dev", "prod", "staging", None])
def test_the_session_cookie_is_secure_on_every_stage_but_local(monkeypatch, stage):
    if stage is None:
        monkeypatch.delenv("ESCALATOR_STAGE", raising=False)
    else:
        monkeypatch.setenv("ESCALATOR_STAGE", stage)
    cookie = session_cookie("the-id", secure_cookies())
    assert cookie == (
        "escalator_session=the-id; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure"
    )


def test_the_local_stages_cookie_is_not_secure_and_clearing_keeps_the_attributes(monkeypatch):
    monkeypatch.setenv("ESCALATOR_STAGE", "local")
    assert session_cookie("the-id", secure_cookies()) == (
        "escalator_session=the-id; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200"
    )
    assert session_cookie("", True) == (
        "escalator_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure"
    )


def test_each_chalice_stage_names_itself():
    stages = json.loads(CONFIG.read_text())["stages"]
    assert {
        name: spec["environment_variables"]["ESCALATOR_STAGE"] for name, spec in stages.items()
    } == {name: name for name in stages}
