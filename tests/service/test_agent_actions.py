"""People's actions (chalicelib.use_cases.agent_actions): from the agent API and from an
email's one-click link, each in its person's name, once, with the timer brought in line."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from chalicelib.domain.actions import Action
from chalicelib.domain.case_clock import Status
from chalicelib.domain.errors import CaseConflict, CaseNotFound, LinkUsed, UnknownTeam
from tests.service.conftest import QUESTION


def emailed(world, hours: float = 1):
    """A complaint left unanswered until its first tier was emailed."""
    case = world.escalator.receive(world.post())
    world.at(hours=hours)
    world.run_timer(case.id)
    return world.cases.get(case.id)


def test_an_acknowledgement_holds_the_next_tier_for_the_claim_window(world):
    case = emailed(world)
    acknowledged = world.escalator.do_action(case.id, Action.ACKNOWLEDGE, "agent@example.com")
    assert acknowledged.acknowledged_by == "agent@example.com"
    assert acknowledged.next_deadline == world.clock.now + timedelta(minutes=60)
    world.at(minutes=59)
    world.run_timer(case.id)
    assert len(world.mailer.sent) == 2  # the lead's email waits for the window


def test_a_claimed_case_cannot_be_claimed_by_someone_else(world):
    case = emailed(world)
    world.escalator.do_action(case.id, Action.CLAIM, "agent@example.com")
    with pytest.raises(CaseConflict, match=re.escape("claimed by agent@example.com")):
        world.escalator.do_action(case.id, Action.CLAIM, "agent2@example.com")


def test_a_snooze_moves_what_is_to_come_half_an_hour_on_a_new_timer(world):
    case = emailed(world)
    snoozed = world.escalator.do_action(case.id, Action.SNOOZE, "agent@example.com")
    assert snoozed.next_deadline == case.next_deadline + timedelta(minutes=30)
    assert snoozed.timer_round == case.timer_round + 1
    assert world.timers.state(case.execution_arn) == "ABORTED"
    assert world.timers.running() == {snoozed.execution_arn}


def test_escalate_now_tells_the_next_tier_at_once(world):
    case = emailed(world)
    escalated = world.escalator.do_action(case.id, Action.ESCALATE, "agent@example.com")
    world.run_timer(case.id)
    assert escalated.tier == 2 and world.mailer.sent[-1]["To"] == "lead@example.com"


def test_a_resolution_stops_the_timer_and_is_on_the_trail_in_the_persons_name(world):
    case = emailed(world)
    resolved = world.escalator.do_action(case.id, Action.RESOLVE, "lead@example.com")
    assert resolved.status is Status.RESOLVED and resolved.resolved_by == "lead@example.com"
    assert world.timers.state(case.execution_arn) == "ABORTED"
    last = world.cases.history(case.id)[1][-1]
    assert (last.kind, last.by, last.detail["tier"]) == ("resolved", "lead@example.com", 1)


def test_a_move_hands_the_case_to_the_other_teams_people(world):
    case = emailed(world)
    moved = world.escalator.move(case.id, "billing", "agent@example.com")
    world.run_timer(case.id)
    assert moved.team == "billing"
    assert world.mailer.to("billing@example.com")  # the new team's tier 1, now owed


def test_a_move_to_a_team_the_policy_does_not_have_is_refused(world):
    case = emailed(world)
    with pytest.raises(UnknownTeam, match="teams: billing, care"):
        world.escalator.move(case.id, "legal", "agent@example.com")


def test_a_pause_stops_the_clock_until_the_customer_writes_again(world):
    post = world.post(conversation_id="thread-p")
    case = world.escalator.receive(post)
    world.at(minutes=30)
    paused = world.escalator.pause(case.id, "agent@example.com")
    assert paused.next_deadline is None and world.timers.running() == set()
    world.at(hours=5)
    resumed = world.escalator.receive(world.post(QUESTION, conversation_id="thread-p"))
    assert resumed.paused_at is None
    assert resumed.next_deadline == world.clock.now + timedelta(minutes=30)  # what was left
    assert world.timers.running() == {resumed.execution_arn}


def test_an_email_link_acts_once_in_its_recipients_name(world):
    case = emailed(world)
    grant = world.signer.grant("agent@example.com", Action.ACKNOWLEDGE)
    acted = world.escalator.follow_link(grant)
    assert acted.acknowledged_by == "agent@example.com"
    with pytest.raises(LinkUsed):
        world.escalator.follow_link(grant)
    assert world.cases.link_used_at(case.id, grant.nonce) == world.clock.now


def test_a_link_looked_at_changes_nothing(world):
    case = emailed(world)
    grant = world.signer.grant("agent@example.com", Action.RESOLVE)
    assert world.escalator.preview_link(grant).version == case.version
    assert world.cases.get(case.id).is_open


def test_a_link_of_someone_the_case_was_moved_away_from_is_refused(world):
    case = emailed(world)
    world.escalator.move(case.id, "billing", "lead@example.com")
    grant = world.signer.grant("agent@example.com", Action.RESOLVE)
    with pytest.raises(CaseConflict, match="no longer among the people"):
        world.escalator.follow_link(grant)


def test_an_older_tiers_snooze_link_cannot_push_a_later_tier_around(world):
    case = emailed(world)
    grant = world.signer.grant("agent@example.com", Action.SNOOZE)
    world.at(hours=1)
    world.run_timer(case.id)  # the lead is at it now
    with pytest.raises(CaseConflict, match="at tier 2 now, not 1"):
        world.escalator.follow_link(grant)


def test_the_first_response_is_recorded_once(world):
    case = emailed(world)
    world.escalator.respond(case.id, "agent@example.com")
    with pytest.raises(CaseConflict, match="already answered"):
        world.escalator.respond(case.id, "agent2@example.com")


def test_an_action_on_a_case_that_does_not_exist_says_so(world):
    with pytest.raises(CaseNotFound):
        world.escalator.do_action("x-0123456789abcdef0123", Action.RESOLVE, "agent@example.com")


def test_a_change_that_races_another_is_decided_again_on_the_fresh_case(world):
    case = emailed(world)
    stale = world.cases.get(case.id)
    world.escalator.do_action(case.id, Action.ACKNOWLEDGE, "agent@example.com")
    world.cases.cases[case.id] = world.cases.get(case.id)  # stored, at a newer version
    assert world.cases.get(case.id).version == stale.version + 1
    claimed = world.escalator.do_action(case.id, Action.CLAIM, "agent@example.com")
    assert (claimed.owner, claimed.version) == ("agent@example.com", stale.version + 2)
