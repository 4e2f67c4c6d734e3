"""End-to-end tests on the local stack: moto's server, real Step Functions executions
running the ASL, the Chalice app in-process, HTTP on loopback.

One stack serves the whole session (the app's clients and moto's patches are
process-wide); each test uses posts of its own, so tests never see each other's cases.
At TIME_SCALE 3600 one policy hour is one second: X complaints escalate at 1 s, 2 s, 4 s.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import requests

from chalicelib.channels.signatures import sign_base64, sign_generic, sign_hex
from chalicelib.domain.cases import case_id_for
from chalicelib.domain.policy import load_policy
from chalicelib.domain.posts import Post
from chalicelib.settings import DEFAULT_POLICY_PATH
from infra.local import ACCOUNT, PROJECT_ROOT, REGION, LocalStack
from infra.replay import Conversation

TIME_SCALE = 3600.0
# The Customer Support on Twitter sample, read from the shared data folder beside the
# repository (never copied into it).
SAMPLE = PROJECT_ROOT.parent / "shared" / "data" / "twcs_sample.csv"
API_TOKEN = "test-api-token"
GENERIC_SECRET = "test-generic-secret"
X_SECRET = "test-x-consumer-secret"
X_BRAND_ID = "900001"
META_SECRET = "test-meta-app-secret"
META_VERIFY_TOKEN = "test-meta-verify-token"
PAGE_ID = "700001"
INSTAGRAM_ID = "178400001"
META_PAGE_TOKEN = "test-meta-page-token"
X_BEARER_TOKEN = "test-x-bearer-token"
CHANNEL_SETTINGS = {
    "ESCALATOR_X_CONSUMER_SECRET": X_SECRET,
    "ESCALATOR_X_BRAND_IDS": X_BRAND_ID,
    "ESCALATOR_META_APP_SECRET": META_SECRET,
    "ESCALATOR_META_VERIFY_TOKEN": META_VERIFY_TOKEN,
    "ESCALATOR_META_PAGE_IDS": f"{PAGE_ID},{INSTAGRAM_ID}",
    "ESCALATOR_META_PAGE_TOKEN": META_PAGE_TOKEN,
    "ESCALATOR_X_BEARER_TOKEN": X_BEARER_TOKEN,
}
GRAPH_VERSION = "/v24.0"  # the stand-in's Graph API path, as ESCALATOR_META_GRAPH_URL names it


QUIET_SINCE: list[datetime] = []  # when the session's stack wrote its policy


def quiet_hours(start: datetime) -> str:
    """Quiet from 10 policy minutes before the session started to 3 policy hours after:
    every quiet-policy case's first deadline (1 h after it opens) falls inside."""
    begin, end = start - timedelta(minutes=10), start + timedelta(hours=3)
    return f"{begin:%H:%M}-{end:%H:%M}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Api:
    """The stack as its clients see it: signed webhooks and the agent API."""

    def __init__(self, stack: LocalStack):
        self.stack = stack
        self.url = stack.base_url
        self.http = requests.Session()

    def signed(
        self,
        path: str,
        body: bytes,
        header: str,
        sign: Callable[[str, bytes], str],
        secret: str,
        signature: str | None = "sign",
    ) -> requests.Response:
        """POST a body to a webhook, signed as its platform signs (or with `signature`)."""
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[header] = sign(secret, body) if signature == "sign" else signature
        return self.http.post(f"{self.url}{path}", data=body, headers=headers, timeout=10)

    def post_body(self, body: bytes, signature: str | None = "sign") -> requests.Response:
        return self.signed(
            "/webhooks/generic",
            body,
            "X-Escalator-Signature",
            sign_generic,
            GENERIC_SECRET,
            signature,
        )

    def send(self, post: dict[str, Any]) -> requests.Response:
        return self.post_body(json.dumps(post).encode())

    def send_x(self, payload: Any, signature: str | None = "sign") -> requests.Response:
        return self.signed(
            "/webhooks/x",
            json.dumps(payload).encode(),
            "x-twitter-webhooks-signature",
            sign_base64,
            X_SECRET,
            signature,
        )

    def send_meta(self, payload: Any, signature: str | None = "sign") -> requests.Response:
        return self.signed(
            "/webhooks/meta",
            json.dumps(payload).encode(),
            "X-Hub-Signature-256",
            sign_hex,
            META_SECRET,
            signature,
        )

    def agent(
        self, method: str, path: str, token: str | None = API_TOKEN, **kwargs: Any
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("headers", {}))
        return self.http.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def case(self, case_id: str) -> dict[str, Any] | None:
        response = self.agent("GET", f"/cases/{case_id}")
        return response.json() if response.status_code == 200 else None

    def wait_for_case(
        self,
        case_id: str,
        timeout: float = 10,
        until: Callable[[dict[str, Any]], bool] = lambda case: True,
    ) -> dict:
        return wait_for(
            lambda: (case := self.case(case_id)) and until(case) and case,
            timeout,
            f"case {case_id}",
        )


