"""The one DynamoDB table every adapter here writes to: the base of those adapters, and
items to and from DynamoDB's typed JSON (floats as Decimals and back, sets as lists).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

SERIALIZER = TypeSerializer()


DESERIALIZER = TypeDeserializer()


class TableAdapter:
    """Something kept in the one table: holds the DynamoDB client and the table's name.
    The client is untyped here (the other adapters' clients are typed through the
    mypy-boto3 stubs): its requests are built from plain dicts by the helpers below,
    which the stubs' TypedDicts would only restate."""

    def __init__(self, dynamodb: Any, table_name: str):
        self._db = dynamodb
        self._table = table_name


NEW_ITEM = {"ConditionExpression": "attribute_not_exists(pk)"}


def failed_conditions(error: Any) -> list[bool]:
    """Per item of a cancelled transaction: did its condition fail?"""
    reasons = error.response.get("CancellationReasons", [])
    return [reason.get("Code") == "ConditionalCheckFailed" for reason in reasons]


def put_request(table: str, item: dict[str, Any], **condition: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": serialize(item), **condition}}


def get_item(dynamodb: Any, table: str, key: dict[str, str]) -> dict[str, Any] | None:
    found = dynamodb.get_item(TableName=table, Key=serialize(key), ConsistentRead=True)
    return deserialize(found["Item"]) if "Item" in found else None


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: SERIALIZER.serialize(_to_dynamo(value)) for key, value in item.items()}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _from_dynamo(DESERIALIZER.deserialize(value)) for key, value in item.items()}


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def author_key(channel: str, author_id: str) -> str:
    """The author index's key of a person: `AUTHOR#<channel>#<author id>`."""
    return f"AUTHOR#{channel}#{author_id}"
