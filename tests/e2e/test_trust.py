"""Issue 18's holes, each shown closed on the local stack where it is reachable from
outside (each test failed before the fix):

1. the X CRC as a signing oracle: test_the_crc_cannot_sign_a_delivery
2. one author silencing a topic: test_one_author_makes_no_storm_and_an_urgent_complaint_
   is_emailed, test_an_incident_tells_of_later_complaints_in_one_digest_a_window,
   test_resolving_an_incident_resolves_what_its_emails_named
3. a redelivery after its dedupe record expired: test_a_redelivery_after_the_dedupe_
   record_expired_is_one_case_and_the_inbox_drains; late posts: test_a_post_older_than_
   the_dedupe_records_is_late_and_opens_nothing
4. generic signatures that never expired: test_an_hour_old_generic_signature_is_refused
5. control and bidi characters in emails: test_a_control_character_post_makes_a_clean_email
   (with tests/unit/test_posts.py and tests/unit/test_emails.py)
6. a topic pattern hanging triage: tests/unit/test_topics.py and test_cli.py (policy check)
7. secrets and sessions: tests/e2e/test_dashboard.py, test_security.py, tests/unit/test_cli.py
8. links after the roster changed: test_a_link_stops_acting_once_its_recipient_is_off_the_case
9. IAM: tests/unit/test_package.py
10. personal data: test_erase_leaves_nothing_of_the_author_in_the_api (and the CLI tests)
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib import components
from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
from chalicelib.channels.signatures import sign_base64, sign_generic
from chalicelib.domain.cases import case_id_for
from tests.e2e.stack import (
    GENERIC_SECRET,
    TIME_SCALE,
    X_BRAND_ID,
    X_SECRET,
    case_of,
    executions,
    find,
    make_post,
    sent_emails,
    table_items,
    wait_for,
)
from tests.platform_payloads import account_activity, v1_tweet

CUSTOMER = {"id_str": "44196397", "screen_name": "dana_k", "followers_count": 15400}


def events(case: dict) -> list[str]:
    return [event["kind"] for event in case["events"]]


# -- 1. the CRC --------------------------------------------------------------------------------


def test_the_crc_cannot_sign_a_delivery(api, stack):
    """A JSON body sent as `crc_token` came back signed, and POSTed as X's it opened a
    case. Now a body is refused at the CRC; what the CRC signs (a token, at most a JSON
    number) is refused as a delivery; nothing is written or kept."""
    tweet = v1_tweet(CUSTOMER, "@NorthwindHelp I was charged twice, refund me now")
    forged = json.dumps(account_activity(tweet, for_user_id=X_BRAND_ID), separators=(",", ":"))
    refused = api.http.get(f"{api.url}/webhooks/x", params={"crc_token": forged})
    assert refused.status_code == 400 and "response_token" not in refused.text
    kept = UnreadableEvents(stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"])
    before = kept.count()
    token = "2080765813578191303"  # token-shaped, and JSON: a number
    signed = api.http.get(f"{api.url}/webhooks/x", params={"crc_token": token})
    assert signed.json()["response_token"] == sign_base64(X_SECRET, token.encode())
    response = api.signed(
        "/webhooks/x",
        token.encode(),
        "x-twitter-webhooks-signature",
        sign_base64,
        X_SECRET,
        signature=signed.json()["response_token"],
    )
    assert response.status_code == 400 and "expected a JSON object" in response.text
    time.sleep(1.2)
    assert table_items(stack, f"POST#x#{tweet['id_str']}") == []
    assert kept.count() == before


# -- 2. storms of people ------------------------------------------------------------------------


def storm_word() -> str:
    """A word no other test uses: each storm test has its own term."""
    return "zq" + uuid.uuid4().hex[:8]


def complaints(word: str, authors: int, each: int = 1) -> list[dict]:
    posts = []
    for number in range(authors):
        author = {"id": f"u-{word}-{number}", "handle": f"@person{number}", "followers": 12}
        posts += [
            make_post(f"@brand the {word} page is broken again, I want a refund", author=author)
            for _ in range(each)
        ]
    return posts


def send_together(api, posts: list[dict]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(posts)) as pool:  # within the storm window (1 s here)
        assert set(pool.map(lambda post: api.send(post).status_code, posts)) == {202}


def test_one_author_makes_no_storm_and_an_urgent_complaint_is_emailed(api):
    """Ten complaints from one account within the window used to open an incident that
    swallowed everyone else's complaints with the word, an urgent one included."""
    word = storm_word()
    alone = complaints(word, authors=1, each=6)
    send_together(api, alone)
    for post in alone:
        case = api.wait_for_case(case_of(post), until=lambda c: "timer started" in events(c))
        assert case["incident_id"] is None
    urgent = make_post(f"@brand my account was hacked and the {word} page shows someone else")
    api.send(urgent)
    case = api.wait_for_case(case_of(urgent), until=lambda c: "notified" in events(c))
    assert case["priority"] == "urgent" and case["incident_id"] is None
    assert sent_emails(case_of(urgent))
    for post in [*alone, urgent]:
        api.agent("POST", f"/cases/{case_of(post)}/resolve")


