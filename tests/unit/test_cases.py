from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.calendars import BusinessCalendar, QuietHours
from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case, case_id_for
from chalicelib.domain.errors import CaseConflict
from chalicelib.domain.policy import load_policy
from chalicelib.domain.posts import Post
from chalicelib.domain.rules import RepeatSpec, Rule
from chalicelib.domain.triage import triage

OPENED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = load_policy()


def open_case(
    text: str = "my order is missing, terrible",
    channel: str = "x",
    time_scale: float = 1.0,
    opened: datetime = OPENED,
    calendar: BusinessCalendar | None = None,
    rule: Rule | None = None,
) -> Case:
    post = Post.model_validate(
        {
            "id": "123",
            "channel": channel,
            "text": text,
            "created_at": opened.isoformat(),
            "author": {"id": "a", "handle": "@a"},
        }
    )
    verdict = triage(text)
    rule = rule or POLICY.for_case(channel, verdict.intent, verdict.priority)
    return Case.open(post, verdict, rule, opened, time_scale, calendar)


def test_case_ids_are_stable_valid_execution_names_and_distinct_per_channel():
    assert case_id_for("x", "123") == case_id_for("x", "123")
    assert case_id_for("x", "123") != case_id_for("facebook", "123")
    assert len(case_id_for("instagram", "9" * 200)) <= 80


def test_an_actionable_case_is_open_with_the_policy_tiers():
    case = open_case()
    assert case.status is Status.OPEN
    assert [t.after_seconds for t in case.tiers] == [3600, 7200, 14400]
    assert case.next_deadline == OPENED + timedelta(hours=1)


def test_praise_is_dismissed_with_no_deadline():
    case = open_case("thanks, you are brilliant")
    assert case.status is Status.DISMISSED
    assert case.tiers == ()
    assert case.next_deadline is None


def test_time_scale_compresses_deadlines_not_the_policy():
    case = open_case(time_scale=60)
    assert case.next_deadline == OPENED + timedelta(seconds=60)
    assert case.policy_time_since_opened(OPENED + timedelta(seconds=30)) == timedelta(minutes=30)


def test_the_timer_waits_whole_seconds_and_never_past_the_deadline():
    case = open_case()
    assert case.seconds_until_next_deadline(OPENED + timedelta(seconds=0.5)) == 3599
    assert case.seconds_until_next_deadline(OPENED + timedelta(hours=2)) == 0
    assert not case.is_due(OPENED + timedelta(minutes=59, seconds=59))
    assert case.is_due(OPENED + timedelta(hours=1))


def test_advancing_walks_the_tiers_then_nothing_is_left():
    case = open_case()
    for _ in case.tiers:
        case = case.advanced()
    assert case.tier == 3
    assert case.next_tier is None
    assert case.seconds_until_next_deadline(OPENED) is None


def test_respond_and_resolve_end_the_escalation_once():
    case = open_case()
    responded = case.responded(OPENED + timedelta(minutes=5), "sam")
    assert responded.status is Status.RESPONDED
    assert responded.next_deadline is None
    with pytest.raises(CaseConflict, match="already answered"):
        responded.responded(OPENED, "kim")
    resolved = responded.resolved(OPENED + timedelta(minutes=9), "sam")
    assert resolved.status is Status.RESOLVED
    with pytest.raises(CaseConflict, match="already resolved"):
        resolved.resolved(OPENED, "kim")


def test_an_urgent_case_starts_at_the_policy_tier_at_once_and_keeps_the_gaps_after_it():
    case = open_case("my account was hacked and money was stolen from my card")
    assert case.priority == "urgent"
    assert (case.tier, case.notified_tier) == (1, 1)  # tier 1 passed over, never emailed
    assert case.next_tier.number == 2
    assert case.next_deadline == OPENED  # at once
    assert case.deadline(case.tiers[2]) == OPENED + timedelta(hours=2)  # 4 h - 2 h


def test_a_case_knows_its_triage_scores():
    case = open_case("my order is missing, terrible")
    assert case.complaint_score >= 0.5 and case.sentiment < 0


