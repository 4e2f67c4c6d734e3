"""The walking skeleton's promises, on the local stack with real executions and waits."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from tests.e2e.stack import (
    TIME_SCALE,
    case_of,
    executions,
    make_post,
    sent_emails,
    table_items,
    wait_for,
)

COMPLAINT = "@brand my flight was cancelled and nobody answers the phone. Terrible service."


def notified_events(case: dict) -> list[dict]:
    return [e for e in case["events"] if e["kind"] == "notified"]


def test_unanswered_complaint_climbs_tier_by_tier_on_time(api, stack):
    post = make_post(COMPLAINT)
    assert api.send(post).status_code == 202
    case_id = case_of(post)

    case = api.wait_for_case(case_id, timeout=15, until=lambda c: len(notified_events(c)) >= 2)

    opened_at = datetime.fromisoformat(case["opened_at"])
    tier_one, tier_two = notified_events(case)[:2]
    assert (tier_one["detail"]["tier"], tier_two["detail"]["tier"]) == (1, 2)
    assert tier_one["detail"]["to"] == ["care-agents@example.com"]
    assert tier_two["detail"]["to"] == ["care-lead@example.com"]
    # X complaints: tier 1 at 60 min, tier 2 at 2 h of policy time; scaled, 1 s and 2 s.
    for event, policy_seconds in ((tier_one, 3600), (tier_two, 7200)):
        deadline = opened_at + timedelta(seconds=policy_seconds / TIME_SCALE)
        lag = (datetime.fromisoformat(event["at"]) - deadline).total_seconds()
        assert 0 <= lag < 1.0, f"tier {event['detail']['tier']} emailed {lag:.3f} s after deadline"

    emails = wait_for(lambda: len(sent_emails(case_id)) >= 2 and sent_emails(case_id), 5, "emails")
    by_tier = {message["X-Escalator-Tier"]: message for message in emails}
    assert by_tier["1"]["To"] == "care-agents@example.com"
    assert by_tier["2"]["To"] == "care-lead@example.com"
    for tier, message in by_tier.items():
        stamped = parsedate_to_datetime(message["Date"])
        assert stamped >= opened_at + timedelta(seconds=3600 * int(tier) / TIME_SCALE) - timedelta(
            seconds=1
        )  # Date has whole seconds
    parts = {
        part.get_content_type(): part.get_content()
        for part in by_tier["1"].walk()
        if not part.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}
    for body in parts.values():
        assert "nobody answers the phone" in body
        assert "@customer" in body
        assert f"/cases/{case_id}" in body
    assert "Tier 1/3" in by_tier["1"]["Subject"]


def test_complaint_answered_before_its_first_deadline_gets_no_email(api, stack):
    post = make_post(COMPLAINT)
    api.send(post)
    case_id = case_of(post)
    case = api.wait_for_case(
        case_id, until=lambda c: "timer started" in [e["kind"] for e in c["events"]]
    )
    assert (case["status"], case["tier"]) == ("open", 0)

    response = api.agent("POST", f"/cases/{case_id}/respond", json={"by": "maria"})

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "responded"
    assert response.json()["first_response_by"] == "maria"
    wait_for(lambda: executions(stack, case_id)[0]["status"] != "RUNNING", 5, "timer stopped")
    time.sleep(4.5 * 3600 / TIME_SCALE)  # past every X tier's deadline
    assert sent_emails(case_id) == []
    final = api.case(case_id)
    assert final["tier"] == 0
    assert [e["kind"] for e in final["events"]] == ["opened", "timer started", "responded"]


def test_the_same_post_delivered_five_times_makes_one_case_and_one_execution(api, stack):
    post = make_post(COMPLAINT)
    with ThreadPoolExecutor(5) as pool:
        statuses = list(pool.map(lambda _: api.send(post).status_code, range(5)))
    assert statuses == [202] * 5
    case_id = case_of(post)

    api.wait_for_case(case_id, until=lambda c: c["status"] == "open")
    time.sleep(1.5)  # let every redelivered copy be processed

    assert len(executions(stack, case_id)) == 1
    case = api.case(case_id)
    assert [e["kind"] for e in case["events"]].count("opened") == 1
    assert len(table_items(stack, f"POST#x#{post['id']}")) == 1
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_praise_and_spam_open_no_workflow(api, stack):
    praise = make_post("@brand thank you, the engineer was brilliant and so friendly!")
    spam = make_post("FREE followers giveaway, DM me for the promo code")
    api.send(praise)
    api.send(spam)

    for post, intent in ((praise, "praise"), (spam, "spam")):
        case = api.wait_for_case(case_of(post))
        assert case["status"] == "dismissed"
        assert case["intent"] == intent
        assert case["next_deadline"] is None
        assert executions(stack, case_of(post)) == []


def test_question_on_facebook_follows_the_meta_policy(api):
    post = make_post("Does the unlimited plan include calls to Ireland?", channel="facebook")
    api.send(post)
    case = api.wait_for_case(case_of(post))
    assert (case["intent"], case["policy"], case["tiers"]) == ("question", "meta-questions", 3)
    opened = datetime.fromisoformat(case["opened_at"])
    deadline = datetime.fromisoformat(case["next_deadline"])
    assert abs((deadline - opened).total_seconds() - 6 * 3600 / TIME_SCALE) < 0.01
    api.agent("POST", f"/cases/{case_of(post)}/resolve")


def test_resolving_an_escalated_case_stops_its_timer(api, stack):
    post = make_post(COMPLAINT)
    api.send(post)
    case_id = case_of(post)
    api.wait_for_case(case_id, timeout=10, until=lambda c: len(notified_events(c)) == 1)

    resolved = api.agent("POST", f"/cases/{case_id}/resolve", json={"by": "lead"})

    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    wait_for(lambda: executions(stack, case_id)[0]["status"] != "RUNNING", 5, "timer stopped")
    time.sleep(3.5 * 3600 / TIME_SCALE)
    assert [m["X-Escalator-Tier"] for m in sent_emails(case_id)] == ["1"]
