"""The send-once ledger, for cases' and incidents' emails alike: one item per email that
may go out, claimed (`sending`) before it goes, deleted again when the mail service
refused it (so a retry sends), and marked `sent` with the message id once it went. A
claim that is there already means someone sent, or is sending: at most once, whatever
the retries (a send that timed out keeps its claim: its email may be lost, never doubled).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamodb.table import (
    NEW_ITEM,
    TableAdapter,
    failed_conditions,
    put_request,
    serialize,
)
from chalicelib.domain.times import iso


class WhileFailed(Exception):
    """The condition a claim was made under no longer held (the case changed)."""


class SendOnceLedger(TableAdapter):
    def claim(
        self,
        key: dict[str, str],
        now: datetime,
        expires_at: datetime | None = None,
        while_holds: dict[str, Any] | None = None,
    ) -> bool:
        """Take the one right to send under `key`; False if it was taken before.
        `while_holds`: a transaction's ConditionCheck the claim is made under (the case
        still at the version read); WhileFailed if it no longer holds."""
        claim: dict[str, Any] = {**key, "state": "sending", "claimed_at": iso(now)}
        if expires_at is not None:
            claim["expires_at"] = int(expires_at.timestamp())
        if while_holds is None:
            try:
                self._db.put_item(TableName=self._table, Item=serialize(claim), **NEW_ITEM)
            except self._db.exceptions.ConditionalCheckFailedException:
                return False
            return True
        try:
            self._db.transact_write_items(
                TransactItems=[
                    put_request(self._table, claim, **NEW_ITEM),
                    {"ConditionCheck": {"TableName": self._table, **while_holds}},
                ]
            )
        except self._db.exceptions.TransactionCanceledException as error:
            claimed, changed = [*failed_conditions(error), False, False][:2]
            if changed:
                raise WhileFailed from None
            if claimed:
                return False
            raise
        return True

    def release(self, key: dict[str, str]) -> None:
        """Give a claim back after the mail service refused the email (never a sent one)."""
        self._db.delete_item(
            TableName=self._table,
            Key=serialize(key),
            ConditionExpression="#state = :sending",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":sending": {"S": "sending"}},
        )

    def confirm(self, key: dict[str, str], message_id: str, *with_items: dict[str, Any]) -> None:
        """Mark the email sent, in one transaction with `with_items` (the trail's line
        that says so, the incident's record of whom it told)."""
        self._db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": serialize(key),
                        "UpdateExpression": "SET #state = :sent, message_id = :id",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {
                            ":sent": {"S": "sent"},
                            ":id": {"S": message_id},
                        },
                    }
                },
                *with_items,
            ]
        )
