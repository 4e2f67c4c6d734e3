"""The timer's step (chalicelib.use_cases.escalation and .notify): at each deadline the
next tier's people are emailed, each once whatever the retries; an answer stops it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.case_clock import Status
from chalicelib.domain.errors import EmailRejected
from tests.service.conftest import QUESTION, URGENT


def test_nothing_is_sent_before_the_first_deadline(world):
    case = world.escalator.receive(world.post())
    step = world.escalator.escalate(case.id)
    assert (step.done, step.wait_seconds) == (False, 3600) and world.mailer.sent == []


def test_at_the_first_deadline_each_of_the_tiers_people_gets_one_email(world):
    case = world.escalator.receive(world.post())
    world.at(hours=1)
    world.run_timer(case.id)
    assert sorted(m["To"] for m in world.mailer.sent) == ["agent2@example.com", "agent@example.com"]
    stored = world.cases.get(case.id)
    assert (stored.tier, stored.notified_tier, stored.breached) == (1, 1, True)
    assert world.cases.kinds(case.id)[-2:] == ["notified", "notified"]


def test_a_step_run_again_sends_nothing_twice(world):
    case = world.escalator.receive(world.post())
    world.at(hours=1)
    world.run_timer(case.id)
    world.run_timer(case.id)  # Step Functions retried the step
    assert len(world.mailer.sent) == 2


def test_each_deadline_brings_its_tier_and_the_last_ends_the_timer(world):
    case = world.escalator.receive(world.post())
    tiers = ((1, {"agent@example.com", "agent2@example.com"}), (1, {"lead@example.com"}))
    for hours, people in (*tiers, (2, {"head@example.com"})):
        before = len(world.mailer.sent)
        world.at(hours=hours)
        world.run_timer(case.id)
        assert {m["To"] for m in world.mailer.sent[before:]} == people
    assert world.escalator.escalate(case.id).done


def test_an_answer_before_the_deadline_means_no_email(world):
    post = world.post()
    case = world.escalator.receive(post)
    world.at(minutes=59)
    world.escalator.receive(world.brand_reply(post))
    world.at(minutes=2)
    assert world.escalator.escalate(case.id).done and world.mailer.sent == []


def test_an_urgent_complaint_skips_to_its_rules_tier_and_is_emailed_at_once(world):
    case = world.escalator.receive(world.post(URGENT))
    assert case.tier == 1 and case.priority == "urgent"
    world.run_timer(case.id)
    assert [m["To"] for m in world.mailer.sent] == ["lead@example.com"]
    assert not world.cases.get(case.id).breached  # emailed at once: no deadline missed


def test_the_last_tier_is_repeated_as_the_rule_says_then_the_timer_ends(world):
    case = world.escalator.receive(world.post(QUESTION, channel="facebook"))  # default rule
    for hours in (1.5, 1.5, 1, 1):
        world.at(hours=hours)
        world.run_timer(case.id)
    assert [m["To"] for m in world.mailer.sent] == [
        "agent@example.com",
        "agent2@example.com",
        "lead@example.com",
        "lead@example.com",
        "lead@example.com",
    ]
    assert world.cases.get(case.id).repeats_sent == 2
    assert world.escalator.escalate(case.id).done


def test_one_refused_address_is_on_the_trail_and_the_others_are_told(world):
    world.mailer.refuse = {"agent2@example.com"}
    case = world.escalator.receive(world.post())
    world.at(hours=1)
    world.run_timer(case.id)
    assert [m["To"] for m in world.mailer.sent] == ["agent@example.com"]
    refused = [e for e in world.cases.history(case.id)[1] if e.kind == "email refused"]
    assert [e.detail["to"] for e in refused] == [["agent2@example.com"]]


def test_when_every_address_is_refused_the_step_fails_and_its_retry_sends(world):
    world.mailer.refuse = {"agent@example.com", "agent2@example.com"}
    case = world.escalator.receive(world.post())
    world.at(hours=1)
    with pytest.raises(EmailRejected):
        world.run_timer(case.id)
    world.mailer.refuse = set()  # SES takes them now: the state machine's retry
    world.run_timer(case.id)
    assert sorted(m["To"] for m in world.mailer.sent) == ["agent2@example.com", "agent@example.com"]


def test_a_timer_woken_just_before_its_deadline_waits_it_out(world):
    case = world.escalator.receive(world.post())
    world.at(hours=1, seconds=-0.5)  # Step Functions waits whole seconds
    world.run_timer(case.id)
    assert len(world.mailer.sent) == 2
    assert world.clock.now == case.next_deadline


def test_a_timer_of_a_round_that_is_over_ends_without_acting(world):
    case = world.escalator.receive(world.post())
    world.at(hours=1)
    assert world.escalator.escalate(case.id, timer_round=7).done
    assert world.mailer.sent == []


def test_a_timer_for_a_case_that_does_not_exist_ends(world):
    assert world.escalator.escalate("x-0123456789abcdef0123").done


def test_the_emails_carry_one_click_links_for_their_recipient(world):
    case = world.escalator.receive(world.post())
    world.at(hours=1)
    world.run_timer(case.id)
    grants = [g for g in world.signer.grants.values() if g.recipient == "agent@example.com"]
    assert {g.case_id for g in grants} == {case.id} and len(grants) >= 4
    body = world.mailer.to("agent@example.com")[0].get_body(("plain",)).get_content()
    assert "https://escalator.example.com/actions/" in body


def test_a_case_answered_while_emails_go_out_is_answered(world):
    post = world.post()
    case = world.escalator.receive(post)
    world.at(hours=1)
    world.run_timer(case.id)
    world.escalator.receive(world.brand_reply(post))
    world.at(hours=1)
    assert world.escalator.escalate(case.id).done
    assert world.cases.get(case.id).status is Status.RESPONDED
    assert len(world.mailer.sent) == 2
    assert world.cases.get(case.id).first_response_at - case.opened_at == timedelta(hours=1)