def open_storm(api, word: str) -> tuple[str, list[dict]]:
    """Four people complaining with `word` at once: their incident, once its notice is out."""
    posts = complaints(word, authors=4)
    send_together(api, posts)
    cases = [
        api.wait_for_case(case_of(post), until=lambda c: c["incident_id"] is not None)
        for post in posts
    ]
    incident_id = cases[0]["incident_id"]
    wait_for(lambda: sent_emails(incident_id, "X-Escalator-Incident"), 5, "the notice")
    wait_for(lambda: api.agent("GET", f"/incidents/{incident_id}").json()["told_at"], 5, "told")
    return incident_id, posts


def test_an_incident_tells_of_later_complaints_in_one_digest_a_window(api):
    word = storm_word()
    incident_id, _ = open_storm(api, word)
    later = make_post(f"@brand the {word} page ate my order, refund me")
    api.send(later)
    api.wait_for_case(case_of(later), until=lambda c: c["incident_id"] == incident_id)
    told_at = datetime.fromisoformat(
        api.agent("GET", f"/incidents/{incident_id}").json()["told_at"]
    )
    window = timedelta(seconds=3600 / TIME_SCALE)  # the storm window (1 h)

    def digests_at(now: datetime) -> list[str]:
        return replace(components.escalator(), clock=lambda: now).send_incident_digests()

    assert incident_id not in digests_at(told_at + window / 2)  # within the window
    assert incident_id in digests_at(told_at + window)
    assert incident_id not in digests_at(told_at + window * 2)  # nothing new since
    notice, digest = sent_emails(incident_id, "X-Escalator-Incident")
    assert f'4 complaints about "{word}"' in notice["Subject"]
    assert f'1 complaint more about "{word}"' in digest["Subject"]
    body = digest.get_body(("plain",)).get_content()
    assert case_of(later) in body and "ate my order" in body
    told = api.agent("GET", f"/incidents/{incident_id}").json()["told"]
    assert case_of(later) in told
    api.agent("POST", f"/incidents/{incident_id}/resolve", json={"by": "lead"})


def test_resolving_an_incident_resolves_what_its_emails_named(api, stack):
    """A complaint that joined after the last email (another problem, perhaps) leaves
    the incident and escalates on its own; `{"all": true}` resolves every member."""
    word = storm_word()
    incident_id, posts = open_storm(api, word)
    unseen = make_post(f"@brand the {word} page lost my booking and charged me twice")
    api.send(unseen)
    api.wait_for_case(case_of(unseen), until=lambda c: c["incident_id"] == incident_id)

    resolved = api.agent("POST", f"/incidents/{incident_id}/resolve", json={"by": "lead"})

    assert resolved.status_code == 200
    assert {api.case(case_of(post))["status"] for post in posts} == {"resolved"}
    left = api.wait_for_case(
        case_of(unseen), until=lambda c: "left incident" in events(c) and c["status"] == "open"
    )
    assert left["incident_id"] is None

    def timer_since_it_left(case: dict) -> bool:
        kinds = events(case)
        return "timer started" in kinds[kinds.index("left incident") :]

    api.wait_for_case(case_of(unseen), until=timer_since_it_left)  # its own again
    api.agent("POST", f"/cases/{case_of(unseen)}/resolve")

    word = storm_word()
    incident_id, posts = open_storm(api, word)
    unseen = make_post(f"@brand the {word} page is down for me as well, useless")
    api.send(unseen)
    api.wait_for_case(case_of(unseen), until=lambda c: c["incident_id"] == incident_id)
    everyone = {"by": "lead", "all": True}
    assert api.agent("POST", f"/incidents/{incident_id}/resolve", json=everyone).ok
    statuses = {api.case(case_of(post))["status"] for post in [*posts, unseen]}
    assert statuses == {"resolved"}


