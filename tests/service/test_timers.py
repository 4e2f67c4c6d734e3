"""The reconciler (chalicelib.use_cases.timers): every open case that should be escalating
has a running timer, whatever crashed or ended early."""

from __future__ import annotations

import pytest

from chalicelib.domain.actions import Action
from tests.service.conftest import QUESTION


def test_a_timer_that_ended_early_is_replaced_by_a_new_rounds(world):
    case = world.escalator.receive(world.post())
    world.timers.states[case.execution_arn] = "FAILED"
    assert world.escalator.reconcile_timers() == [case.id]
    rearmed = world.cases.get(case.id)
    assert rearmed.timer_round == case.timer_round + 1
    assert world.timers.running() == {rearmed.execution_arn}
    assert world.cases.kinds(case.id)[-2:] == ["timer restarted", "timer started"]


def test_a_case_just_opened_is_left_to_the_consumer_starting_its_timer(world):
    world.timers.fail_starts = 1
    with pytest.raises(ConnectionError):
        world.escalator.receive(world.post())
    assert world.escalator.reconcile_timers() == []  # within the grace period


def test_paused_answered_and_running_cases_are_left_alone(world):
    running = world.escalator.receive(world.post())
    paused = world.escalator.receive(world.post(QUESTION, author="7"))
    world.escalator.pause(paused.id, "agent@example.com")
    answered = world.escalator.receive(world.post(QUESTION, author="8"))
    world.escalator.do_action(answered.id, Action.RESOLVE, "agent@example.com")
    world.at(minutes=10)
    assert world.escalator.reconcile_timers() == []
    assert world.cases.get(running.id).execution_arn in world.timers.running()


def test_a_run_again_restarts_nothing_twice(world):
    case = world.escalator.receive(world.post())
    world.timers.states[case.execution_arn] = "ABORTED"
    world.escalator.reconcile_timers()
    assert world.escalator.reconcile_timers() == []
    assert len(world.timers.running()) == 1
