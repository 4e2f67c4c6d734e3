"""SLA clocks on the local stack: calendars, claims, pauses, reopening, repeats, quiet
hours."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from itertools import pairwise

from chalicelib.domain.calendars import BusinessCalendar, QuietHours
from tests.e2e.stack import (
    QUIET_SINCE,
    TIME_SCALE,
    case_of,
    executions,
    make_post,
    quiet_hours,
    sent_emails,
)


def test_a_calendar_policy_counts_only_opening_hours(api):
    post = make_post("@brand my order is missing and nobody replies", channel="office")
    api.send(post)
    case = api.wait_for_case(case_of(post), until=lambda c: c["status"] == "open")
    assert case["policy"] == "office-hours"

    opened = datetime.fromisoformat(case["opened_at"])
    lunchtime = BusinessCalendar.from_spec(
        {
            "timezone": "UTC",
            "hours": {
                day: "12:00-13:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        }
    )
    due = lunchtime.add(opened, 3600)  # one open hour: the next lunchtime's end, at the latest
    assert due.hour == 13 or lunchtime.is_open(opened)
    expected = opened + (due - opened) / TIME_SCALE
    assert abs(datetime.fromisoformat(case["next_deadline"]) - expected).total_seconds() < 0.002
    api.agent("POST", f"/cases/{case_of(post)}/resolve")


def kinds(case: dict) -> list[str]:
    return [e["kind"] for e in case["events"]]


def event(case: dict, kind: str) -> dict:
    return next(e for e in case["events"] if e["kind"] == kind)


def at(event: dict) -> datetime:
    return datetime.fromisoformat(event["at"])


def test_acknowledging_holds_further_tiers_for_the_claim_window(api):
    post = make_post("@brand my order is missing and nobody replies", channel="claim")
    api.send(post)
    case_id = case_of(post)
    api.wait_for_case(case_id, until=lambda c: "timer started" in kinds(c))

    held = api.agent("POST", f"/cases/{case_id}/acknowledge", json={"by": "maria"})

    assert held.status_code == 200, held.text
    until = datetime.fromisoformat(held.json()["held_until"])
    assert held.json()["acknowledged_by"] == "maria" and held.json()["owner"] is None
    case = api.wait_for_case(case_id, timeout=10, until=lambda c: "notified" in kinds(c))
    hold = event(case, "acknowledged")
    assert hold["by"] == "maria" and hold["detail"]["until"] == held.json()["held_until"]
    first = event(case, "notified")
    assert first["detail"]["tier"] == 1
    assert at(first) >= until  # not at tier 1's own deadline (1 s), but when the claim ran out
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_a_paused_case_resumes_with_the_time_that_was_left(api, stack):
    conversation = f"conv-{time.time_ns()}"
    author = {"id": f"u-{time.time_ns()}", "handle": "@waiting", "followers": 10}
    post = make_post(
        "@brand my order is missing and nobody replies",
        conversation_id=conversation,
        author=author,
    )
    api.send(post)
    case_id = case_of(post)
    opened = api.wait_for_case(case_id, until=lambda c: "timer started" in kinds(c))

    paused = api.agent("POST", f"/cases/{case_id}/pause", json={"by": "maria"})
    assert paused.status_code == 200 and paused.json()["paused_at"] is not None
    assert paused.json()["next_deadline"] is None
    time.sleep(2.5 * 3600 / TIME_SCALE)  # past tier 1 and 2 deadlines (1 h, 2 h)
    assert sent_emails(case_id) == []
    assert api.agent("POST", f"/cases/{case_id}/pause").status_code == 409  # paused already

    api.send(
        make_post("here is my order number: 1234", conversation_id=conversation, author=author)
    )
    case = api.wait_for_case(case_id, until=lambda c: "resumed" in kinds(c))
    left = datetime.fromisoformat(opened["next_deadline"]) - at(event(case, "timer started"))
    pause = at(event(case, "resumed")) - datetime.fromisoformat(paused.json()["paused_at"])
    expected = datetime.fromisoformat(opened["next_deadline"]) + pause
    assert abs((datetime.fromisoformat(case["next_deadline"]) - expected).total_seconds()) < 0.01
    assert left.total_seconds() > 0
    case = api.wait_for_case(case_id, timeout=10, until=lambda c: "notified" in kinds(c))
    assert at(event(case, "notified")) >= expected
    assert len(executions(stack, case_id)) == 1 and executions(stack, f"{case_id}-r1")
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_a_customer_post_soon_after_the_resolution_reopens_the_case(api, stack):
    conversation = f"conv-{time.time_ns()}"
    author = {"id": f"u-{time.time_ns()}", "handle": "@again", "followers": 10}
    post = make_post("@brand my order is missing", conversation_id=conversation, author=author)
    api.send(post)
    case_id = case_of(post)
    api.wait_for_case(case_id, until=lambda c: "timer started" in kinds(c))
    api.agent("POST", f"/cases/{case_id}/respond", json={"by": "maria"})
    api.agent("POST", f"/cases/{case_id}/resolve", json={"by": "maria"})

    api.send(make_post("@brand it still has not come", conversation_id=conversation, author=author))

    case = api.wait_for_case(case_id, until=lambda c: c["status"] == "open")
    assert "reopened" in kinds(case)
    assert case["first_response_at"] is None and case["tier"] == 0
    assert at(event(case, "reopened")) == datetime.fromisoformat(case["opened_at"])
    case = api.wait_for_case(case_id, timeout=10, until=lambda c: "notified" in kinds(c))
    assert len(sent_emails(case_id)) == 1  # the fresh clock's tier 1, once
    assert executions(stack, f"{case_id}-r1")
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_the_last_tier_repeats_until_someone_acts_at_most_n_times(api):
    post = make_post("@brand my order is missing and nobody replies", channel="repeat")
    api.send(post)
    case_id = case_of(post)

    case = api.wait_for_case(
        case_id, timeout=15, until=lambda c: len([k for k in kinds(c) if k == "notified"]) == 3
    )
    time.sleep(1.5 * 3600 / TIME_SCALE)  # a third repeat would be due by now
    emails = sent_emails(case_id)
    assert [m["X-Escalator-Repeat"] for m in emails] == [None, "1", "2"]
    assert "(reminder 2)" in emails[2]["Subject"]
    notified = [e for e in api.case(case_id)["events"] if e["kind"] == "notified"]
    assert len(notified) == 3
    gaps = [(at(b) - at(a)).total_seconds() for a, b in pairwise(notified)]
    assert all(abs(gap - 3600 / TIME_SCALE) < 0.5 for gap in gaps), gaps
    assert case["next_deadline"] is None
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_quiet_hours_hold_the_email_but_not_the_sla_clock(api):
    post = make_post("@brand my order is missing and nobody replies", channel="quiet")
    api.send(post)
    case_id = case_of(post)

    case = api.wait_for_case(case_id, timeout=10, until=lambda c: "notified" in kinds(c))
    opened = datetime.fromisoformat(case["opened_at"])
    escalated, notified = event(case, "escalated"), event(case, "notified")
    deadline = opened + timedelta(seconds=3600 / TIME_SCALE)
    assert abs((at(escalated) - deadline).total_seconds()) < 0.5  # breached on time
    quiet = QuietHours("UTC", quiet_hours(QUIET_SINCE[0]))
    policy_deadline = opened + timedelta(hours=1)
    quiet_end = opened + (quiet.end_after(policy_deadline) - opened) / TIME_SCALE
    assert at(notified) >= quiet_end > at(escalated)
    api.agent("POST", f"/cases/{case_id}/resolve")
