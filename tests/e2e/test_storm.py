"""Issue 8's storm: a burst of webhook deliveries against a local stack of its own
(storm.py, run in a process of its own): 20% duplicates, 5% bad signatures, 5%
malformed. Every genuine post becomes exactly one case, none is lost, no delivery gets a
5xx, and the metrics count the cases, the duplicates, the refusals and the events kept
unread exactly.

The issue's storm is 5,000 deliveries; on the local stack that takes some 11 minutes
here (see storm.py), too long for `make test`, which runs 600 of the same make-up:
`python -m tests.e2e.storm` runs the 5,000."""

from __future__ import annotations

import pytest

from tests.e2e.stack import run_on_own_stack

DELIVERIES = 600
SOURCES = {"generic", "x", "meta"}  # storm.py's webhooks


@pytest.fixture(scope="module")
def storm() -> dict:
    return run_on_own_stack("tests.e2e.storm", "--deliveries", str(DELIVERIES), timeout=1200)


def test_the_burst_is_the_storm_asked_for(storm):
    assert storm["deliveries"] == DELIVERIES
    assert storm["kinds"] == {
        "genuine": DELIVERIES * 70 // 100,
        "duplicate": DELIVERIES * 20 // 100,
        "signature": DELIVERIES * 5 // 100,
        "malformed": DELIVERIES * 5 // 100,
    }
    for kind in ("genuine", "duplicate", "signature", "malformed"):
        assert set(storm["sources"][kind]) == SOURCES, kind
    assert storm["duplicated_posts"] < storm["kinds"]["duplicate"]  # some sent thrice


def test_every_genuine_post_is_exactly_one_case_and_none_is_lost(storm):
    assert storm["genuine_posts"] == storm["kinds"]["genuine"]
    assert storm["cases"] == storm["genuine_posts"]
    assert storm["posts_without_a_case"] == []
    assert storm["posts_with_several_cases"] == []
    assert storm["posts_in_another_case"] == []
    assert storm["queues"] == {"inbox": 0, "dead_letters": 0}


def test_no_delivery_gets_a_5xx_and_each_gets_its_answer(storm):
    assert storm["server_errors"] == 0
    assert storm["unexpected_responses"] == [], storm["unexpected_count"]
    statuses = storm["statuses"]
    assert set(statuses["signature"]) <= {"401", "403"}
    # not JSON (400), or a platform's signed JSON, taken with its event kept unread (200)
    assert set(statuses["malformed"]) <= {"400", "200"}
    assert set(statuses["genuine"]) == set(statuses["duplicate"]) == {"200", "202"}


def test_refused_deliveries_write_nothing(storm):
    assert storm["refused_posts_written"] == []
    assert storm["cases_of_no_genuine_post"] == []


def test_the_metrics_count_cases_duplicates_and_refusals(storm):
    kinds, metrics = storm["kinds"], storm["metrics"]
    assert metrics["CasesOpened"] == kinds["genuine"]
    # each duplicate delivery holds one post, recognised by its dedupe record once
    assert metrics["DuplicatePosts"] == kinds["duplicate"]
    assert metrics["WebhookRejections.signature"] == kinds["signature"]
    kept_unread = storm["statuses"]["malformed"].get("200", 0)
    assert metrics["WebhookRejections.malformed"] == kinds["malformed"] - kept_unread
    assert metrics["UnreadableEvents"] == kept_unread > 0
