"""Webhook intake: verify the signature on the raw body, normalise, queue, answer 202.

Nothing is written unless the request is genuine and well formed; recording the case
happens behind the queue, so the sender gets its 2xx fast.
"""

from __future__ import annotations

from chalice import Response

from chalicelib.api import MAX_BODY_BYTES, error, json_response
from chalicelib.cases import case_id_for
from chalicelib.inbox import Inbox
from chalicelib.posts import InvalidPost, parse_post
from chalicelib.signatures import verify_hex

GENERIC_SIGNATURE_HEADER = "x-escalator-signature"


def receive_generic(
    body: bytes, headers: dict[str, str], secret: str | None, inbox: Inbox
) -> Response:
    if not secret:
        return error(503, "the generic webhook secret is not configured (ESCALATOR_GENERIC_SECRET)")
    if len(body) > MAX_BODY_BYTES:
        return error(413, f"body is larger than {MAX_BODY_BYTES} bytes")
    if not verify_hex(secret, body, headers.get(GENERIC_SIGNATURE_HEADER)):
        return error(
            401,
            "missing or wrong X-Escalator-Signature: expected sha256=<hex HMAC-SHA256 "
            "of the raw body>",
        )
    try:
        post = parse_post(body)
    except InvalidPost as invalid:
        return error(400, "the body is not a valid post", invalid.problems)
    inbox.put(post)
    return json_response(
        202,
        {
            "accepted": True,
            "channel": post.channel,
            "post_id": post.id,
            "case_id": case_id_for(post.channel, post.id),
        },
    )
