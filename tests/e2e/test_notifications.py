"""At most one email per (case, tier), whatever the retries and races; none after a
response. These drive the escalate step in-process, against the stack's DynamoDB and SES."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import components
from chalicelib.adapters.ses import Mailer
from chalicelib.adapters.sqs import to_message
from chalicelib.domain.actions import Action
from chalicelib.domain.cases import Case, Event
from chalicelib.domain.errors import EmailRejected
from chalicelib.domain.posts import Post
from chalicelib.domain.triage import triage
from chalicelib.entrypoints.inbox_consumer import record_batch
from infra.local import sqs_record
from tests.e2e.stack import make_post, sent_emails

COMPLAINT = "@brand my order is missing and support never called back. Awful."


def new_case(
    stack, opened_at: datetime, time_scale: float = 1.0, first_tier: tuple[str, ...] = ()
) -> Case:
    """A recorded X complaint with no timer of its own: the test plays the timer.
    `first_tier`: other people to tell at tier 1."""
    service = components.escalator()
    post = Post.model_validate(make_post(COMPLAINT))
    verdict = triage(post.text)
    case = Case.open(
        post,
        verdict,
        service.policy.for_case("x", verdict.intent, verdict.priority),
        opened_at,
        time_scale,
    )
    if first_tier:
        case = replace(case, tiers=(replace(case.tiers[0], notify=first_tier), *case.tiers[1:]))
    service.cases.create(case, Event(opened_at, "opened", "test"))
    return case


def escalator_at(moment: datetime, **changes):
    return replace(components.escalator(), clock=lambda: moment, **changes)


def escalate_at_once(step, case_id: str, times: int) -> None:
    """Several escalate steps for one case at the same moment (a duplicated execution)."""
    threads = [threading.Thread(target=step.escalate, args=(case_id,)) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_retried_escalate_step_does_not_email_twice(stack):
    now = datetime.now(UTC)
    case = new_case(stack, now - timedelta(minutes=61))
    step = escalator_at(now)

    first = step.escalate(case.id)
    for _ in range(3):
        step.escalate(case.id)  # Step Functions retrying after a lost response

    assert first.done is False
    assert [m["X-Escalator-Tier"] for m in sent_emails(case.id)] == ["1"]
    assert step.cases.get(case.id).tier == 1


def test_concurrent_escalate_steps_send_one_email(stack):
    now = datetime.now(UTC)
    case = new_case(stack, now - timedelta(minutes=61))
    step = escalator_at(now)
    escalate_at_once(step, case.id, times=4)

    assert [m["X-Escalator-Tier"] for m in sent_emails(case.id)] == ["1"]


def test_every_person_of_a_tier_gets_one_email_of_their_own_whatever_the_retries(stack):
    now = datetime.now(UTC)
    people = ("ana@example.com", "bo@example.com", "cy@example.com")
    case = new_case(stack, now - timedelta(minutes=61), first_tier=people)
    step = escalator_at(now)
    escalate_at_once(step, case.id, times=4)
    step.escalate(case.id)  # and a retry after a lost response

    assert sorted(m["To"] for m in sent_emails(case.id)) == list(people)
    _, events = components.escalator().cases.history(case.id)
    notified = sorted(e.detail["to"][0] for e in events if e.kind == "notified")
    assert notified == list(people)
    assert step.cases.get(case.id).notified_tier == 1


class RefusingMailer(Mailer):
    """SES, with refusals injected for some addresses (a bounce-listed address, say)."""

    def __init__(self, ses, refuse: set[str]):
        super().__init__(ses)
        self.refuse = refuse

    def send(self, message):
        if message["To"] in self.refuse:
            raise EmailRejected(f"MessageRejected: {message['To']} is on the suppression list")
        return super().send(message)


def test_a_refused_person_does_not_hold_up_the_others_nor_the_next_tier(stack):
    now = datetime.now(UTC)
    people = ("ana@example.com", "bounced@example.com")
    case = new_case(stack, now - timedelta(minutes=61), first_tier=people)
    ses = stack.client("ses")

    escalator_at(now, mailer=RefusingMailer(ses, {"bounced@example.com"})).escalate(case.id)

    assert [m["To"] for m in sent_emails(case.id)] == ["ana@example.com"]
    stored, events = components.escalator().cases.history(case.id)
    assert stored.notified_tier == 1  # tier 2 comes on time
    refused = [e for e in events if e.kind == "email refused"]
    assert [e.detail["to"] for e in refused] == [["bounced@example.com"]]


def test_when_nobody_of_a_tier_was_reached_the_tier_is_retried(stack):
    now = datetime.now(UTC)
    people = ("ana@example.com", "bo@example.com")
    case = new_case(stack, now - timedelta(minutes=61), first_tier=people)
    ses = stack.client("ses")

    with pytest.raises(EmailRejected):
        escalator_at(now, mailer=RefusingMailer(ses, set(people))).escalate(case.id)
    assert components.escalator().cases.get(case.id).notified_tier == 0
    escalator_at(now).escalate(case.id)  # the state machine's retry, SES taking them now

    assert sorted(m["To"] for m in sent_emails(case.id)) == list(people)


def test_a_rejected_email_is_retried_and_sent_once(stack):
    now = datetime.now(UTC)
    case = new_case(stack, now - timedelta(minutes=61))

    with pytest.raises(EmailRejected, match="MessageRejected"):
        escalator_at(now, sender="unverified@nowhere.example").escalate(case.id)
    assert sent_emails(case.id) == []
    escalator_at(now).escalate(case.id)  # the state machine's retry
    escalator_at(now).escalate(case.id)

    assert [m["X-Escalator-Tier"] for m in sent_emails(case.id)] == ["1"]
    _, events = components.escalator().cases.history(case.id)
    assert [e.kind for e in events].count("notified") == 1


def test_overdue_tiers_are_each_emailed_once_in_order(stack):
    now = datetime.now(UTC)
    case = new_case(stack, now - timedelta(hours=5))  # past all three X tiers
    step = escalator_at(now)

    results = [step.escalate(case.id) for _ in range(4)]

    assert [m["X-Escalator-Tier"] for m in sent_emails(case.id)] == ["1", "2", "3"]
    assert [r.done for r in results] == [False, False, True, True]


def test_a_response_racing_the_deadline_never_precedes_an_email(stack):
    """Respond exactly at the deadline, many times: either no email, or one stamped
    before the response was recorded."""
    service = components.escalator()
    outcomes = set()
    for _ in range(12):
        # Tier 1 is due after 3600 policy seconds, one real second at this scale: 0.25 s away.
        case = new_case(stack, datetime.now(UTC) - timedelta(seconds=0.75), time_scale=3600.0)
        start = threading.Barrier(2)

        def respond(case_id: str = case.id, start: threading.Barrier = start) -> None:
            start.wait()
            deadline = service.cases.get(case_id).next_deadline
            pause = (deadline - datetime.now(UTC)).total_seconds()
            threading.Event().wait(max(0.0, pause))
            service.respond(case_id, "agent")

        def run_timer(case_id: str = case.id, start: threading.Barrier = start) -> None:
            start.wait()
            service.escalate(case_id)

        threads = [threading.Thread(target=respond), threading.Thread(target=run_timer)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        final, events = service.cases.history(case.id)
        emails = sent_emails(case.id)
        responded = next(e for e in events if e.kind == "responded")
        assert final.status == "responded"
        assert len(emails) <= 1
        if emails:
            notified = next(e for e in events if e.kind == "notified")
            assert notified.at <= responded.at
            outcomes.add("emailed first")
        else:
            assert final.tier == 0 or final.notified_tier == 0
            outcomes.add("answered first")
    assert outcomes <= {"emailed first", "answered first"}  # both orders are legal


def test_a_bad_queue_record_fails_alone(stack):
    good = make_post(COMPLAINT, id=uuid.uuid4().hex)
    queue = "arn:aws:sqs:us-east-1:123456789012:inbox"
    event = {
        "Records": [
            sqs_record(
                {
                    "MessageId": "m-good",
                    "ReceiptHandle": "r1",
                    "MD5OfBody": "",
                    "Body": to_message(Post.model_validate(good)),
                },
                queue,
            ),
            sqs_record(
                {
                    "MessageId": "m-bad",
                    "ReceiptHandle": "r2",
                    "MD5OfBody": "",
                    "Body": "{not a post",
                },
                queue,
            ),
        ]
    }

    response = record_batch(event, components.escalator(), components.intake_sources())

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    from chalicelib.domain.cases import case_id_for

    case = components.escalator().cases.get(case_id_for("x", good["id"]))
    assert case.status == "open"
    components.escalator().do_action(case.id, Action.RESOLVE, "test")
