"""infra/template.yaml and the ASL: the one description of the resources."""

import json

import pytest

from infra.template import Resolver, load_state_machine_definition, load_template


def test_the_template_reads_with_its_short_tags():
    template = load_template()
    table = template["Resources"]["CasesTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["ESCALATOR_TABLE"] == {"Ref": "CasesTable"}
    redrive = template["Resources"]["InboxQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["InboxDeadLetterQueue", "Arn"]}


def test_every_function_setting_the_app_reads_comes_from_the_template_or_config():
    from chalicelib import settings

    variables = load_template()["Globals"]["Function"]["Environment"]["Variables"]
    for name in (
        "ESCALATOR_TABLE",
        "ESCALATOR_INBOX_QUEUE_URL",
        "ESCALATOR_STATE_MACHINE_ARN",
        "ESCALATOR_SENDER",
        "ESCALATOR_SSM_PREFIX",
    ):
        assert name in variables
        assert name in settings.__doc__


def test_resolver_evaluates_ref_getatt_and_sub():
    resolve = Resolver({"Table": "t-1", "AWS::StackName": "s"}, {("Queue", "Arn"): "arn:q"})
    assert resolve(
        {
            "a": [{"Ref": "Table"}, {"Fn::GetAtt": ["Queue", "Arn"]}],
            "b": {"Fn::Sub": "/escalator/${AWS::StackName}/${Queue.Arn}"},
        }
    ) == {"a": ["t-1", "arn:q"], "b": "/escalator/s/arn:q"}
    with pytest.raises(KeyError):
        resolve({"Ref": "Missing"})


def test_the_state_machine_loops_wait_escalate_until_done():
    definition = json.loads(load_state_machine_definition({"EscalateFunctionArn": "arn:fn"}))
    states = definition["States"]
    assert definition["StartAt"] == "WaitForDeadline"
    assert states["WaitForDeadline"]["SecondsPath"] == "$.wait_seconds"
    assert states["Escalate"]["Parameters"]["FunctionName"] == "arn:fn"
    assert states["Escalate"]["Retry"]
    assert states["Done?"]["Default"] == "WaitForDeadline"
