"""The one-click links in escalation emails, end to end on the local stack: each action
from a real email read back from SES, and every way a link can be bad."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import components
from chalicelib.adapters.signing import ActionSigner
from chalicelib.domain.actions import ACTION_LABELS, Action
from chalicelib.domain.errors import LinkUsed
from tests.e2e.stack import (
    TIME_SCALE,
    case_of,
    make_post,
    sent_emails,
    wait_for,
)

COMPLAINT = "@brand my parcel is lost and nobody answers my emails"
LABELS = {label: action for action, label in ACTION_LABELS.items()}


def links(message) -> dict[Action, str]:
    """The action links in an email's text part, by action (one of the move links)."""
    text = message.get_body(("plain",)).get_content()
    found = {}
    for line in text.splitlines():
        label, _, url = line.partition(":")
        move = label.strip().startswith(ACTION_LABELS[Action.MOVE] + " ")
        action = Action.MOVE if move else LABELS.get(label.strip())
        if action is not None:
            found[action] = url.strip()
    return found


def emailed_case(api, tier: int = 1) -> tuple[str, dict[Action, str]]:
    """A new case of the email-actions policy, once tier 1's email is out: its id and
    that email's links."""
    post = make_post(COMPLAINT, channel="actions")
    assert api.send(post).status_code == 202
    case_id = case_of(post)
    emails = wait_for(
        lambda: [m for m in sent_emails(case_id) if m["X-Escalator-Tier"] == str(tier)],
        timeout=10,
        what=f"tier {tier}'s email",
    )
    api.wait_for_case(  # the email's send is on the trail
        case_id,
        until=lambda c: any(
            e["detail"].get("tier") == tier for e in c["events"] if e["kind"] == "notified"
        ),
    )
    return case_id, links(emails[0])


def state(api, case_id: str) -> dict:
    """What an action could change: the case, and its audit trail."""
    case = api.case(case_id)
    keys = ("status", "tier", "acknowledged_by", "held_until", "owner", "next_deadline")
    return {**{k: case[k] for k in keys}, "events": [e["kind"] for e in case["events"]]}


def event(api, case_id: str, kind: str, by: str = "act-1@example.com") -> dict:
    return next(e for e in api.case(case_id)["events"] if e["kind"] == kind and e["by"] == by)


def timers(stack, case_id: str) -> dict[str, str]:
    sfn = stack.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=stack.env["ESCALATOR_STATE_MACHINE_ARN"])
    return {e["name"]: e["status"] for e in listed["executions"] if e["name"].startswith(case_id)}


