"""Signed one-click links: an action grant (chalicelib.domain.actions.ActionToken) made
into a URL-safe token with the action key (itsdangerous, HMAC-SHA1 over a salted key),
which expires after 72 hours.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from chalicelib.domain.actions import Action, ActionToken
from chalicelib.domain.errors import ExpiredToken, InvalidToken
from chalicelib.domain.times import utc_now

TOKEN_LIFETIME_SECONDS = 72 * 3600
MAX_TOKEN_LENGTH = 1024


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
        clock: Callable[[], datetime] = utc_now,
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
