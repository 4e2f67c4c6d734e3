"""Issue 8's security cases in one place, end to end on the local stack: forged and
replayed webhook deliveries, expired and tampered links, session cookies that tell
nothing and forged, expired and replaced-token sessions, every agent route behind the
token, oversize, deeply nested and malformed payloads, and hostile text escaped wherever
a person reads it.

The bar: bad input gets a clear 4xx (JSON; the HTML page a browser reads for the
dashboard and the email links) and writes nothing; nothing a client sends gets a 500.
Cases covered elsewhere are not repeated here: test_webhook.py (generic 413, bad
fields), test_email_actions.py (forged, tampered, expired and used links),
test_signatures.py and test_actions.py (the signing code), test_dashboard.py (signing in
and out), tests/unit/test_secret_comparisons.py (timing-safe comparisons).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb.sessions import DashboardSessions
from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
from chalicelib.adapters.signing import ActionSigner
from chalicelib.channels.signatures import GENERIC_FORM, sign_base64, sign_generic, sign_hex
from chalicelib.domain.actions import Action
from chalicelib.domain.cases import case_id_for
from chalicelib.entrypoints.http import MAX_BODY_BYTES
from chalicelib.entrypoints.pages import MAX_FORM_BYTES, SESSION_COOKIE
from chalicelib.entrypoints.webhooks import MAX_DELIVERY_BYTES
from tests.e2e.stack import (
    API_TOKEN,
    GENERIC_SECRET,
    META_SECRET,
    PAGE_ID,
    X_BRAND_ID,
    X_SECRET,
    executions,
    find,
    make_post,
    sent_emails,
    table_items,
    wait_for,
)
from tests.e2e.test_email_actions import emailed_case, links, state
from tests.e2e.test_meta_webhook import new_id
from tests.platform_payloads import account_activity, fresh_id, messenger, page_comment, v1_tweet

COMPLAINT = "@brand refund me now, the app charged me twice and nobody answers"
NOT_JSON = "body is not valid JSON"


# -- the three webhooks, and a genuine delivery for each -----------------------------------


@dataclass(frozen=True)
class Delivery:
    body: bytes
    channel: str
    post_id: str

    @property
    def case_id(self) -> str:
        return case_id_for(self.channel, self.post_id)

    @property
    def partitions(self) -> list[str]:
        """Where a recorded post would leave a trace: its dedupe record and its case."""
        return [f"POST#{self.channel}#{self.post_id}", f"CASE#{self.case_id}"]


def generic_delivery(text: str = COMPLAINT, channel: str = "security", **fields: Any) -> Delivery:
    post = make_post(text, channel=channel, **fields)
    return Delivery(json.dumps(post).encode(), channel, post["id"])


def x_delivery(text: str = COMPLAINT, handle: str = "dana_k") -> Delivery:
    author = {"id_str": "44196397", "screen_name": handle, "followers_count": 15400}
    tweet = v1_tweet(author, text)
    tweet["text"] = text  # v1_tweet cuts it at 140
    payload = account_activity(tweet, for_user_id=X_BRAND_ID)
    return Delivery(json.dumps(payload).encode(), "x", tweet["id_str"])


def meta_delivery(text: str = COMPLAINT, handle: str = "Raj Patel") -> Delivery:
    comment_id = f"555_{new_id()}"
    payload = page_comment(PAGE_ID, comment_id, text, {"id": "10001", "name": handle})
    return Delivery(json.dumps(payload).encode(), "facebook", comment_id)


@dataclass(frozen=True)
class Webhook:
    path: str
    header: str
    sign: Callable[[str, bytes], str]
    secret: str
    delivery: Callable[..., Delivery]

    def post(
        self,
        api,
        body: bytes,
        signature: str | None = "sign",
        content_type: str = "application/json",
    ):
        """POST a body signed as the platform signs it (or with `signature`); with another
        content type, always signed as the platform signs it."""
        if content_type == "application/json":
            return api.signed(self.path, body, self.header, self.sign, self.secret, signature)
        headers = {"Content-Type": content_type, self.header: self.sign(self.secret, body)}
        return api.http.post(f"{api.url}{self.path}", data=body, headers=headers, timeout=10)


WEBHOOKS = {
    "generic": Webhook(
        "/webhooks/generic",
        "X-Escalator-Signature",
        sign_generic,
        GENERIC_SECRET,
        generic_delivery,
    ),
    "x": Webhook("/webhooks/x", "x-twitter-webhooks-signature", sign_base64, X_SECRET, x_delivery),
    "meta": Webhook("/webhooks/meta", "X-Hub-Signature-256", sign_hex, META_SECRET, meta_delivery),
}


def assert_none_recorded(stack, *deliveries: Delivery) -> None:
    time.sleep(1.2)  # longer than the inbox poller takes to record a queued post
    for delivery in deliveries:
        for partition in delivery.partitions:
            assert table_items(stack, partition) == [], partition


def assert_json_error(response, status: int, *words: str) -> dict:
    """A JSON error of this status whose message (or problems) say all of `words`."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    said = " ".join([body.get("error") or body.get("Message", ""), *body.get("problems", [])])
    for word in words:
        assert word in said, (word, body)
    return body


