"""In a real browser (headless chromium): the dashboard signs in, shows a new case and
counts down to its next escalation, and signs out; a rendered escalation email's button
acts."""

from __future__ import annotations

import pytest

from infra.browser import chromium
from tests.e2e.stack import API_TOKEN, case_of, make_post, sent_emails, wait_for

HOSTILE = '@brand <img src=x onerror="alert(1)"> my refund is late & nobody answers'


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def dialogs() -> list[str]:
    """Every alert, confirm or prompt a page opened: an injected script would."""
    return []


@pytest.fixture
def page(browser, dialogs):
    context = browser.new_context()
    page = context.new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def seconds(clock: str) -> int:
    hours, minutes, secs = (int(part) for part in clock.split(":"))
    return hours * 3600 + minutes * 60 + secs


def sign_in(stack, page) -> None:
    page.goto(f"{stack.base_url}/")
    page.fill("#token", API_TOKEN)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Open cases")


def test_the_dashboard_shows_a_new_case_and_counts_down(api, stack, page, dialogs):
    sign_in(stack, page)

    post = make_post(HOSTILE, channel="dashboard")
    api.send(post)
    row = page.locator(f'tr[data-case="{case_of(post)}"]')
    row.wait_for(timeout=15_000)  # the page refreshes itself every 5 s

    countdown = row.locator("[data-due]")
    first = seconds(countdown.inner_text())
    page.wait_for_timeout(1_500)
    second = seconds(countdown.inner_text())
    assert 0 < second < first  # policy time: 3600 s a second on the test stack
    assert "<img" in row.inner_text()  # shown as text, never as an element
    assert row.locator("img").count() == 0 and dialogs == []
    api.agent("POST", f"/cases/{case_of(post)}/resolve")


def test_signing_out_ends_the_session_and_returns_to_the_sign_in_page(stack, page):
    sign_in(stack, page)
    assert [cookie["name"] for cookie in page.context.cookies()] == ["escalator_session"]

    page.click("button:has-text('Sign out')")
    page.wait_for_selector("#token")

    assert page.context.cookies() == []
    page.goto(f"{stack.base_url}/")
    assert page.locator("#token").count() == 1 and "Open cases" not in page.content()


def test_a_button_in_a_rendered_email_acknowledges_the_case(api, page):
    post = make_post("@brand my parcel is lost and nobody answers my emails", channel="actions")
    api.send(post)
    case_id = case_of(post)
    email = wait_for(lambda: sent_emails(case_id), timeout=10, what="tier 1's email")[0]

    page.set_content(email.get_body(("html",)).get_content())
    page.click("a:has-text('Acknowledge')")
    page.wait_for_selector("text=Acknowledge this case?")
    assert api.case(case_id)["acknowledged_by"] is None  # opening the link did nothing
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("text=Done: acknowledge")

    assert api.case(case_id)["acknowledged_by"] == "act-1@example.com"
    page.go_back()  # the confirmation page again: its button now meets a used link
    page.reload()
    assert "This link was used already" in page.content()
    api.agent("POST", f"/cases/{case_id}/resolve")
