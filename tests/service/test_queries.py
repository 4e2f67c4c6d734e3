"""Reads (chalicelib.use_cases.queries): what the agent API, the dashboard and the CLI see."""

from __future__ import annotations

import pytest

from chalicelib.domain.case_clock import Status
from chalicelib.domain.errors import IncidentNotFound
from chalicelib.domain.incidents import IncidentStatus
from chalicelib.use_cases.queries import Queries


def test_a_case_is_found_by_any_post_it_holds(world):
    queries = Queries(world.cases, world.incidents, clock=world.clock)
    post = world.post(conversation_id="thread-q")
    case = world.escalator.receive(post)
    follow_up = world.post("@brand anyone?", conversation_id="thread-q")
    world.escalator.receive(follow_up)
    assert queries.case_of_post("x", follow_up.id).id == case.id
    assert queries.case_of_post("x", "never-seen") is None


def test_the_dashboard_shows_the_open_queue_by_next_deadline(world):
    queries = Queries(world.cases, world.incidents, clock=world.clock)
    later = world.escalator.receive(world.post("@brand what time do you open on sunday?"))
    world.at(minutes=1)
    sooner = world.escalator.receive(world.post(author="5"))
    board = queries.dashboard()
    assert [case.id for case in board.open] == [sooner.id, later.id]
    assert [case.id for case in queries.cases_in(Status.OPEN, 1)] == [sooner.id]  # newest


def test_without_storms_there_are_no_incidents_to_read(world):
    queries = Queries(world.cases)
    assert queries.incidents_in(IncidentStatus.OPEN) == []
    with pytest.raises(IncidentNotFound):
        queries.incident("incident-0123")
