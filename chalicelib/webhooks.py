"""Webhook intake: verify the signature on the raw body, normalise, queue, answer fast.

Nothing is queued unless the request is genuine and well formed; recording cases
happens behind the queue, so the platforms get their 2xx within their deadlines.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Response

from chalicelib import telemetry
from chalicelib.api import MAX_BODY_BYTES, error, json_response
from chalicelib.cases import case_id_for
from chalicelib.channels import Delivery, meta, x
from chalicelib.inbox import Inbox
from chalicelib.posts import InvalidPost, parse_post
from chalicelib.signatures import sign_base64, verify_base64, verify_hex

logger = Logger(service=telemetry.SERVICE, child=True)
GENERIC_SIGNATURE_HEADER = "X-Escalator-Signature"
X_SIGNATURE_HEADER = "x-twitter-webhooks-signature"
META_SIGNATURE_HEADER = "X-Hub-Signature-256"


def receive_generic(
    body: bytes, headers: dict[str, str], secret: str | None, inbox: Inbox
) -> Response:
    if refused := _refuse(
        "generic",
        body,
        headers,
        secret,
        "ESCALATOR_GENERIC_SECRET",
        GENERIC_SIGNATURE_HEADER,
        verify_hex,
        "sha256=<hex HMAC-SHA256>",
    ):
        return refused
    try:
        post = parse_post(body)
    except InvalidPost as invalid:
        telemetry.webhook_rejected("generic", "malformed")
        return error(400, "the body is not a valid post", invalid.problems)
    inbox.put([post.received(datetime.now(UTC))])
    return json_response(
        202,
        {
            "accepted": True,
            "channel": post.channel,
            "post_id": post.id,
            "case_id": case_id_for(post.channel, post.id),
        },
    )


def x_crc(crc_token: str | None, consumer_secret: str | None) -> Response:
    """X's challenge-response check: prove we hold the consumer secret."""
    if not consumer_secret:
        return error(503, "the X consumer secret is not configured (ESCALATOR_X_CONSUMER_SECRET)")
    if not crc_token:
        return error(400, "crc_token query parameter is missing")
    return json_response(200, {"response_token": sign_base64(consumer_secret, crc_token.encode())})


def receive_x(
    body: bytes,
    headers: dict[str, str],
    consumer_secret: str | None,
    brand_ids: frozenset[str],
    inbox: Inbox,
) -> Response:
    if refused := _refuse(
        "x",
        body,
        headers,
        consumer_secret,
        "ESCALATOR_X_CONSUMER_SECRET",
        X_SIGNATURE_HEADER,
        verify_base64,
        "sha256=<base64 HMAC-SHA256>",
    ):
        return refused
    return _deliver(body, lambda payload: x.parse(payload, brand_ids), inbox, "x")


def meta_verify(params: dict[str, str], verify_token: str | None) -> Response:
    """Meta's subscription check: echo the challenge if the verify token matches."""
    if not verify_token:
        return error(503, "the Meta verify token is not configured (ESCALATOR_META_VERIFY_TOKEN)")
    given = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
        given.encode(), verify_token.encode()
    ):
        return error(403, "wrong hub.mode or hub.verify_token")
    challenge = params.get("hub.challenge", "")
    return Response(body=challenge, status_code=200, headers={"Content-Type": "text/plain"})


def receive_meta(
    body: bytes,
    headers: dict[str, str],
    app_secret: str | None,
    page_ids: frozenset[str],
    inbox: Inbox,
) -> Response:
    if refused := _refuse(
        "meta",
        body,
        headers,
        app_secret,
        "ESCALATOR_META_APP_SECRET",
        META_SIGNATURE_HEADER,
        verify_hex,
        "sha256=<hex HMAC-SHA256>",
    ):
        return refused
    return _deliver(body, lambda payload: meta.parse(payload, page_ids), inbox, "meta")


def _refuse(
    source: str,
    body: bytes,
    headers: dict[str, str],
    secret: str | None,
    secret_name: str,
    header: str,
    verify: Callable[[str, bytes, str | None], bool],
    expected: str,
) -> Response | None:
    """The error response for an unconfigured endpoint, an oversize body or a bad
    signature (each counted by reason); None when the request may go on."""
    if not secret:
        telemetry.webhook_rejected(source, "not configured")
        return error(503, f"this webhook is not configured ({secret_name} is not set)")
    if len(body) > MAX_BODY_BYTES:
        telemetry.webhook_rejected(source, "too large")
        return error(413, f"body is larger than {MAX_BODY_BYTES} bytes")
    if not verify(secret, body, headers.get(header)):
        logger.info("webhook rejected", extra={"reason": "signature", "header": header})
        telemetry.webhook_rejected(source, "signature")
        return error(401, f"missing or wrong {header}: expected {expected} of the raw body")
    return None


def _deliver(body: bytes, parse: Callable[[Any], Delivery], inbox: Inbox, source: str) -> Response:
    invalid = f"the body is not a valid {source} webhook payload"
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as problem:
        telemetry.webhook_rejected(source, "malformed")
        return error(400, invalid, [f"body is not valid JSON: {problem}"])
    try:
        delivery = parse(payload)
    except InvalidPost as problem:
        telemetry.webhook_rejected(source, "malformed")
        return error(400, invalid, problem.problems)
    if delivery.ignored:
        logger.info("webhook events ignored", extra={"source": source, "ignored": delivery.ignored})
    now = datetime.now(UTC)
    inbox.put([post.received(now) for post in delivery.posts])
    return json_response(200, {"accepted": len(delivery.posts), "ignored": delivery.ignored})
