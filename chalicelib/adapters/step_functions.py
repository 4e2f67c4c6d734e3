"""The escalation timer: one Standard Step Functions execution per open case.

The execution is named after the case (and its timer round, when a paused or reopened
case's timer restarts), so starting it twice cannot make two timers. Its input carries
the round and the seconds to wait until the first deadline; the state machine
(infra/escalation.asl.json) loops: wait, run the escalate step, wait again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

import json


class EscalationWorkflow:
    def __init__(self, stepfunctions: SFNClient, state_machine_arn: str):
        self._sfn = stepfunctions
        self._state_machine_arn = state_machine_arn

    def execution_arn(self, name: str) -> str:
        prefix, _, machine = self._state_machine_arn.partition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def start(self, name: str, case_id: str, timer_round: int, wait_seconds: int) -> str:
        """Start the case's timer for this round; one already started counts as started."""
        payload = {"case_id": case_id, "round": timer_round, "wait_seconds": wait_seconds}
        try:
            response = self._sfn.start_execution(
                stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(payload)
            )
        except self._sfn.exceptions.ExecutionAlreadyExists:
            return self.execution_arn(name)
        return str(response["executionArn"])

    def running(self) -> set[str]:
        """The ARNs of the timers running now, a thousand to a request."""
        pages = self._sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self._state_machine_arn,
            statusFilter="RUNNING",
            PaginationConfig={"PageSize": 1000},
        )
        return {e["executionArn"] for page in pages for e in page["executions"]}

    def state(self, execution_arn: str) -> str:
        """The execution's status (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED), or
        MISSING when Step Functions has no such execution (never started, or purged)."""
        try:
            return str(self._sfn.describe_execution(executionArn=execution_arn)["status"])
        except self._sfn.exceptions.ExecutionDoesNotExist:
            return "MISSING"

    def stop(self, execution_arn: str, reason: str) -> None:
        """Stop a case's timer; one that already ended is fine."""
        try:
            self._sfn.stop_execution(executionArn=execution_arn, cause=reason[:32768])
        except self._sfn.exceptions.ExecutionDoesNotExist:
            return
