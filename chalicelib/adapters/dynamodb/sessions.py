"""Dashboard sessions, kept in the table: the cookie names one, and tells nothing else.

| item              | pk                                  | sk      |
|-------------------|-------------------------------------|---------|
| dashboard session | SESSION#<SHA-256 of its id, 64 hex> | SESSION |

A session's id is 32 random bytes (URL-safe base64), made when someone signs in with the
API token; it is the cookie's whole value. The table keeps its SHA-256 only, so what the
table holds cannot be used as a cookie. Each item has `created_at`, `expires_at` (the
table's TTL attribute: 12 hours on) and `api_token_mac`, an HMAC-SHA256 of the API token
that started it keyed with the action key (never the token nor its plain hash): a new
API token, or a new action key, ends every session made before. DynamoDB deletes expired
items up to days late, so a check compares the times itself. Signing out deletes the
item.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.dynamodb.table import NEW_ITEM, TableAdapter, get_item, serialize
from chalicelib.domain.times import iso

SESSION_LIFETIME = timedelta(hours=12)
MAX_SESSION_ID_LENGTH = 64  # an id is 43 characters: anything longer names none


class DashboardSessions(TableAdapter):
    """Starts, checks and ends dashboard sessions; `key` is the action key."""

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        key: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        super().__init__(dynamodb, table_name)
        self._key = key.encode()
        self._clock = clock

    def start(self, api_token: str) -> str:
        """A new session for someone who showed the API token; returns its id, the
        cookie's value."""
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        item = {
            **_session_key(session_id),
            "created_at": iso(now),
            "expires_at": int((now + SESSION_LIFETIME).timestamp()),
            "api_token_mac": self._mac("api-token", api_token),
        }
        self._db.put_item(TableName=self._table, Item=serialize(item), **NEW_ITEM)
        return session_id

    def live(self, session_id: str | None, api_token: str) -> bool:
        """Whether a cookie's value names a session that has not expired and was started
        with this API token."""
        if not session_id or len(session_id) > MAX_SESSION_ID_LENGTH:
            return False
        item = get_item(self._db, self._table, _session_key(session_id))
        if item is None or item["expires_at"] <= self._clock().timestamp():
            return False
        return hmac.compare_digest(item["api_token_mac"], self._mac("api-token", api_token))

    def end(self, session_id: str) -> None:
        """Forget the session (signed out); ending one that is gone already does nothing."""
        self._db.delete_item(TableName=self._table, Key=serialize(_session_key(session_id)))

    def sign_out_token(self, session_id: str) -> str:
        """What the dashboard's sign-out form carries for this session: only a page shown
        to the session can end it."""
        return self._mac("sign-out", session_id)

    def _mac(self, purpose: str, value: str) -> str:
        message = f"{purpose}\n{value}".encode(errors="replace")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def _session_key(session_id: str) -> dict[str, str]:
    digest = hashlib.sha256(session_id.encode(errors="replace")).hexdigest()
    return {"pk": f"SESSION#{digest}", "sk": "SESSION"}