def run_on_own_stack(module: str, *args: str, timeout: float) -> dict[str, Any]:
    """Run `python -m module args`, a script that starts a stack of its own (one per
    process), and return the JSON summary it prints on its last line."""
    run = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    return json.loads(run.stdout.splitlines()[-1])


def wait_for(probe: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def make_post(text: str, channel: str = "x", **fields: Any) -> dict[str, Any]:
    post_id = fields.pop("id", uuid.uuid4().hex)
    return {
        "id": post_id,
        "channel": channel,
        "text": text,
        "created_at": datetime.now(UTC).isoformat(),
        "url": f"https://example.com/{channel}/{post_id}",
        "author": {"id": f"u-{uuid.uuid4().hex[:8]}", "handle": "@customer", "followers": 120},
        **fields,
    }


def case_of(post: dict[str, Any]) -> str:
    return case_id_for(post["channel"], post["id"])


def sent_emails(case_id: str, header: str = "X-Escalator-Case") -> list[Message]:
    """Emails SES accepted for a case (or, by header, an incident), read back from moto."""
    from moto.ses.models import ses_backends

    messages = [  # parsed only when they name it: the shared stack keeps every email sent
        email.message_from_string(m.raw_data, policy=email.policy.default)
        for m in list(ses_backends[ACCOUNT][REGION].sent_messages)
        if case_id in m.raw_data
    ]
    return [m for m in messages if m[header] == case_id]


def executions(stack: LocalStack, case_id: str) -> list[dict[str, Any]]:
    sfn = stack.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=stack.env["ESCALATOR_STATE_MACHINE_ARN"])
    return [e for e in listed["executions"] if e["name"] == case_id]


def find(documents: list[dict], name: str, **dimensions: str) -> list[dict]:
    """The EMF documents (see conftest's `metrics`) of one metric with these dimensions."""
    return [
        d
        for d in documents
        if name in d and all(d.get(key) == value for key, value in dimensions.items())
    ]


def queued_posts(sqs: Any, url: str) -> list[Post]:
    """Every post waiting in a queue (a poller's or listener's test inbox), taken off it."""
    posts = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            posts.append(Post.model_validate_json(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return posts


def table_items(stack: LocalStack, partition: str) -> list[dict[str, Any]]:
    dynamodb = stack.client("dynamodb")
    return dynamodb.query(
        TableName=stack.env["ESCALATOR_TABLE"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": partition}},
        ConsistentRead=True,
    )["Items"]


def customer_posts(conversations: list[Conversation]) -> list[dict[str, Any]]:
    """The customers' posts (generic webhook bodies), leaving out the brands' replies."""
    return [post for c in conversations for post in c.posts if not post.get("from_brand")]


def without_storms(folder: Path) -> Path:
    """The default policy without its [storms] table, written into `folder`: hundreds of
    posts alike within minutes are rightly a storm, and then no case has work of its own."""
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    path = folder / "policy-without-storms.toml"
    path.write_text(text.partition("\n[storms]")[0] + "\n", encoding="utf-8")
    if load_policy(path).storms is not None:  # [storms] was not the file's last table
        raise RuntimeError(f"{DEFAULT_POLICY_PATH}: cannot leave out its [storms]")
    return path
