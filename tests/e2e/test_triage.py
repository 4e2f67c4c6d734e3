"""Triage on the local stack: storms become one incident, urgent cases start high, repeat
contact counts."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.stack import (
    TIME_SCALE,
    case_of,
    executions,
    make_post,
    sent_emails,
    wait_for,
)

STORM = [
    "@brand the zorblax app is down again, I cannot log in and nobody answers",
    "@brand zorblax is broken for me too, cannot pay my bill, useless",
    "@brand your zorblax login fails every time, this is ridiculous",
    "@brand still no zorblax, third time this week it has crashed on me",
    "@brand zorblax has been down all morning, I lost my work, awful",
]


def notified_tiers(case: dict) -> list[int]:
    return [e["detail"]["tier"] for e in case["events"] if e["kind"] == "notified"]


def test_a_storm_of_complaints_is_one_incident_with_one_crisis_email(api, stack):
    # On Facebook, where tier 1 is 4 h (4 s here): the incident forms long before.
    posts = [make_post(text, channel="facebook") for text in STORM]
    with ThreadPoolExecutor(len(posts)) as pool:  # together, as a storm comes
        assert set(pool.map(lambda post: api.send(post).status_code, posts)) == {202}
    case_ids = [case_of(post) for post in posts]

    cases = [
        api.wait_for_case(case_id, until=lambda c: c["incident_id"] is not None)
        for case_id in case_ids
    ]
    assert {case["intent"] for case in cases} == {"complaint"}
    incident_id = cases[0]["incident_id"]
    assert {case["incident_id"] for case in cases} == {incident_id}
    incident = api.agent("GET", f"/incidents/{incident_id}").json()
    assert incident["term"] == "zorblax" and incident["status"] == "open"
    assert set(incident["members"]) <= set(case_ids) and len(incident["members"]) >= 4
    assert incident_id in [i["id"] for i in api.agent("GET", "/incidents").json()["incidents"]]

    crisis = wait_for(lambda: sent_emails(incident_id, "X-Escalator-Incident"), 5, "crisis email")
    time.sleep(4.5 * 3600 / TIME_SCALE)  # past every member's first deadline
    assert len(sent_emails(incident_id, "X-Escalator-Incident")) == 1
    assert crisis[0]["To"] == "crisis-team@example.com"
    subject = re.match(r'\[Incident\] (\d) complaints about "zorblax"', crisis[0]["Subject"])
    grouped = int(subject.group(1))  # those in by the time it opened: 4, or 5 if together
    assert grouped in (4, 5)
    body = crisis[0].get_body(("plain",)).get_content()
    assert sum(text.split(",")[0] in body for text in STORM) == grouped
    for case_id in case_ids:
        case = api.case(case_id)
        assert sent_emails(case_id) == [], case["events"]  # no member escalated on its own
        assert notified_tiers(case) == []
        assert "joined incident" in [e["kind"] for e in case["events"]]
        assert all(e["status"] != "RUNNING" for e in executions(stack, case_id))

    told = api.agent("GET", f"/incidents/{incident_id}").json()["told"]
    assert len(told) == grouped  # the members the notice named
    resolved = api.agent("POST", f"/incidents/{incident_id}/resolve", json={"by": "lead"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert {api.case(case_id)["status"] for case_id in told} == {"resolved"}
    for case_id in set(case_ids) - set(told):  # joined after the notice, nobody told
        case = api.wait_for_case(case_id, until=lambda c: "left incident" in str(c["events"]))
        assert case["status"] == "open" and case["incident_id"] is None
        api.agent("POST", f"/cases/{case_id}/resolve")
    again = api.agent("POST", f"/incidents/{incident_id}/resolve")
    assert again.status_code == 409


def test_incident_routes_refuse_unknown_ids_and_bad_bodies(api):
    assert api.agent("GET", "/incidents/incident-00000000000000000000").status_code == 404
    assert api.agent("GET", "/incidents/nope").status_code == 404
    assert api.agent("GET", "/incidents?status=sideways").status_code == 400
    bad = api.agent("POST", "/incidents/incident-00000000000000000000/resolve", json={"x": 1})
    assert bad.status_code == 400 and "problems" in bad.json()
    assert api.agent("GET", "/incidents", token=None).status_code == 401


def test_an_urgent_complaint_emails_its_higher_tier_at_once(api):
    post = make_post("@brand my account was hacked and someone stole money from my card")
    api.send(post)
    case = api.wait_for_case(case_of(post), until=lambda c: notified_tiers(c))
    assert case["priority"] == "urgent"
    assert notified_tiers(case) == [2]
    notified = next(e for e in case["events"] if e["kind"] == "notified")
    assert notified["detail"]["to"] == ["care-lead@example.com"]
    started = next(e for e in case["events"] if e["kind"] == "timer started")
    assert started["detail"]["first_deadline"] == case["opened_at"]  # at once, not in 2 h
    assert sent_emails(case_of(post))[0]["X-Escalator-Tier"] == "2"
    api.agent("POST", f"/cases/{case_of(post)}/resolve")


def test_a_second_post_from_the_same_author_within_a_day_is_repeat_contact(api):
    author = {"id": "u-repeat", "handle": "@again", "followers": 40}
    first = make_post("@brand my parcel is two weeks late", author=author)
    second = make_post("@brand also my refund for the last order never came", author=author)
    api.send(first)
    assert "repeat contact" not in str(api.wait_for_case(case_of(first))["reasons"])
    api.send(second)
    case = api.wait_for_case(case_of(second))
    assert any(r.startswith("repeat contact") for r in case["reasons"]), case["reasons"]
    for post in (first, second):
        api.agent("POST", f"/cases/{case_of(post)}/resolve")