# -- forged signatures ------------------------------------------------------------------------


def forgeries(hook: Webhook, body: bytes) -> dict[str, str | None]:
    if hook.sign is sign_generic:
        return generic_forgeries(hook, body)
    genuine = hook.sign(hook.secret, body)
    digest = genuine.removeprefix("sha256=")
    other_encoding = sign_base64 if hook.sign is sign_hex else sign_hex
    return {
        "wrong key": hook.sign("not-the-secret", body),
        "another webhook's key": hook.sign(
            X_SECRET if hook.secret != X_SECRET else META_SECRET, body
        ),
        "another body's": hook.sign(hook.secret, body + b" "),
        "truncated": genuine[:-6],
        "extended": genuine + "00",
        "wrong scheme": "sha1=" + digest,
        "upper-case scheme": "SHA256=" + digest,
        "no scheme": digest,
        "other encoding": other_encoding(hook.secret, body),
        "not hex nor base64": "sha256=" + "%" * len(digest),
        "empty": "",
        "header missing": None,
    }


def generic_forgeries(hook: Webhook, body: bytes) -> dict[str, str | None]:
    """The generic webhook's timed signature (`t=...,v1=...`), forged or replayed."""
    now = int(time.time())
    genuine = sign_generic(hook.secret, body, now)
    digest = genuine.split(",v1=")[1]
    return {
        "wrong key": sign_generic("not-the-secret", body, now),
        "another webhook's key": sign_generic(X_SECRET, body, now),
        "another body's": sign_generic(hook.secret, body + b" ", now),
        "an hour old (a replay)": sign_generic(hook.secret, body, now - 3600),
        "six minutes old": sign_generic(hook.secret, body, now - 360),
        "an hour ahead": sign_generic(hook.secret, body, now + 3600),
        "another time's digest": f"t={now - 1},v1={digest}",
        "the old body-only form": sign_hex(hook.secret, body),
        "truncated": genuine[:-6],
        "extended": genuine + "00",
        "no time": f"v1={digest}",
        "two times": f"t={now},t={now},v1={digest}",
        "a time past any clock": f"t={'9' * 40},v1={digest}",
        "upper-case digest": f"t={now},v1={digest.upper()}",
        "empty": "",
        "header missing": None,
    }


@pytest.mark.parametrize("name", WEBHOOKS)
def test_a_forged_signature_gets_401_naming_the_header_and_writes_nothing(api, stack, name):
    hook = WEBHOOKS[name]
    refused = []
    for kind in forgeries(hook, b""):
        delivery = hook.delivery()  # a post of its own for each forgery
        signature = forgeries(hook, delivery.body)[kind]
        response = hook.post(api, delivery.body, signature=signature)
        body = assert_json_error(response, 401, hook.header)
        if hook.sign is sign_generic:  # each says what a good one is
            assert GENERIC_FORM in body["error"] or "minutes from now" in body["error"], kind
        else:
            assert body["error"].startswith(f"missing or wrong {hook.header}"), kind
            assert "of the raw body" in body["error"]
        refused.append(delivery)
    assert_none_recorded(stack, *refused)


@pytest.mark.parametrize("name", WEBHOOKS)
def test_the_wrong_content_type_gets_415_and_writes_nothing(api, stack, name):
    hook = WEBHOOKS[name]
    delivery = hook.delivery()
    response = hook.post(api, delivery.body, content_type="text/plain")
    assert_json_error(response, 415, "Unsupported media type")
    assert_none_recorded(stack, delivery)


