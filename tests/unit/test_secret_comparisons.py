"""Every check of a secret or token decides through `hmac.compare_digest`, so the time a
wrong guess takes does not tell how much of it was right.

Behavioural: with compare_digest replaced by a spy, the right value is refused when the
spy says "differs", and a wrong one accepted when it says "equal". An `==` anywhere on
the way would make one of the two fail.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.dynamodb.sessions import DashboardSessions
from chalicelib.adapters.signing import ActionSigner
from chalicelib.channels.signatures import sign_base64, sign_hex, verify_base64, verify_hex
from chalicelib.domain.actions import Action
from chalicelib.domain.errors import ExpiredToken, InvalidToken
from chalicelib.entrypoints.http import bearer_token_error
from chalicelib.entrypoints.pages import SESSION_COOKIE, sign_in, sign_out, visitor
from chalicelib.entrypoints.webhooks import meta_verify
from tests.tables import create_cases_table

SECRET = "webhook-secret"
BODY = b'{"object":"page","entry":[]}'
TOKEN = "the-api-token"
ACTION_KEY = "action-key"
SIGNER = ActionSigner(ACTION_KEY)
OTHER_SIGNER = ActionSigner("not-our-action-key")


@pytest.fixture
def sessions(monkeypatch) -> Iterator[DashboardSessions]:
    """The dashboard's sessions, in a table on moto."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        yield DashboardSessions(dynamodb, create_cases_table(dynamodb, "cases"), ACTION_KEY)


def link_works(token: str) -> bool:
    try:
        SIGNER.verify(token)
    except (InvalidToken, ExpiredToken):
        return False
    return True


def meta_subscribes(verify_token: str) -> bool:
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": "42"}
    return meta_verify(params, TOKEN).status_code == 200


def signs_in(sessions: DashboardSessions, api_token: str) -> bool:
    body = urlencode({"token": api_token}).encode()
    return sign_in(body, TOKEN, sessions, False).status_code == 303


def session_of_token_works(sessions: DashboardSessions, api_token: str) -> bool:
    """A session started with `api_token`, checked while TOKEN is the API token."""
    return sessions.live(sessions.start(api_token), TOKEN)


def signs_out(sessions: DashboardSessions, key: str) -> bool:
    """A live session's sign-out, its form's token made with `key`: is its item gone?
    (Read from the table: a session's check compares digests too.)"""
    session_id = sessions.start(TOKEN)
    form_token = DashboardSessions(None, "cases", key).sign_out_token(session_id)
    sign_out(
        urlencode({"sign_out_token": form_token}).encode(),
        {"cookie": f"{SESSION_COOKIE}={session_id}"},
        TOKEN,
        sessions,
        False,
    )
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    key = {"pk": {"S": f"SESSION#{digest}"}, "sk": {"S": "SESSION"}}
    return "Item" not in boto3.client("dynamodb").get_item(TableName="cases", Key=key)


# name: (check whether a value is accepted, given the dashboard's sessions; the right
# value; a wrong one)
CHECKS: dict[str, tuple[Callable[[DashboardSessions, str], bool], str, str]] = {
    "generic and Meta webhook signature": (
        lambda _, given: verify_hex(SECRET, BODY, given),
        sign_hex(SECRET, BODY),
        sign_hex("guess", BODY),
    ),
    "X webhook signature": (
        lambda _, given: verify_base64(SECRET, BODY, given),
        sign_base64(SECRET, BODY),
        sign_base64("guess", BODY),
    ),
    "agent API bearer token": (
        lambda _, given: bearer_token_error({"authorization": f"Bearer {given}"}, TOKEN) is None,
        TOKEN,
        TOKEN[:-1] + "X",
    ),
    "Meta hub.verify_token": (
        lambda _, given: meta_subscribes(given),
        TOKEN,
        TOKEN[:-1] + "X",
    ),
    "dashboard sign-in form": (
        signs_in,
        TOKEN,
        TOKEN[:-1] + "X",
    ),
    "dashboard bearer token": (
        lambda sessions, given: (
            visitor({"authorization": f"Bearer {given}"}, TOKEN, sessions) is not None
        ),
        TOKEN,
        TOKEN[:-1] + "X",
    ),
    "dashboard session of a replaced API token": (
        session_of_token_works,
        TOKEN,
        "the-previous-api-token",
    ),
    "dashboard sign-out form": (
        signs_out,
        ACTION_KEY,
        "not-our-action-key",
    ),
    "email action link": (
        lambda _, given: link_works(given),
        SIGNER.token("x-0123", 0, 1, Action.RESOLVE, "ana@example.com"),
        OTHER_SIGNER.token("x-0123", 0, 1, Action.RESOLVE, "ana@example.com"),
    ),
}


@pytest.fixture
def compare_digest(monkeypatch) -> Callable[[bool | None], list[tuple]]:
    """Replaces hmac.compare_digest with a spy; `rig(verdict)` makes it answer `verdict`
    (None: the real answer). Returns the calls it saw."""
    real = hmac.compare_digest
    calls: list[tuple] = []

    def rig(verdict: bool | None = None) -> list[tuple]:
        def spy(a, b):
            calls.append((a, b))
            return real(a, b) if verdict is None else verdict

        monkeypatch.setattr(hmac, "compare_digest", spy)
        return calls

    return rig


@pytest.mark.parametrize("name", CHECKS)
def test_the_right_value_passes_and_a_wrong_one_does_not(name, compare_digest, sessions):
    check, right, wrong = CHECKS[name]
    calls = compare_digest()
    assert check(sessions, right)
    assert calls, "the right value was accepted without hmac.compare_digest"
    assert not check(sessions, wrong)


@pytest.mark.parametrize("name", CHECKS)
def test_compare_digest_alone_decides(name, compare_digest, sessions):
    check, right, wrong = CHECKS[name]
    compare_digest(False)
    assert not check(sessions, right), "accepted although compare_digest said the values differ"
    compare_digest(True)
    assert check(sessions, wrong), "refused although compare_digest said the values are equal"


def test_the_spy_sees_the_value_the_client_sent(compare_digest):
    calls = compare_digest()
    forged = sign_hex("guess", BODY)
    verify_hex(SECRET, BODY, forged)
    bearer_token_error({"authorization": "Bearer guessed-token"}, TOKEN)
    meta_verify({"hub.mode": "subscribe", "hub.verify_token": "guessed-verify"}, TOKEN)
    compared = {value for call in calls for value in call}
    assert {forged.encode(), b"guessed-token", b"guessed-verify"} <= compared
