"""`escalator package`: what deploys a stage to AWS, written to a folder: the code
artifact (`deployment.zip`) and one SAM template (`sam.yaml`). `chalice package` makes
both from app.py and .chalice/config.json and merges infra/template.yaml into the
template; this then inlines the state machine's ASL, names the inbox after the stack and
points its consumer at the queue's ARN (Chalice writes a fixed name: no order for
CloudFormation to create them in, and one queue for two stages), points the API
handler's log group at it, and drops the catch-all role Chalice generates, which no
function uses once each has its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from infra.template import ASL_PATH, TEMPLATE_PATH

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_NAME = "sam.yaml"
CHALICE_ROLE = "DefaultRole"


def stack_name(stage: str) -> str:
    """The CloudFormation stack of a stage: its resources and SSM prefix are named by it."""
    return f"escalator-{stage}"


class PackageError(RuntimeError):
    """`chalice package` failed: its output says why."""


def package(stage: str, out: Path, project: Path = PROJECT_ROOT) -> Path:
    """Write the stage's artifact and template into `out`; the template's path."""
    chalice = Path(sys.executable).with_name("chalice")
    command = [
        str(chalice),
        "package",
        "--stage",
        stage,
        "--template-format",
        "yaml",
        "--merge-template",
        str(TEMPLATE_PATH.relative_to(PROJECT_ROOT)),  # from `project`
        str(out.resolve()),
    ]
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    run = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise PackageError(f"chalice package failed:\n{run.stdout}{run.stderr}")
    path = out / TEMPLATE_NAME
    template = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(finish(template), sort_keys=False), encoding="utf-8")
    return path


def finish(template: dict[str, Any]) -> dict[str, Any]:
    """The merged template, made deployable."""
    inbox = template["Resources"]["RecordPosts"]["Properties"]["Events"]
    inbox["RecordPostsSqsEventSource"]["Properties"]["Queue"] = {
        "Fn::GetAtt": ["InboxQueue", "Arn"]
    }
    queue = template["Resources"]["InboxQueue"]["Properties"]
    queue["QueueName"] = {"Fn::Sub": "${AWS::StackName}-inbox"}
    machine = template["Resources"]["EscalationStateMachine"]["Properties"]
    machine["DefinitionString"] = json.dumps(
        json.loads(ASL_PATH.read_text(encoding="utf-8")), separators=(",", ":")
    )
    resources = template["Resources"]
    if log_group := resources.get("ApiHandlerLogGroup"):  # chalice 1.34 misspells its function
        log_group["Properties"]["LogGroupName"] = {"Fn::Sub": "/aws/lambda/${APIHandler}"}
    others = {name: spec for name, spec in resources.items() if name != CHALICE_ROLE}
    if CHALICE_ROLE in resources and CHALICE_ROLE not in json.dumps(others):
        del resources[CHALICE_ROLE]
    return template
