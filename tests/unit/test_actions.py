from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.signing import ActionSigner
from chalicelib.domain.actions import Action
from chalicelib.domain.errors import ExpiredToken, InvalidToken

SIGNED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def signer_at(moment: datetime, key: str = "key") -> ActionSigner:
    return ActionSigner(key, clock=lambda: moment)


def test_a_token_names_case_opening_tier_action_and_recipient():
    token = signer_at(SIGNED).token("x-0123", 2, 3, Action.SNOOZE, "ana@example.com")
    grant = signer_at(SIGNED + timedelta(hours=71)).verify(token)
    assert (grant.case_id, grant.opening, grant.tier, grant.action, grant.recipient) == (
        "x-0123",
        2,
        3,
        Action.SNOOZE,
        "ana@example.com",
    )


def test_tokens_for_the_same_grant_differ_so_each_works_once():
    signer = signer_at(SIGNED)
    first, second = (signer.token("x-1", 0, 1, Action.CLAIM, "a@b.c") for _ in range(2))
    assert first != second
    assert signer.verify(first).nonce != signer.verify(second).nonce


def test_a_token_expires_after_72_hours():
    token = signer_at(SIGNED).token("x-1", 0, 1, Action.RESOLVE, "a@b.c")
    signer_at(SIGNED + timedelta(hours=72)).verify(token)
    with pytest.raises(ExpiredToken):
        signer_at(SIGNED + timedelta(hours=72, seconds=1)).verify(token)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x" * 2000,
        "nonsense",
        signer_at(SIGNED, key="other").token("x-1", 0, 1, Action.RESOLVE, "a@b.c"),
    ],
)
def test_forged_or_malformed_tokens_are_invalid(token):
    with pytest.raises(InvalidToken):
        signer_at(SIGNED).verify(token)


def test_odd_characters_are_invalid_not_errors():
    with pytest.raises(InvalidToken):
        signer_at(SIGNED).verify("\udcff.abc.def")
