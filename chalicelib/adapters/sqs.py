"""The inbox queue between the webhooks and triage: webhooks answer fast, and a post
that fails to be recorded is retried from the queue instead of being lost.

A message is a post's JSON (`Post`), or an object with one key naming what else it is:
`{"note": PostNote}` (an edit, an unsend, a deletion) or `{"reference": PostReference}`
(a post to fetch from the platform's API before it is triaged).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

import json
from collections.abc import Sequence

from chalicelib.domain.posts import Post, PostNote, PostReference

SQS_BATCH = 10
SQS_BATCH_BYTES = 200_000  # of SQS's 256 KiB per request, leaving room for the envelope
Message = Post | PostNote | PostReference


class Inbox:
    def __init__(self, sqs: SQSClient, queue_url: str):
        self._sqs = sqs
        self._queue_url = queue_url

    def put(self, messages: Sequence[Message]) -> None:
        """Queue verified posts (and notes, references), ten to a request; raise if any
        was not queued (the sender then gets an error and retries: a retry cannot double
        a case)."""
        for batch in _batches([to_message(message) for message in messages]):
            response = self._sqs.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)],
            )
            if failed := response.get("Failed"):
                raise RuntimeError(f"{len(failed)} posts not queued: {failed[0].get('Message')}")


def to_message(message: Message) -> str:
    """A message's body: JSON, ASCII only (SQS refuses some code points raw)."""
    document = message.model_dump(mode="json")
    if isinstance(message, PostNote):
        document = {"note": document}
    elif isinstance(message, PostReference):
        document = {"reference": document}
    return json.dumps(document)


def from_message(body: str) -> Message:
    """A queued message as what it is; raises pydantic's ValidationError (or ValueError
    for a body that is not JSON) when it is none of them."""
    document = json.loads(body)
    if isinstance(document, dict) and "note" in document:
        return PostNote.model_validate(document["note"])
    if isinstance(document, dict) and "reference" in document:
        return PostReference.model_validate(document["reference"])
    return Post.model_validate(document)


def _batches(bodies: list[str]) -> list[list[str]]:
    """Bodies grouped as SQS takes them: at most 10, and at most SQS_BATCH_BYTES, a request."""
    batches: list[list[str]] = []
    size = 0
    for body in bodies:
        if not batches or len(batches[-1]) == SQS_BATCH or size + len(body) > SQS_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(body)
        size += len(body)
    return batches
