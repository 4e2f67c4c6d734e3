"""The cases table as the template defines it, for tests that run on moto in-process."""

from __future__ import annotations

from typing import Any

from infra.template import load_template


def create_cases_table(dynamodb: Any, name: str) -> str:
    """Create table `name` with the template's keys and index; returns its name."""
    spec = load_template()["Resources"]["CasesTable"]["Properties"]
    keys = ("BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes")
    dynamodb.create_table(TableName=name, **{key: spec[key] for key in keys})
    return name
