"""`escalator package`: the template it writes lints clean, gives each function only
what it uses, and translates offline into plain CloudFormation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from infra.cli import main
from infra.package import package
from infra.template import ASL_PATH

FUNCTIONS = {  # each function's role, and the grants it needs
    "APIHandler": ("APIHandlerRole", {"UseCasesTable", "SendToInbox", "ControlTimers"}),
    "RecordPosts": (
        "RecordPostsRole",
        {"UseCasesTable", "ConsumeInbox", "ControlTimers", "SendEmail"},
    ),
    "Escalate": ("EscalateRole", {"UseCasesTable", "SendEmail"}),
    "PollXMentions": ("PollXMentionsRole", {"UseCasesTable", "SendToInbox"}),
    "ListenOnX": ("ListenOnXRole", {"UseCasesTable", "SendToInbox"}),
    "ReconcileTimers": (
        "ReconcileTimersRole",
        {"UseCasesTable", "ControlTimers", "ListTimers"},
    ),
}
SCOPED_SERVICES = ("dynamodb:", "states:", "sqs:", "ses:")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    path = package("dev", out)
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(path)],
        capture_output=True,
        text=True,
    )


def test_cfn_lint_finds_nothing(packaged):
    path, _ = packaged
    linted = lint(path)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert linted.stdout == ""


def test_the_prod_stage_has_its_own_settings_and_lints_clean(tmp_path):
    path = package("prod", tmp_path)
    linted = lint(path)
    assert linted.returncode == 0 and linted.stdout == "", linted.stdout + linted.stderr
    resources = yaml.safe_load(path.read_text(encoding="utf-8"))["Resources"]
    escalate = resources["Escalate"]["Properties"]
    assert (escalate["MemorySize"], escalate["Tracing"]) == (512, "Active")
    assert resources["EscalateLogGroup"]["Properties"]["RetentionInDays"] == 90
    assert resources["ApiHandlerLogGroup"]["Properties"]["LogGroupName"] == {
        "Fn::Sub": "/aws/lambda/${APIHandler}"
    }


def test_the_state_machine_is_inlined_and_logs(packaged):
    _, template = packaged
    machine = template["Resources"]["EscalationStateMachine"]["Properties"]
    assert json.loads(machine["DefinitionString"]) == json.loads(ASL_PATH.read_text())
    assert machine["LoggingConfiguration"]["Level"] == "ERROR"


def test_each_function_has_its_own_role_with_only_its_grants(packaged):
    _, template = packaged
    resources = template["Resources"]
    assert "DefaultRole" not in resources
    for function, (role, grants) in FUNCTIONS.items():
        assert resources[function]["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}
        attached = resources[role]["Properties"]["ManagedPolicyArns"]
        own = {arn["Ref"] for arn in attached if isinstance(arn, dict) and "Ref" in arn}
        assert own == grants | {"ReadSecrets"}, function


def test_no_grant_on_dynamodb_sqs_step_functions_or_ses_is_for_every_resource(packaged):
    _, template = packaged
    documents = [
        spec["Properties"]["PolicyDocument"]
        for spec in template["Resources"].values()
        if spec["Type"] == "AWS::IAM::ManagedPolicy"
    ] + [
        policy["PolicyDocument"]
        for spec in template["Resources"].values()
        if spec["Type"] == "AWS::IAM::Role"
        for policy in spec["Properties"].get("Policies", [])
    ]
    checked = 0
    for document in documents:
        for statement in document["Statement"]:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if any(a.startswith(SCOPED_SERVICES) for a in actions):
                resources = statement["Resource"]
                resources = resources if isinstance(resources, list) else [resources]
                assert "*" not in resources, statement
                assert all(isinstance(r, dict) for r in resources), statement  # named ones
                checked += 1
    assert checked >= 6


def test_the_template_translates_offline_into_plain_cloudformation(packaged, monkeypatch):
    from samtranslator.translator.transform import transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    _, template = packaged
    for spec in template["Resources"].values():
        if spec["Type"] == "AWS::Serverless::Function":  # as `deploy` uploads it
            spec["Properties"]["CodeUri"] = "s3://escalator-artifacts/deployment.zip"

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    translated = transform(template, {}, NoManagedPolicies())

    types = {spec["Type"] for spec in translated["Resources"].values()}
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    inbox = next(
        spec["Properties"]
        for spec in translated["Resources"].values()
        if spec["Type"] == "AWS::Lambda::EventSourceMapping"
    )
    assert inbox["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert inbox["EventSourceArn"] == {"Fn::GetAtt": ["InboxQueue", "Arn"]}


def test_an_unknown_stage_is_refused_naming_the_config(tmp_path):
    result = CliRunner().invoke(main, ["package", "--stage", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no stage 'nope' in .chalice/config.json" in result.output


def test_each_stack_has_its_own_inbox(packaged):
    _, template = packaged
    queue = template["Resources"]["InboxQueue"]["Properties"]
    assert queue["QueueName"] == {"Fn::Sub": "${AWS::StackName}-inbox"}


def test_without_a_region_aws_commands_say_so_in_one_line(monkeypatch):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    result = CliRunner().invoke(main, ["report", "--table", "cases"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: AWS: You must specify a region")


def test_every_alarm_notifies_the_topic_and_the_sla_alarm_reads_the_apps_metric(packaged):
    from chalicelib import telemetry

    _, template = packaged
    resources = template["Resources"]
    alarms = {n: s["Properties"] for n, s in resources.items() if s["Type"].endswith("::Alarm")}
    assert set(alarms) == {
        "DeadLettersAlarm",
        "EscalateErrorsAlarm",
        "FailedTimersAlarm",
        "SlaBreachesAlarm",
        "RestartedTimersAlarm",
        "UnreadableEventsAlarm",
    }
    assert all(alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in alarms.values())
    for alarm, metric in (
        ("SlaBreachesAlarm", "SlaBreaches"),
        ("RestartedTimersAlarm", "TimersRestarted"),
        ("UnreadableEventsAlarm", "UnreadableEvents"),
    ):
        watched = alarms[alarm]
        assert (watched["Namespace"], watched["MetricName"]) == (telemetry.NAMESPACE, metric)
        assert watched["Dimensions"] == [{"Name": "service", "Value": telemetry.SERVICE}]
    assert resources["AlarmEmailSubscription"]["Condition"] == "SubscribeAlarmEmail"