# -- replays ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WEBHOOKS)
def test_a_replayed_delivery_is_one_case_and_counted_as_a_duplicate(api, stack, metrics, name):
    hook = WEBHOOKS[name]
    delivery = hook.delivery()
    signature = hook.sign(hook.secret, delivery.body)

    for _ in range(3):  # the same signed bytes, as an attacker (or a retry) resends them
        assert hook.post(api, delivery.body, signature=signature).status_code in (200, 202)

    api.wait_for_case(
        delivery.case_id, until=lambda c: "timer started" in [e["kind"] for e in c["events"]]
    )

    def duplicates() -> list[dict]:
        return find(metrics(), "DuplicatePosts", channel=delivery.channel)

    wait_for(lambda: len(duplicates()) >= 2, 5, "the two duplicates counted")
    case = api.case(delivery.case_id)
    assert [e["kind"] for e in case["events"]].count("opened") == 1
    assert len(executions(stack, delivery.case_id)) == 1
    assert len(table_items(stack, f"POST#{delivery.channel}#{delivery.post_id}")) == 1
    api.agent("POST", f"/cases/{delivery.case_id}/resolve")


# -- expired and tampered tokens --------------------------------------------------------------


def action_key() -> str:
    return os.environ["ESCALATOR_ACTION_KEY"]


def signed_at(moment: datetime, key: str | None = None) -> ActionSigner:
    return ActionSigner(key or action_key(), clock=lambda: moment)


def sessions_at(stack, moment: datetime) -> DashboardSessions:
    """The stack's dashboard sessions, as started at `moment`."""
    table = stack.env["ESCALATOR_TABLE"]
    return DashboardSessions(stack.client("dynamodb"), table, action_key(), clock=lambda: moment)


def session_partition(session_id: str) -> str:
    return f"SESSION#{hashlib.sha256(session_id.encode()).hexdigest()}"


def dashboard_with(api, cookie: str):
    return api.http.get(f"{api.url}/", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, timeout=10)


def assert_sign_in_page(response) -> None:
    assert response.status_code == 401, response.status_code
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'name="token"' in response.text and "Open cases" not in response.text


def signed_in(api) -> str:
    """A session started by signing in with the API token: the cookie's value."""
    response = api.http.post(
        f"{api.url}/session", data={"token": API_TOKEN}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303, response.text
    return response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]


def digests_of(secret: str, keyed: bool = True) -> list[str]:
    """What a value carrying the secret, or a hash of it, would hold: the secret and its
    digests (and, `keyed`, its HMAC with the action key), hex or base64, whole or cut
    short (the old cookie held 32 hex digits of one): the first 16 characters of each."""
    raw = [hashlib.new(name, secret.encode()).digest() for name in ("md5", "sha1", "sha256")]
    if keyed:
        raw.append(hmac.new(action_key().encode(), secret.encode(), hashlib.sha256).digest())
    written = [secret, base64.b64encode(secret.encode()).decode()]
    for digest in raw:
        written += [digest.hex(), base64.b64encode(digest).decode()]
        written.append(base64.urlsafe_b64encode(digest).decode())
    return [text[:16] for text in written]


def test_the_session_cookie_is_a_random_id_and_nothing_else(api):
    """Whoever holds the cookie learns nothing of the API token from it: two sign-ins
    give two unrelated ids, and none carries the token or any digest of it."""
    first, second = signed_in(api), signed_in(api)

    assert first != second
    for value in (first, second):
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value), value  # 32 random bytes
        for telling in digests_of(API_TOKEN):
            assert telling not in value
        assert "Open cases" in dashboard_with(api, value).text


def test_a_session_is_kept_in_the_table_for_12_hours_without_the_token(api, stack):
    before = datetime.now(UTC)
    session_id = signed_in(api)

    (item,) = table_items(stack, session_partition(session_id))
    assert item["sk"] == {"S": "SESSION"}
    created = datetime.fromisoformat(item["created_at"]["S"])
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    expires = int(item["expires_at"]["N"])  # the table's TTL attribute
    assert expires == int((created + timedelta(hours=12)).timestamp())
    kept = json.dumps(item)
    for telling in digests_of(API_TOKEN, keyed=False):  # its HMAC is what the item keeps
        assert telling not in kept
    assert session_id not in kept  # only its SHA-256, as the key


def test_a_session_lasts_12_hours_whenever_its_item_is_deleted(api, stack):
    """DynamoDB's TTL deletes an expired item up to days late: the check reads the time."""
    now = datetime.now(UTC)
    fresh = sessions_at(stack, now - timedelta(hours=11, minutes=59)).start(API_TOKEN)
    assert "Open cases" in dashboard_with(api, fresh).text
    expired = sessions_at(stack, now - timedelta(hours=12, minutes=1)).start(API_TOKEN)
    assert table_items(stack, session_partition(expired))  # still in the table
    assert_sign_in_page(dashboard_with(api, expired))


