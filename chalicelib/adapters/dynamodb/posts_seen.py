"""The posts Escalator has seen, each once: a dedupe record per post (customer posts,
follow-ups, brand replies, notes about posts) naming the case it joined, and the brand
replies that came before the post they answer. Written in one transaction with what the
post brings, so a post redelivered however often is recorded once.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamodb.items import dedupe_key, early_key
from chalicelib.adapters.dynamodb.table import (
    NEW_ITEM,
    TableAdapter,
    failed_conditions,
    get_item,
    put_request,
    serialize,
)
from chalicelib.domain.errors import DuplicatePost
from chalicelib.domain.posts import Post
from chalicelib.domain.retention import DEDUPE_RETENTION
from chalicelib.domain.times import parse_iso


class ItemExists(Exception):
    """A transaction's item (by its place among the items written with the post) was
    there already: the caller says what that means."""

    def __init__(self, index: int):
        super().__init__(f"item {index} exists")
        self.index = index


class PostRecords(TableAdapter):
    """Dedupe records and early replies."""

    def record(
        self,
        channel: str,
        post_id: str,
        case_id: str,
        event: dict[str, Any],
        items: list[dict[str, Any]],
        acknowledgement: bool = False,
    ) -> None:
        """Write the post's dedupe record, `items` and its `event` item at once; raise
        DuplicatePost if the record was there, ItemExists if one of `items` was."""
        record_key = dedupe_key(channel, post_id)
        written = parse_iso(event["at"])
        expires_at = int((written + DEDUPE_RETENTION).timestamp())
        dedupe = {**record_key, "case_id": case_id, "expires_at": expires_at}
        if acknowledgement:
            dedupe["acknowledgement"] = True
        try:
            self._db.transact_write_items(
                TransactItems=[
                    put_request(self._table, dedupe, **NEW_ITEM),
                    *items,
                    put_request(self._table, event),
                ]
            )
        except self._db.exceptions.TransactionCanceledException as error:
            failed = failed_conditions(error)
            if not any(failed):
                raise
            if failed[0]:
                existing = get_item(self._db, self._table, record_key) or {}
                raise DuplicatePost(
                    existing.get("case_id", case_id), existing.get("acknowledgement", False)
                ) from None
            raise ItemExists(failed.index(True) - 1) from None

    def restore(self, channel: str, post_id: str, case_id: str, at: datetime) -> None:
        """Put back the dedupe record of a post whose case outlived it (a redelivery a
        month late), so the next redelivery is known at its first write."""
        dedupe = {
            **dedupe_key(channel, post_id),
            "case_id": case_id,
            "expires_at": int((at + DEDUPE_RETENTION).timestamp()),
        }
        with suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.put_item(TableName=self._table, Item=serialize(dedupe), **NEW_ITEM)

    def hold_early_reply(self, reply: Post) -> None:
        """Keep a brand reply whose post has no case yet, for when it gets one."""
        if reply.in_reply_to is None:
            return  # it answers no post: nothing will open a case it belongs to
        item = {
            **early_key(reply.channel, reply.in_reply_to),
            "post": reply.model_dump(mode="json"),
            "expires_at": int(
                ((reply.received_at or reply.created_at) + DEDUPE_RETENTION).timestamp()
            ),
        }
        self._db.put_item(TableName=self._table, Item=serialize(item))

    def early_reply(self, channel: str, post_id: str) -> Post | None:
        """A brand reply to this post that arrived before it, if one did."""
        found = get_item(self._db, self._table, early_key(channel, post_id))
        return Post.model_validate(found["post"]) if found else None

    def case_holding(self, channel: str, post_id: str) -> str | None:
        """The case a post was recorded in (opened, followed up or answered), if any."""
        found = get_item(self._db, self._table, dedupe_key(channel, post_id))
        return found["case_id"] if found else None
