"""The pieces of the local runtime that need no running stack."""

import types

import pytest
from chalice import Chalice, Rate

from infra.local import _logical_id, _rate_seconds, scheduled_event, scheduled_functions


def test_scheduled_functions_are_found_with_their_period():
    module = types.ModuleType("fake_app")
    module.app = app = Chalice(app_name="fake")

    @app.schedule("rate(5 minutes)")
    def poll_mentions(event):
        return "polled"

    @app.schedule(Rate(2, unit=Rate.HOURS))
    def reconcile(event):
        return f"reconciled at {event.time}"

    module.poll_mentions, module.reconcile = poll_mentions, reconcile

    found = {name: (seconds, handler) for name, seconds, handler in scheduled_functions(module)}

    assert {name: seconds for name, (seconds, _) in found.items()} == {
        "poll_mentions": 300,
        "reconcile": 7200,
    }
    event = scheduled_event("reconcile")
    assert found["reconcile"][1](event, None) == f"reconciled at {event['time']}"


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(3 hours)", 10800), ("rate(1 day)", 86400)],
)
def test_rate_expressions(expression, seconds):
    assert _rate_seconds(expression) == seconds


def test_cron_expressions_are_refused_clearly():
    with pytest.raises(ValueError, match="rate\\(\\) schedules only"):
        _rate_seconds("cron(0 12 * * ? *)")


def test_function_names_become_chalice_logical_ids():
    assert _logical_id("escalate") == "Escalate"
    assert _logical_id("poll_mentions") == "PollMentions"


def test_partition_queries_read_one_partition_and_answer_as_moto_does(monkeypatch):
    import boto3
    from moto import mock_aws

    from infra.local import _partition_queries

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName="t",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
        for p in range(20):
            for s in (3, 1, 2):
                item = {"pk": {"S": f"P{p}"}, "sk": {"S": f"S{s}"}, "g": {"S": f"G{s}"}}
                dynamodb.put_item(TableName="t", Item=item)
        queries = [
            {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P7"}}},
            {
                "KeyConditionExpression": "pk = :p AND sk >= :s",
                "ExpressionAttributeValues": {":p": {"S": "P7"}, ":s": {"S": "S2"}},
                "ScanIndexForward": False,
            },
            {
                "IndexName": "by-g",
                "KeyConditionExpression": "g = :g",
                "ExpressionAttributeValues": {":g": {"S": "G2"}},
            },
        ]
        before = [dynamodb.query(TableName="t", **q)["Items"] for q in queries]
        _partition_queries()
        after = [dynamodb.query(TableName="t", **q)["Items"] for q in queries]

    assert after == before
    assert [i["sk"]["S"] for i in after[0]] == ["S1", "S2", "S3"]
    assert [i["sk"]["S"] for i in after[1]] == ["S3", "S2"]
    assert len(after[2]) == 20