def test_a_new_api_token_ends_the_old_ones_sessions(api, stack, monkeypatch):
    made_with_another = sessions_at(stack, datetime.now(UTC)).start("old-api-token")
    assert_sign_in_page(dashboard_with(api, made_with_another))

    session_id = signed_in(api)
    assert "Open cases" in dashboard_with(api, session_id).text
    monkeypatch.setenv("ESCALATOR_API_TOKEN", "a-new-api-token")  # read on every request
    assert_sign_in_page(dashboard_with(api, session_id))


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param(lambda stack: secrets.token_urlsafe(32), id="never issued"),
        pytest.param(
            lambda stack: session_partition(
                sessions_at(stack, datetime.now(UTC)).start(API_TOKEN)
            ).removeprefix("SESSION#"),
            id="the table's key of a live session",
        ),
        pytest.param(
            lambda stack: ActionSigner(action_key()).token("x-1", 0, 1, Action.RESOLVE, "a@b.c"),
            id="an action link's token",
        ),
        pytest.param(lambda stack: "a" * 5000, id="oversize"),
        pytest.param(lambda stack: '"unterminated', id="not a cookie"),
    ],
)
def test_a_forged_session_cookie_asks_to_sign_in(api, stack, cookie):
    assert_sign_in_page(dashboard_with(api, cookie(stack)))


def test_email_links_work_for_72_hours_and_only_as_signed(api, stack):
    case_id, found = emailed_case(api)
    before = state(api, case_id)
    resolve = found[Action.RESOLVE].rsplit("/", 1)[1]
    acknowledge = found[Action.ACKNOWLEDGE].rsplit("/", 1)[1]
    payload = resolve.rsplit(".", 2)[0]
    stamp_and_signature = acknowledge.split(".", 1)[1]
    now = datetime.now(UTC)
    refused = {
        # one link's grant under another link's signature
        "swapped signature": (f"{payload}.{stamp_and_signature}", 403, "This link is not valid"),
        "a dashboard session": (
            sessions_at(stack, now).start(API_TOKEN),
            403,
            "This link is not valid",
        ),
        "just past 72 hours": (
            signed_at(now - timedelta(hours=72, minutes=1)).token(
                case_id, 0, 1, Action.RESOLVE, "act-1@example.com"
            ),
            410,
            "This link has expired",
        ),
    }
    for kind, (token, status, title) in refused.items():
        for method in ("GET", "POST"):
            response = api.http.request(method, f"{api.url}/actions/{token}", timeout=10)
            assert response.status_code == status, (kind, method, response.status_code)
            assert title in response.text and response.headers["Content-Type"].startswith(
                "text/html"
            )
    assert state(api, case_id) == before

    nearly = signed_at(now - timedelta(hours=71, minutes=58)).token(
        case_id, 0, 1, Action.ACKNOWLEDGE, "act-1@example.com"
    )
    assert api.http.get(f"{api.url}/actions/{nearly}", timeout=10).status_code == 200
    assert state(api, case_id) == before  # a GET only asks to confirm
    api.agent("POST", f"/cases/{case_id}/resolve")


def test_the_x_crc_and_the_meta_challenge_prove_nothing_without_the_secrets(api):
    """Neither has a lifetime to expire: X's CRC answer is an HMAC of each new challenge
    (an old answer proves nothing about a new one), and Meta's check wants the token."""
    answers = {
        challenge: api.http.get(
            f"{api.url}/webhooks/x", params={"crc_token": challenge}, timeout=10
        ).json()["response_token"]
        for challenge in ("challenge-1", "challenge-2")
    }
    assert answers["challenge-1"] == sign_base64(X_SECRET, b"challenge-1")
    assert answers["challenge-1"] != answers["challenge-2"]
    for token in ("", " ", "test-meta-verify-toke", "test-meta-verify-token ", "TEST-META"):
        response = api.http.get(
            f"{api.url}/webhooks/meta",
            params={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "9"},
            timeout=10,
        )
        assert_json_error(response, 403, "hub.verify_token")


# -- every agent route behind the token -------------------------------------------------------

# Public by design: the platforms' webhooks (signed instead), the email links (signed
# tokens), the dashboard (its sign-in page without a session), its sign-in form and its
# sign-out (which ends only the session its cookie names).
PUBLIC_ROUTES = {
    ("/webhooks/generic", "POST"),
    ("/webhooks/x", "GET"),
    ("/webhooks/x", "POST"),
    ("/webhooks/meta", "GET"),
    ("/webhooks/meta", "POST"),
    ("/actions/{token}", "GET"),
    ("/actions/{token}", "POST"),
    ("/", "GET"),
    ("/session", "POST"),
    ("/sign-out", "POST"),
}
BAD_AUTHORIZATIONS = {
    "no header": None,
    "wrong token": "Bearer wrong-token",
    "token cut short": f"Bearer {API_TOKEN[:-1]}",
    "token and more": f"Bearer {API_TOKEN}x",
    "empty bearer": "Bearer ",
    "scheme only": "Bearer",
    "basic": "Basic " + base64.b64encode(f"agent:{API_TOKEN}".encode()).decode(),
    "basic, bare token": f"Basic {API_TOKEN}",
    "no scheme": API_TOKEN,
    "another scheme": f"Token {API_TOKEN}",
    "non-ASCII": f"Bearer {API_TOKEN}\u00e9",
}


