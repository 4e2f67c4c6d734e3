"""Storm counters and incidents in the case table.

| item                          | pk                   | sk                 |
|-------------------------------|----------------------|--------------------|
| a term: recent complaints     | STORM#<term>         | TERM               |
| incident                      | INCIDENT#<id>        | INCIDENT           |
| incident's crisis email claim | INCIDENT#<id>        | NOTIFY             |

A term item holds a string set of `<epoch milliseconds>|<case id>|<author>` (adding the
same case twice, for a redelivered post, changes nothing; old ones are pruned now and
then) and the id of the term's open incident, if any: one call per term counts a
complaint and finds its incident. The incident id is set with a condition, so when two
batches cross the threshold together only one opens the incident. The incident item
keeps which members its emails named (`told`) and when the last went out (`told_at`):
a digest claims its window by moving `told_at` on with a condition.
"""

from __future__ import annotations

import builtins
from contextlib import suppress
from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamodb.ledger import SendOnceLedger
from chalicelib.adapters.dynamodb.table import (
    NEW_ITEM,
    TableAdapter,
    deserialize,
    failed_conditions,
    get_item,
    put_request,
    serialize,
)
from chalicelib.domain.errors import IncidentNotFound
from chalicelib.domain.incidents import INCIDENT_ID, Incident, IncidentStatus
from chalicelib.domain.times import iso, parse_iso


