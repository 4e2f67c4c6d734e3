"""Webhook signatures: HMAC-SHA256 over the raw body, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac


def sign_hex(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: the generic webhook's (and Meta's) signature header value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_hex(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(sign_hex(secret, body), header.strip())