def test_every_link_points_at_the_stack_and_is_the_recipients(api, stack):
    case_id, found = emailed_case(api)
    assert set(found) == set(Action)
    signer = components.action_signer()
    for action, url in found.items():
        assert url.startswith(f"{stack.base_url}/actions/")
        grant = signer.verify(url.rsplit("/", 1)[1])
        assert (grant.case_id, grant.tier, grant.action, grant.recipient) == (
            case_id,
            1,
            action,
            "act-1@example.com",
        )
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_acknowledge_confirms_on_get_and_acts_once_on_post(api):
    case_id, found = emailed_case(api)
    before = state(api, case_id)

    page = api.http.get(found[Action.ACKNOWLEDGE], timeout=10)
    assert page.status_code == 200
    assert "Acknowledge this case?" in page.text and '<form method="post">' in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert state(api, case_id) == before  # a mail scanner opening the link does nothing

    done = api.http.post(found[Action.ACKNOWLEDGE], timeout=10)
    assert done.status_code == 200, done.text
    assert "Done: acknowledge" in done.text
    case = api.case(case_id)
    assert case["acknowledged_by"] == "act-1@example.com" and case["owner"] is None
    acknowledged = event(api, case_id, "acknowledged")
    assert acknowledged["detail"]["via"] == "email link (tier 1)"
    held = datetime.fromisoformat(case["held_until"]) - datetime.fromisoformat(acknowledged["at"])
    assert held == timedelta(hours=3) / TIME_SCALE  # the policy's claim window

    after = state(api, case_id)
    again = api.http.post(found[Action.ACKNOWLEDGE], timeout=10)
    assert again.status_code == 410 and "used already" in again.text
    assert api.http.get(found[Action.ACKNOWLEDGE], timeout=10).status_code == 410
    assert state(api, case_id) == after
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_claim_makes_the_recipient_the_owner_and_nobody_else_can_claim(api):
    case_id, found = emailed_case(api)

    done = api.http.post(found[Action.CLAIM], timeout=10)

    assert done.status_code == 200 and "the case is yours" in done.text
    case = api.case(case_id)
    assert case["owner"] == "act-1@example.com" and case["held_until"]
    taken = api.agent("POST", f"/cases/{case_id}/claim", json={"by": "bo@example.com"})
    assert taken.status_code == 409
    assert "claimed by act-1@example.com already" in taken.json()["error"]
    assert api.case(case_id)["owner"] == "act-1@example.com"
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_snooze_moves_what_is_to_come_30_minutes_on_a_new_timer(api, stack):
    case_id, found = emailed_case(api)
    before = datetime.fromisoformat(api.case(case_id)["next_deadline"])

    done = api.http.post(found[Action.SNOOZE], timeout=10)

    assert done.status_code == 200 and "Snoozed for 30 minutes" in done.text
    after = datetime.fromisoformat(api.case(case_id)["next_deadline"])
    assert after - before == timedelta(minutes=30) / TIME_SCALE
    assert event(api, case_id, "snoozed")["detail"]["via"] == "email link (tier 1)"
    wait_for(
        lambda: timers(stack, case_id) == {case_id: "ABORTED", f"{case_id}-r1": "RUNNING"},
        timeout=5,
        what="the old timer stopped and a new one running",
    )
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_escalate_now_tells_the_next_tier_at_once_and_only_from_its_tier(api):
    case_id, found = emailed_case(api)
    deadline = datetime.fromisoformat(api.case(case_id)["next_deadline"])  # tier 2's

    done = api.http.post(found[Action.ESCALATE], timeout=10)

    assert done.status_code == 200, done.text
    assert "tier 2 (act-2a@example.com, act-2b@example.com) is told now" in done.text
    emails = wait_for(
        lambda: (
            len(tier_2 := [m for m in sent_emails(case_id) if m["X-Escalator-Tier"] == "2"]) == 2
            and tier_2
        ),
        timeout=5,
        what="tier 2's emails",
    )
    assert sorted(m["To"] for m in emails) == ["act-2a@example.com", "act-2b@example.com"]
    notified = [e for e in api.case(case_id)["events"] if e["kind"] == "notified"]
    assert datetime.fromisoformat(notified[-1]["at"]) < deadline
    escalated = event(api, case_id, "escalated")
    assert escalated["detail"]["to_tier"] == 2
    for message in emails:  # each tier 2 email's links are its recipient's own
        grant = components.action_signer().verify(
            links(message)[Action.ACKNOWLEDGE].rsplit("/", 1)[1]
        )
        assert grant.recipient == message["To"] and grant.tier == 2

    again = api.http.post(found[Action.ESCALATE], timeout=10)  # a double click
    assert again.status_code == 410 and "used already" in again.text

    # Another tier 1 link to escalate, signed now: the case is past tier 1.
    stale = components.action_signer().token(case_id, 0, 1, Action.ESCALATE, "act-1@example.com")
    before = state(api, case_id)
    refused = api.http.post(f"{api.url}/actions/{stale}", timeout=10)
    assert refused.status_code == 409 and "at tier 2 now, not 1" in refused.text
    assert state(api, case_id) == before
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_resolve_ends_the_escalation_and_stops_the_timer(api, stack):
    case_id, found = emailed_case(api)

    done = api.http.post(found[Action.RESOLVE], timeout=10)

    assert done.status_code == 200 and "Resolved" in done.text
    case = api.case(case_id)
    assert case["status"] == "resolved" and case["resolved_by"] == "act-1@example.com"
    wait_for(lambda: timers(stack, case_id) == {case_id: "ABORTED"}, 5, "the timer stopped")
    # Every other link of that email now meets a resolved case.
    refused = api.http.post(found[Action.ACKNOWLEDGE], timeout=10)
    assert refused.status_code == 409 and "case is resolved" in refused.text