class IncidentStore(TableAdapter):
    """Storms' counts per term and their incidents (see chalicelib.adapters.dynamodb.table
    for the layout); an incident's first email goes through the send-once ledger."""

    def __init__(self, dynamodb: Any, table_name: str):
        super().__init__(dynamodb, table_name)
        self._ledger = SendOnceLedger(dynamodb, table_name)

    def record_complaint(
        self, term: str, case_id: str, author: str, at: datetime, window: float
    ) -> tuple[dict[str, str], str | None]:
        """Count a complaint (by `author`: who wrote it, as a storm counts people) under
        a term. Returns the cases using the term within `window` seconds of `at` (this
        one included), each with its author, and the term's open incident."""
        epoch, span = int(at.timestamp() * 1000), int(window * 1000)  # milliseconds
        updated = self._db.update_item(
            TableName=self._table,
            Key=serialize(_term_key(term)),
            UpdateExpression="ADD members :member SET expires_at = :expires",
            ExpressionAttributeValues={
                ":member": {"SS": [f"{epoch}|{case_id}|{author}"]},
                ":expires": {"N": str((epoch + 3 * span) // 1000)},
            },
            ReturnValues="ALL_NEW",
        )
        item = deserialize(updated["Attributes"])
        recent: dict[str, str] = {}
        stale = []
        for member in item["members"]:
            stamp, _, rest = member.partition("|")
            case, _, by = rest.partition("|")
            if abs(epoch - int(stamp)) < span:
                recent[case] = by or case  # counted before authors were: each alone
            elif epoch - int(stamp) > 2 * span:
                stale.append(member)
        if stale:  # keep the item small; a later complaint prunes what this one misses
            self._db.update_item(
                TableName=self._table,
                Key=serialize(_term_key(term)),
                UpdateExpression="DELETE members :stale",
                ExpressionAttributeValues={":stale": {"SS": stale}},
            )
        return dict(sorted(recent.items())), item.get("incident_id")

    def create(self, incident: Incident) -> bool:
        """Open the incident unless its term has one open already (then False)."""
        try:
            self._db.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": serialize(_term_key(incident.term)),
                            "UpdateExpression": "SET incident_id = :id",
                            "ConditionExpression": "attribute_not_exists(incident_id)",
                            "ExpressionAttributeValues": {":id": {"S": incident.id}},
                        }
                    },
                    put_request(self._table, _incident_item(incident), **NEW_ITEM),
                ]
            )
        except self._db.exceptions.TransactionCanceledException as error:
            if any(failed_conditions(error)):
                return False
            raise  # a conflict with another write: the record is retried
        return True

    def open_incident_for(self, term: str) -> str | None:
        return (get_item(self._db, self._table, _term_key(term)) or {}).get("incident_id")

    def join(self, incident_id: str, case_id: str) -> Incident | None:
        """Add a case to an open incident's members; returns the incident as it is now,
        or None if it was resolved meanwhile."""
        try:
            updated = self._db.update_item(
                TableName=self._table,
                Key=serialize(incident_key(incident_id)),
                UpdateExpression="ADD members :case",
                ConditionExpression="#status = :open",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":case": {"SS": [case_id]},
                    ":open": {"S": str(IncidentStatus.OPEN)},
                },
                ReturnValues="ALL_NEW",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return None
        return _incident_from_item(deserialize(updated["Attributes"]))

    def get(self, incident_id: str) -> Incident:
        item = None
        if INCIDENT_ID.match(incident_id):
            item = get_item(self._db, self._table, incident_key(incident_id))
        if item is None:
            raise IncidentNotFound(incident_id)
        return _incident_from_item(item)

    def list(self, status: IncidentStatus, limit: int = 100) -> list[Incident]:
        page = self._db.query(
            TableName=self._table,
            IndexName="by-status",
            KeyConditionExpression="gsi1pk = :status",
            ExpressionAttributeValues={":status": {"S": f"INCIDENTS#{status}"}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_incident_from_item(deserialize(item)) for item in page.get("Items", [])]

    def resolve(self, incident_id: str, at: datetime, by: str) -> Incident | None:
        """Close the incident; returns it as closed, with every member that joined up to
        that moment, or None if it was not open. From then on its term may open a new one."""
        try:
            updated = self._db.update_item(
                TableName=self._table,
                Key=serialize(incident_key(incident_id)),
                UpdateExpression=(
                    "SET #status = :resolved, gsi1pk = :listed, resolved_at = :at, "
                    "resolved_by = :by"
                ),
                ConditionExpression="#status = :open",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=serialize(
                    {
                        ":resolved": str(IncidentStatus.RESOLVED),
                        ":listed": f"INCIDENTS#{IncidentStatus.RESOLVED}",
                        ":open": str(IncidentStatus.OPEN),
                        ":at": iso(at),
                        ":by": by,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return None
        resolved = _incident_from_item(deserialize(updated["Attributes"]))
        # Unless the term's counter expired meanwhile: then nothing points at the incident.
        with suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key=serialize(_term_key(resolved.term)),
                UpdateExpression="REMOVE incident_id",
                ConditionExpression="incident_id = :id",
                ExpressionAttributeValues={":id": {"S": resolved.id}},
            )
        return resolved

    def claim_notification(self, incident_id: str, now: datetime) -> bool:
        """The one right to send the incident's crisis email; False if taken before."""
        return self._ledger.claim(incident_key(incident_id, "NOTIFY"), now)

    def release_notification(self, incident_id: str) -> None:
        """Give the claim back after SES refused the email, so a retry can send it."""
        self._ledger.release(incident_key(incident_id, "NOTIFY"))

    def confirm_notification(
        self, incident_id: str, message_id: str, told: builtins.list[str], at: datetime
    ) -> None:
        """Mark the crisis email sent, naming the members it told of."""
        told_of = {
            "Update": {
                "TableName": self._table,
                "Key": serialize(incident_key(incident_id)),
                "UpdateExpression": "SET told_at = :at ADD told :told",
                "ExpressionAttributeValues": serialize({":at": iso(at), ":told": set(told)}),
            }
        }
        self._ledger.confirm(incident_key(incident_id, "NOTIFY"), message_id, told_of)

    def claim_digest(self, incident: Incident, told: builtins.list[str], now: datetime) -> bool:
        """The right to send the digest that names `told` (members that joined since the
        last email): True once, while the incident is open and its last email is the one
        read (another digest, or its resolution, makes it False)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=serialize(incident_key(incident.id)),
                UpdateExpression="SET told_at = :now ADD told :told",
                ConditionExpression="#status = :open AND told_at = :read",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=serialize(
                    {
                        ":now": iso(now),
                        ":told": set(told),
                        ":open": str(IncidentStatus.OPEN),
                        ":read": iso(incident.told_at) if incident.told_at else "",
                    }
                ),
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release_digest(self, incident: Incident, told: builtins.list[str]) -> None:
        """Give a digest's claim back after SES refused it, so the next run sends it."""
        self._db.update_item(
            TableName=self._table,
            Key=serialize(incident_key(incident.id)),
            UpdateExpression="SET told_at = :read DELETE told :told",
            ExpressionAttributeValues=serialize(
                {":read": iso(incident.told_at) if incident.told_at else "", ":told": set(told)}
            ),
        )


def _term_key(term: str) -> dict[str, str]:
    return {"pk": f"STORM#{term}", "sk": "TERM"}


def incident_key(incident_id: str, sk: str = "INCIDENT") -> dict[str, str]:
    return {"pk": f"INCIDENT#{incident_id}", "sk": sk}


def _incident_item(incident: Incident) -> dict[str, Any]:
    item: dict[str, Any] = {
        **incident_key(incident.id),
        "gsi1pk": f"INCIDENTS#{incident.status}",
        "gsi1sk": f"{iso(incident.opened_at)}#{incident.id}",
        "id": incident.id,
        "term": incident.term,
        "opened_at": iso(incident.opened_at),
        "status": str(incident.status),
        "members": set(incident.members),
    }
    if incident.resolved_at:
        item["resolved_at"] = iso(incident.resolved_at)
        item["resolved_by"] = incident.resolved_by
    return item


def _incident_from_item(item: dict[str, Any]) -> Incident:
    return Incident(
        id=item["id"],
        term=item["term"],
        opened_at=parse_iso(item["opened_at"]),
        members=tuple(sorted(item.get("members", []))),
        status=IncidentStatus(item["status"]),
        resolved_at=parse_iso(item["resolved_at"]) if "resolved_at" in item else None,
        resolved_by=item.get("resolved_by"),
        told=tuple(sorted(item.get("told", []))),
        told_at=parse_iso(item["told_at"]) if item.get("told_at") else None,
    )
