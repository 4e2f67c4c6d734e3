"""The escalation timer: one Standard Step Functions execution per open case.

The execution is named after the case, so starting it twice cannot make two timers.
Its input carries the seconds to wait until the first deadline; the state machine
(infra/escalation.asl.json) loops: wait, run the escalate step, wait again.
"""

from __future__ import annotations

import json
from typing import Any


class EscalationWorkflow:
    def __init__(self, stepfunctions: Any, state_machine_arn: str):
        self._sfn = stepfunctions
        self._state_machine_arn = state_machine_arn

    def execution_arn(self, case_id: str) -> str:
        prefix, _, name = self._state_machine_arn.partition(":stateMachine:")
        return f"{prefix}:execution:{name}:{case_id}"

    def start(self, case_id: str, wait_seconds: int) -> str:
        """Start the case's timer; a timer already started for this case counts as started."""
        try:
            response = self._sfn.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=case_id,
                input=json.dumps({"case_id": case_id, "wait_seconds": wait_seconds}),
            )
        except self._sfn.exceptions.ExecutionAlreadyExists:
            return self.execution_arn(case_id)
        return response["executionArn"]

    def stop(self, execution_arn: str, reason: str) -> None:
        """Stop a case's timer; one that already ended is fine."""
        try:
            self._sfn.stop_execution(executionArn=execution_arn, cause=reason[:32768])
        except self._sfn.exceptions.ExecutionDoesNotExist:
            return