def routes() -> dict[tuple[str, str], Any]:
    """Every (path, method) the Chalice app serves, with its route entry."""
    import app

    return {
        (path, method): entry
        for path, methods in app.app.routes.items()
        for method, entry in methods.items()
    }


def urls(path: str, values: dict[str, list[str]]) -> list[str]:
    """The path with each combination of sample values for its {parameters}."""
    names = re.findall(r"{(\w+)}", path)
    choices = [values.get(name, ["probe"]) for name in names]
    found = []
    for combination in itertools.product(*choices):
        filled = path
        for name, value in zip(names, combination, strict=True):
            filled = filled.replace(f"{{{name}}}", value)
        found.append(filled)
    return found


@pytest.fixture
def open_case(api) -> str:
    """An open case whose first escalation is 100 policy hours away: only a request that
    got through could change it while a test runs."""
    delivery = generic_delivery("@brand how do I change my account's name?", "dashboard")
    WEBHOOKS["generic"].post(api, delivery.body)
    api.wait_for_case(delivery.case_id, until=lambda c: len(c["events"]) == 2)  # timer started
    yield delivery.case_id
    api.agent("POST", f"/cases/{delivery.case_id}/resolve")


def test_the_public_routes_all_exist(stack):
    assert routes().keys() >= PUBLIC_ROUTES


def test_every_other_route_refuses_without_the_token(api, open_case):
    """Fails for a new route that is neither behind the token nor in PUBLIC_ROUTES."""
    before = state(api, open_case)
    values = {
        "case_id": [open_case],
        "action": ["respond", "pause", *Action],
        "incident_id": ["incident-00000000000000000000"],
    }
    guarded = [route for route in routes() if route not in PUBLIC_ROUTES]
    assert ("/cases", "GET") in guarded and ("/cases/{case_id}/{action}", "POST") in guarded
    answered = []
    for (path, method), (kind, authorization) in itertools.product(
        guarded, BAD_AUTHORIZATIONS.items()
    ):
        for url in urls(path, values):
            headers = {"Authorization": authorization} if authorization is not None else {}
            response = api.http.request(
                method, f"{api.url}{url}", headers=headers, json={"by": "intruder"}, timeout=10
            )
            problem = None
            if response.status_code != 401:
                problem = response.status_code
            elif response.headers.get("WWW-Authenticate") != "Bearer":
                problem = "no WWW-Authenticate: Bearer"
            elif "missing or wrong API token" not in response.json()["error"]:
                problem = response.text
            if problem:
                answered.append((method, url, kind, problem))
    assert answered == []
    assert state(api, open_case) == before


def test_the_dashboard_shows_only_its_sign_in_page_without_the_token(api, open_case):
    for authorization, query in itertools.product(BAD_AUTHORIZATIONS.values(), ("", "?fragment=1")):
        headers = {"Authorization": authorization} if authorization is not None else {}
        response = api.http.get(f"{api.url}/{query}", headers=headers, timeout=10)
        assert_sign_in_page(response)
        assert open_case not in response.text


# -- oversize, deeply nested and malformed payloads -------------------------------------------

DEEP = {
    "100,000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "40,000 nested objects": b'{"a":' * 40_000 + b"1" + b"}" * 40_000,
    "200,000 arrays never closed": b"[" * 200_000,
    "deep in a field": b'{"id": "1", "text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
}
MALFORMED = {
    "invalid UTF-8": (b'{"id": "\xff\xfe", "text": "\xc3\x28"}', NOT_JSON),
    "UTF-8 cut mid-character": ('{"text": "caf\u00e9"}'.encode()[:-3], NOT_JSON),
    "not JSON": (b"{oops", NOT_JSON),
    "a list": (b"[]", "body: "),
    "a string": (b'"a string"', "body: "),
    "null": (b"null", "body: "),
    "a number": (b"42", "body: "),
    "a token X's CRC would sign": (b"1234567890", "body: "),
}


