"""Cold start (issue 8): importing `app`, which every Lambda function does, loads only what
every invocation needs, and each function's first call loads only its own part.

Asserted on what gets loaded, each in a fresh interpreter with Lambda's environment
variables; `bench/cold_start.py` measures the time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.payloads import GENERIC

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "escalator-test",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "LAMBDA_TASK_ROOT": str(ROOT),
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here; the SDK still loads if on
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "ESCALATOR_TABLE": "escalator",
    "ESCALATOR_INBOX_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/escalator-inbox",
    "ESCALATOR_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:escalation",
    "ESCALATOR_SENDER": "escalations@example.com",
}
# Loaded on use only: what some function needs, never what importing app needs.
HEAVY = (
    "pydantic",
    "jinja2",
    "tweepy",
    "vaderSentiment",
    "aws_lambda_powertools.utilities.batch",
    "aws_lambda_powertools.utilities.parser",
    "regex",  # topic patterns: the inbox consumer's and the escalate step's
)


def loaded_after(code: str, **settings: str) -> set[str]:
    """The modules loaded once `code` has run in a fresh Lambda-like interpreter with
    these extra environment variables."""
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ESCALATOR_", "POWERTOOLS_", "AWS_"))
    }
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**environment, **LAMBDA_ENV, **settings},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stdout.splitlines()[-1]))


def test_importing_app_loads_only_what_every_invocation_needs():
    modules = loaded_after("import app")
    assert {m for m in modules if m.startswith("chalicelib")} == {
        "chalicelib",
        "chalicelib.components",
        "chalicelib.entrypoints",
        "chalicelib.entrypoints.guards",
        "chalicelib.settings",
        "chalicelib.telemetry",
    }
    assert not {m for m in modules if m.startswith((*HEAVY, "aws_xray_sdk"))}
    # ...and still what every invocation does need: not deferred to look light.
    assert {"boto3", "botocore.client", "chalice", "aws_lambda_powertools.logging"} <= modules


def test_a_stage_that_traces_aws_calls_loads_the_xray_sdk_and_patches_botocore_at_import():
    modules = loaded_after(
        "import app\n"
        "from aws_xray_sdk.core import patcher\n"
        "assert 'botocore' in patcher._PATCHED_MODULES, patcher._PATCHED_MODULES",
        ESCALATOR_TRACE_AWS_CALLS="true",
        POWERTOOLS_TRACE_DISABLED="false",
    )
    assert {"aws_xray_sdk.core", "aws_xray_sdk.ext.botocore.patch"} <= modules


def test_a_webhooks_first_call_loads_no_triage_service_emails_or_templates():
    modules = loaded_after(
        f"""
import hashlib, hmac, os, time
from botocore.stub import Stubber
from chalice.test import Client
import app
from chalicelib import components

os.environ["ESCALATOR_GENERIC_SECRET"] = "s3cret"
body = json.dumps({GENERIC!r}).encode()
stamp = int(time.time())
digest = hmac.new(b"s3cret", f"{{stamp}}.".encode() + body, hashlib.sha256).hexdigest()
signature = f"t={{stamp}},v1={{digest}}"
stub = Stubber(components.inbox()._sqs)
stub.add_response("send_message_batch", {{"Successful": [], "Failed": []}})
with stub, Client(app.app) as client:
    response = client.http.post(
        "/webhooks/generic",
        headers={{"Content-Type": "application/json", "X-Escalator-Signature": signature}},
        body=body,
    )
assert response.status_code == 202, response.body
stub.assert_no_pending_responses()
"""
    )
    assert {
        "pydantic",
        "chalicelib.entrypoints.webhooks",
        "chalicelib.domain.posts",
    } <= modules  # it ran
    assert not modules & {
        "chalicelib.use_cases.escalator",
        "chalicelib.domain.triage",
        "chalicelib.domain.policy",
        "chalicelib.messages.emails",
        "chalicelib.messages.rendering",
        "chalicelib.entrypoints.inbox_consumer",
        "chalicelib.domain.topics",
        "jinja2",
        "vaderSentiment",
        "tweepy",
        "regex",
        "aws_lambda_powertools.utilities.batch",
    }


def test_the_escalate_steps_service_loads_no_channel_models_or_batch_utility():
    modules = loaded_after("import app\napp.components.escalator()")
    assert {"chalicelib.use_cases.escalator", "chalicelib.domain.policy"} <= modules  # it was built
    assert not modules & {
        "chalicelib.channels.x",
        "chalicelib.channels.meta",
        "chalicelib.entrypoints.webhooks",
        "chalicelib.entrypoints.inbox_consumer",
        "tweepy",
        "jinja2",  # until its first email
        "aws_lambda_powertools.utilities.batch",
    }
