"""The inbox consumer: each queued post opens, joins or answers (at most) one case.

Powertools' batch processor reports failed records back to SQS one by one, so one bad
record is retried (and, after maxReceiveCount, dead-lettered) without redelivering the
rest of the batch.

Before a post is triaged it is made whole where the webhook could not: an X post
delivered without its author gets one from X's API (when a bearer token is set: else it
goes on with its author unknown), and a post a Meta webhook only named (an Instagram
@mention, a Page mention) is fetched from the Graph API. A fetch that may succeed later
fails the record (SQS retries it, then dead-letters it); one that never will is kept
with the unreadable events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from chalicelib import telemetry
from chalicelib.adapters.meta_graph import GraphError
from chalicelib.adapters.sqs import from_message
from chalicelib.channels import Unreadable
from chalicelib.domain.cases import case_id_for
from chalicelib.domain.posts import Post, PostNote, PostReference, describe_error
from chalicelib.telemetry import SERVICE
from chalicelib.use_cases.escalator import Escalator

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

    from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
    from chalicelib.adapters.meta_graph import GraphApi
    from chalicelib.adapters.x_api.lookup import XPostLookup

logger = Logger(service=SERVICE, child=True)


@dataclass(frozen=True)
class Sources:
    """What the consumer reads besides the queue, each built on first use: X's API for
    authors, Meta's Graph API for mentions (None when not configured), and where
    what cannot be fetched is kept."""

    x_posts: Callable[[], XPostLookup | None]
    graph: Callable[[], GraphApi | None]
    unreadable_events: Callable[[], UnreadableEvents]


def record_batch(
    event: dict[str, Any], escalator: Escalator, sources: Sources
) -> PartialItemFailureResponse:
    """Record every message in an SQS event; returns the partial batch response. Once
    the Graph API has failed in a batch, the batch's other references fail at once (SQS
    retries them later): a Meta outage costs one timeout, not one per mention."""
    graph_failed: list[GraphError] = []

    def record(record: SQSRecord) -> None:
        try:
            message = _read(record.body)
            # the case the post opens; a follow-up's and a reply's lines name theirs
            logger.set_correlation_id(case_id_for(message.channel, _post_id(message)))
            if isinstance(message, PostNote):
                escalator.note(message)
            elif isinstance(message, PostReference) and graph_failed:
                raise GraphError(f"not tried: {graph_failed[0]}", retry=True)
            elif post := _whole(message, sources, graph_failed):
                escalator.receive(post)
        except Exception:  # SQS delivers it again; say why it failed this time
            logger.exception(
                "post not recorded, to be retried", extra={"message_id": record.message_id}
            )
            raise

    return process_partial_response(
        event=event, record_handler=record, processor=BatchProcessor(event_type=EventType.SQS)
    )


class UnreadableMessage(ValueError):
    """A queued message that is none of the inbox's kinds: its problems, never its
    content (a post's text must not reach the log)."""


def _read(body: str) -> Post | PostNote | PostReference:
    try:
        return from_message(body)
    except ValidationError as invalid:
        raise UnreadableMessage("; ".join(describe_error(e) for e in invalid.errors())) from None
    except ValueError:
        raise UnreadableMessage("not JSON") from None


def _post_id(message: Post | PostNote | PostReference) -> str:
    return message.post_id if isinstance(message, PostNote) else message.id


def _whole(
    message: Post | PostReference, sources: Sources, graph_failed: list[GraphError]
) -> Post | None:
    """The post, made whole (see the module's docstring); None when it cannot be, and
    was kept as unreadable instead. A Graph API failure worth a retry is raised, and
    noted in `graph_failed`."""
    if isinstance(message, Post):
        if message.channel == "x" and not message.author.known and (lookup := sources.x_posts()):
            return lookup.complete(message)
        return message
    from chalicelib.channels.meta_references import fetch_referenced

    graph = sources.graph()
    if graph is None:
        _kept(message, ["ESCALATOR_META_PAGE_TOKEN is not set: its text cannot be read"], sources)
        return None
    try:
        return fetch_referenced(message, graph)
    except GraphError as failure:
        if failure.retry:
            graph_failed.append(failure)
            raise
        _kept(message, [str(failure)], sources)
        return None
    except ValidationError as invalid:  # an answer that is not the object asked for
        _kept(message, [describe_error(e) for e in invalid.errors()], sources)
        return None


def _kept(reference: PostReference, problems: list[str], sources: Sources) -> None:
    """Keep a referenced post that cannot be read whole for an engineer, and count it."""
    logger.warning("referenced post kept unread", extra={"kind": reference.kind})
    telemetry.event_unreadable("meta", reference.kind)
    raw = {"reference": reference.model_dump(mode="json")}
    sources.unreadable_events().keep(
        "meta", [Unreadable(reference.kind, problems, raw)], datetime.now(UTC)
    )
