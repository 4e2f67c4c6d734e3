"""The agent API: bearer token, listing and reading cases, respond and resolve."""

from __future__ import annotations

import pytest

from tests.e2e.stack import case_of, make_post, wait_for

QUESTION = "@brand how do I change the name on my account?"


@pytest.fixture
def open_case(api) -> str:
    post = make_post(QUESTION)
    api.send(post)
    api.wait_for_case(case_of(post), until=lambda c: c["status"] == "open")
    yield case_of(post)
    api.agent("POST", f"/cases/{case_of(post)}/resolve")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/cases"),
        ("GET", "/cases/x-1"),
        ("POST", "/cases/x-1/respond"),
        ("POST", "/cases/x-1/resolve"),
        ("POST", "/cases/x-1/acknowledge"),
        ("POST", "/cases/x-1/pause"),
        ("GET", "/status"),
        ("GET", "/incidents"),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_every_agent_route_refuses_without_the_token(api, method, path, token):
    response = api.agent(method, path, token=token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "API token" in response.json()["error"]


def test_a_post_is_looked_up_to_its_case(api, open_case):
    post_id = api.case(open_case)["post"]["id"]
    found = api.agent("GET", f"/cases?post=x:{post_id}").json()["cases"]
    assert [case["id"] for case in found] == [open_case]
    assert api.agent("GET", "/cases?post=x:never-seen").json() == {"cases": []}


def test_list_filters_by_status(api, open_case):
    listed = api.agent("GET", "/cases?status=open").json()["cases"]
    assert open_case in [case["id"] for case in listed]
    api.agent("POST", f"/cases/{open_case}/respond")
    responded = api.agent("GET", "/cases?status=responded&limit=1000").json()["cases"]
    assert open_case in [case["id"] for case in responded]
    assert open_case not in [c["id"] for c in api.agent("GET", "/cases").json()["cases"]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=closed", "status must be one of"),
        ("limit=0", "limit must be"),
        ("limit=lots", "limit must be"),
        ("post=no-colon", "post must look like x:1234567890"),
        ("post=x:", "post must look like x:1234567890"),
        ("post=x:" + "9" * 400, "post must look like x:1234567890"),
    ],
)
def test_list_rejects_a_bad_filter(api, query, message):
    response = api.agent("GET", f"/cases?{query}")
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_case_comes_with_its_audit_trail(api, open_case):
    api.agent("POST", f"/cases/{open_case}/respond", json={"by": "sam"})
    case = api.case(open_case)
    assert [e["kind"] for e in case["events"]] == ["opened", "timer started", "responded"]
    responded = case["events"][-1]
    assert responded["by"] == "sam"
    assert responded["detail"]["tier"] == 0
    assert case["first_response_at"] == responded["at"]


def test_unknown_case_is_404(api):
    for method, path in (("GET", "/cases/x-nope"), ("POST", "/cases/x-nope/respond")):
        response = api.agent(method, path)
        assert response.status_code == 404
        assert "no case" in response.json()["error"]


def test_unknown_action_is_404(api, open_case):
    response = api.agent("POST", f"/cases/{open_case}/archive")
    assert response.status_code == 404
    assert (
        "respond, pause, acknowledge, claim, snooze, escalate, resolve" in response.json()["error"]
    )


def test_responding_twice_is_a_conflict(api, open_case):
    assert api.agent("POST", f"/cases/{open_case}/respond").status_code == 200
    second = api.agent("POST", f"/cases/{open_case}/respond")
    assert second.status_code == 409
    assert "already answered" in second.json()["error"]
    assert api.agent("POST", f"/cases/{open_case}/resolve").status_code == 200
    assert api.agent("POST", f"/cases/{open_case}/resolve").status_code == 409


@pytest.mark.parametrize(
    "body", [b"{oops", b'{"by": ""}', b'{"by": "sam", "mood": "happy"}', b"[1]"]
)
def test_a_bad_action_body_is_400_and_changes_nothing(api, open_case, body):
    response = api.agent(
        "POST",
        f"/cases/{open_case}/respond",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["problems"]
    assert api.case(open_case)["status"] == "open"


def test_responding_stops_the_timer(api, stack, open_case):
    from tests.e2e.stack import executions

    api.agent("POST", f"/cases/{open_case}/respond")
    wait_for(lambda: executions(stack, open_case)[0]["status"] != "RUNNING", 5, "timer stopped")
