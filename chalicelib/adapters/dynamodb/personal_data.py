"""One person's data in the table, for a data-protection request: everything held about
them (`export`), and its erasure (`erase`), found through the author index (GSI
`by-author`, key `AUTHOR#<channel>#<author id>`: their cases, and the lines of other
cases' trails that hold their words) with a query, never a scan.

Erasure keeps each case as an anonymous record (its timings, tiers and outcome, for the
reports): its post's text, author and link, its thread's id, and every text on its
trail are blanked, and the trail says it was erased; their follow-ups in other people's
cases are blanked too. Their thread records and their repeat-contact record are
deleted, and so are unreadable events that name them. What it does not reach: emails
already sent, the dedupe records (post ids only, gone after 30 days), and replies held
for posts not yet seen (gone after 30 days).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters.dynamodb.cases import CaseStore
from chalicelib.adapters.dynamodb.table import (
    TableAdapter,
    author_key,
    deserialize,
    get_item,
    serialize,
)
from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
from chalicelib.domain.cases import Case, Event, EventKind
from chalicelib.domain.errors import ConcurrentChange
from chalicelib.domain.posts import ERASED

ERASER = "escalator erase"
WRITE_ATTEMPTS = 5


@dataclass
class Found:
    """What the table holds about one person."""

    cases: list[tuple[Case, list[Event]]] = field(default_factory=list)
    lines_elsewhere: list[dict[str, Any]] = field(default_factory=list)  # raw event items
    contact: dict[str, Any] | None = None
    conversations: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[Any] = field(default_factory=list)  # KeptEvent


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, by kind of record."""

    cases: int
    trail_lines: int
    conversations: int
    contacts: int
    unreadable_events: int


class PersonalData(TableAdapter):
    def __init__(self, dynamodb: Any, table_name: str):
        super().__init__(dynamodb, table_name)
        self._cases = CaseStore(dynamodb, table_name)
        self._unreadable = UnreadableEvents(dynamodb, table_name)

    def find(self, channel: str, author_id: str) -> Found:
        """Everything held about the author `author_id` of `channel`."""
        found = Found()
        case_ids = []
        for key in self._index(author_key(channel, author_id)):
            case_id = key["pk"].removeprefix("CASE#")
            if key["sk"] == "CASE":
                case_ids.append(case_id)
            else:
                item = get_item(self._db, self._table, {"pk": key["pk"], "sk": key["sk"]})
                if item and case_id not in case_ids:
                    found.lines_elsewhere.append(item)
        for case_id in case_ids:
            case, events = self._cases.history(case_id)
            found.cases.append((case, events))
        found.lines_elsewhere = [
            line for line in found.lines_elsewhere if line["case_id"] not in case_ids
        ]
        found.contact = get_item(
            self._db, self._table, {"pk": f"AUTHOR#{channel}#{author_id}", "sk": "AUTHOR"}
        )
        for case, _ in found.cases:
            if conversation := case.post.conversation_id:
                key = {"pk": f"CONV#{case.post.channel}#{conversation}", "sk": "CONV"}
                item = get_item(self._db, self._table, key)
                if item and item.get("case_id") in case_ids:
                    found.conversations.append(item)
        named = json.dumps(author_id)
        found.unreadable = [
            event for event in self._unreadable.list(10_000) if named in json.dumps(event.raw)
        ]
        return found

    def erase(self, channel: str, author_id: str, now: datetime | None = None) -> Erasure:
        """Blank or delete everything `find` finds; returns what it did. Safe to run
        again (an erased case is no longer in the author index)."""
        now = now or datetime.now(UTC)
        found = self.find(channel, author_id)
        lines = 0
        person = author_key(channel, author_id)
        for case, _ in found.cases:
            self._erase_case(case.id, now)
            for item in self._cases.trail_items(case.id):
                theirs = item.get("by") == case.post.author.handle or item.get("gsi2pk") == person
                self._put(_blanked(item, theirs))
                lines += 1
        for item in found.lines_elsewhere:
            self._put(_blanked(item, theirs=True))
            lines += 1
        for record in [*found.conversations, *([found.contact] if found.contact else [])]:
            self._db.delete_item(
                TableName=self._table, Key=serialize({"pk": record["pk"], "sk": record["sk"]})
            )
        for event in found.unreadable:
            self._unreadable.delete(event.id)
        return Erasure(
            cases=len(found.cases),
            trail_lines=lines,
            conversations=len(found.conversations),
            contacts=1 if found.contact else 0,
            unreadable_events=len(found.unreadable),
        )

    def _erase_case(self, case_id: str, now: datetime) -> None:
        """The case as an anonymous record, written over the version read (read again
        when it changed meanwhile; ConcurrentChange if it keeps changing)."""
        for attempt in range(WRITE_ATTEMPTS):
            case = self._cases.get(case_id)
            try:
                self._cases.update(case, case.erased(), Event(now, EventKind.ERASED, ERASER, {}))
                return
            except ConcurrentChange:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise

    def _index(self, key: str) -> Iterator[dict[str, Any]]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by-author",
            "KeyConditionExpression": "gsi2pk = :key",
            "ExpressionAttributeValues": {":key": {"S": key}},
        }
        while True:
            page = self._db.query(**query)
            yield from (deserialize(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _put(self, item: dict[str, Any]) -> None:
        self._db.put_item(TableName=self._table, Item=serialize(item))


def _blanked(item: dict[str, Any], theirs: bool) -> dict[str, Any]:
    """A trail line with no text (and, when it is `theirs`, by nobody named), out of
    the author index."""
    detail = dict(item.get("detail") or {})
    if "text" in detail:
        detail["text"] = ERASED
    blank = {key: value for key, value in item.items() if key not in ("gsi2pk", "gsi2sk")}
    blank["detail"] = detail
    if theirs:
        blank["by"] = ERASED
    return blank