# -- 3. redelivered, late ------------------------------------------------------------------------


def test_a_redelivery_after_the_dedupe_record_expired_is_one_case_and_the_inbox_drains(
    api, stack, metrics
):
    """It used to loop (open_case → receive → open_case...) until RecursionError, on
    each of SQS's tries, then the dead-letter queue."""
    post = make_post("@brand my router is broken again and nobody calls back")
    api.send(post)
    case_id = case_of(post)
    api.wait_for_case(case_id, until=lambda c: "timer started" in events(c))
    dynamodb, table = stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"]
    dedupe = {"pk": {"S": f"POST#{post['channel']}#{post['id']}"}, "sk": {"S": "POST"}}
    dynamodb.delete_item(TableName=table, Key=dedupe)  # as its TTL would, a month on

    assert api.send(post).status_code == 202

    sqs = stack.client("sqs")

    def drained() -> bool:
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack.env["ESCALATOR_INBOX_QUEUE_URL"],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return all(int(count) == 0 for count in attributes.values())

    wait_for(lambda: table_items(stack, f"POST#{post['channel']}#{post['id']}"), 10, "dedupe")
    wait_for(drained, 10, "the inbox empty")
    assert events(api.case(case_id)).count("opened") == 1
    assert len(executions(stack, case_id)) == 1
    assert find(metrics(), "DuplicatePosts", channel=post["channel"])
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_a_post_older_than_the_dedupe_records_is_late_and_opens_nothing(api, stack, metrics):
    month_ago = (datetime.now(UTC) - timedelta(days=31)).isoformat()
    post = make_post("@brand my refund never came, this is a scam", created_at=month_ago)
    assert api.send(post).status_code == 202
    wait_for(lambda: find(metrics(), "LatePosts", channel=post["channel"]), 10, "LatePosts")
    assert table_items(stack, f"POST#{post['channel']}#{post['id']}") == []
    assert api.case(case_of(post)) is None


# -- 4. generic signatures that expire -----------------------------------------------------------


def test_an_hour_old_generic_signature_is_refused(api, stack):
    """A captured body and signature used to be good forever."""
    post = make_post("@brand refund me, the app charged me twice")
    body = json.dumps(post).encode()
    hour_ago = sign_generic(GENERIC_SECRET, body, int(time.time()) - 3600)
    response = api.post_body(body, signature=hour_ago)
    assert response.status_code == 401
    assert "more than 5 minutes from now" in response.json()["error"]
    old_form = api.post_body(body, signature="sha256=" + "0" * 64)
    assert old_form.status_code == 401 and "no longer taken" in old_form.json()["error"]
    time.sleep(1.2)
    assert table_items(stack, f"POST#{post['channel']}#{post['id']}") == []
    assert api.post_body(body).status_code == 202  # signed now: taken
    api.wait_for_case(case_id_for(post["channel"], post["id"]))
    api.agent("POST", f"/cases/{case_of(post)}/resolve")


# -- 5. what a post brings into an email --------------------------------------------------------

CONTROLS = ["\x00", "\x1b", "\x07", "\u202e", "\u2066", "\r"]


def test_a_control_character_post_makes_a_clean_email(api):
    """NUL, ESC, BEL and RLO used to reach subjects and 7-bit bodies; a handle or URL
    could carry a line break into the text part."""
    from moto.ses.models import ses_backends

    from infra.local import ACCOUNT, REGION

    text = "@brand refund\x00 me\x1b[2J now\x07, invoice_\u202egnp.exe is wrong!!"
    post = make_post(
        text,
        url="https://example.com/p\r\nBcc: attacker@example.com",
        author={"id": "u-ctl", "handle": "@mallory\nBcc: all@example.com", "followers": 3},
    )
    assert api.send(post).status_code == 202
    case = api.wait_for_case(case_of(post), until=lambda c: "notified" in events(c), timeout=15)
    assert case["post"]["text"] == "@brand refund me[2J now, invoice_gnp.exe is wrong!!"
    (email,) = sent_emails(case_of(post))[:1]
    raw = next(
        m.raw_data
        for m in ses_backends[ACCOUNT][REGION].sent_messages
        if f"X-Escalator-Case: {case_of(post)}" in m.raw_data
    )
    assert raw.isascii()  # 7-bit: quoted-printable bodies, encoded headers
    assert not any(c in email["Subject"] for c in CONTROLS)
    assert email["Bcc"] is None
    for part in email.walk():
        if part.get_content_maintype() == "text":
            assert part["Content-Transfer-Encoding"] == "quoted-printable"
            body = part.get_content()
            assert not any(c in body for c in CONTROLS[:-1]), part.get_content_type()
            assert not [line for line in body.splitlines() if line.lstrip().startswith("Bcc:")]
    api.agent("POST", f"/cases/{case_of(post)}/resolve")


