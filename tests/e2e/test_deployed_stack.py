"""The stack as it deploys: what `escalator package` writes, translated offline into
plain CloudFormation, deployed on moto's CloudFormation (all it supports: the table,
queues, roles, functions, event source mapping, state machine, log groups, topic), and
one case run through the deployed functions on the artifact's own code (deployed.py)."""

from __future__ import annotations

import email
import email.policy

import pytest

from infra.package import package
from tests.e2e.stack import run_on_own_stack

MOTO_LACKS = {  # resource types moto's CloudFormation skips or cannot create
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::Subscription",
    "AWS::SES::EmailIdentity",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::Lambda::Permission",  # API Gateway's, which refers to the RestApi
}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    package("dev", dist)
    return run_on_own_stack("tests.e2e.deployed", str(dist), timeout=300)


def test_the_table_queues_functions_and_state_machine_deploy(deployed):
    assert deployed["stack_status"] == "CREATE_COMPLETE"
    resources = deployed["resources"]
    expected = {
        "CasesTable": "AWS::DynamoDB::Table",
        "InboxQueue": "AWS::SQS::Queue",
        "InboxDeadLetterQueue": "AWS::SQS::Queue",
        "APIHandler": "AWS::Lambda::Function",
        "RecordPosts": "AWS::Lambda::Function",
        "Escalate": "AWS::Lambda::Function",
        "PollXMentions": "AWS::Lambda::Function",
        "ListenOnX": "AWS::Lambda::Function",
        "ReconcileTimers": "AWS::Lambda::Function",
        "SendIncidentDigests": "AWS::Lambda::Function",
        "RecordPostsRecordPostsSqsEventSource": "AWS::Lambda::EventSourceMapping",
        "EscalationStateMachine": "AWS::StepFunctions::StateMachine",
        "EscalateRole": "AWS::IAM::Role",
        "AlarmTopic": "AWS::SNS::Topic",
    }
    assert {name: resources.get(name) for name in expected} == expected
    assert set(deployed["dropped"].values()) <= MOTO_LACKS
    environment = deployed["environment"]
    assert environment["ESCALATOR_TABLE"].startswith("escalator-dev-CasesTable-")
    assert environment["ESCALATOR_INBOX_QUEUE_URL"].endswith("/escalator-dev-inbox")
    assert environment["ESCALATOR_STATE_MACHINE_ARN"].endswith(":escalator-dev-escalation")
    assert environment["ESCALATOR_SSM_PREFIX"] == "/escalator/escalator-dev"


def test_a_case_runs_through_the_deployed_functions_to_its_first_email(deployed):
    status, accepted = deployed["webhook"]
    assert status == 202 and accepted["accepted"] is True
    case = deployed["case"]
    assert (case["id"], case["intent"], case["tier"]) == (accepted["case_id"], "complaint", 1)
    assert deployed["executions"] == [case["id"]]
    (sent,) = deployed["emails"]
    assert sent["to"] == ["care-agents@example.com"]
    message = email.message_from_string(sent["raw"], policy=email.policy.default)
    assert "Tier 1/3" in message["Subject"] and message["X-Escalator-Case"] == case["id"]
    sources = [line.split(" <- ")[1] for line in deployed["invoked"]]
    assert sources[:3] == [
        "/webhooks/generic",
        "arn:aws:sqs:us-east-1:123456789012:escalator-dev-inbox",  # the queue's mapping
        "state machine",
    ]
    # the functions ran the artifact's code, not the project's
    assert all(path.startswith(deployed["code"]) for path in deployed["imported_from"])