def test_with_a_calendar_tiers_count_opening_hours_only_in_policy_time():
    office = BusinessCalendar.from_spec(
        {"timezone": "UTC", "hours": {"mon": "09:00-17:00", "tue": "09:00-17:00"}}
    )
    monday_4pm = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    case = open_case(opened=monday_4pm, calendar=office)
    # 1 h: 16:00-17:00 Monday. 2 h: 1 h Monday + 1 h Tuesday from 09:00.
    assert case.deadline(case.tiers[0]) == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    assert case.deadline(case.tiers[1]) == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    fast = open_case(time_scale=3600, opened=monday_4pm, calendar=office)
    assert fast.deadline(fast.tiers[1]) == monday_4pm + timedelta(seconds=18 * 3600 / 3600)


def test_the_last_tier_repeats_every_so_often_at_most_n_times():
    rule = POLICY.rules[0].model_copy(update={"repeat": RepeatSpec(every="1h", times=2)})
    case = open_case(rule=rule)
    for _ in range(3):
        case = case.advanced().sent(*case.advanced().unsent)
    assert case.tier == 3 and case.next_deadline == OPENED + timedelta(hours=5)  # 4 h + 1 h
    case = case.advanced()
    assert case.unsent == (case.tiers[-1], 1)
    case = case.sent(*case.unsent).advanced()
    case = case.sent(*case.unsent)
    assert case.repeats_sent == 2 and case.next_deadline is None  # no third reminder


def test_a_pause_moves_every_later_deadline_by_its_length():
    case = open_case()
    paused = case.paused(OPENED + timedelta(minutes=10))
    assert paused.next_deadline is None
    resumed = paused.resumed(OPENED + timedelta(minutes=40))
    assert resumed.next_deadline == OPENED + timedelta(minutes=90)  # 60 min + 30 paused
    assert resumed.timer_round == 1 and resumed.timer_name == f"{case.id}-r1"
    with pytest.raises(CaseConflict):
        paused.paused(OPENED + timedelta(minutes=20))


def test_a_claim_holds_the_next_deadline_until_it_runs_out():
    case = open_case().claimed(OPENED + timedelta(minutes=50), "maria")
    assert case.next_deadline == OPENED + timedelta(minutes=80)  # claimed for 30 min
    assert open_case().claimed(OPENED, "maria").next_deadline == OPENED + timedelta(hours=1)


def test_a_reopened_case_starts_a_fresh_clock_in_a_new_round():
    case = open_case().advanced().responded(OPENED, "maria").resolved(OPENED, "maria")
    later = OPENED + timedelta(days=2)
    assert case.may_reopen(later, 7 * 24 * 3600)
    assert not case.may_reopen(OPENED + timedelta(days=8), 7 * 24 * 3600)
    reopened = case.reopened(later)
    assert (reopened.status, reopened.tier, reopened.opened_at) == (Status.OPEN, 0, later)
    assert reopened.first_response_at is None and reopened.timer_round == 1
    assert reopened.next_deadline == later + timedelta(hours=1)


def test_quiet_hours_hold_emails_unless_urgent():
    quiet = QuietHours("UTC", "08:00-10:00")
    case = open_case()  # opened 09:00
    tier = replace(case.tiers[0], quiet_hours=quiet)
    assert case.quiet_until(tier, OPENED) == OPENED + timedelta(hours=1)
    assert case.quiet_until(tier, OPENED + timedelta(hours=2)) is None
    assert replace(case, priority="urgent").quiet_until(tier, OPENED) is None


def test_a_reopened_urgent_case_still_skips_the_tiers_it_passed_over():
    urgent = open_case("my account was hacked and money was stolen from my card")
    done = urgent.advanced().sent(*urgent.advanced().unsent).resolved(OPENED, "maria")
    reopened = done.reopened(OPENED + timedelta(days=1))
    assert (reopened.tier, reopened.notified_tier) == (1, 1)
    assert reopened.next_tier.number == 2 and reopened.opening == 1


