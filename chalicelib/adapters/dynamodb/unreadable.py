"""Events of signed deliveries that could not be read, kept whole for an engineer.

| item             | pk         | sk                                  |
|------------------|------------|-------------------------------------|
| unreadable event | UNREADABLE | <source>#<SHA-256 of the event, 32 hex> |

A platform that retries a delivery sends its events again: the same event is one item.
Each is kept 14 days (the table's TTL), as long as the dead-letter queue keeps a post.
`escalator status` counts them; `escalator unreadable` lists them and deletes those dealt
with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.dynamodb.table import TableAdapter, deserialize, serialize
from chalicelib.channels import Unreadable
from chalicelib.domain.times import iso, parse_iso

PARTITION = "UNREADABLE"
RETENTION = timedelta(days=14)
KEPT_BYTES = 350_000  # of an event's JSON: a table item holds 400 KB


@dataclass(frozen=True)
class KeptEvent:
    """An unreadable event as kept: `id` names it to `escalator unreadable --delete`."""

    id: str
    source: str
    kind: str
    problems: list[str]
    received_at: datetime
    raw: Any  # the event; its JSON text, cut, if it was larger than KEPT_BYTES


class UnreadableEvents(TableAdapter):
    def keep(self, source: str, events: list[Unreadable], at: datetime) -> int:
        """Keep each event whole (once, however often it is delivered); returns how many
        were new."""
        new = 0
        for event in events:
            raw = json.dumps(event.raw, sort_keys=True, ensure_ascii=False).encode()
            digest = hashlib.sha256(raw).hexdigest()
            problems = list(event.problems)
            if cut := len(raw) > KEPT_BYTES:
                problems.append(f"{len(raw)} bytes, SHA-256 {digest}: kept its first {KEPT_BYTES}")
            item = {
                "pk": PARTITION,
                "sk": f"{source}#{digest[:32]}",
                "source": source,
                "kind": event.kind,
                "problems": problems,
                "received_at": iso(at),
                "raw": raw[:KEPT_BYTES].decode(errors="ignore"),
                "cut": cut,
                "expires_at": int((at + RETENTION).timestamp()),
            }
            try:
                self._db.put_item(
                    TableName=self._table,
                    Item=serialize(item),
                    ConditionExpression="attribute_not_exists(pk)",
                )
                new += 1
            except self._db.exceptions.ConditionalCheckFailedException:
                continue  # delivered again: kept already
        return new

    def count(self) -> int:
        """How many are waiting for an engineer."""
        total, start = 0, None
        while True:
            page = self._db.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": PARTITION}},
                Select="COUNT",
                **({"ExclusiveStartKey": start} if start else {}),
            )
            total += int(page["Count"])
            if not (start := page.get("LastEvaluatedKey")):
                return total

    def list(self, limit: int = 100) -> list[KeptEvent]:
        """The kept events, oldest first by source, at most `limit`."""
        found: list[KeptEvent] = []
        start = None
        while len(found) < limit:
            page = self._db.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": PARTITION}},
                ConsistentRead=True,
                Limit=limit - len(found),
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found.extend(_kept(deserialize(item)) for item in page.get("Items", []))
            if not (start := page.get("LastEvaluatedKey")):
                break
        return found

    def delete(self, event_id: str) -> bool:
        """Forget one kept event (dealt with); False if there was none by that id."""
        deleted = self._db.delete_item(
            TableName=self._table,
            Key=serialize({"pk": PARTITION, "sk": event_id}),
            ReturnValues="ALL_OLD",
        )
        return "Attributes" in deleted


def _kept(item: dict[str, Any]) -> KeptEvent:
    return KeptEvent(
        id=item["sk"],
        source=item["source"],
        kind=item["kind"],
        problems=list(item.get("problems", [])),
        received_at=parse_iso(item["received_at"]),
        raw=item["raw"] if item.get("cut") else json.loads(item["raw"]),
    )
