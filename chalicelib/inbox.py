"""The inbox queue between the webhooks and triage: webhooks answer fast, and a post
that fails to be recorded is retried from the queue instead of being lost."""

from __future__ import annotations

from typing import Any

from chalicelib.posts import Post

SQS_BATCH = 10


class Inbox:
    def __init__(self, sqs: Any, queue_url: str):
        self._sqs = sqs
        self._queue_url = queue_url

    def put(self, posts: list[Post]) -> None:
        """Queue verified posts, ten to a request; raise if any was not queued (the
        sender then gets an error and retries: a retry cannot double a case)."""
        for start in range(0, len(posts), SQS_BATCH):
            batch = posts[start : start + SQS_BATCH]
            response = self._sqs.send_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(index), "MessageBody": post.model_dump_json()}
                    for index, post in enumerate(batch)
                ],
            )
            if failed := response.get("Failed"):
                raise RuntimeError(f"{len(failed)} posts not queued: {failed[0].get('Message')}")
