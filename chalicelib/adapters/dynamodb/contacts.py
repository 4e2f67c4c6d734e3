"""When each author last wrote (`AUTHOR#<channel>#<id>`): a second post within a day is
repeat contact, which raises a case's priority."""

from __future__ import annotations

from datetime import datetime

from chalicelib.adapters.dynamodb.table import TableAdapter, deserialize, get_item, serialize
from chalicelib.domain.retention import DEDUPE_RETENTION
from chalicelib.domain.times import iso, parse_iso


class AuthorContacts(TableAdapter):
    """When each author last opened a case: a second post within a day is repeat contact."""

    def previous_post_at(
        self, channel: str, author_id: str, post_id: str, at: datetime
    ) -> datetime | None:
        """Note this post as the author's latest; return when their post before it came
        (None for a first post). Asking again for the same post gives the same answer,
        unless another post of theirs came in between (then a redelivered older post is
        taken for the latest: only the next post's repeat-contact flag can suffer)."""
        key = serialize({"pk": f"AUTHOR#{channel}#{author_id}", "sk": "AUTHOR"})
        try:
            updated = self._db.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=(
                    "SET previous_at = if_not_exists(post_at, :none), post_at = :at, "
                    "post_id = :post, expires_at = :expires"
                ),
                ConditionExpression="attribute_not_exists(post_id) OR post_id <> :post",
                ExpressionAttributeValues=serialize(
                    {
                        ":none": "",
                        ":at": iso(at),
                        ":post": post_id,
                        ":expires": int((at + DEDUPE_RETENTION).timestamp()),
                    }
                ),
                ReturnValues="ALL_NEW",
            )
            previous = deserialize(updated["Attributes"]).get("previous_at")
        except self._db.exceptions.ConditionalCheckFailedException:  # this post, again
            previous = (get_item(self._db, self._table, deserialize(key)) or {}).get("previous_at")
        return parse_iso(previous) if previous else None
