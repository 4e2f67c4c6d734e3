"""Faults in the AWS calls, through the real paths: webhook → inbox → consumer → timer →
escalate step → SES, with errors injected into the local AWS's answers (tests/e2e/faults.py).
Whatever fails, and however often it is retried, every post is one case, every (case,
tier) at most one email, and no case is left open without a running timer: retries with
backoff (botocore's in the functions, the state machine's around the escalate step), the
queue's redelivery and dead-letter queue, and the reconciler catch what is left."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from app import reconcile_timers, record_posts
from chalicelib import components
from chalicelib.adapters.sqs import to_message
from chalicelib.domain.posts import Post
from infra.local import STACK_NAME, LambdaContext, scheduled_event, sqs_record
from tests.e2e.faults import (
    dynamodb_conflict,
    dynamodb_throttled,
    ses_refused,
    start_execution_throttled,
)
from tests.e2e.stack import case_of, executions, sent_emails, table_items, wait_for
from tests.e2e.stack import make_post as any_post

COMPLAINT = "@brand my parcel never arrived and nobody replies to my emails. Useless."
QUESTION = "@brand what time does the Leeds store open on Sundays?"
SLOW = "dashboard"  # the tests' policy for this channel: one tier, 100 policy hours away
CASES: list[str] = []  # the cases these tests open


def make_post(text: str, channel: str = "x") -> dict:
    post = any_post(text, channel)
    CASES.append(case_of(post))
    return post


def reconcile() -> list[str]:
    """Run the scheduled reconciler, as EventBridge would."""
    return reconcile_timers(scheduled_event("reconcile_timers"), LambdaContext("reconcile"))


def reconcile_without_grace() -> list[str]:
    """The reconciler, with no grace for cases just opened (they are minutes old in AWS)."""
    return components.escalator().reconcile_timers(grace=timedelta(0))


def running_timer(stack, case_id: str) -> dict | None:
    """The case's running execution, of any round."""
    pages = (
        stack.client("stepfunctions")
        .get_paginator("list_executions")
        .paginate(stateMachineArn=stack.env["ESCALATOR_STATE_MACHINE_ARN"], statusFilter="RUNNING")
    )
    names = (case_id, f"{case_id}-r")
    listed = (e for page in pages for e in page["executions"])
    return next((e for e in listed if e["name"].startswith(names)), None)


def emails_by_tier(case_id: str) -> Counter:
    return Counter(m["X-Escalator-Tier"] for m in sent_emails(case_id))


def all_tiers_emailed(case_id: str) -> Counter | None:
    """X complaints climb three tiers (1, 2 and 4 s at the tests' scale)."""
    emailed = emails_by_tier(case_id)
    return emailed if len(emailed) == 3 else None


def assert_one_case_that_escalates(stack, case_id: str) -> None:
    """The post is one case, its timer runs, and each of its three tiers gets one email."""
    assert [i["sk"]["S"] for i in table_items(stack, f"CASE#{case_id}")].count("CASE") == 1
    assert wait_for(lambda: running_timer(stack, case_id), 5, "the case's timer")
    assert wait_for(lambda: all_tiers_emailed(case_id), 15, "three tiers") == Counter("123")


def test_throttled_case_writes_are_retried_and_the_post_is_one_case(api, stack):
    post = make_post(COMPLAINT)
    case_id = case_of(post)

    with dynamodb_throttled("transact_write_items", lambda body: case_id in body, 2) as fault:
        assert api.send(post).status_code == 202
        api.wait_for_case(case_id, until=lambda case: case["status"] == "open")

    assert fault.hits == 2
    assert_one_case_that_escalates(stack, case_id)


def test_a_throttled_timer_start_is_retried(api, stack):
    post = make_post(COMPLAINT)
    case_id = case_of(post)

    with start_execution_throttled(lambda body: case_id in body, 2) as fault:
        assert api.send(post).status_code == 202
        assert wait_for(lambda: running_timer(stack, case_id), 10, "the case's timer")

    assert fault.hits == 2
    assert wait_for(lambda: all_tiers_emailed(case_id), 15, "three tiers") == Counter("123")