# -- 8. links after the roster changed ----------------------------------------------------------


def test_a_link_stops_acting_once_its_recipient_is_off_the_case(api):
    """A resolve link used to work for 72 hours after the case moved to another team."""
    from chalicelib.domain.actions import Action
    from tests.e2e.test_email_actions import emailed_case

    case_id, found = emailed_case(api)
    moved = api.agent("POST", f"/cases/{case_id}/move", json={"team": "billing", "by": "lead"})
    assert moved.status_code == 200
    for action in (Action.RESOLVE, Action.CLAIM):
        for method in ("GET", "POST"):
            response = api.http.request(method, found[action], timeout=10)
            assert response.status_code == 409, (action, method, response.status_code)
            assert "no longer among the people this case" in response.text
    case = api.case(case_id)
    assert case["status"] == "open" and case["owner"] is None
    api.agent("POST", f"/cases/{case_id}/resolve")


# -- 10. a person's data: exported, erased ----------------------------------------------------


def test_erase_leaves_nothing_of_the_author_in_the_api(api, stack):
    """Their posts (a complaint, a follow-up in its DM thread, a follow-up in someone
    else's thread) are found by the author index, exported, then erased: the cases
    stay as anonymous records, and the API shows nothing of them."""
    from click.testing import CliRunner

    from infra.cli import main

    mark = uuid.uuid4().hex[:8]  # in each of their texts: the shared stack has others' cases
    person = f"u-erase-{mark}"
    author = {"id": person, "handle": f"@erase{mark}", "followers": 77}
    thread = f"dm:{person}"
    first = make_post(
        f"@brand my card was charged twice, Jo Bloggs {mark}, 12 Acacia Ave",
        author=author,
        conversation_id=thread,
        private=True,
    )
    api.send(first)
    api.wait_for_case(case_of(first))
    again = make_post(
        f"@brand still waiting, call me on 07700 900123 ({mark})",
        author=author,
        conversation_id=thread,
        private=True,
    )
    api.send(again)
    api.wait_for_case(case_of(first), until=lambda c: "follow-up" in events(c))
    their_thread = f"thread-{uuid.uuid4().hex[:8]}"
    someone = make_post("@brand my parcel is lost", conversation_id=their_thread)
    api.send(someone)
    api.wait_for_case(case_of(someone))
    chiming_in = make_post(
        f"@brand same here, my parcel too {mark}", author=author, conversation_id=their_thread
    )
    api.send(chiming_in)
    api.wait_for_case(case_of(someone), until=lambda c: "follow-up" in events(c))
    table = stack.env["ESCALATOR_TABLE"]

    exported = CliRunner().invoke(main, ["export", "--author", f"x:{person}", "--table", table])
    assert exported.exit_code == 0, exported.output
    held = json.loads(exported.stdout)
    assert [case["id"] for case in held["cases"]] == [case_of(first)]
    assert [line["detail"]["text"] for line in held["in_other_cases"]] == [chiming_in["text"]]
    assert held["conversations"] == [{"conversation": thread, "case_id": case_of(first)}]

    erased = CliRunner().invoke(
        main, ["erase", "--author", f"x:{person}", "--table", table, "--yes"]
    )
    assert erased.exit_code == 0, erased.output
    assert "1 cases kept as anonymous records" in erased.stdout

    shown = json.dumps(
        [api.case(case_of(first)), api.case(case_of(someone)), api.agent("GET", "/cases").json()]
    )
    for trace in (person, author["handle"], mark):
        at = shown.find(trace)
        assert at < 0, shown[max(0, at - 300) : at + 80]
    case = api.case(case_of(first))
    assert case["post"]["text"] == "(erased)" and "erased" in events(case)
    assert case["opened_at"] and case["status"] == "open"  # its timings stay
    assert api.case(case_of(someone))["post"]["text"] == "@brand my parcel is lost"
    again = CliRunner().invoke(main, ["export", "--author", f"x:{person}", "--table", table])
    assert json.loads(again.stdout)["cases"] == []
    for post in (first, someone):
        api.agent("POST", f"/cases/{case_of(post)}/resolve")
