"""Faults injected into the local AWS's answers, as AWS gives them under load or in an
outage: one of moto's request handlers answers the requests a test picks with the
service's own error, a number of times, and then as usual. The app sees what it would
see from AWS (an error response over HTTP), so its retries, the state machine's and the
queue's are the real ones."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import AWSError
from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
from moto.dynamodb.responses import DynamoHandler
from moto.ses.exceptions import SesError
from moto.ses.responses import EmailResponse
from moto.stepfunctions.responses import StepFunctionResponse


@dataclass
class Fault:
    """How often the fault struck (`hits`), up to `times`."""

    times: int
    hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def strikes(self) -> bool:
        with self._lock:
            if self.hits >= self.times:
                return False
            self.hits += 1
            return True


@contextmanager
def injected(
    handler: type,
    action: str,
    error: Callable[[], Exception],
    when: Callable[[str], bool],
    times: int = 1,
) -> Iterator[Fault]:
    """While in the block, `handler`'s `action` raises `error()` for requests whose text
    (see `request_text`) `when` picks, `times` times at most."""
    original = getattr(handler, action)
    fault = Fault(times)

    def failing(self: Any) -> Any:
        if when(request_text(self)) and fault.strikes():
            raise error()
        return original(self)

    setattr(handler, action, failing)
    try:
        yield fault
    finally:
        setattr(handler, action, original)


def request_text(handler: Any) -> str:
    """What a request says: a JSON API's body; for SES, the raw email it carries."""
    if isinstance(handler, EmailResponse):
        return base64.b64decode(handler.querystring["RawMessage.Data"][0]).decode()
    body = handler.body
    return body.decode() if isinstance(body, bytes) else str(body)


def dynamodb_throttled(action: str, when: Callable[[str], bool], times: int = 1):
    """DynamoDB over its capacity (botocore retries it)."""
    return injected(
        DynamoHandler,
        action,
        lambda: DynamodbException(
            ERROR_TYPE_PREFIX + "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded.",
        ),
        when,
        times,
    )


def dynamodb_conflict(when: Callable[[str], bool], items: int, times: int = 1):
    """A transaction of `items` items lost to another writer: its first item's condition
    failed (the case changed since it was read)."""
    from moto.dynamodb.exceptions import TransactionCanceledException

    reasons = [("ConditionalCheckFailed", "The conditional request failed", None)]
    reasons += [(None, None, None)] * (items - 1)
    return injected(
        DynamoHandler,
        "transact_write_items",
        lambda: TransactionCanceledException(reasons),
        when,
        times,
    )


def start_execution_throttled(when: Callable[[str], bool], times: int = 1):
    """Step Functions refusing StartExecution for its rate limit."""
    return injected(
        StepFunctionResponse,
        "start_execution",
        lambda: AWSError("Rate exceeded", "ThrottlingException"),
        when,
        times,
    )


def ses_refused(code: str, message: str, when: Callable[[str], bool], times: int = 1):
    """SES refusing an email: `Throttling` (its sending rate), `MessageRejected`."""
    refusal = type(code, (SesError,), {"code": code})  # moto serialises SES's errors by class
    return injected(EmailResponse, "send_raw_email", lambda: refusal(message), when, times)
