"""POST /webhooks/generic: genuine posts are accepted fast; anything else is refused with
a clear JSON error, and nothing is queued or written."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from chalicelib.domain.cases import case_id_for
from chalicelib.entrypoints.http import MAX_BODY_BYTES
from tests.e2e.stack import GENERIC_SECRET, case_of, make_post, table_items

COMPLAINT = "@brand the app keeps crashing when I try to pay my bill. Useless."


def assert_nothing_written(api, stack, post: dict) -> None:
    time.sleep(1.2)  # longer than the inbox poller takes to record a queued post
    assert api.agent("GET", f"/cases/{case_of(post)}").status_code == 404
    assert table_items(stack, f"POST#{post['channel']}#{post['id']}") == []
    assert table_items(stack, f"CASE#{case_of(post)}") == []


def test_a_signed_post_is_accepted_with_its_case_id(api):
    post = make_post(COMPLAINT)
    response = api.send(post)

    assert response.status_code == 202
    assert response.json() == {
        "accepted": True,
        "channel": "x",
        "post_id": post["id"],
        "case_id": case_of(post),
    }
    case = api.wait_for_case(case_of(post))
    assert case["post"]["text"] == COMPLAINT
    assert case["post"]["author"] == post["author"]
    api.agent("POST", f"/cases/{case_of(post)}/resolve")


@pytest.mark.parametrize(
    "signature", [None, "t=1,v1=" + "0" * 64, "sha256=" + "0" * 64, "sha1=abc", "garbage"]
)
def test_a_bad_signature_gets_401_and_writes_nothing(api, stack, signature):
    post = make_post(COMPLAINT)
    response = api.post_body(json.dumps(post).encode(), signature=signature)

    assert response.status_code == 401
    assert "X-Escalator-Signature" in response.json()["error"]
    assert_nothing_written(api, stack, post)


def test_a_body_changed_after_signing_gets_401(api, stack):
    post = make_post(COMPLAINT)
    from chalicelib.channels.signatures import sign_generic
    from tests.e2e.stack import GENERIC_SECRET

    signature = sign_generic(GENERIC_SECRET, json.dumps(post).encode())
    tampered = json.dumps({**post, "text": "all good, thanks"}).encode()
    assert api.post_body(tampered, signature=signature).status_code == 401
    assert_nothing_written(api, stack, post)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda p: p.pop("text"), "text: required field is missing"),
        (lambda p: p["author"].pop("handle"), "author.handle: required field is missing"),
        (lambda p: p.update(created_at="yesterday"), "created_at:"),
        (lambda p: p.update(created_at="2026-11-23T10:00:00"), "created_at: Input should have"),
        (lambda p: p.update(channel="X Corp"), "channel: expected a lowercase channel name"),
        (lambda p: p.update(url="javascript:alert(1)"), "url: expected an http(s) URL"),
        (lambda p: p["author"].update(followers=-3), "author.followers:"),
        (lambda p: p.update(text=""), "text:"),
    ],
)
def test_a_post_missing_or_misshaping_a_field_gets_400_naming_it(api, stack, change, problem):
    post = make_post(COMPLAINT)
    change(post)

    response = api.send(post)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "the body is not a valid post"
    assert any(p.startswith(problem) for p in body["problems"]), body["problems"]
    assert_nothing_written(api, stack, post)


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"a string"', b"null"])
def test_a_body_that_is_not_a_json_object_gets_400(api, raw):
    response = api.post_body(raw)
    assert response.status_code == 400
    assert response.json()["problems"]


def test_an_oversize_body_gets_413(api, stack):
    post = make_post("x" * 10)
    post["padding"] = "y" * MAX_BODY_BYTES
    response = api.send(post)
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]
    assert_nothing_written(api, stack, post)


def test_the_readmes_curl_example_signs_a_post_the_webhook_takes(api, stack):
    """README's "Sending posts" example, run by bash with openssl against the stack."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Sending posts") :]
    script = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    post_id = f"readme-{time.time_ns()}"
    script = script.replace("http://127.0.0.1:8000", api.url).replace('"1001"', f'"{post_id}"')
    script = script.replace('-d "$body"', '-d "$body" -sw "\\n%{http_code}"')
    run = subprocess.run(
        ["bash", "-c", script],
        env={"PATH": "/usr/bin:/bin", "ESCALATOR_GENERIC_SECRET": GENERIC_SECRET},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.stdout.strip().endswith("202"), (run.stdout, run.stderr)
    case = api.wait_for_case(case_id_for("x", post_id))
    assert case["post"]["author"]["handle"] == "@sam"
    api.agent("POST", f"/cases/{case['id']}/resolve")
