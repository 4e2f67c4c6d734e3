"""SLA clocks on the local stack: business-hours calendars."""

from __future__ import annotations

from datetime import datetime

from chalicelib.calendars import BusinessCalendar
from tests.e2e.stack import TIME_SCALE, case_of, make_post


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
