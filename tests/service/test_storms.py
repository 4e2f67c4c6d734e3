"""Storms (chalicelib.use_cases.storms): many people complaining of one thing at once make
one incident and one email to the crisis tier, not a timer and an email each."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.case_clock import Status

STORM = "@brand the refund I was promised never came, this is a disgrace"


def storm(world, authors=("1", "2", "3")):
    return [world.escalator.receive(world.post(STORM, author=a)) for a in authors]


def test_as_many_people_as_the_threshold_make_one_incident_and_one_email(world):
    first, second, third = storm(world)
    (incident,) = world.incidents.incidents.values()
    assert set(incident.members) == {first.id, second.id, third.id}
    assert [m["To"] for m in world.mailer.sent] == ["crisis@example.com"]
    assert world.timers.running() == set()  # grouped: no case escalates on its own
    assert all(world.cases.get(c.id).incident_id == incident.id for c in (first, second))


def test_one_author_posting_again_and_again_is_no_storm(world):
    cases = storm(world, authors=("1", "1", "1", "1"))
    assert world.incidents.incidents == {}
    assert all(world.cases.get(c.id).execution_arn for c in cases)


def test_an_urgent_complaint_never_joins_a_storm(world):
    storm(world)
    urgent = world.escalator.receive(
        world.post("@brand my account was hacked, the refund went to someone else", author="9")
    )
    assert urgent.priority == "urgent" and urgent.incident_id is None
    assert urgent.execution_arn in world.timers.running()


def test_later_members_are_told_of_in_one_digest_once_the_window_is_over(world):
    storm(world)
    late = world.escalator.receive(world.post(STORM, author="4"))
    assert late.incident_id and world.escalator.send_incident_digests() == []
    world.at(minutes=16)
    (incident,) = world.incidents.incidents
    assert world.escalator.send_incident_digests() == [incident]
    assert world.escalator.send_incident_digests() == []  # nothing new since
    assert [m["To"] for m in world.mailer.sent] == ["crisis@example.com"] * 2


def test_resolving_the_incident_resolves_whom_its_emails_named_and_frees_the_others(world):
    told = storm(world)
    untold = world.escalator.receive(world.post(STORM, author="4"))
    (incident_id,) = world.incidents.incidents
    world.escalator.resolve_incident(incident_id, "crisis@example.com")
    assert {world.cases.get(c.id).status for c in told} == {Status.RESOLVED}
    freed = world.cases.get(untold.id)
    assert freed.is_open and freed.incident_id is None
    assert freed.execution_arn in world.timers.running()


def test_resolving_everyone_resolves_every_member(world):
    storm(world)
    untold = world.escalator.receive(world.post(STORM, author="4"))
    (incident_id,) = world.incidents.incidents
    world.escalator.resolve_incident(incident_id, "crisis@example.com", everyone=True)
    assert world.cases.get(untold.id).status is Status.RESOLVED


def test_complaints_further_apart_than_the_window_are_no_storm(world):
    for author in ("1", "2", "3"):
        world.escalator.receive(world.post(STORM, author=author))
        world.clock.advance(minutes=16)
    assert world.incidents.incidents == {}
    assert world.clock.now - timedelta(minutes=48) == world.cases.list(Status.OPEN)[-1].opened_at
