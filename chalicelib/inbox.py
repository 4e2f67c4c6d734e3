"""The inbox queue between the webhooks and triage: webhooks answer fast, and a post
that fails to be recorded is retried from the queue instead of being lost."""

from __future__ import annotations

from typing import Any

from chalicelib.posts import Post


class Inbox:
    def __init__(self, sqs: Any, queue_url: str):
        self._sqs = sqs
        self._queue_url = queue_url

    def put(self, post: Post) -> str:
        """Queue a verified post; returns the queue's message id."""
        response = self._sqs.send_message(
            QueueUrl=self._queue_url, MessageBody=post.model_dump_json()
        )
        return response["MessageId"]
