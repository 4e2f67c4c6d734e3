"""The dashboard over HTTP: who may see it, what it shows, and that it escapes."""

from __future__ import annotations

import re

from tests.e2e.stack import API_TOKEN, case_of, make_post

HOSTILE = '@brand <img src=x onerror="alert(1)"> my refund is late & nobody answers'


def signed_in_cookie(api) -> str:
    response = api.http.post(
        f"{api.url}/session", data={"token": API_TOKEN}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303 and response.headers["Location"] == "./"
    return response.headers["Set-Cookie"]


def test_without_the_token_or_a_session_the_dashboard_asks_to_sign_in(api):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Cookie": "escalator_session=x.y.z"}):
        response = api.http.get(f"{api.url}/", headers=headers, timeout=10)
        assert response.status_code == 401
        assert 'name="token"' in response.text and "Open cases" not in response.text


def test_a_wrong_token_gets_no_session(api):
    for form in (
        {"token": "wrong"},
        {"token": ""},
        {"other": API_TOKEN},
        {"token": API_TOKEN + "x"},
    ):
        response = api.http.post(f"{api.url}/session", data=form, allow_redirects=False, timeout=10)
        assert response.status_code == 401 and "Set-Cookie" not in response.headers
        assert "That is not the API token." in response.text


def test_the_api_token_becomes_a_strict_http_only_session(api):
    cookie = signed_in_cookie(api)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
    value = cookie.split(";")[0]

    response = api.http.get(f"{api.url}/", headers={"Cookie": value}, timeout=10)

    assert response.status_code == 200 and "Open cases" in response.text
    nonce = re.search(r"script-src 'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce and f'<script nonce="{nonce[1]}">' in response.text
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert api.http.get(f"{api.url}/", headers={"Cookie": tampered}, timeout=10).status_code == 401


def test_the_board_lists_an_open_case_escaped_and_its_next_escalation(api):
    post = make_post(HOSTILE, channel="dashboard")
    api.send(post)
    case_id = case_of(post)
    case = api.wait_for_case(case_id, until=lambda c: c["next_deadline"] is not None)

    board = api.agent("GET", "/?fragment=1")

    assert board.status_code == 200
    assert "<html" not in board.text  # only the part the page refreshes
    row = re.search(rf'<tr data-case="{case_id}">.*?</tr>', board.text, re.S)
    assert row, board.text
    assert "<img" not in row[0]
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in row[0]
    assert f'data-due="{case["next_deadline"].replace("+00:00", "Z")}"' in row[0]
    assert "0 / 1" in row[0]
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_the_board_shows_each_cases_team_and_topic_and_marks_overheard_posts(api):
    found_by = '"><script>alert(1)</script>'
    overheard = make_post("why was my refund never paid?", channel="dashboard", found_by=found_by)
    addressed = make_post("@brand why was my refund never paid?", channel="dashboard")
    for post in (overheard, addressed):
        api.send(post)
        api.wait_for_case(case_of(post), until=lambda c: c["next_deadline"] is not None)

    board = api.agent("GET", "/?fragment=1").text
    rows = {
        post["id"]: re.search(rf'<tr data-case="{case_of(post)}">.*?</tr>', board, re.S)[0]
        for post in (overheard, addressed)
    }
    for row in rows.values():
        assert '<td>care <span class="muted">billing</span></td>' in row
    assert "not addressed to us</span>" in rows[overheard["id"]]
    assert "<script>" not in rows[overheard["id"]]
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in rows[overheard["id"]]
    assert "not addressed to us" not in rows[addressed["id"]]
    for post in (overheard, addressed):
        api.agent("POST", f"/cases/{case_of(post)}/resolve")
