"""Webhook signatures: HMAC-SHA256 over the raw body, compared in constant time.

Meta sends the digest in hex and X in base64, of the body alone: a captured delivery
verifies forever (the dedupe records make a replay one case). The generic webhook's
signature carries its time, as Stripe's and Slack's do: `t=<unix seconds>,v1=<hex
HMAC-SHA256 of "<t>.<raw body>">`, taken within five minutes of the clock, so a captured
body and signature are worth nothing five minutes later. Several `v1=` may be sent (one
per secret, while a secret is rotated).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time

GENERIC_TOLERANCE_SECONDS = 300
GENERIC_FORM = 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">'
_GENERIC_PART = re.compile(r"(t|v1)=([0-9a-f]{1,64})")
_USUAL_GENERIC = re.compile(r"t=([0-9]{1,12}),v1=([0-9a-f]{64})")


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


def sign_generic(secret: str, body: bytes, at: int | None = None) -> str:
    """The generic webhook's `X-Escalator-Signature`, made `at` (unix seconds; now)."""
    stamp = int(time.time()) if at is None else at
    return f"t={stamp},v1=" + _digest(secret, f"{stamp}.".encode() + body).hex()


def generic_signature_problem(
    secret: str, body: bytes, header: str | None, now: float | None = None
) -> str | None:
    """Why a generic delivery's signature is not to be trusted, or None when it is: its
    form, its time (more than GENERIC_TOLERANCE_SECONDS off `now`), or its digest."""
    if not header:
        return f"missing X-Escalator-Signature: expected {GENERIC_FORM}"
    if header.strip().startswith("sha256="):
        return (
            "the sha256=<hex> form of X-Escalator-Signature is no longer taken (it never "
            f"expires): sign with {GENERIC_FORM}"
        )
    if usual := _USUAL_GENERIC.fullmatch(header):  # one t and one v1: read at once
        stamps, given = [usual.group(1)], [usual.group(2)]
    else:
        parts = [_GENERIC_PART.fullmatch(part.strip()) for part in header[:1024].split(",")]
        if not all(parts):
            return f"X-Escalator-Signature is not of the form {GENERIC_FORM}"
        stamps = [m.group(2) for m in parts if m and m.group(1) == "t"]
        given = [m.group(2) for m in parts if m and m.group(1) == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or len(stamps[0]) > 12 or not given:
        return f"X-Escalator-Signature needs one t and a v1: {GENERIC_FORM}"
    stamp = int(stamps[0])
    if abs((time.time() if now is None else now) - stamp) > GENERIC_TOLERANCE_SECONDS:
        return (
            f"X-Escalator-Signature's t={stamp} is more than {GENERIC_TOLERANCE_SECONDS // 60} "
            "minutes from now: sign each delivery when it is sent"
        )
    expected = _digest(secret, f"{stamp}.".encode() + body).hex()
    if not any(hmac.compare_digest(expected, digest) for digest in given):
        return f"wrong X-Escalator-Signature: expected {GENERIC_FORM}"
    return None
