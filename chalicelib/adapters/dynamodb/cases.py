"""The case store: one DynamoDB table holds cases, their audit trails, the post dedupe
records and the notification ledger.

| item                    | pk                      | sk                         |
|-------------------------|-------------------------|----------------------------|
| case                    | CASE#<case id>          | CASE                       |
| audit event             | CASE#<case id>          | EVENT#<iso time>#<n>       |
| notification ledger     | CASE#<case id>          | NOTIFY#<open>#<tier>#<rep>#<to> |
| email action link used  | CASE#<case id>          | ACTION#<nonce>             |
| post dedupe record      | POST#<channel>#<post id>| POST                       |
| conversation            | CONV#<channel>#<conv id>| CONV                       |
| poller checkpoint       | CHECKPOINT#<name>       | CHECKPOINT                 |
| an author's last post   | AUTHOR#<channel>#<id>   | AUTHOR                     |
| a reply ahead of its post| EARLY#<channel>#<post id>| EARLY                     |
| a note about a post     | POST#<channel>#<post id>#<change>#<text digest> | POST |

Dedupe records map every post Escalator has seen (customer posts, follow-ups, brand
replies) to its case; conversation records map a platform conversation to the case that
holds it. Together they find the case a reply belongs to.

GSI `by-status` (gsi1pk = STATUS#<status>, gsi1sk = <opened at>#<case id>) lists cases
by status, newest first. Every case write is conditional on the version it read, so two
writers that race (a response and the escalation timer) never both win.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.dynamodb.items import (
    case_from_item,
    case_item,
    case_key,
    conversation_key,
    event_from_item,
    event_item,
    link_key,
    notice_key,
    unchanged_since,
)
from chalicelib.adapters.dynamodb.ledger import SendOnceLedger, WhileFailed
from chalicelib.adapters.dynamodb.posts_seen import ItemExists, PostRecords
from chalicelib.adapters.dynamodb.table import (
    NEW_ITEM,
    TableAdapter,
    deserialize,
    failed_conditions,
    get_item,
    put_request,
    serialize,
)
from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import CASE_ID, Case, Event, Notice
from chalicelib.domain.errors import (
    CaseNotFound,
    ConcurrentChange,
    DuplicatePost,
    LinkUsed,
    ThreadTaken,
)
from chalicelib.domain.posts import Post, PostNote
from chalicelib.domain.retention import (
    DEDUPE_RETENTION,
    DEFAULT_RETENTION,
    DISMISSED_RETENTION,
    LINK_RETENTION,
)
from chalicelib.domain.times import iso, parse_iso


class CaseStore(TableAdapter):
    """Cases and what hangs off them. `retention` (the policy's) is how long an item that
    holds what a post brought is kept: a case for `retention` after it opened (praise
    and spam for 30 days at most), and never less than 30 days after its last change
    (while it is still worked on); a line of its trail, a thread record and a notice for
    `retention` after they were written (the table's TTL deletes them)."""

    def __init__(self, dynamodb: Any, table_name: str, retention: timedelta = DEFAULT_RETENTION):
        super().__init__(dynamodb, table_name)
        self._retention = retention
        self._ledger = SendOnceLedger(dynamodb, table_name)
        self._posts = PostRecords(dynamodb, table_name)

    def _case(self, case: Case) -> dict[str, Any]:
        keep = self._retention
        if case.status is Status.DISMISSED:
            keep = min(keep, DISMISSED_RETENTION)
        until = max(case.opened_at + keep, datetime.now(UTC) + DEDUPE_RETENTION)
        return case_item(case, until)

    def _event(self, case_id: str, event: Event) -> dict[str, Any]:
        return event_item(case_id, event, event.at + self._retention)

    # -- writes ------------------------------------------------------------------------

    def create(self, case: Case, event: Event, thread: str | None = None) -> None:
        """Record a new case, its post, its conversation and its first event in one
        transaction; raise DuplicatePost if the post was recorded before (its dedupe
        record, or its case when the record expired: the record is put back), and
        ThreadTaken if another case took the conversation since `thread` (the case that
        held it, if any) was read."""
        case_item = self._case(case)
        items = [put_request(self._table, case_item, **NEW_ITEM)]
        if case.post.conversation_id:
            conversation = {
                **conversation_key(case.post.channel, case.post.conversation_id),
                "case_id": case.id,
                "expires_at": int((event.at + self._retention).timestamp()),
            }
            taken_by: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
            if thread is not None:  # a closed case held the thread: this one takes it over
                taken_by = {
                    "ConditionExpression": "attribute_not_exists(pk) OR case_id = :seen",
                    "ExpressionAttributeValues": {":seen": {"S": thread}},
                }
            items.append(put_request(self._table, conversation, **taken_by))
        opened = {**self._event(case.id, event), "expires_at": case_item["expires_at"]}
        try:
            self._posts.record(case.post.channel, case.post.id, case.id, opened, items)
        except ItemExists as exists:
            if exists.index == 0:  # the case itself: recorded before its dedupe record expired
                self._posts.restore(case.post.channel, case.post.id, case.id, event.at)
                raise DuplicatePost(case.id) from None
            found = get_item(
                self._db,
                self._table,
                conversation_key(case.post.channel, case.post.conversation_id or ""),
            )
            raise ThreadTaken(found["case_id"] if found else "") from None

    def attach(self, case_id: str, post: Post, event: Event) -> None:
        """Record a post as part of an existing case (a follow-up, a brand reply);
        raise DuplicatePost if it was recorded before."""
        self._posts.record(post.channel, post.id, case_id, self._event(case_id, event), [])

    def record_acknowledgement(
        self, case_id: str, channel: str, reply_id: str, event: Event
    ) -> None:
        """Record Escalator's automatic reply, so that when the platform delivers it
        back it is known for what it is, not taken for a person's response."""
        self._posts.record(
            channel, reply_id, case_id, self._event(case_id, event), [], acknowledgement=True
        )

    def hold_early_reply(self, reply: Post) -> None:
        """Keep a brand reply whose post has no case yet, for when it gets one."""
        self._posts.hold_early_reply(reply)

    def early_reply(self, channel: str, post_id: str) -> Post | None:
        """A brand reply to this post that arrived before it, if one did."""
        return self._posts.early_reply(channel, post_id)

    def case_holding(self, channel: str, post_id: str) -> str | None:
        """The case a post was recorded in (opened, followed up or answered), if any."""
        return self._posts.case_holding(channel, post_id)

    def thread_case(self, post: Post) -> str | None:
        """The case a post belongs to by its thread: its conversation, or the post it
        replies to; None if it starts a thread of its own."""
        if post.conversation_id:
            key = conversation_key(post.channel, post.conversation_id)
            if (found := get_item(self._db, self._table, key)) is not None:
                return str(found["case_id"])
        return self.case_holding(post.channel, post.in_reply_to) if post.in_reply_to else None

    def update(
        self, before: Case, after: Case, *events: Event, link_nonce: str | None = None
    ) -> Case:
        """Store `after` if the case is still as `before` was read, with its events;
        raise ConcurrentChange if someone changed it in between. With `link_nonce`, the
        change is an email link's: it is recorded with it, and LinkUsed is raised (and
        nothing written) if that link acted before."""
        stored = replace(after, version=before.version + 1)
        items = [
            put_request(self._table, self._case(stored), **unchanged_since(before.version)),
            *(put_request(self._table, self._event(before.id, e)) for e in events),
        ]
        if link_nonce is not None:
            used_at = events[0].at
            use = {
                **link_key(before.id, link_nonce),
                "at": iso(used_at),
                "expires_at": int((used_at + LINK_RETENTION).timestamp()),
            }
            items.append(put_request(self._table, use, **NEW_ITEM))
        try:
            self._db.transact_write_items(TransactItems=items)
        except self._db.exceptions.TransactionCanceledException as error:
            failed = failed_conditions(error)
            if link_nonce is not None and failed and failed[-1]:
                raise LinkUsed(before.id) from None
            if any(failed):
                raise ConcurrentChange(before.id) from None
            raise
        return stored

    def append_event(self, case_id: str, event: Event) -> None:
        """Put an event on the case's trail, leaving the case as it is."""
        self._db.put_item(TableName=self._table, Item=serialize(self._event(case_id, event)))

    def attach_note(self, case_id: str, note: PostNote, event: Event) -> None:
        """Put a platform's note about a post on the trail, once: the same note delivered
        again (same post, change and text) raises DuplicatePost."""
        said = hashlib.sha256((note.text or "").encode()).hexdigest()[:16]
        self._posts.record(
            note.channel,
            f"{note.post_id}#{note.change}#{said}",
            case_id,
            self._event(case_id, event),
            [],
        )

    def link_used_at(self, case_id: str, link_nonce: str) -> datetime | None:
        """When an email action link acted, if it did."""
        item = get_item(self._db, self._table, link_key(case_id, link_nonce))
        return parse_iso(item["at"]) if item else None

    def claim_notification(self, case: Case, notice: Notice, now: datetime) -> bool:
        """Take the one right to send this notice while the case is still as read; False
        if the right was taken before. Raises ConcurrentChange if the case changed
        (answered, say): re-read it and decide again."""
        case_unchanged = {"Key": serialize(case_key(case.id)), **unchanged_since(case.version)}
        try:
            return self._ledger.claim(
                notice_key(case, notice), now, now + self._retention, case_unchanged
            )
        except WhileFailed:
            raise ConcurrentChange(case.id) from None

    def release_notification(self, case: Case, notice: Notice) -> None:
        """Give the right back after a refused send, so a retry can send."""
        self._ledger.release(notice_key(case, notice))

    def confirm_notification(
        self, case: Case, notice: Notice, message_id: str, event: Event
    ) -> None:
        """Mark the email sent and put it in the audit trail, whatever the case's version."""
        self._ledger.confirm(
            notice_key(case, notice),
            message_id,
            put_request(self._table, self._event(case.id, event)),
        )

    # -- reads -------------------------------------------------------------------------

    def get(self, case_id: str) -> Case:
        if not CASE_ID.match(case_id):
            raise CaseNotFound(case_id)
        item = get_item(self._db, self._table, case_key(case_id))
        if item is None:
            raise CaseNotFound(case_id)
        return case_from_item(item)

    def history(self, case_id: str) -> tuple[Case, list[Event]]:
        """The case and its audit trail, oldest event first."""
        if not CASE_ID.match(case_id):
            raise CaseNotFound(case_id)
        items = self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"CASE#{case_id}"}},
            ConsistentRead=True,
        )
        case = next((case_from_item(i) for i in items if i["sk"] == "CASE"), None)
        if case is None:
            raise CaseNotFound(case_id)
        events = [event_from_item(i) for i in items if i["sk"].startswith("EVENT#")]
        return case, events

    def forget_post_text(self, case_id: str, post_id: str, replacement: str) -> int:
        """Put `replacement` for the text of post `post_id` wherever the case's trail
        quotes it (a follow-up, a reopening, an edit); returns how many lines changed."""
        changed = 0
        for item in self.trail_items(case_id):
            detail = item.get("detail") or {}
            if detail.get("post_id") == post_id and detail.get("text") not in (None, replacement):
                item["detail"] = {**detail, "text": replacement}
                self._db.put_item(TableName=self._table, Item=serialize(item))
                changed += 1
        return changed

    def trail_items(self, case_id: str) -> list[dict[str, Any]]:
        """The case's trail as stored (each line's whole item), oldest first."""
        items = self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :events)",
            ExpressionAttributeValues={":pk": {"S": f"CASE#{case_id}"}, ":events": {"S": "EVENT#"}},
            ConsistentRead=True,
        )
        return items

    def list(self, status: Status, limit: int = 100, oldest_first: bool = False) -> list[Case]:
        """Cases with this status, newest first (or oldest first)."""
        items = self._query(
            IndexName="by-status",
            KeyConditionExpression="gsi1pk = :status",
            ExpressionAttributeValues={":status": {"S": f"STATUS#{status}"}},
            ScanIndexForward=oldest_first,
            Limit=limit,
            max_items=limit,
        )
        return [case_from_item(i) for i in items]

    def opened_since(
        self, status: Status, since: datetime, limit: int = 1000
    ) -> builtins.list[Case]:
        """Cases with this status opened at or after `since`, newest first."""
        items = self._query(
            IndexName="by-status",
            KeyConditionExpression="gsi1pk = :status AND gsi1sk >= :since",
            ExpressionAttributeValues={
                ":status": {"S": f"STATUS#{status}"},
                ":since": {"S": iso(since)},
            },
            ScanIndexForward=False,
            Limit=limit,
            max_items=limit,
        )
        return [case_from_item(i) for i in items]

    def each(self, status: Status) -> Iterator[Case]:
        """Every case with this status, oldest first, read a page at a time."""
        for page in self._pages(
            IndexName="by-status",
            KeyConditionExpression="gsi1pk = :status",
            ExpressionAttributeValues={":status": {"S": f"STATUS#{status}"}},
        ):
            yield from (case_from_item(item) for item in page)

    def _query(self, max_items: int | None = None, **query: Any) -> builtins.list[dict[str, Any]]:
        items: builtins.list[dict[str, Any]] = []
        for page in self._pages(**query):
            items.extend(page)
            if max_items and len(items) >= max_items:
                return items[:max_items]
        return items

    def _pages(self, **query: Any) -> Iterator[builtins.list[dict[str, Any]]]:
        while True:
            page = self._db.query(TableName=self._table, **query)
            yield [deserialize(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# -- item mapping ---------------------------------------------------------------------------
