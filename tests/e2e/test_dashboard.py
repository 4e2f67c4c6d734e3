"""The dashboard over HTTP: who may see it, signing in and out, what it shows, and that
it escapes. (What a session cookie holds, and forged, expired and replaced-token
sessions: test_security.py.)"""

from __future__ import annotations

import hashlib
import re

from tests.e2e.stack import API_TOKEN, case_of, make_post, table_items

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


def test_the_api_token_becomes_a_strict_http_only_session(api, stack):
    cookie = signed_in_cookie(api)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
    assert "Path=/;" in cookie
    assert stack.env["ESCALATOR_STAGE"] == "local" and "Secure" not in cookie  # plain HTTP
    value = cookie.split(";")[0]

    response = api.http.get(f"{api.url}/", headers={"Cookie": value}, timeout=10)

    assert response.status_code == 200 and "Open cases" in response.text
    nonce = re.search(r"script-src 'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce and f'<script nonce="{nonce[1]}">' in response.text
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert api.http.get(f"{api.url}/", headers={"Cookie": tampered}, timeout=10).status_code == 401


def sign_out(api, cookie: str, form: dict[str, str]):
    return api.http.post(
        f"{api.url}/sign-out",
        data=form,
        headers={"Cookie": cookie},
        allow_redirects=False,
        timeout=10,
    )


def sign_out_token(api, cookie: str) -> str:
    """The token the dashboard's sign-out form carries for this session."""
    page = api.http.get(f"{api.url}/", headers={"Cookie": cookie}, timeout=10)
    form = re.search(
        r'<form id="sign-out" method="post" action="sign-out".*?</form>', page.text, re.S
    )
    assert form and "Sign out</button>" in form[0], page.text[:500]
    return re.search(r'name="sign_out_token" value="([0-9a-f]{64})"', form[0])[1]


def session_items(stack, cookie: str) -> list:
    session_id = cookie.split("=", 1)[1]
    return table_items(stack, f"SESSION#{hashlib.sha256(session_id.encode()).hexdigest()}")


def assert_signed_out(response) -> None:
    assert response.status_code == 303 and response.headers["Location"] == "./"
    assert response.headers["Set-Cookie"] == (
        "escalator_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    )


def test_signing_out_ends_the_session_and_clears_its_cookie(api, stack):
    cookie = signed_in_cookie(api).split(";")[0]
    token = sign_out_token(api, cookie)
    assert len(session_items(stack, cookie)) == 1

    assert_signed_out(sign_out(api, cookie, {"sign_out_token": token}))

    assert session_items(stack, cookie) == []
    response = api.http.get(f"{api.url}/", headers={"Cookie": cookie}, timeout=10)
    assert response.status_code == 401 and 'name="token"' in response.text
    assert_signed_out(sign_out(api, cookie, {"sign_out_token": token}))  # again: the same


def test_a_sign_out_without_its_pages_token_ends_nothing(api, stack):
    cookie = signed_in_cookie(api).split(";")[0]
    other = signed_in_cookie(api).split(";")[0]
    for form in (
        {"sign_out_token": ""},
        {"sign_out_token": "0" * 64},
        {"sign_out_token": sign_out_token(api, other)},  # another session's
        {"token": API_TOKEN},
    ):
        response = sign_out(api, cookie, form)
        assert response.status_code == 403 and "Set-Cookie" not in response.headers
        assert response.headers["Content-Type"].startswith("text/html")
        assert "You are still signed in" in response.text
    assert len(session_items(stack, cookie)) == 1
    board = api.http.get(f"{api.url}/", headers={"Cookie": cookie}, timeout=10)
    assert "Open cases" in board.text


def test_signing_out_without_a_session_is_not_an_error(api):
    form = {"Content-Type": "application/x-www-form-urlencoded"}  # and an empty body
    for headers in (form, {**form, "Authorization": f"Bearer {API_TOKEN}"}):
        response = api.http.post(
            f"{api.url}/sign-out", headers=headers, allow_redirects=False, timeout=10
        )
        assert response.status_code == 303 and "Set-Cookie" not in response.headers
    for forged in ("escalator_session=x.y.z", "escalator_session=", 'escalator_session="a'):
        response = sign_out(api, forged, {"sign_out_token": "0" * 64})
        assert response.status_code == 303, (forged, response.status_code)
    assert_signed_out(sign_out(api, "escalator_session=never-issued", {"other": "field"}))


def test_a_bearer_token_sees_the_board_with_no_sign_out_button(api):
    page = api.agent("GET", "/")
    assert page.status_code == 200 and "Open cases" in page.text
    assert "sign-out" not in page.text


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
