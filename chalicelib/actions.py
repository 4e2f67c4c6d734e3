"""Signed one-click links: what a supervisor can do from an escalation email.

A link's token names the case, the opening and tier the email was about, the action and
the recipient, with a random nonce; it is signed (itsdangerous, HMAC-SHA1 over a salted
key) and expires after 72 hours. The nonce makes it work once: the store records it in
the same transaction as the change it made.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

TOKEN_LIFETIME_SECONDS = 72 * 3600
MAX_TOKEN_LENGTH = 1024


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"  # seen, on it: further tiers wait for the claim window
    CLAIM = "claim"  # mine: the case gets an owner, and further tiers wait as above
    SNOOZE = "snooze"  # everything that is still to come, 30 minutes later
    ESCALATE = "escalate"  # the next tier is told now
    RESOLVE = "resolve"  # done
    MOVE = "move"  # another team's: its tiers email that team's people from now on

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.ACKNOWLEDGE: "Acknowledge",
    Action.CLAIM: "Claim",
    Action.SNOOZE: "Snooze 30 min",
    Action.ESCALATE: "Escalate now",
    Action.RESOLVE: "Resolve",
    Action.MOVE: "Move to",
}


def button_label(action: Action, team: str | None = None) -> str:
    """What a link's button says: `Resolve`, `Move to billing`."""
    return f"{action.label} {team}" if team else action.label


@dataclass(frozen=True)
class ActionToken:
    """What a link lets its recipient do, and to which email of which case."""

    case_id: str
    opening: int
    tier: int
    action: Action
    recipient: str
    nonce: str
    team: str | None = None  # where a move hands the case

    def as_payload(self) -> dict[str, Any]:
        payload = {
            "c": self.case_id,
            "o": self.opening,
            "t": self.tier,
            "a": str(self.action),
            "r": self.recipient,
            "n": self.nonce,
        }
        return payload | ({"m": self.team} if self.team else {})

    @property
    def label(self) -> str:
        return button_label(self.action, self.team)

    @classmethod
    def from_payload(cls, payload: Any) -> ActionToken:
        try:
            return cls(
                case_id=str(payload["c"]),
                opening=int(payload["o"]),
                tier=int(payload["t"]),
                action=Action(payload["a"]),
                recipient=str(payload["r"]),
                nonce=str(payload["n"]),
                team=str(payload["m"]) if "m" in payload else None,
            )
        except (TypeError, KeyError, ValueError):
            raise InvalidToken("this link is not one Escalator made") from None


class InvalidToken(ValueError):
    """Forged, tampered with or malformed: not made with our key."""


class ExpiredToken(ValueError):
    """Signed by us, but older than its lifetime."""


def _signer_at(clock: Callable[[], datetime]) -> type[TimestampSigner]:
    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock().timestamp())

    return ClockedSigner


class ActionSigner:
    """Makes and checks action tokens with one secret key."""

    def __init__(
        self,
        key: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        nonce: Callable[[], str] = lambda: secrets.token_hex(8),
    ):
        signer = _signer_at(clock)
        self._actions = URLSafeTimedSerializer(key, salt="escalator.action", signer=signer)
        self._nonce = nonce

    def token(
        self,
        case_id: str,
        opening: int,
        tier: int,
        action: Action,
        recipient: str,
        team: str | None = None,
    ) -> str:
        grant = ActionToken(case_id, opening, tier, action, recipient, self._nonce(), team)
        return self._actions.dumps(grant.as_payload())

    def verify(self, token: str) -> ActionToken:
        """The token's grant; InvalidToken or ExpiredToken if it gives none."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("this link is not one Escalator made")
        try:
            payload = self._actions.loads(token, max_age=TOKEN_LIFETIME_SECONDS)
        except SignatureExpired:
            raise ExpiredToken("this link has expired: links work for 72 hours") from None
        except (BadSignature, UnicodeError):
            raise InvalidToken("this link is not one Escalator made, or it was changed") from None
        return ActionToken.from_payload(payload)
