"""The inbox queue between the webhooks and triage: webhooks answer fast, and a post
that fails to be recorded is retried from the queue instead of being lost."""

from __future__ import annotations

from typing import Any

from chalicelib.posts import Post

SQS_BATCH = 10
SQS_BATCH_BYTES = 200_000  # of SQS's 256 KiB per request, leaving room for the envelope


class Inbox:
    def __init__(self, sqs: Any, queue_url: str):
        self._sqs = sqs
        self._queue_url = queue_url

    def put(self, posts: list[Post]) -> None:
        """Queue verified posts, ten to a request; raise if any was not queued (the
        sender then gets an error and retries: a retry cannot double a case)."""
        for batch in _batches([post.to_message() for post in posts]):
            response = self._sqs.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(batch)],
            )
            if failed := response.get("Failed"):
                raise RuntimeError(f"{len(failed)} posts not queued: {failed[0].get('Message')}")


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
