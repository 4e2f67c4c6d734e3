"""A response that lands right at a deadline, through the real timer and the agent API:
the case is answered, and its email either never goes out or was sent (and stamped)
before the response; never after it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from tests.e2e.stack import case_of, make_post, sent_emails, wait_for

# Questions: sixteen complaints alike would be a storm, grouped into an incident with no
# timers. On Facebook tier 1 is 6 policy hours away (6 s here), time to open them all.
QUESTION = "@brand what time does the Leeds store open on Sundays?"
CASES = 16
OFFSETS_MS = range(-40, 40, 5)  # when each response lands, around its case's deadline


def respond_at(api, case_id: str, moment: datetime) -> int:
    """Sleep until `moment`, then respond; returns the response's status code."""
    threading.Event().wait(max(0.0, (moment - datetime.now(UTC)).total_seconds()))
    return api.agent("POST", f"/cases/{case_id}/respond", json={"by": "agent"}).status_code


def timer_started(case: dict) -> bool:
    return "timer started" in [e["kind"] for e in case["events"]]


def test_a_response_at_the_deadline_never_has_an_email_after_it(api, stack):
    posts = [make_post(QUESTION, channel="facebook") for _ in range(CASES)]
    for post in posts:
        assert api.send(post).status_code == 202
    cases = [api.wait_for_case(case_of(post), until=timer_started) for post in posts]
    assert {(case["intent"], case["incident_id"]) for case in cases} == {("question", None)}

    with ThreadPoolExecutor(CASES) as pool:
        statuses = list(
            pool.map(
                lambda case, offset: respond_at(
                    api,
                    case["id"],
                    datetime.fromisoformat(case["first_deadline"]) + timedelta(milliseconds=offset),
                ),
                cases,
                OFFSETS_MS,
            )
        )
    assert statuses == [200] * CASES
    time.sleep(1.5)  # any email the timer was sending has landed by now

    for case in cases:
        final = wait_for(lambda case=case: api.case(case["id"]), 5, "the case")
        events = {e["kind"]: e for e in final["events"]}
        responded = datetime.fromisoformat(events["responded"]["at"])
        tier_one = [m for m in sent_emails(case["id"]) if m["X-Escalator-Tier"] == "1"]
        assert final["status"] == "responded"
        assert len(tier_one) <= 1
        assert not [m for m in sent_emails(case["id"]) if m["X-Escalator-Tier"] != "1"]
        if tier_one:
            assert datetime.fromisoformat(events["notified"]["at"]) <= responded
            assert parsedate_to_datetime(tier_one[0]["Date"]) <= responded
        else:  # answered first: the timer found the case answered
            assert "notified" not in events
