"""Every check of a secret or token decides through `hmac.compare_digest`, so the time a
wrong guess takes does not tell how much of it was right.

Behavioural: with compare_digest replaced by a spy, the right value is refused when the
spy says "differs", and a wrong one accepted when it says "equal". An `==` anywhere on
the way would make one of the two fail.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from chalicelib.actions import Action, ActionSigner, ExpiredToken, InvalidToken
from chalicelib.api import bearer_token_error
from chalicelib.pages import sign_in, signed_in
from chalicelib.signatures import sign_base64, sign_hex, verify_base64, verify_hex
from chalicelib.webhooks import meta_verify

SECRET = "webhook-secret"
BODY = b'{"object":"page","entry":[]}'
TOKEN = "the-api-token"
SIGNER = ActionSigner("action-key")
OTHER_SIGNER = ActionSigner("not-our-action-key")


def link_works(token: str) -> bool:
    try:
        SIGNER.verify(token)
    except (InvalidToken, ExpiredToken):
        return False
    return True


def meta_subscribes(verify_token: str) -> bool:
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": "42"}
    return meta_verify(params, TOKEN).status_code == 200


def signs_in(api_token: str) -> bool:
    return (
        sign_in(urlencode({"token": api_token}).encode(), TOKEN, SIGNER, False).status_code == 303
    )


def session_works(value: str) -> bool:
    return signed_in({"cookie": f"escalator_session={value}"}, TOKEN, SIGNER)


# name: (check whether a value is accepted, the right value, a wrong one)
CHECKS: dict[str, tuple[Callable[[str], bool], str, str]] = {
    "generic and Meta webhook signature": (
        lambda given: verify_hex(SECRET, BODY, given),
        sign_hex(SECRET, BODY),
        sign_hex("guess", BODY),
    ),
    "X webhook signature": (
        lambda given: verify_base64(SECRET, BODY, given),
        sign_base64(SECRET, BODY),
        sign_base64("guess", BODY),
    ),
    "agent API bearer token": (
        lambda given: bearer_token_error({"authorization": f"Bearer {given}"}, TOKEN) is None,
        TOKEN,
        TOKEN[:-1] + "X",
    ),
    "Meta hub.verify_token": (
        meta_subscribes,
        TOKEN,
        TOKEN[:-1] + "X",
    ),
    "dashboard sign-in form": (
        signs_in,
        TOKEN,
        TOKEN[:-1] + "X",
    ),
    "dashboard bearer token": (
        lambda given: signed_in({"authorization": f"Bearer {given}"}, TOKEN, SIGNER),
        TOKEN,
        TOKEN[:-1] + "X",
    ),
    "dashboard session signature": (
        session_works,
        SIGNER.session(TOKEN),
        OTHER_SIGNER.session(TOKEN),
    ),
    "dashboard session of a replaced API token": (
        session_works,
        SIGNER.session(TOKEN),
        SIGNER.session("the-previous-api-token"),
    ),
    "email action link": (
        link_works,
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
def test_the_right_value_passes_and_a_wrong_one_does_not(name, compare_digest):
    check, right, wrong = CHECKS[name]
    calls = compare_digest()
    assert check(right)
    assert calls, "the right value was accepted without hmac.compare_digest"
    assert not check(wrong)


@pytest.mark.parametrize("name", CHECKS)
def test_compare_digest_alone_decides(name, compare_digest):
    check, right, wrong = CHECKS[name]
    compare_digest(False)
    assert not check(right), "accepted although compare_digest said the values differ"
    compare_digest(True)
    assert check(wrong), "refused although compare_digest said the values are equal"


def test_the_spy_sees_the_value_the_client_sent(compare_digest):
    calls = compare_digest()
    forged = sign_hex("guess", BODY)
    verify_hex(SECRET, BODY, forged)
    bearer_token_error({"authorization": "Bearer guessed-token"}, TOKEN)
    meta_verify({"hub.mode": "subscribe", "hub.verify_token": "guessed-verify"}, TOKEN)
    compared = {value for call in calls for value in call}
    assert {forged.encode(), b"guessed-token", b"guessed-verify"} <= compared