def _tampered(token: str) -> str:
    payload, stamp, signature = token.rsplit(".", 2)
    middle = len(payload) // 2
    flipped = "A" if payload[middle] != "A" else "B"
    return f"{payload[:middle]}{flipped}{payload[middle + 1 :]}.{stamp}.{signature}"


BAD_LINKS = {
    "forged": (
        lambda case_id, token: ActionSigner("not-our-key").token(
            case_id, 0, 1, Action.RESOLVE, "act-1@example.com"
        ),
        403,
        "This link is not valid",
    ),
    "tampered": (lambda case_id, token: _tampered(token), 403, "This link is not valid"),
    "garbage": (lambda case_id, token: "not-a-token", 403, "This link is not valid"),
    "oversize": (lambda case_id, token: "a" * 5000, 403, "This link is not valid"),
    "expired": (
        lambda case_id, token: ActionSigner(
            _key(), clock=lambda: datetime.now(UTC) - timedelta(hours=73)
        ).token(case_id, 0, 1, Action.RESOLVE, "act-1@example.com"),
        410,
        "This link has expired",
    ),
    "no such case": (
        lambda case_id, token: components.action_signer().token(
            "x-00000000000000000000", 0, 1, Action.RESOLVE, "act-1@example.com"
        ),
        404,
        "No such case",
    ),
    "earlier opening": (
        lambda case_id, token: components.action_signer().token(
            case_id, 7, 1, Action.RESOLVE, "act-1@example.com"
        ),
        409,
        "another opening of this case",
    ),
}


def _key() -> str:
    import os

    return os.environ["ESCALATOR_ACTION_KEY"]


@pytest.mark.parametrize("kind", BAD_LINKS)
def test_a_bad_link_gets_a_clear_4xx_page_and_changes_nothing(api, kind):
    case_id, found = emailed_case(api)
    make, status, message = BAD_LINKS[kind]
    url = f"{api.url}/actions/{make(case_id, found[Action.RESOLVE].rsplit('/', 1)[1])}"
    before = state(api, case_id)

    for method in ("GET", "POST"):
        response = api.http.request(method, url, timeout=10)
        assert response.status_code == status, (method, response.text)
        assert message in response.text
        assert response.headers["Content-Type"].startswith("text/html")
    assert state(api, case_id) == before
    assert api.http.get(found[Action.RESOLVE], timeout=10).status_code == 200  # still good
    api.agent("POST", f"/cases/{case_id}/resolve")


class StartFailsOnce:
    """The real Step Functions adapter, with one StartExecution failure injected."""

    def __init__(self, workflow):
        self.workflow, self.failed = workflow, False

    def start(self, *args, **kwargs):
        if not self.failed:
            self.failed = True
            raise RuntimeError("ThrottlingException: rate exceeded")
        return self.workflow.start(*args, **kwargs)

    def stop(self, *args, **kwargs):
        return self.workflow.stop(*args, **kwargs)


def test_a_timer_that_failed_to_restart_is_restarted_when_the_link_is_tried_again(api, stack):
    case_id, found = emailed_case(api)
    grant = components.action_signer().verify(found[Action.SNOOZE].rsplit("/", 1)[1])
    escalator = components.escalator()
    flaky = replace(escalator, timers=StartFailsOnce(escalator.timers))

    with pytest.raises(RuntimeError, match="Throttling"):
        flaky.follow_link(grant)
    assert escalator.cases.get(case_id).execution_arn is None  # snoozed, but no timer
    with pytest.raises(LinkUsed):
        flaky.follow_link(grant)  # the supervisor clicks again

    assert escalator.cases.get(case_id).execution_arn is not None
    assert timers(stack, case_id)[f"{case_id}-r1"] == "RUNNING"
    api.agent("POST", f"/cases/{case_id}/resolve")
