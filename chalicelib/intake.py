"""The inbox consumer: each queued post opens, joins or answers (at most) one case.

Powertools' batch processor reports failed records back to SQS one by one, so one bad
record is retried (and, after maxReceiveCount, dead-lettered) without redelivering the
rest of the batch.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.cases import case_id_for
from chalicelib.posts import Post
from chalicelib.service import Escalator
from chalicelib.telemetry import SERVICE

logger = Logger(service=SERVICE, child=True)


def record_batch(event: dict, escalator: Escalator) -> dict:
    """Record every post in an SQS event; returns the partial batch response."""

    def record(record: SQSRecord) -> None:
        try:
            post = Post.model_validate_json(record.body)
            # the case the post opens; a follow-up's and a reply's lines name theirs
            logger.set_correlation_id(case_id_for(post.channel, post.id))
            escalator.receive(post)
        except Exception:  # SQS delivers it again; say why it failed this time
            logger.exception(
                "post not recorded, to be retried", extra={"message_id": record.message_id}
            )
            raise

    return process_partial_response(
        event=event, record_handler=record, processor=BatchProcessor(event_type=EventType.SQS)
    )