@pytest.mark.parametrize("name", ["x", "meta"])  # the generic webhook's: test_webhook.py
def test_an_oversize_delivery_gets_413_and_writes_nothing(api, stack, name):
    hook = WEBHOOKS[name]
    delivery = hook.delivery()
    payload = json.loads(delivery.body)
    payload["padding"] = "y" * MAX_DELIVERY_BYTES
    response = hook.post(api, json.dumps(payload).encode())
    assert_json_error(response, 413, f"larger than {MAX_DELIVERY_BYTES} bytes")
    assert_none_recorded(stack, delivery)


@pytest.mark.parametrize("name", ["x", "meta"])
def test_a_batch_larger_than_a_post_but_signed_is_taken(api, stack, name):
    """A platform batches events (Meta up to a thousand): a delivery past the generic
    webhook's limit is still one the platform signed."""
    hook = WEBHOOKS[name]
    delivery = hook.delivery()
    payload = json.loads(delivery.body)
    payload["padding"] = "y" * (2 * MAX_BODY_BYTES)
    response = hook.post(api, json.dumps(payload).encode())
    assert response.status_code == 200 and response.json()["accepted"] == 1
    api.wait_for_case(delivery.case_id)
    api.agent("POST", f"/cases/{delivery.case_id}/resolve")


@pytest.mark.parametrize("kind", DEEP)
@pytest.mark.parametrize("name", WEBHOOKS)
def test_deeply_nested_json_gets_400_on_every_webhook(api, name, kind):
    response = WEBHOOKS[name].post(api, DEEP[kind])
    assert_json_error(response, 400, NOT_JSON)


@pytest.mark.parametrize("kind", MALFORMED)
@pytest.mark.parametrize("name", WEBHOOKS)
def test_a_body_that_is_not_a_json_object_gets_400_and_keeps_nothing(api, stack, name, kind):
    """No platform sends anything but an object, and X's CRC signs any token-shaped
    string (`12345` is JSON): such a body is no delivery of theirs, even signed."""
    body, problem = MALFORMED[kind]
    kept = UnreadableEvents(stack.client("dynamodb"), stack.env["ESCALATOR_TABLE"])
    before = kept.count()
    assert_json_error(WEBHOOKS[name].post(api, body), 400, problem)
    assert kept.count() == before


HUGE = {
    "text": ({"text": "a" * 100_000}, "at most 10000 characters"),
    "handle": ({"handle": "h" * 5_000}, "at most 256 characters"),
}


@pytest.mark.parametrize("field", HUGE)
@pytest.mark.parametrize("name", WEBHOOKS)
def test_a_huge_field_is_refused_or_kept_unread_or_cut_and_never_a_500(api, stack, name, field):
    """The generic webhook refuses it (400). From a platform, a long text is cut to
    10,000 characters (an X post may have 25,000, a Facebook post 63,206), and a handle
    no platform gives is kept unread."""
    change, problem = HUGE[field]
    hook = WEBHOOKS[name]
    if name == "generic":
        handle = change.get("handle")
        extra = {"author": {"id": "u-1", "handle": handle}} if handle else {}
        delivery = generic_delivery(change.get("text", COMPLAINT), **extra)
    else:
        delivery = hook.delivery(**change)
    response = hook.post(api, delivery.body)
    if name == "generic":
        assert_json_error(response, 400, problem)
        assert_none_recorded(stack, delivery)
    elif field == "handle":
        assert response.status_code == 200 and response.json()["unreadable"] == 1
        assert_none_recorded(stack, delivery)
    else:
        assert response.status_code == 200 and response.json()["accepted"] == 1
        text = api.wait_for_case(delivery.case_id)["post"]["text"]
        assert (len(text), text[-1]) == (10_000, "…")
        api.agent("POST", f"/cases/{delivery.case_id}/resolve")


@pytest.mark.parametrize("name", WEBHOOKS)
def test_a_lone_surrogate_becomes_a_replacement_character_everywhere(api, name):
    """A platform may cut an emoji in half (X cuts `text` at 140); no UTF-8 can carry
    the half, so it is shown as U+FFFD rather than refused or stored broken."""
    hook = WEBHOOKS[name]
    delivery = hook.delivery(text="refund me \ud83d now")
    assert hook.post(api, delivery.body).status_code in (200, 202)
    case = api.wait_for_case(delivery.case_id)
    assert case["post"]["text"] == "refund me \ufffd now"
    api.agent("POST", f"/cases/{delivery.case_id}/resolve")


def x_dm_at(created_timestamp: str) -> Delivery:
    dm_id = fresh_id()
    event = {
        "type": "message_create",
        "id": dm_id,
        "created_timestamp": created_timestamp,
        "message_create": {
            "sender_id": fresh_id(),  # a conversation of its own
            "target": {"recipient_id": X_BRAND_ID},
            "message_data": {"text": COMPLAINT},
        },
    }
    payload = {"for_user_id": X_BRAND_ID, "direct_message_events": [event]}
    return Delivery(json.dumps(payload).encode(), "x", f"dm-{dm_id}")


