"""Deploy what `escalator package` wrote onto moto's CloudFormation and run one case
through the deployed stack, in a process of its own (moto's backends and the app's
cached components are per process; the session's local stack must not see this one):

    python -m tests.e2e.deployed DIST   # prints a JSON summary on its last line

A signed webhook to the APIHandler function -> the stack's inbox -> RecordPosts (the
queue's event source mapping) -> the case in the stack's table and its Step Functions
timer -> Escalate -> an SES email. Every function runs the code of deployment.zip,
imported in this process, under the environment CloudFormation gave it.

What moto's CloudFormation cannot do is done here, and only that: it has no API Gateway
for Chalice's RestApi (the API handler is invoked with API Gateway's event instead),
skips alarms, SNS subscriptions and SES identities, ignores DefinitionSubstitutions and
puts state machines where they never execute (the same machine is made executable)."""

from __future__ import annotations

import copy
import importlib
import json
import logging
import os
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any

REGION, ACCOUNT, BUCKET = "us-east-1", "123456789012", "escalator-artifacts"
STAGE, SENDER = "dev", "escalator@example.com"
SECRETS = {"generic-secret": "generic-s3cret", "api-token": "api-t0ken", "action-key": "k" * 32}
RUN_FAST = {  # on top of each function's deployed environment
    "ESCALATOR_TIME_SCALE": "3600",  # X complaints' 60 min tier comes after 1 s
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
COMPLAINT = "my order is late again and nobody answers, still nothing"


def translated(dist: Path) -> dict[str, Any]:
    """sam.yaml as plain CloudFormation, translated offline, the code in the bucket."""
    import yaml
    from samtranslator.translator.transform import transform

    sam = yaml.safe_load((dist / "sam.yaml").read_text(encoding="utf-8"))
    for spec in sam["Resources"].values():
        if spec["Type"] == "AWS::Serverless::Function":
            spec["Properties"]["CodeUri"] = f"s3://{BUCKET}/deployment.zip"

    class NoManagedPolicies:
        def load(self) -> dict:
            return {}

    return transform(sam, {}, NoManagedPolicies())


def deployable(template: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The template without what moto's CloudFormation cannot create, nor what refers to
    that; and the dropped resources' types by logical id."""
    from moto.cloudformation.parsing import get_model_map

    def refers_to(value: Any, names: set[str]) -> bool:
        text = json.dumps(value)
        return any(f'"{name}"' in text or "${" + name in text for name in names)

    template = copy.deepcopy(template)
    resources = template["Resources"]
    dropped = {
        name: spec["Type"]
        for name, spec in resources.items()
        if spec["Type"] not in get_model_map() or spec["Type"].startswith("AWS::ApiGateway::")
    }
    while more := {
        n: s["Type"] for n, s in resources.items() if n not in dropped and refers_to(s, {*dropped})
    }:
        dropped.update(more)
    for name in dropped:
        del resources[name]
    template["Outputs"] = {
        key: output
        for key, output in template["Outputs"].items()
        if not refers_to(output, {*dropped})
    }
    return template, dropped


def start_moto() -> Any:
    from moto.core.config import default_user_config
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    from infra.local import _free_port

    port = _free_port("127.0.0.1")
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        MOTO_PORT=str(port),  # Step Functions tasks call moto on this port
    )
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


def aws(service: str) -> Any:
    import boto3

    return boto3.client(service, region_name=REGION)


def deploy(dist: Path, stack: str, template: dict[str, Any]) -> dict[str, Any]:
    aws("s3").create_bucket(Bucket=BUCKET)
    aws("s3").upload_file(str(dist / "deployment.zip"), BUCKET, "deployment.zip")
    cloudformation = aws("cloudformation")
    cloudformation.create_stack(
        StackName=stack,
        TemplateBody=json.dumps(template),
        Parameters=[
            {"ParameterKey": "SenderAddress", "ParameterValue": SENDER},
            {"ParameterKey": "VerifySender", "ParameterValue": "no"},  # verified below
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    return cloudformation.describe_stacks(StackName=stack)["Stacks"][0]


def make_executable(stack: str, template: dict[str, Any], machine_arn: str) -> None:
    """Create the machine CloudFormation made (name, so ARN, and role) where executions
    run, its DefinitionSubstitutions resolved against the stack."""
    from moto.cloudformation.models import cloudformation_backends
    from moto.cloudformation.parsing import clean_json
    from moto.stepfunctions.models import stepfunctions_backends

    made = stepfunctions_backends[ACCOUNT][REGION].describe_state_machine(machine_arn)
    spec = next(
        s for s in template["Resources"].values() if s["Type"] == "AWS::StepFunctions::StateMachine"
    )
    resources = cloudformation_backends[ACCOUNT][REGION].get_stack(stack).resource_map
    definition = made.definition
    for key, value in clean_json(spec["Properties"]["DefinitionSubstitutions"], resources).items():
        definition = definition.replace("${" + key + "}", value)
    copied = aws("stepfunctions").create_state_machine(
        name=made.name, definition=definition, roleArn=made.roleArn
    )["stateMachineArn"]
    assert copied == machine_arn, copied


def run_functions_in_process() -> list[str]:
    """Route moto's invocations of each function to its handler, imported in this
    process; the list records them (function <- what invoked it)."""
    from moto.awslambda.models import LambdaFunction

    from infra.local import LambdaContext

    invoked: list[str] = []

    def invoke(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        payload = event if isinstance(event, dict) else json.loads(event or "{}")
        records = payload.get("Records") or [{}]
        source = records[0].get("eventSourceARN") or payload.get("path") or "state machine"
        invoked.append(f"{function.function_name} <- {source}")
        os.environ.update({**function.environment_vars, **RUN_FAST})
        module, _, name = function.handler.rpartition(".")
        try:
            handler = getattr(importlib.import_module(module), name)
            return json.dumps(handler(payload, LambdaContext(function.function_name))), False, ""
        except Exception as error:  # as the Lambda runtime reports it
            traceback.print_exc()
            failure = {"errorMessage": str(error), "errorType": type(error).__name__}
            return json.dumps(failure), True, ""

    LambdaFunction._invoke_lambda = invoke  # type: ignore[method-assign]
    return invoked


def call_api(function: str, method: str, resource: str, headers: dict, body: str = "", **path):
    """Invoke the API handler with the event API Gateway (REST, proxy) would send."""
    event = {
        "resource": resource,
        "path": resource.format(**path),
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "stage": "api",
            "requestId": "deployed-stack-test",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body,
        "isBase64Encoded": False,
    }
    reply = aws("lambda").invoke(FunctionName=function, Payload=json.dumps(event))
    response = json.loads(reply["Payload"].read())
    return response["statusCode"], json.loads(response["body"])


def main(dist: Path) -> dict[str, Any]:
    for name in [n for n in os.environ if n.startswith(("ESCALATOR_", "POWERTOOLS_", "AWS_"))]:
        del os.environ[name]  # the functions are configured by the stack alone
    with tempfile.TemporaryDirectory(prefix="deployed-code-") as code:
        zipfile.ZipFile(dist / "deployment.zip").extractall(code)
        sys.path.insert(0, code)  # the artifact's code and dependencies, before the project's
        return run(dist, code)


def run(dist: Path, code: str) -> dict[str, Any]:

    from infra.package import stack_name
    from tests.payloads import GENERIC

    stack = stack_name(STAGE)
    os.environ.update(AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION)
    template, dropped = deployable(translated(dist))
    server = start_moto()
    sfn, machine_arn = aws("stepfunctions"), None
    try:
        described = deploy(dist, stack, template)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
        resources = aws("cloudformation").describe_stack_resources(StackName=stack)
        physical = {
            r["LogicalResourceId"]: (r["ResourceType"], r.get("PhysicalResourceId"))
            for r in resources["StackResources"]
        }
        machine_arn = outputs["EscalationStateMachineArn"]
        make_executable(stack, template, machine_arn)
        environment = aws("lambda").get_function_configuration(
            FunctionName=physical["Escalate"][1]
        )["Environment"]["Variables"]
        # What the operator does after the first deploy: the sender, the secrets.
        aws("ses").verify_email_identity(EmailAddress=SENDER)
        for name, value in SECRETS.items():
            aws("ssm").put_parameter(
                Name=f"{environment['ESCALATOR_SSM_PREFIX']}/{name}",
                Value=value,
                Type="SecureString",
            )
        invoked = run_functions_in_process()

        from moto.ses.models import ses_backends

        from chalicelib.channels.signatures import sign_generic

        post = json.dumps({**GENERIC, "id": "deployed-1", "text": COMPLAINT})
        headers = {
            "content-type": "application/json",
            "x-escalator-signature": sign_generic(SECRETS["generic-secret"], post.encode()),
        }
        api = physical["APIHandler"][1]
        status, accepted = call_api(api, "POST", "/webhooks/generic", headers, post)
        sent = ses_backends[ACCOUNT][REGION].sent_messages
        deadline = time.monotonic() + 30
        while not sent and time.monotonic() < deadline:
            time.sleep(0.05)
        auth = {"authorization": f"Bearer {SECRETS['api-token']}"}
        _, case = call_api(
            api, "GET", "/cases/{case_id}", auth, case_id=accepted.get("case_id", "-")
        )
        executions = sfn.list_executions(stateMachineArn=machine_arn)["executions"]
        return {
            "stack_status": described["StackStatus"],
            "resources": {name: kind for name, (kind, _) in physical.items()},
            "dropped": dropped,
            "environment": environment,
            "webhook": [status, accepted],
            "case": case,
            "emails": [
                {"to": list(dict.fromkeys(m.destinations)), "raw": m.raw_data} for m in sent
            ],
            "executions": [e["name"] for e in executions],
            "invoked": invoked,
            "code": code,
            "imported_from": [
                importlib.import_module(module).__file__ for module in ("app", "chalicelib")
            ],
        }
    finally:
        if machine_arn:
            running = sfn.list_executions(stateMachineArn=machine_arn, statusFilter="RUNNING")
            for execution in running["executions"]:
                sfn.stop_execution(executionArn=execution["executionArn"])
        server.stop()


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
