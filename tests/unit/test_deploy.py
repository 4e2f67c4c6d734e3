"""`escalator deploy`, `destroy` and `status`: the CloudFormation calls, in order, with
botocore's Stubber; S3, SSM and SQS in moto."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber
from moto import mock_aws

from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
from chalicelib.channels import Unreadable
from infra.deploy import CAPABILITIES, STACK_TYPE, Deployer, DeployError, channel_urls
from tests.tables import create_cases_table

STACK = "escalator-test"
ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/api/"
OUTPUTS = [
    {"OutputKey": "EndpointURL", "OutputValue": ENDPOINT},
    {"OutputKey": "CasesTableName", "OutputValue": "escalator-test-CasesTable-1"},
]
MISSING = "Stack with id escalator-test does not exist"
NOW = datetime.now(UTC)


def stack(status: str, outputs: list | None = None) -> dict:
    described = {"StackName": STACK, "StackStatus": status, "CreationTime": datetime.now(UTC)}
    if outputs is not None:
        described["Outputs"] = outputs
    return {"Stacks": [described]}


def events(*rows: tuple[str, str, str]) -> dict:
    return {
        "StackEvents": [
            {
                "EventId": event_id,
                "StackId": STACK,
                "StackName": STACK,
                "Timestamp": datetime.now(UTC),
                "LogicalResourceId": resource,
                "ResourceType": STACK_TYPE if resource == STACK else "AWS::SQS::Queue",
                "ResourceStatus": status,
            }
            for event_id, resource, status in rows
        ]
    }


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="artifacts")
        cloudformation = boto3.client("cloudformation")
        with Stubber(cloudformation) as stub:
            yield cloudformation, stub, s3, boto3.client("ssm")
            stub.assert_no_pending_responses()


@pytest.fixture
def packaged(tmp_path):
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": {"SenderAddress": {"Type": "String"}, "VerifySender": {"Type": "String"}},
        "Resources": {
            "Escalate": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"CodeUri": "./deployment.zip", "Handler": "app.escalate"},
            }
        },
    }
    (tmp_path / "sam.yaml").write_text(yaml.safe_dump(template))
    (tmp_path / "deployment.zip").write_bytes(b"PK code")
    return tmp_path / "sam.yaml"


def deployer(aws, lines: list[str]) -> Deployer:
    cloudformation, _, s3, ssm = aws
    return Deployer(cloudformation, s3, ssm, echo=lines.append, sleep=lambda _: None)


def test_a_first_deploy_creates_executes_and_follows_a_change_set(aws, packaged):
    _, stub, s3, ssm = aws
    stub.add_client_error("describe_stacks", "ValidationError", MISSING)
    stub.add_response(
        "create_change_set",
        {"Id": "cs-1", "StackId": STACK},
        {
            "StackName": STACK,
            "ChangeSetName": ANY,
            "ChangeSetType": "CREATE",
            "TemplateURL": ANY,
            "Capabilities": CAPABILITIES,
            "Parameters": [{"ParameterKey": "SenderAddress", "ParameterValue": "esc@acme.com"}],
        },
    )
    stub.add_response(
        "describe_change_set",
        {"Status": "CREATE_PENDING"},
        {"StackName": STACK, "ChangeSetName": ANY},
    )
    stub.add_response(
        "describe_change_set",
        {
            "Status": "CREATE_COMPLETE",
            "Changes": [
                {
                    "Type": "Resource",
                    "ResourceChange": {"Action": "Add", "LogicalResourceId": "CasesTable"},
                }
            ],
        },
        {"StackName": STACK, "ChangeSetName": ANY},
    )
    before = ("e0", STACK, "REVIEW_IN_PROGRESS")  # the change set's: not this deploy's
    stub.add_response("describe_stack_events", events(before), {"StackName": STACK})
    stub.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    stub.add_response(
        "describe_stack_events",
        events(("e1", "CasesTable", "CREATE_IN_PROGRESS"), before),
        {"StackName": STACK},
    )
    stub.add_response(
        "describe_stack_events",
        events(
            ("e2", STACK, "CREATE_COMPLETE"), ("e1", "CasesTable", "CREATE_IN_PROGRESS"), before
        ),
        {"StackName": STACK},
    )
    stub.add_response("describe_stacks", stack("CREATE_COMPLETE", OUTPUTS), {"StackName": STACK})
    lines: list[str] = []

    outputs = deployer(aws, lines).deploy(
        "test", packaged, "artifacts", {"SenderAddress": "esc@acme.com"}
    )

    assert outputs["EndpointURL"] == ENDPOINT
    assert lines[0].startswith("creating change set escalator-")
    assert "  Add      CasesTable" in lines
    assert [line.split() for line in lines[-2:]] == [
        ["CREATE_IN_PROGRESS", "CasesTable"],
        ["CREATE_COMPLETE", STACK],
    ]  # every event once, oldest first
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"]]
    code = next(k for k in keys if k.endswith(".zip"))
    uploaded = next(k for k in keys if k.endswith(".yaml"))
    body = yaml.safe_load(s3.get_object(Bucket="artifacts", Key=uploaded)["Body"].read())
    assert body["Resources"]["Escalate"]["Properties"]["CodeUri"] == f"s3://artifacts/{code}"
    stored = ssm.get_parameter(Name=f"/escalator/{STACK}/base-url")["Parameter"]["Value"]
    assert stored == ENDPOINT.rstrip("/")  # where the emails' links point


def test_a_deploy_without_changes_says_so_and_executes_nothing(aws, packaged):
    _, stub, _, _ = aws
    deployed = stack("UPDATE_COMPLETE")  # before VerifySender was a parameter
    deployed["Stacks"][0]["Parameters"] = [
        {"ParameterKey": "SenderAddress", "ParameterValue": "esc@acme.com"}
    ]
    stub.add_response("describe_stacks", deployed, {"StackName": STACK})
    stub.add_response(
        "create_change_set",
        {"Id": "cs-2"},
        {
            "StackName": STACK,
            "ChangeSetName": ANY,
            "ChangeSetType": "UPDATE",
            "TemplateURL": ANY,
            "Capabilities": CAPABILITIES,
            "Parameters": [  # what the stack has; a new parameter takes its default
                {"ParameterKey": "SenderAddress", "UsePreviousValue": True},
            ],
        },
    )
    stub.add_response(
        "describe_change_set",
        {"Status": "FAILED", "StatusReason": "The submitted information didn't contain changes."},
        {"StackName": STACK, "ChangeSetName": ANY},
    )
    stub.add_response("delete_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    stub.add_response("describe_stacks", stack("UPDATE_COMPLETE", OUTPUTS), {"StackName": STACK})
    lines: list[str] = []

    outputs = deployer(aws, lines).deploy("test", packaged, "artifacts", {})

    assert "no changes to deploy" in lines and outputs["EndpointURL"] == ENDPOINT


def test_a_failed_deploy_raises_with_the_stacks_state(aws, packaged):
    _, stub, _, _ = aws
    stub.add_client_error("describe_stacks", "ValidationError", MISSING)
    stub.add_response("create_change_set", {"Id": "cs-3"}, None)
    stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE", "Changes": []}, None)
    stub.add_response("describe_stack_events", events(), None)
    stub.add_response("execute_change_set", {}, None)
    failed, rolled_back = events(
        ("e9", "SenderIdentity", "CREATE_FAILED"), ("e10", STACK, "ROLLBACK_COMPLETE")
    )["StackEvents"]
    failed["ResourceStatusReason"] = "Email address is not verified"
    stub.add_response("describe_stack_events", {"StackEvents": [rolled_back, failed]}, None)
    lines: list[str] = []

    with pytest.raises(DeployError, match="stack escalator-test is ROLLBACK_COMPLETE"):
        deployer(aws, lines).deploy("test", packaged, "artifacts", {"SenderAddress": "e@a.com"})
    assert any("SenderIdentity  Email address is not verified" in line for line in lines)


def test_a_stack_whose_first_deploy_failed_is_not_updated_but_explained(aws, packaged):
    _, stub, _, _ = aws
    stub.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"), {"StackName": STACK})
    with pytest.raises(DeployError, match="escalator destroy --stage test"):
        deployer(aws, []).deploy("test", packaged, "artifacts", {"SenderAddress": "e@a.com"})


def test_a_first_deploy_needs_the_sender(aws, packaged):
    _, stub, _, _ = aws
    stub.add_client_error("describe_stacks", "ValidationError", MISSING)
    with pytest.raises(DeployError, match="--sender"):
        deployer(aws, []).deploy("test", packaged, "artifacts", {})


def test_destroy_deletes_the_stack_and_follows_it_to_the_end(aws):
    _, stub, _, _ = aws
    stub.add_response("describe_stacks", stack("UPDATE_COMPLETE", OUTPUTS), {"StackName": STACK})
    earlier = ("u1", STACK, "UPDATE_COMPLETE")  # the last deploy's end: not this one's
    stub.add_response("describe_stack_events", events(earlier), None)
    stub.add_response("delete_stack", {}, {"StackName": STACK})
    stub.add_response(
        "describe_stack_events", events(("d1", "InboxQueue", "DELETE_COMPLETE"), earlier), None
    )
    stub.add_client_error("describe_stack_events", "ValidationError", MISSING)
    lines: list[str] = []

    table = deployer(aws, lines).destroy("test")

    assert [line.split() for line in lines] == [["DELETE_COMPLETE", "InboxQueue"]]
    assert table == "escalator-test-CasesTable-1"  # kept


def test_destroy_deletes_the_table_only_when_asked(aws):
    _, stub, _, _ = aws
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="escalator-test-CasesTable-1",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    stub.add_response("describe_stacks", stack("UPDATE_COMPLETE", OUTPUTS), None)
    stub.add_response("describe_stack_events", events(), None)
    stub.add_response("delete_stack", {}, None)
    stub.add_response("describe_stack_events", events(("d2", STACK, "DELETE_COMPLETE")), None)
    lines: list[str] = []

    deployer(aws, lines).destroy("test", dynamodb)

    assert dynamodb.list_tables()["TableNames"] == []
    assert lines[-1] == "  deleting table escalator-test-CasesTable-1"


def test_a_stack_that_does_not_settle_in_time_is_given_up_on_with_a_pointer(aws):
    _, stub, _, _ = aws
    stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), None)
    stub.add_response("describe_stack_events", events(), None)
    stub.add_response("delete_stack", {}, None)
    for _ in range(2):
        stub.add_response(
            "describe_stack_events", events(("d1", STACK, "DELETE_IN_PROGRESS")), None
        )
    ticks = iter([0.0, 6.0, 12.0])
    slow = deployer(aws, [])
    slow.timeout_seconds, slow.clock = 10.0, lambda: next(ticks)

    with pytest.raises(DeployError, match="has not settled after 0 minutes"):
        slow.destroy("test")


def test_a_bucket_in_another_region_is_refused_before_anything_is_uploaded(aws, packaged):
    _, _, s3, _ = aws
    s3.create_bucket(
        Bucket="far-away", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    with pytest.raises(DeployError, match="bucket far-away is in eu-west-1, the stack would be"):
        deployer(aws, []).deploy("test", packaged, "far-away", {"SenderAddress": "e@a.com"})
    assert "Contents" not in s3.list_objects_v2(Bucket="far-away")


def test_destroy_of_a_stack_that_is_not_there_says_so(aws):
    _, stub, _, _ = aws
    stub.add_client_error("describe_stacks", "ValidationError", MISSING)
    with pytest.raises(DeployError, match="there is no stack escalator-test"):
        deployer(aws, []).destroy("test")


def test_status_shows_the_stack_its_urls_and_its_queues(aws):
    _, stub, _, _ = aws
    sqs = boto3.client("sqs")
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    dead = sqs.create_queue(QueueName="dead")["QueueUrl"]
    for body in ("a", "b"):
        sqs.send_message(QueueUrl=inbox, MessageBody=body)
    dynamodb = boto3.client("dynamodb")
    kept = UnreadableEvents(dynamodb, create_cases_table(dynamodb, OUTPUTS[1]["OutputValue"]))
    kept.keep("meta", [Unreadable("messenger event", ["sender: missing"], {"x": 1})], NOW)
    outputs = [
        *OUTPUTS,
        {"OutputKey": "InboxQueueUrl", "OutputValue": inbox},
        {"OutputKey": "DeadLetterQueueUrl", "OutputValue": dead},
    ]
    stub.add_response("describe_stacks", stack("UPDATE_COMPLETE", outputs), None)

    report = deployer(aws, []).status("test", sqs, dynamodb)

    assert (report["status"], report["inbox"], report["dead_letters"]) == ("UPDATE_COMPLETE", 2, 0)
    assert report["unreadable"] == 1
    assert channel_urls(report["outputs"]) == {
        "generic": f"{ENDPOINT}webhooks/generic",
        "X": f"{ENDPOINT}webhooks/x",
        "Meta": f"{ENDPOINT}webhooks/meta",
        "dashboard": ENDPOINT,
    }


def test_destroy_asks_first_saying_what_goes():
    from click.testing import CliRunner

    from infra.cli import main

    result = CliRunner().invoke(main, ["destroy", "--delete-table"], input="n\n")

    assert result.exit_code == 1 and "Aborted" in result.output
    assert "Delete the stack, and the cases table with every case in it? [y/N]" in result.output