def sqs_event(post: dict, message_id: str) -> dict:
    message = {
        "MessageId": message_id,
        "ReceiptHandle": uuid.uuid4().hex,
        "MD5OfBody": "",
        "Body": to_message(Post.model_validate(post)),
    }
    return {"Records": [sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:inbox")]}


def test_a_record_whose_timer_failed_to_start_is_redelivered_and_finished(stack):
    """SQS redelivers a record the consumer failed (here: Step Functions refused every
    try): the case is not doubled and its timer starts."""
    post = make_post(COMPLAINT)
    case_id = case_of(post)
    event = sqs_event(post, "m-" + uuid.uuid4().hex)

    with (
        start_execution_throttled(lambda body: case_id in body, 1000) as fault,
        pytest.raises(BatchProcessingError),  # the batch failed whole: SQS delivers it again
    ):
        record_posts(event, LambdaContext("record_posts"))
    assert fault.hits == 5  # AWS_MAX_ATTEMPTS
    assert executions(stack, case_id) == []

    assert record_posts(event, LambdaContext("record_posts")) == {"batchItemFailures": []}

    assert_one_case_that_escalates(stack, case_id)


def test_the_reconciler_starts_timers_whose_start_was_lost(api, stack):
    """Two cases whose every start was refused: the reconciler starts both, and one it
    cannot start (Step Functions still refusing) holds up neither the other nor the next run."""
    posts = [make_post(COMPLAINT), make_post(QUESTION)]
    first, second = (case_of(post) for post in posts)

    with start_execution_throttled(lambda body: first in body or second in body, 1000) as fault:
        for post in posts:
            assert api.send(post).status_code == 202
            api.wait_for_case(case_of(post))  # recorded, but every start was refused:
        wait_for(lambda: fault.hits >= 10, 60, "the consumer to give up on both starts")
        time.sleep(0.5)  # and fail the records (SQS delivers them again in 3 minutes)
        assert executions(stack, first) == executions(stack, second) == []

    assert not {first, second} & set(reconcile())  # just opened: starts may be under way
    with start_execution_throttled(lambda body: first in body, 1000):
        restarted = reconcile_without_grace()
    assert second in restarted and first not in restarted
    assert first in reconcile_without_grace()

    assert running_timer(stack, first) and running_timer(stack, second)
    assert wait_for(lambda: all_tiers_emailed(first), 15, "three tiers") == Counter("123")
    assert not {first, second} & set(reconcile_without_grace())  # they have their timers


def test_the_reconciler_replaces_a_timer_that_was_aborted(api, stack):
    post = make_post(COMPLAINT, channel=SLOW)
    case_id = case_of(post)
    assert api.send(post).status_code == 202
    timer = wait_for(lambda: running_timer(stack, case_id), 5, "the case's timer")
    stack.client("stepfunctions").stop_execution(executionArn=timer["executionArn"])
    wait_for(lambda: not running_timer(stack, case_id), 5, "the timer to stop")

    assert case_id in reconcile()

    replacement = running_timer(stack, case_id)
    assert replacement["name"] == f"{case_id}-r1"
    case = api.case(case_id)
    restart = next(e for e in case["events"] if e["kind"] == "timer restarted")
    assert (restart["by"], restart["detail"]) == ("reconciler", {"was": "ABORTED"})
    assert case["next_deadline"] == case["first_deadline"]  # the clock did not restart
    assert case_id not in reconcile()
    api.agent("POST", f"/cases/{case_id}/resolve", json={"by": "test"})


def test_the_reconciler_leaves_paused_and_answered_cases_alone(api, stack):
    paused, answered = make_post(COMPLAINT, channel=SLOW), make_post(COMPLAINT, channel=SLOW)
    for post in (paused, answered):
        assert api.send(post).status_code == 202
        wait_for(lambda post=post: running_timer(stack, case_of(post)), 5, "the case's timer")
    api.agent("POST", f"/cases/{case_of(paused)}/pause", json={"by": "maria"})
    api.agent("POST", f"/cases/{case_of(answered)}/respond", json={"by": "maria"})

    restarted = reconcile_without_grace()

    for post in (paused, answered):
        assert case_of(post) not in restarted
        assert running_timer(stack, case_of(post)) is None


def test_throttled_and_rejected_emails_are_retried_and_sent_once(api, stack):
    post = make_post(COMPLAINT)
    case_id = case_of(post)

    def tier_one(body: str) -> bool:
        return case_id in body and "X-Escalator-Tier: 1" in body

    with (
        ses_refused("Throttling", "Maximum sending rate exceeded.", tier_one, 2) as throttled,
        ses_refused("MessageRejected", "Email address is not verified.", tier_one, 1) as refused,
    ):
        assert api.send(post).status_code == 202
        emailed = wait_for(lambda: all_tiers_emailed(case_id), 20, "three tiers")

    # botocore retried the throttling; the rejection failed the step, and the state
    # machine's retry sent it
    assert (throttled.hits, refused.hits) == (2, 1)
    assert emailed == Counter("123")
    notified = [e for e in api.case(case_id)["events"] if e["kind"] == "notified"]
    assert [e["detail"]["tier"] for e in notified] == [1, 2, 3]


def test_an_escalate_step_that_fails_after_sending_does_not_send_again(api, stack):
    """The step crashes between SES accepting the email and the ledger recording it
    (DynamoDB throttled past every retry): the state machine runs it again, which finds
    the email claimed, and moves on."""
    post = make_post(COMPLAINT)
    case_id = case_of(post)

    def confirming_tier_one(body: str) -> bool:
        return case_id in body and "message_id = :id" in body and "NOTIFY#00#01" in body

    with dynamodb_throttled("transact_write_items", confirming_tier_one, 5) as fault:
        assert api.send(post).status_code == 202
        emailed = wait_for(lambda: all_tiers_emailed(case_id), 20, "three tiers")

    assert fault.hits == 5
    assert emailed == Counter("123")  # tier 1's email once, though its step failed
    wait_for(lambda: api.case(case_id)["tier"] == 3, 5, "the last tier")


def test_an_escalation_that_loses_a_race_is_decided_again(api, stack):
    """Another writer changed the case just as the timer moved it up a tier: the step
    reads it again and decides again, with one email per tier."""
    post = make_post(COMPLAINT)
    case_id = case_of(post)

    def escalating(body: str) -> bool:
        return case_id in body and "escalated" in body  # the step's event

    with dynamodb_conflict(escalating, items=2, times=2) as fault:
        assert api.send(post).status_code == 202
        emailed = wait_for(lambda: all_tiers_emailed(case_id), 20, "three tiers")

    assert fault.hits == 2
    assert emailed == Counter("123")
    escalations = [e for e in api.case(case_id)["events"] if e["kind"] == "escalated"]
    assert [e["detail"]["tier"] for e in escalations] == [1, 2, 3]


def test_a_record_that_always_fails_ends_in_the_dead_letter_queue(stack):
    """After maxReceiveCount tries the inbox gives a record up to its dead-letter queue
    (the DeadLettersAlarm watches it). The inbox's visibility timeout is cut to a second
    here, so the five tries take seconds, not fifteen minutes."""
    sqs = stack.client("sqs")
    inbox = stack.env["ESCALATOR_INBOX_QUEUE_URL"]
    dead_letters = sqs.get_queue_url(QueueName=f"{STACK_NAME}-InboxDeadLetterQueue")["QueueUrl"]
    poison = json.dumps({"not": "a post", "marker": uuid.uuid4().hex})

    def dead_lettered() -> list[dict]:
        received = sqs.receive_message(
            QueueUrl=dead_letters, MaxNumberOfMessages=10, AttributeNames=["All"]
        )
        return [m for m in received.get("Messages", []) if m["Body"] == poison]

    sqs.set_queue_attributes(QueueUrl=inbox, Attributes={"VisibilityTimeout": "1"})
    try:
        time.sleep(1.5)  # the pollers' long polls under the old timeout are over
        sqs.send_message(QueueUrl=inbox, MessageBody=poison)
        found = wait_for(dead_lettered, 30, "the record in the dead-letter queue", interval=0.5)
    finally:
        sqs.set_queue_attributes(QueueUrl=inbox, Attributes={"VisibilityTimeout": "180"})
    assert int(found[0]["Attributes"]["ApproximateReceiveCount"]) >= 5


def test_no_case_of_these_tests_is_left_open_without_a_timer(stack):
    """Once the retries are over, none of the cases above needs the reconciler."""
    assert CASES and not set(CASES) & set(reconcile_without_grace())