def x_tweet_at(created_at: str) -> Delivery:
    delivery = x_delivery()
    payload = json.loads(delivery.body)
    payload["tweet_create_events"][0]["created_at"] = created_at
    return Delivery(json.dumps(payload).encode(), "x", delivery.post_id)


def messenger_at(timestamp: int) -> Delivery:
    mid = f"m_{new_id()}"
    payload = messenger(mid, new_id(), PAGE_ID, COMPLAINT)  # a conversation of its own
    payload["entry"][0]["messaging"][0]["timestamp"] = timestamp
    return Delivery(json.dumps(payload).encode(), "facebook", f"mid-{mid}")


UTC_RANGE = "created_at: expected a date and time within the years 1 to 9999 in UTC"
# Found by this suite: the platforms' were a 500, then a 400 (a refused delivery); the
# generic ones were accepted, and then broke every escalation email of their case (the
# time is shown in UTC).
OUT_OF_RANGE_TIMES = {
    "an X DM's created_timestamp past time_t": ("x", lambda: x_dm_at("99999999999999999999")),
    "a Messenger timestamp past time_t": ("meta", lambda: messenger_at(10**20)),
    "a tweet after 9999 in UTC": ("x", lambda: x_tweet_at("Fri Dec 31 23:59:59 -2359 9999")),
    "a generic post before year 1 in UTC": (
        "generic",
        lambda: generic_delivery(created_at="0001-01-01T00:00:00+14:00"),
    ),
    "a generic post after 9999 in UTC": (
        "generic",
        lambda: generic_delivery(created_at="9999-12-31T23:59:59-14:00"),
    ),
}


@pytest.mark.parametrize("kind", OUT_OF_RANGE_TIMES)
def test_a_time_out_of_range_is_refused_or_the_moment_of_receipt(api, stack, kind):
    """The generic webhook refuses it (400, writing nothing); a platform's post is timed
    at its receipt: no calendar holds its time, but it is a post to answer."""
    name, make = OUT_OF_RANGE_TIMES[kind]
    delivery = make()
    before = datetime.now(UTC)
    response = WEBHOOKS[name].post(api, delivery.body)
    if name == "generic":
        assert_json_error(response, 400, UTC_RANGE)
        assert_none_recorded(stack, delivery)
        return
    assert response.status_code == 200 and response.json()["accepted"] == 1
    case = api.wait_for_case(delivery.case_id)
    created = datetime.fromisoformat(case["post"]["created_at"])  # or its entry's, in ms
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    api.agent("POST", f"/cases/{delivery.case_id}/resolve")


def agent_json_routes(case_id: str) -> list[str]:
    return [
        f"/cases/{case_id}/respond",
        f"/cases/{case_id}/resolve",
        f"/cases/{case_id}/claim",
        "/incidents/incident-00000000000000000000/resolve",
    ]


AGENT_BODIES = {
    **{kind: (body, NOT_JSON) for kind, body in DEEP.items()},
    "invalid UTF-8": (b'{"by": "\xff\xfe"}', NOT_JSON),
    "a list": (b"[]", "valid action"),
    "a string": (b'"sam"', "valid action"),
    "null": (b"null", "valid action"),
    "a huge name": (json.dumps({"by": "b" * 100_000}).encode(), "at most 128 characters"),
    "oversize": (json.dumps({"by": "b" * MAX_BODY_BYTES}).encode(), "larger than"),
}


@pytest.mark.parametrize("kind", AGENT_BODIES)
def test_a_hostile_body_on_an_agent_route_gets_4xx_and_changes_nothing(api, open_case, kind):
    body, problem = AGENT_BODIES[kind]
    before = state(api, open_case)
    for path in agent_json_routes(open_case):
        response = api.agent("POST", path, data=body, headers={"Content-Type": "application/json"})
        assert_json_error(response, 413 if kind == "oversize" else 400, problem)
    assert state(api, open_case) == before


