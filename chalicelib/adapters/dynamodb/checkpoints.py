"""Where scheduled pollers keep their place, one item per poller (`CHECKPOINT#<name>`)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.table import TableAdapter, get_item, serialize


class Checkpoints(TableAdapter):
    """Where scheduled pollers keep their place (since ids, rate-limit resets)."""

    def get(self, name: str) -> dict[str, Any]:
        item = get_item(self._db, self._table, _checkpoint_key(name)) or {}
        state: dict[str, Any] = item.get("state", {})
        return state

    def put(self, name: str, state: dict[str, Any]) -> None:
        self._db.put_item(
            TableName=self._table, Item=serialize({**_checkpoint_key(name), "state": state})
        )


def _checkpoint_key(name: str) -> dict[str, str]:
    return {"pk": f"CHECKPOINT#{name}", "sk": "CHECKPOINT"}
