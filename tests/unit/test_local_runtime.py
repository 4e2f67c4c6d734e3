"""The pieces of the local runtime that need no running stack."""

import types

import pytest
from chalice import Chalice, Rate

from infra.local import _logical_id, _rate_seconds, scheduled_event, scheduled_functions


def test_scheduled_functions_are_found_with_their_period():
    module = types.ModuleType("fake_app")
    module.app = app = Chalice(app_name="fake")

    @app.schedule("rate(5 minutes)")
    def poll_mentions(event):
        return "polled"

    @app.schedule(Rate(2, unit=Rate.HOURS))
    def reconcile(event):
        return f"reconciled at {event.time}"

    module.poll_mentions, module.reconcile = poll_mentions, reconcile

    found = {name: (seconds, handler) for name, seconds, handler in scheduled_functions(module)}

    assert {name: seconds for name, (seconds, _) in found.items()} == {
        "poll_mentions": 300,
        "reconcile": 7200,
    }
    event = scheduled_event("reconcile")
    assert found["reconcile"][1](event, None) == f"reconciled at {event['time']}"


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(3 hours)", 10800), ("rate(1 day)", 86400)],
)
def test_rate_expressions(expression, seconds):
    assert _rate_seconds(expression) == seconds


def test_cron_expressions_are_refused_clearly():
    with pytest.raises(ValueError, match="rate\\(\\) schedules only"):
        _rate_seconds("cron(0 12 * * ? *)")


def test_function_names_become_chalice_logical_ids():
    assert _logical_id("escalate") == "Escalate"
    assert _logical_id("poll_mentions") == "PollMentions"
