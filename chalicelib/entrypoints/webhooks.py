"""Webhook intake: verify the signature on the raw body, normalise, queue, answer fast.

Nothing is queued unless the request is genuine; recording cases happens behind the
queue, so the platforms get their 2xx within their deadlines. A genuine platform
delivery is never refused for what it holds (see `_deliver`); the generic webhook's
sender is ours to teach, so a body that is not a post gets a 400 naming its problems.
"""

from __future__ import annotations

import hmac
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from chalice.app import Response

from chalicelib import telemetry
from chalicelib.adapters.sqs import Inbox
from chalicelib.channels import Delivery, meta, x
from chalicelib.channels.signatures import (
    generic_signature_problem,
    sign_base64,
    verify_base64,
    verify_hex,
)
from chalicelib.domain.cases import case_id_for
from chalicelib.domain.posts import InvalidPost, parse_post
from chalicelib.entrypoints.http import MAX_BODY_BYTES, error, json_response

if TYPE_CHECKING:
    from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents

logger = Logger(service=telemetry.SERVICE, child=True)
CRC_TOKEN = re.compile(r"[A-Za-z0-9_\-=+/]{1,128}")  # X's challenges: base64 and the like
# A platform may batch a thousand events in one delivery (Meta does): its webhooks take
# what a Lambda function's request can hold; the generic webhook takes one post.
MAX_DELIVERY_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Signed:
    """How a webhook's deliveries are signed, and how large they may be. `problem`
    says why a signature is not to be trusted (None when it is)."""

    source: str  # the metrics' name for it
    secret_name: str
    header: str
    problem: Callable[[str, bytes, str | None], str | None]
    max_bytes: int


def _body_signed(
    verify: Callable[[str, bytes, str | None], bool], header: str, form: str
) -> Callable[[str, bytes, str | None], str | None]:
    """A platform's signature check (of the body alone), as Signed.problem."""

    def problem(secret: str, body: bytes, given: str | None) -> str | None:
        if verify(secret, body, given):
            return None
        return f"missing or wrong {header}: expected {form} of the raw body"

    return problem


GENERIC = Signed(
    "generic",
    "ESCALATOR_GENERIC_SECRET",
    "X-Escalator-Signature",
    generic_signature_problem,
    MAX_BODY_BYTES,
)
X = Signed(
    "x",
    "ESCALATOR_X_CONSUMER_SECRET",
    "x-twitter-webhooks-signature",
    _body_signed(verify_base64, "x-twitter-webhooks-signature", "sha256=<base64 HMAC-SHA256>"),
    MAX_DELIVERY_BYTES,
)
META = Signed(
    "meta",
    "ESCALATOR_META_APP_SECRET",
    "X-Hub-Signature-256",
    _body_signed(verify_hex, "X-Hub-Signature-256", "sha256=<hex HMAC-SHA256>"),
    MAX_DELIVERY_BYTES,
)


def receive_generic(
    body: bytes, headers: Mapping[str, str], secret: str | None, inbox: Inbox
) -> Response:
    if refused := _refuse(GENERIC, body, headers, secret):
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
    """X's challenge-response check: prove we hold the consumer secret. The answer is
    the HMAC a delivery of the token's bytes would be signed with, so only a token of
    the shape X sends is answered: never a body someone would then POST as X's."""
    if not consumer_secret:
        return error(503, "the X consumer secret is not configured (ESCALATOR_X_CONSUMER_SECRET)")
    if not crc_token:
        return error(400, "crc_token query parameter is missing")
    if not CRC_TOKEN.fullmatch(crc_token):
        telemetry.webhook_rejected("x", "crc token")
        return error(
            400,
            "crc_token must be what X sends: at most 128 letters, digits and -_=+/",
        )
    return json_response(200, {"response_token": sign_base64(consumer_secret, crc_token.encode())})


def receive_x(
    body: bytes,
    headers: Mapping[str, str],
    consumer_secret: str | None,
    brand_ids: frozenset[str],
    inbox: Inbox,
    unreadable_events: Callable[[], UnreadableEvents],
) -> Response:
    if refused := _refuse(X, body, headers, consumer_secret):
        return refused
    return _deliver(
        body, lambda payload: x.parse(payload, brand_ids), inbox, unreadable_events, "x"
    )


def meta_verify(params: Mapping[str, str], verify_token: str | None) -> Response:
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
    headers: Mapping[str, str],
    app_secret: str | None,
    page_ids: frozenset[str],
    inbox: Inbox,
    unreadable_events: Callable[[], UnreadableEvents],
) -> Response:
    if refused := _refuse(META, body, headers, app_secret):
        return refused
    return _deliver(
        body, lambda payload: meta.parse(payload, page_ids), inbox, unreadable_events, "meta"
    )


def _refuse(
    webhook: Signed, body: bytes, headers: Mapping[str, str], secret: str | None
) -> Response | None:
    """The error response for an unconfigured endpoint, an oversize body or a bad
    signature (each counted by reason); None when the request may go on."""
    if not secret:
        telemetry.webhook_rejected(webhook.source, "not configured")
        return error(503, f"this webhook is not configured ({webhook.secret_name} is not set)")
    if len(body) > webhook.max_bytes:
        telemetry.webhook_rejected(webhook.source, "too large")
        return error(413, f"body is larger than {webhook.max_bytes} bytes")
    if problem := webhook.problem(secret, body, headers.get(webhook.header)):
        logger.info("webhook rejected", extra={"reason": "signature", "header": webhook.header})
        telemetry.webhook_rejected(webhook.source, "signature")
        return error(401, problem)
    return None


def _deliver(
    body: bytes,
    parse: Callable[[Any], Delivery],
    inbox: Inbox,
    unreadable_events: Callable[[], UnreadableEvents],
    source: str,
) -> Response:
    """Queue what a signed delivery carries and answer 200: events it does not act on
    are counted by kind; events it cannot read are kept whole and counted, never a
    reason to refuse the rest (a platform disables a webhook that keeps failing). Only a
    body that is not a JSON object is refused: the platforms send nothing else, and X's
    CRC answers with the signature of any token (`12345`, `true` are JSON too)."""
    invalid = f"the body is not a valid {source} webhook payload"
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as problem:
        telemetry.webhook_rejected(source, "malformed")
        return error(400, invalid, [f"body is not valid JSON: {problem}"])
    if not isinstance(payload, dict):
        telemetry.webhook_rejected(source, "malformed")
        return error(400, invalid, ["body: expected a JSON object"])
    delivery = parse(payload)
    now = datetime.now(UTC)
    inbox.put([message.received(now) for message in delivery.queued])
    for kind, count in Counter(delivery.ignored).items():
        telemetry.event_ignored(source, kind, count)
    if delivery.unreadable:
        unreadable_events().keep(source, delivery.unreadable, now)
        for event in delivery.unreadable:  # its problems may quote it: they stay in the item
            logger.warning("unreadable event kept", extra={"source": source, "kind": event.kind})
            telemetry.event_unreadable(source, event.kind)
    return json_response(
        200,
        {
            "accepted": len(delivery.queued),
            "ignored": delivery.ignored,
            "unreadable": len(delivery.unreadable),
        },
    )
