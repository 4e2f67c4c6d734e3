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

FUNCTIONS = {  # each function's role, and the managed grants it needs
    "APIHandler": (
        "APIHandlerRole",
        {"ListByStatus", "DecryptSecrets", "SendToInbox", "ControlTimers"},
    ),
    "RecordPosts": (
        "RecordPostsRole",
        {"DecryptSecrets", "ConsumeInbox", "ControlTimers", "SendEmail"},
    ),
    "Escalate": ("EscalateRole", {"DecryptSecrets", "SendEmail"}),
    "PollXMentions": (
        "PollXMentionsRole",
        {"DecryptSecrets", "SendToInbox", "KeepCheckpoints", "ReadXAppSecrets"},
    ),
    "ListenOnX": (
        "ListenOnXRole",
        {"DecryptSecrets", "SendToInbox", "KeepCheckpoints", "ReadXAppSecrets"},
    ),
    "ReconcileTimers": ("ReconcileTimersRole", {"ListByStatus", "ControlTimers", "ListTimers"}),
    "SendIncidentDigests": (
        "SendIncidentDigestsRole",
        {"ListByStatus", "DecryptSecrets", "SendEmail"},
    ),
}
# The partition keys each function may touch (the table of them in
# chalicelib/adapters/dynamodb/cases.py), and the SSM parameters it may read: what its
# code reads (chalicelib.settings.parameter).
ITEMS = {
    "APIHandler": {"CASE#*", "POST#*", "INCIDENT#*", "STORM#*", "SESSION#*", "UNREADABLE"},
    "RecordPosts": {
        "CASE#*",
        "POST#*",
        "CONV#*",
        "AUTHOR#*",
        "EARLY#*",
        "STORM#*",
        "INCIDENT#*",
        "UNREADABLE",
    },
    "Escalate": {"CASE#*"},
    "PollXMentions": {"CHECKPOINT#*"},
    "ListenOnX": {"CHECKPOINT#*"},
    "ReconcileTimers": {"CASE#*"},
    "SendIncidentDigests": {"CASE#*", "INCIDENT#*"},
}
X_USER_TOKENS = {"x-api-key", "x-access-token", "x-access-token-secret"}  # they post as you
SECRETS = {
    "APIHandler": {
        "api-token",
        "action-key",
        "generic-secret",
        "x-consumer-secret",
        "x-brand-ids",
        "meta-app-secret",
        "meta-verify-token",
        "meta-page-ids",
        "base-url",
    },
    "RecordPosts": {
        "x-brand-ids",
        "x-bearer-token",
        "x-consumer-secret",
        *X_USER_TOKENS,
        "meta-page-token",
        "base-url",
    },
    "Escalate": {"action-key", "base-url"},
    "PollXMentions": {"x-bearer-token", "x-brand-ids"},
    "ListenOnX": {"x-bearer-token", "x-brand-ids"},
    "ReconcileTimers": set(),
    "SendIncidentDigests": {"base-url"},
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


def statements(template: dict, role: str) -> list[dict]:
    """Every statement a role grants: its own policies' and its managed ones'."""
    resources = template["Resources"]
    documents = [p["PolicyDocument"] for p in resources[role]["Properties"].get("Policies", [])]
    for arn in resources[role]["Properties"]["ManagedPolicyArns"]:
        if isinstance(arn, dict) and "Ref" in arn:
            documents.append(resources[arn["Ref"]]["Properties"]["PolicyDocument"])
    return [statement for document in documents for statement in document["Statement"]]


def test_each_function_has_its_own_role_with_only_its_grants(packaged):
    _, template = packaged
    resources = template["Resources"]
    assert "DefaultRole" not in resources
    for function, (role, grants) in FUNCTIONS.items():
        assert resources[function]["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}
        attached = resources[role]["Properties"]["ManagedPolicyArns"]
        own = {arn["Ref"] for arn in attached if isinstance(arn, dict) and "Ref" in arn}
        assert own == grants, function


def test_each_function_touches_only_its_own_items_of_the_table(packaged):
    """dynamodb:LeadingKeys on every grant of item actions on the table: one function's
    leak cannot read (or write) what another keeps, the sessions and X's places included."""
    _, template = packaged
    for function, (role, _) in FUNCTIONS.items():
        prefixes = set()
        for statement in statements(template, role):
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            if not any(action.startswith("dynamodb:") for action in actions):
                continue
            if statement["Resource"] == {"Fn::GetAtt": ["CasesTable", "Arn"]}:
                keys = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
                prefixes |= set(keys)
            else:  # the status index, for queries only
                assert actions == ["dynamodb:Query"], (function, statement)
                assert statement["Resource"] == {"Fn::Sub": "${CasesTable.Arn}/index/by-status"}
        assert prefixes == ITEMS[function], function


def test_each_function_reads_only_the_secrets_it_uses(packaged):
    _, template = packaged
    for function, (role, _) in FUNCTIONS.items():
        readable = set()
        for statement in statements(template, role):
            if statement["Action"] == "ssm:GetParameter":
                resources = statement["Resource"]
                for arn in resources if isinstance(resources, list) else [resources]:
                    readable.add(arn["Fn::Sub"].rsplit("/", 1)[1])
        assert readable == SECRETS[function], function
    assert [f for f in SECRETS if SECRETS[f] & X_USER_TOKENS] == ["RecordPosts"]


def test_the_escalate_step_has_concurrency_of_its_own(packaged):
    """A flood on a public route cannot take the timers' step's capacity."""
    _, template = packaged
    escalate = template["Resources"]["Escalate"]["Properties"]
    assert escalate["ReservedConcurrentExecutions"] >= 5


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