def test_emails_held_by_quiet_hours_all_go_out_in_order():
    case = open_case().advanced().advanced()  # tiers 1 and 2 passed, neither emailed
    assert case.unsent == (case.tiers[0], 0)
    case = case.sent(*case.unsent)
    assert case.unsent == (case.tiers[1], 0)
    assert case.sent(*case.unsent).unsent is None


def test_a_breach_is_a_missed_deadline_not_an_urgent_cases_email_at_once():
    urgent = open_case("my account was hacked and money was stolen from my card")
    at_once = urgent.advanced()  # the policy's tier, due at opening
    assert not urgent.breached and not at_once.breached
    assert at_once.advanced().breached  # the next tier's deadline passed unanswered
    normal = open_case("my order is late and nobody answers")
    assert not normal.breached and normal.advanced().breached


def test_a_case_needs_a_timer_while_a_deadline_or_an_email_is_still_to_come():
    case = open_case()
    assert case.needs_timer
    assert not open_case("thank you, you are great").needs_timer  # dismissed
    assert not case.paused(OPENED).needs_timer
    assert not case.joined("incident-1").needs_timer
    assert not case.responded(OPENED, "agent").needs_timer
    done = case.advanced().advanced().advanced()
    assert done.needs_timer  # the last tier's email is still owed
    for tier in done.tiers:
        done = done.sent(tier, 0)
    assert not done.needs_timer  # all three tiers told, nothing left to wait for


def test_a_rearmed_case_gets_a_new_rounds_timer_with_its_clock_unchanged():
    case = open_case().advanced().started("arn:old")
    rearmed = case.rearmed()
    assert (rearmed.timer_round, rearmed.execution_arn) == (1, None)
    assert rearmed.timer_name == f"{case.id}-r1"
    assert (rearmed.tier, rearmed.next_deadline) == (case.tier, case.next_deadline)


LOGISTICS = [("depot@example.com",), ("ops@example.com",), ("ops@example.com",)]
NIGHT = QuietHours(timezone="UTC", hours="22:00-07:00")


def test_a_moved_case_owes_the_new_team_the_tiers_reached_on_the_same_clock():
    case = open_case("my order is missing, terrible").advanced().advanced()
    case = case.sent(case.tiers[0], 0).sent(case.tiers[1], 0)  # tiers 1 and 2 emailed
    moved = case.moved("logistics", LOGISTICS, NIGHT)
    assert (moved.team, case.team) == ("logistics", "care")
    assert [t.notify for t in moved.tiers] == LOGISTICS
    assert all(t.quiet_hours == NIGHT for t in moved.tiers)
    assert [moved.deadline(t) for t in moved.tiers] == [case.deadline(t) for t in case.tiers]
    assert (moved.tier, moved.next_deadline) == (case.tier, case.next_deadline)
    assert moved.unsent == (moved.tiers[1], 0)  # the tier reached, for the new team's people
    assert moved.tiers[1].notify == LOGISTICS[1]
    assert moved.timer_round == case.timer_round + 1 and moved.execution_arn is None

    held = open_case("my order is missing, terrible").advanced().advanced()  # none sent yet
    tier, repeat = held.moved("logistics", LOGISTICS, None).unsent
    assert (tier.number, tier.notify, repeat) == (1, LOGISTICS[0], 0)
    fresh = open_case("my order is missing, terrible")
    assert fresh.moved("logistics", LOGISTICS, None).unsent is None  # nothing reached yet


def test_a_move_is_refused_to_the_same_team_and_for_a_closed_case():
    case = open_case("my order is missing, terrible")
    moved = case.moved("logistics", LOGISTICS, None)
    with pytest.raises(CaseConflict, match="with team logistics already"):
        moved.moved("logistics", LOGISTICS, None)
    with pytest.raises(CaseConflict, match="resolved: nothing to move"):
        case.resolved(OPENED, "maria").moved("logistics", LOGISTICS, None)
    answered = case.responded(OPENED, "maria").moved("logistics", LOGISTICS, None)
    assert (answered.team, answered.timer_round) == ("logistics", case.timer_round)
