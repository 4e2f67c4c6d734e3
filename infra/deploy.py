"""`escalator deploy`, `destroy` and `status`: a stage's CloudFormation stack, driven
through change sets. The AWS clients are passed in, so tests can use moto or Stubber."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.package import stack_name

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
DONE = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "DELETE_COMPLETE",
    "ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "CREATE_FAILED",
    "DELETE_FAILED",
    "ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_FAILED",
}
STACK_TYPE = "AWS::CloudFormation::Stack"  # the stack's own events
SUCCEEDED = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE"}
CHANNEL_PATHS = {"generic": "webhooks/generic", "X": "webhooks/x", "Meta": "webhooks/meta"}


class DeployError(RuntimeError):
    """The stack did not get where it was asked to go: the message says where it is."""


@dataclass
class Deployer:
    cloudformation: Any
    s3: Any
    ssm: Any
    echo: Callable[[str], None] = print
    poll_seconds: float = 5.0
    timeout_seconds: float = 3600.0  # CloudFormation's own limit for most resources
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _seen_events: set[str] = field(default_factory=set)

    def deploy(
        self, stage: str, template_path: Path, bucket: str, parameters: dict[str, str]
    ) -> dict[str, str]:
        """Upload the artifact and template, create and execute a change set, follow
        the stack until it settles; its outputs (empty when nothing changed)."""
        stack = stack_name(stage)
        region = self._bucket_region(bucket)
        template = yaml.safe_load(template_path.read_text(encoding="utf-8"))
        artifact = template_path.with_name("deployment.zip").read_bytes()
        code = self._put(bucket, f"escalator/{stage}/code", artifact, ".zip")
        for spec in template["Resources"].values():
            if spec["Type"] == "AWS::Serverless::Function":
                spec["Properties"]["CodeUri"] = f"s3://{bucket}/{code}"
        body = yaml.safe_dump(template, sort_keys=False).encode()
        key = self._put(bucket, f"escalator/{stage}/template", body, ".yaml")
        template_url = f"https://{bucket}.s3.{region}.amazonaws.com/{key}"
        described = self._describe(stack)
        state = described["StackStatus"] if described else None
        stuck = state == "ROLLBACK_COMPLETE" or (state or "").endswith(("_FAILED", "_IN_PROGRESS"))
        if stuck and state != "REVIEW_IN_PROGRESS":
            raise DeployError(
                f"stack {stack} is {state}: wait for it, or `escalator destroy --stage "
                f"{stage}` a stack whose first deploy failed, then deploy again"
            )
        exists = state not in (None, "REVIEW_IN_PROGRESS")
        if not exists and "SenderAddress" not in parameters:
            raise DeployError("a first deploy needs the sender address (--sender)")
        given = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]
        previous = {p["ParameterKey"] for p in (described or {}).get("Parameters", [])}
        kept = [  # an update keeps what it is not told (not the template's defaults);
            {"ParameterKey": k, "UsePreviousValue": True}  # new ones take their defaults
            for k in template.get("Parameters", {})
            if k not in parameters and k in previous and exists
        ]
        name = f"escalator-{int(time.time())}"
        self.echo(f"creating change set {name} for stack {stack}")
        self.cloudformation.create_change_set(
            StackName=stack,
            ChangeSetName=name,
            ChangeSetType="UPDATE" if exists else "CREATE",
            TemplateURL=template_url,
            Capabilities=CAPABILITIES,
            Parameters=given + kept,
        )
        if not self._change_set_ready(stack, name):
            self.cloudformation.delete_change_set(StackName=stack, ChangeSetName=name)
            self.echo("no changes to deploy")
            return self.outputs(stack)
        self._skip_past_events(stack)
        self.cloudformation.execute_change_set(StackName=stack, ChangeSetName=name)
        status = self._follow(stack)
        if status not in SUCCEEDED:
            raise DeployError(f"stack {stack} is {status}: see the events above")
        outputs = self.outputs(stack)
        if url := outputs.get("EndpointURL"):  # the emails' links point here
            self.ssm.put_parameter(
                Name=f"/escalator/{stack}/base-url",
                Value=url.rstrip("/"),
                Type="String",
                Overwrite=True,
            )
        return outputs

    def destroy(self, stage: str, dynamodb: Any = None) -> str | None:
        """Delete the stack; its table is retained (DeletionPolicy) with its cases, or,
        given a DynamoDB client, deleted after it. The table's name."""
        stack = stack_name(stage)
        table = _outputs(self._existing(stack)).get("CasesTableName")
        self._skip_past_events(stack)
        self.cloudformation.delete_stack(StackName=stack)
        status = self._follow(stack)
        if status not in (None, "DELETE_COMPLETE"):
            raise DeployError(f"stack {stack} is {status}: see the events above")
        if dynamodb is not None and table:
            dynamodb.delete_table(TableName=table)
            self.echo(f"  deleting table {table}")
        return table

    def status(self, stage: str, sqs: Any, dynamodb: Any) -> dict[str, Any]:
        """The stack's status and outputs, how many posts wait in the inbox and its
        dead-letter queue, and how many unreadable events wait in the table."""
        stack = stack_name(stage)
        described = self._existing(stack)
        outputs = _outputs(described)
        report: dict[str, Any] = {
            "stack": stack,
            "status": described["StackStatus"],
            "outputs": outputs,
        }
        for name, output in (("inbox", "InboxQueueUrl"), ("dead_letters", "DeadLetterQueueUrl")):
            if url := outputs.get(output):
                attributes = sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]
                report[name] = int(attributes["ApproximateNumberOfMessages"])
        if table := outputs.get("CasesTableName"):
            from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents

            report["unreadable"] = UnreadableEvents(dynamodb, table).count()
        return report

    def outputs(self, stack: str) -> dict[str, str]:
        return _outputs(self._existing(stack))

    def _bucket_region(self, bucket: str) -> str:
        """The bucket's region, which must be the stack's: Lambda reads code from there."""
        location = self.s3.get_bucket_location(Bucket=bucket)["LocationConstraint"]
        region = location or "us-east-1"  # S3 reports its first region as null
        if region != self.cloudformation.meta.region_name:
            raise DeployError(
                f"bucket {bucket} is in {region}, the stack would be in "
                f"{self.cloudformation.meta.region_name}: use a bucket in the stack's region"
            )
        return region

    def _put(self, bucket: str, prefix: str, body: bytes, suffix: str) -> str:
        """Upload under a key named by the content (an unchanged artifact is not new to
        CloudFormation); the key."""
        key = f"{prefix}-{hashlib.sha256(body).hexdigest()[:16]}{suffix}"
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)
        return key

    def _existing(self, stack: str) -> dict[str, Any]:
        if (described := self._describe(stack)) is None:
            raise DeployError(f"there is no stack {stack}")
        return described

    def _describe(self, stack: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        except ClientError as error:
            if "does not exist" in str(error):
                return None
            raise

    def _change_set_ready(self, stack: str, name: str) -> bool:
        """Wait for the change set; False when it holds no changes."""
        while True:
            described = self.cloudformation.describe_change_set(StackName=stack, ChangeSetName=name)
            status = described["Status"]
            if status == "CREATE_COMPLETE":
                for change in described.get("Changes", []):
                    resource = change["ResourceChange"]
                    self.echo(f"  {resource['Action']:<8} {resource['LogicalResourceId']}")
                return True
            if status == "FAILED":
                reason = described.get("StatusReason", "")
                if any(text in reason for text in NO_CHANGES):
                    return False
                raise DeployError(f"change set {name} failed: {reason}")
            self.sleep(self.poll_seconds)

    def _follow(self, stack: str) -> str | None:
        """Print the stack's new events until the stack itself reports a final status in
        one (a status read right after an execute may still be the last deploy's); that
        status, or None once the stack is deleted."""
        from botocore.exceptions import ClientError

        deadline = self.clock() + self.timeout_seconds
        while True:
            try:
                events = self.cloudformation.describe_stack_events(StackName=stack)
            except ClientError as error:
                if "does not exist" in str(error):
                    return None
                raise
            final = None
            for event in reversed(events["StackEvents"]):  # oldest first
                if event["EventId"] in self._seen_events:
                    continue
                self._seen_events.add(event["EventId"])
                reason = event.get("ResourceStatusReason")
                detail = f"  {reason}" if reason else ""
                self.echo(f"  {event['ResourceStatus']:<20} {event['LogicalResourceId']}{detail}")
                if event.get("ResourceType") == STACK_TYPE and event["ResourceStatus"] in DONE:
                    final = event["ResourceStatus"]
            if final is not None:
                return final
            if self.clock() > deadline:
                raise DeployError(
                    f"stack {stack} has not settled after {self.timeout_seconds / 60:.0f} "
                    "minutes: follow it in the CloudFormation console"
                )
            self.sleep(self.poll_seconds)

    def _skip_past_events(self, stack: str) -> None:
        """Mark the stack's events so far as seen: earlier deploys' are not this one's."""
        events = self.cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
        self._seen_events.update(event["EventId"] for event in events)


def _outputs(described: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def channel_urls(outputs: dict[str, str]) -> dict[str, str]:
    """The webhook URLs to register with each platform, and the dashboard's."""
    base = outputs.get("EndpointURL", "").rstrip("/")
    if not base:
        return {}
    return {
        **{name: f"{base}/{path}" for name, path in CHANNEL_PATHS.items()},
        "dashboard": f"{base}/",
    }
