"""Posts that listening overheard (the author named the brand without writing to it), on
the local stack: complaints and questions become cases marked as not addressed to us,
whose emails say so and suggest a public reply; anything else is left alone, unrecorded."""

from __future__ import annotations

from tests.e2e.stack import case_of, find, make_post, sent_emails, table_items, wait_for

FOUND_BY = "Northwind Air"


def test_an_overheard_complaint_is_a_case_whose_email_says_it_was_not_addressed_to_us(api):
    post = make_post(
        "does anyone know why Northwind Air charged me twice for one seat?",
        channel="routing",
        found_by=FOUND_BY,
    )
    assert api.send(post).status_code == 202
    case = api.wait_for_case(case_of(post), until=lambda c: c["status"] == "open")
    assert (case["intent"], case["topic"], case["team"]) == ("complaint", "billing", "billing")
    assert case["addressed_to_us"] is False
    assert case["post"]["found_by"] == FOUND_BY

    email = wait_for(lambda: sent_emails(case["id"]), 15, "tier 1's email")[0]
    assert "(not addressed to us)" in email["Subject"]
    text = " ".join(email.get_body(("plain",)).get_content().split())
    assert (
        f"Not addressed to us: listening found it ({FOUND_BY}); @customer did not write to "
        "us. Consider a public reply" in text
    )
    assert "Hi @customer, we saw your post" in text
    html = email.get_body(("html",)).get_content()
    assert "<strong>Not addressed to us.</strong>" in html


def test_a_post_addressed_to_us_says_nothing_of_the_kind(api):
    post = make_post("why was I charged twice for my subscription this month?", channel="routing")
    assert api.send(post).status_code == 202
    case = api.wait_for_case(case_of(post))
    assert case["addressed_to_us"] is True
    email = wait_for(lambda: sent_emails(case["id"]), 15, "tier 1's email")[0]
    assert "not addressed to us" not in email.as_string().lower()


def test_overheard_praise_and_chatter_open_no_case_and_leave_no_trace(api, stack, metrics):
    praise = make_post("flew Northwind Air today, brilliant crew, thanks!", found_by=FOUND_BY)
    chatter = make_post("Northwind Air has a new livery", found_by=FOUND_BY)
    for post in (praise, chatter):
        assert api.send(post).status_code == 202
    wait_for(
        lambda: (
            find(metrics(), "OverheardPostsLeft", channel="x", intent="praise")
            and find(metrics(), "OverheardPostsLeft", channel="x", intent="other")
        ),
        10,
        "both posts left alone",
    )
    for post in (praise, chatter):
        assert api.case(case_of(post)) is None
        assert table_items(stack, f"POST#x#{post['id']}") == []  # a mention later is new


def test_an_overheard_post_that_then_comes_as_a_mention_is_one_case_addressed_to_us(api):
    found = make_post(
        "why has Northwind Air still not refunded my cancelled ticket?",
        channel="dashboard",  # its tier waits 100 h: the case stays open for the test
        found_by=FOUND_BY,
        conversation_id="thread-of-the-overheard-post",
    )
    assert api.send(found).status_code == 202
    case = api.wait_for_case(case_of(found))
    assert case["addressed_to_us"] is False

    mention = {**found, "brand": "northwind"}
    del mention["found_by"]
    assert api.send(mention).status_code == 202
    case = api.wait_for_case(case_of(found), until=lambda c: c["addressed_to_us"])
    assert (case["post"]["found_by"], case["post"]["brand"]) == (None, "northwind")
    kinds = [e["kind"] for e in case["events"]]
    assert kinds.count("addressed to us") == 1 and kinds.count("opened") == 1
    addressed = next(e for e in case["events"] if e["kind"] == "addressed to us")
    assert addressed["detail"]["found_by"] == FOUND_BY
    api.agent("POST", f"/cases/{case['id']}/resolve")


def test_an_overheard_post_never_resumes_or_reopens_a_case_its_own_post_never_reopens(api):
    thread = make_post("@brand why is my refund still not paid?", channel="dashboard")
    thread["conversation_id"] = f"conversation-{thread['id']}"
    assert api.send(thread).status_code == 202
    case_id = case_of(thread)
    api.wait_for_case(case_id, until=lambda c: c["next_deadline"] is not None)
    assert api.agent("POST", f"/cases/{case_id}/pause", json={}).status_code == 200

    overheard = make_post(
        "why does Northwind Air never pay refunds?",
        channel="dashboard",
        found_by=FOUND_BY,
        conversation_id=thread["conversation_id"],
    )
    assert api.send(overheard).status_code == 202
    case = api.wait_for_case(
        case_id, until=lambda c: "follow-up" in [e["kind"] for e in c["events"]]
    )
    assert case["paused_at"] is not None  # still waiting on the customer
    assert "resumed" not in [e["kind"] for e in case["events"]]

    found = make_post("why has Northwind Air lost my bag?", channel="dashboard", found_by=FOUND_BY)
    found["conversation_id"] = f"conversation-{found['id']}"  # its thread is its case's
    assert api.send(found).status_code == 202
    found_case = api.wait_for_case(case_of(found))
    assert api.agent("POST", f"/cases/{found_case['id']}/resolve", json={}).status_code == 200
    again = {key: value for key, value in found.items() if key != "found_by"}
    assert api.send(again).status_code == 202  # the same post, now as a mention
    after = api.wait_for_case(case_of(found), until=lambda c: c["addressed_to_us"])
    assert after["status"] == "resolved"
    assert "reopened" not in [e["kind"] for e in after["events"]]
    api.agent("POST", f"/cases/{case_id}/resolve", json={})
