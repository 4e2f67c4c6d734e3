"""Webhook signatures: HMAC-SHA256 over the raw body, compared in constant time.

The generic webhook and Meta send the digest in hex; X sends it in base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def sign_hex(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: the generic webhook's and Meta's `X-Hub-Signature-256`."""
    return "sha256=" + _digest(secret, body).hex()


def sign_base64(secret: str, body: bytes) -> str:
    """`sha256=<base64>`: X's `x-twitter-webhooks-signature`, and its CRC response token."""
    return "sha256=" + base64.b64encode(_digest(secret, body)).decode()


def verify_hex(secret: str, body: bytes, header: str | None) -> bool:
    return _matches(sign_hex(secret, body), header)


def verify_base64(secret: str, body: bytes, header: str | None) -> bool:
    return _matches(sign_base64(secret, body), header)


def _matches(expected: str, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(
        expected.encode(), header.strip().encode(errors="replace")
    )
