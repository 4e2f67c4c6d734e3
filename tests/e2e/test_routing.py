"""Topic routing on the local stack: each topic of the shipped taxonomy reaches its
team's tier emails (the routing-* policies of conftest.py), and a case moves between
teams from the agent API and from an email's link, on an unchanged clock: the new team is
told of the tier reached at once, and has the tiers after it."""

from __future__ import annotations

import pytest

from tests.e2e.stack import case_of, make_post, sent_emails, wait_for

# Questions, not complaints: alike complaints within a second would rightly be a storm.
TOPICS = [
    ("billing", "why was I charged twice for my subscription?", ["billing-1@example.com"]),
    ("delivery", "where is my parcel? the tracking has not moved", ["delivery-1@example.com"]),
    (
        "technical",
        "why does the app keep crashing after the update?",
        ["digital-1@example.com", "digital-1b@example.com"],
    ),
    (
        "account",
        "how do I get back into my account? I am locked out",
        ["digital-1@example.com", "digital-1b@example.com"],
    ),
    ("product", "is the battery meant to be faulty after a week?", ["product@example.com"]),
    ("other", "what time do your stores open on Sunday?", ["care-agents@example.com"]),
]
BILLING_QUESTION = "can I get a refund on the invoice from May?"


def tier_emails(case_id: str, tier: int, count: int = 1) -> list:
    return wait_for(
        lambda: (
            (found := [m for m in sent_emails(case_id) if m["X-Escalator-Tier"] == str(tier)])
            and len(found) >= count
            and found
        ),
        timeout=15,
        what=f"tier {tier}'s email of {case_id}",
    )


def opened(api, text: str) -> dict:
    post = make_post(text, channel="routing")
    assert api.send(post).status_code == 202
    return api.wait_for_case(case_of(post), until=lambda c: c["status"] == "open")


@pytest.mark.parametrize(("topic", "text", "team_tier_1"), TOPICS, ids=[t[0] for t in TOPICS])
def test_each_topic_reaches_its_teams_tier_emails(api, topic, text, team_tier_1):
    case = opened(api, text)
    assert case["topic"] == topic
    if topic != "other":
        reason = next(r for r in case["reasons"] if r.startswith(f"topic {topic}: "))
        assert all(term.lower() in text.lower() for term in reason.split(": ")[1].split(", "))
    emails = tier_emails(case["id"], 1, len(team_tier_1))
    assert sorted(m["To"] for m in emails) == sorted(team_tier_1)
    text_part = emails[0].get_body(("plain",)).get_content()
    assert f"Topic:     {topic} · team {case['team']}" in text_part


def test_a_case_moved_from_the_agent_api_escalates_to_the_new_team_on_the_same_clock(api):
    case = opened(api, BILLING_QUESTION)
    assert (case["team"], case["policy"]) == ("billing", "routing-billing")
    assert [m["To"] for m in tier_emails(case["id"], 1)] == ["billing-1@example.com"]
    before = api.wait_for_case(case["id"], until=lambda c: c["tier"] == 1)

    moved = api.agent("POST", f"/cases/{case['id']}/move", json={"team": "delivery", "by": "maria"})
    assert moved.status_code == 200, moved.text
    after = moved.json()
    assert after["team"] == "delivery"
    clock = ("opened_at", "first_deadline", "next_deadline", "tier", "policy")
    assert {key: after[key] for key in clock} == {key: before[key] for key in clock}
    tier_1 = tier_emails(case["id"], 1, count=2)  # the new team hears of it at once
    assert sorted(m["To"] for m in tier_1) == ["billing-1@example.com", "delivery-1@example.com"]
    assert [m["To"] for m in tier_emails(case["id"], 2)] == ["delivery-2@example.com"]
    trail = api.wait_for_case(
        case["id"], until=lambda c: [e["kind"] for e in c["events"]].count("notified") == 3
    )["events"]
    move = next(e for e in trail if e["kind"] == "moved")
    assert move["by"] == "maria"
    assert (move["detail"]["from_team"], move["detail"]["to_team"]) == ("billing", "delivery")
    notified = [e["detail"]["to"] for e in trail if e["kind"] == "notified"]
    assert notified == [
        ["billing-1@example.com"],
        ["delivery-1@example.com"],
        ["delivery-2@example.com"],
    ]


def test_a_case_moved_from_an_email_link_goes_to_the_team_the_link_names(api, stack):
    case = opened(api, BILLING_QUESTION)
    email = tier_emails(case["id"], 1)[0]
    text = email.get_body(("plain",)).get_content()
    moves = {
        line.split(":")[0].strip(): line.split(": ", 1)[1].strip()
        for line in text.splitlines()
        if line.strip().startswith("Move to ")
    }
    assert set(moves) == {"Move to care", "Move to delivery", "Move to digital", "Move to product"}
    url = moves["Move to digital"]
    page = api.http.get(url, timeout=10)
    assert page.status_code == 200
    assert "Move this case to team digital?" in page.text
    assert api.case(case["id"])["team"] == "billing"  # opening the link changes nothing

    done = api.http.post(url, timeout=10)
    assert done.status_code == 200, done.text
    assert "Moved to team digital" in done.text
    assert api.case(case["id"])["team"] == "digital"
    tier_1 = tier_emails(case["id"], 1, count=3)
    assert sorted(m["To"] for m in tier_1) == [
        "billing-1@example.com",
        "digital-1@example.com",
        "digital-1b@example.com",
    ]
    tier_2 = tier_emails(case["id"], 2)
    assert [m["To"] for m in tier_2] == ["digital-2@example.com"]
    move = next(e for e in api.case(case["id"])["events"] if e["kind"] == "moved")
    assert move["by"] == "billing-1@example.com"
    assert move["detail"]["via"] == "email link (tier 1)"
    assert api.http.post(url, timeout=10).status_code == 410  # a link works once


def test_a_move_to_a_team_that_does_not_exist_is_refused_and_changes_nothing(api):
    case = opened(api, BILLING_QUESTION)
    refused = api.agent("POST", f"/cases/{case['id']}/move", json={"team": "finance"})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("no team 'finance' (teams: billing, care, ")
    missing = api.agent("POST", f"/cases/{case['id']}/move", json={"by": "maria"})
    assert missing.status_code == 400
    assert missing.json()["problems"] == ["team: required field is missing"]
    same = api.agent("POST", f"/cases/{case['id']}/move", json={"team": "billing"})
    assert same.status_code == 409
    assert "with team billing already" in same.json()["error"]
    after = api.case(case["id"])
    assert after["team"] == "billing"
    assert "moved" not in [e["kind"] for e in after["events"]]


def test_a_resolved_case_cannot_be_moved(api):
    case = opened(api, BILLING_QUESTION)
    assert api.agent("POST", f"/cases/{case['id']}/resolve", json={}).status_code == 200
    refused = api.agent("POST", f"/cases/{case['id']}/move", json={"team": "delivery"})
    assert refused.status_code == 409
    assert "resolved: nothing to move" in refused.json()["error"]
    assert api.case(case["id"])["team"] == "billing"