def test_an_oversize_sign_in_form_gets_413_and_no_session(api):
    form = {"token": API_TOKEN, "padding": "p" * MAX_FORM_BYTES}
    response = api.http.post(f"{api.url}/session", data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 413 and "Set-Cookie" not in response.headers
    assert "That form is too large." in response.text


HOSTILE_PATHS = ["a" * 3000, "%00", "%0A", "%C3%BC", "..%2F..%2Fetc", "%ED%A0%80", "x-%22%3E"]
HOSTILE_QUERIES = [
    "status=%00",
    "limit=-1",
    "limit=%EF%BC%91",  # a full-width digit one
    "limit=99999999999999999999999",
    "post=x:%0A",
    "post=%FF:%FE",
    "fragment=%3Cscript%3E",
    "crc_token=" + "c" * 3000,
    "hub.mode=subscribe&hub.verify_token=%FF&hub.challenge=%3Cscript%3E",
]


def test_no_route_answers_500_whatever_it_is_sent(api, open_case):
    """With the right token, so the requests reach the handlers' own code: hostile path
    parameters and query strings on every route, hostile bodies on every POST."""
    bodies = [DEEP["100,000 nested arrays"], MALFORMED["invalid UTF-8"][0], b"", b"null"]
    hostile = {name: HOSTILE_PATHS for name in ("case_id", "incident_id", "token", "action")}
    failures = []
    for (path, method), entry in routes().items():
        content_type = (entry.content_types or ["application/json"])[0]
        requests = itertools.product(
            urls(path, hostile),
            ["", *HOSTILE_QUERIES] if method == "GET" else [""],
            bodies if method == "POST" else [b""],
        )
        for url, query, body in requests:
            response = api.agent(
                method, f"{url}?{query}", data=body, headers={"Content-Type": content_type}
            )
            if response.status_code >= 500:
                failures.append((method, url[:40], query[:40], body[:20], response.status_code))
    assert failures == []
    assert api.case(open_case)["status"] == "open"


# -- hostile text, escaped wherever a person reads it -----------------------------------------

HOSTILE_TEXT = (
    '@brand <script>alert("pwned")</script> "><img src=x onerror=alert(1)> refund me'
    "\r\nBcc: attacker@example.com\r\nSubject: you are hacked"
)
HOSTILE_HANDLE = '@mallory\r\nBcc: attacker@example.com\r\n"><svg onload=alert(2)>'
HOSTILE_URL = 'https://example.com/p?q="><script>alert(3)</script>'
ESCAPED = [
    "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;",
    "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
    "&#34;&gt;&lt;svg onload=alert(2)&gt;",
]
RAW = ["<script>alert", "<img src=x", "<svg onload"]


def assert_escaped(html: str, escaped: list[str] = ESCAPED) -> None:
    for raw in RAW:
        assert raw not in html, raw
    for text in escaped:
        assert text in html, text


def test_hostile_text_cannot_inject_email_headers_or_markup(api):
    post = make_post(HOSTILE_TEXT, channel="actions", url=HOSTILE_URL)
    post["author"]["handle"] = HOSTILE_HANDLE
    assert api.send(post).status_code == 202
    case_id = case_id_for("actions", post["id"])
    (email,) = wait_for(lambda: sent_emails(case_id), 10, "tier 1's email")

    subject = email["Subject"]
    assert "\r" not in subject and "\n" not in subject
    assert "<script>" in subject  # the subject is text: shown verbatim, on one line
    names = [name.lower() for name in email]
    assert names.count("subject") == 1 and "bcc" not in names and "cc" not in names
    assert email["To"] == "act-1@example.com"
    assert all("attacker" not in value for name, value in email.items() if name != "Subject")
    html = email.get_body(("html",)).get_content()
    assert_escaped(html, [*ESCAPED, "https://example.com/p?q=&#34;&gt;&lt;script&gt;alert(3)"])
    assert "<script" not in html

    confirm = api.http.get(links(email)[Action.ACKNOWLEDGE], timeout=10)
    assert confirm.status_code == 200
    assert_escaped(confirm.text, ESCAPED[:2])
    assert "<script" not in confirm.text

    for query in ("", "?fragment=1"):
        board = api.agent("GET", f"/{query}")
        assert board.status_code == 200
        row = re.search(rf'<tr data-case="{case_id}">.*?</tr>', board.text, re.S)
        assert row, board.text[:500]
        assert_escaped(row[0])
        scripts = re.findall(r"<script[^>]*>", board.text)
        assert all(re.fullmatch(r'<script nonce="[^"]+">', tag) for tag in scripts), scripts

    claimed = api.agent("POST", f"/cases/{case_id}/claim", json={"by": "<script>alert(4)</script>"})
    assert claimed.status_code == 200
    board = api.agent("GET", "/?fragment=1").text
    row = re.search(rf'<tr data-case="{case_id}">.*?</tr>', board, re.S)[0]
    assert "claimed by &lt;script&gt;alert(4)&lt;/script&gt;" in row and "<script" not in row
    api.agent("POST", f"/cases/{case_id}/resolve")
