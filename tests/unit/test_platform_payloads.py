"""Every payload the platforms published (or an open-source consumer recorded) is read by
its channel's adapter into what the README's table says: a case, a brand reply, a note, a
post to fetch, ignored, or kept as unreadable; never an exception."""

from __future__ import annotations

import pytest

from chalicelib.channels import Delivery, meta, x
from tests.platform_payloads import (
    deliveries,
    expected_effect,
    load,
    manifest,
    readme_rows,
    redated,
)

PARSERS = {"x": x.parse, "meta": meta.parse}
CASES = [(platform, name) for platform in PARSERS for name in deliveries(platform)]


def effects(delivery: Delivery) -> set[str]:
    found = {"kept as unreadable" for _ in delivery.unreadable}
    found |= {"note" for _ in delivery.notes} | {
        "fetched, then a case" for _ in delivery.references
    }
    found |= {"ignored" for _ in delivery.ignored}
    for post in delivery.posts:
        if post.from_brand:
            found.add("brand reply")
        elif not post.addressed_to_us:
            found.add("case if a complaint or a question")
        else:
            found.add("case")
    return found


@pytest.mark.parametrize("platform", PARSERS)
def test_every_delivery_has_one_row_of_the_readme_and_every_row_is_known(platform):
    named = manifest(platform)
    assert sorted(named) == deliveries(platform)  # no fixture without its row, nor a stale one
    rows = readme_rows(platform)
    assert len(rows) >= 10
    for name in named:
        expected_effect(platform, name)  # exactly one row


@pytest.mark.parametrize(("platform", "name"), CASES)
def test_each_payload_becomes_what_the_readme_says(platform, name):
    delivery = PARSERS[platform](redated(load(platform, name)), frozenset())
    assert effects(delivery) == {expected_effect(platform, name)}, delivery


@pytest.mark.parametrize(("platform", "name"), CASES)
def test_each_payload_reads_the_same_as_published_and_as_delivered_now(platform, name):
    """Re-dating changes times only: old and placeholder times never make a payload
    unreadable (a time that cannot be read is the moment of receipt)."""
    published = PARSERS[platform](load(platform, name), frozenset())
    assert effects(published) == {expected_effect(platform, name)}
