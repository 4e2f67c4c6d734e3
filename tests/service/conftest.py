"""The use cases on fakes (tests/service/fakes.py) and a fake clock: no AWS, no moto, no
waiting. Each test gets a fresh world: an Escalator built as chalicelib.components builds
it, with in-memory ports, under the small policy below (policy time = wall time)."""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass
from datetime import datetime

import pytest

from chalicelib.domain.policy import Policy
from chalicelib.domain.posts import Author, Post
from chalicelib.use_cases.escalator import Escalator
from tests.service.fakes import (
    FakeCases,
    FakeClock,
    FakeContacts,
    FakeIncidents,
    FakeMailer,
    FakeReplier,
    FakeSigner,
    FakeTimers,
)

POLICY = """
default_team = "care"
reopen_within = "2d"

[[policy]]
name = "x-complaints"
match = { channel = ["x"], intent = ["complaint"] }
urgent_starts_at = 2
acknowledge = "{handle} sorry to hear that: we are looking into it"
tiers = [{ after = "60m" }, { after = "2h" }, { after = "4h" }]

[[policy]]
name = "no-workflow"
match = { intent = ["praise", "spam"] }
tiers = []

[[policy]]
name = "default"
tiers = [{ after = "90m" }, { after = "3h" }]
repeat = { every = "1h", times = 2 }

[teams.care]
members = [["agent@example.com", "agent2@example.com"], ["lead@example.com"], ["head@example.com"]]

[teams.billing]
members = [["billing@example.com"], ["billing-lead@example.com"], ["head@example.com"]]

[topics.billing]
terms = ["charged twice", "refund"]

[storms]
threshold = 3
window = "15m"
notify = ["crisis@example.com"]
"""

# Texts triage reads as the tests need them (checked in test_intake.py's first test).
COMPLAINT = "@brand my parcel never arrived and nobody answers, this is the worst service ever"
URGENT = "@brand my account was hacked and someone is using my card"
QUESTION = "@brand what time do you open on sunday?"
PRAISE = "@brand thanks so much, great service!"


@dataclass
class World:
    escalator: Escalator
    clock: FakeClock
    cases: FakeCases
    incidents: FakeIncidents
    timers: FakeTimers
    mailer: FakeMailer
    replier: FakeReplier
    signer: FakeSigner
    ids: itertools.count

    def post(
        self,
        text: str = COMPLAINT,
        author: str = "42",
        channel: str = "x",
        **fields: object,
    ) -> Post:
        """A post received now, under a new id unless given one."""
        number = next(self.ids)
        given: dict[str, object] = {
            "id": f"post-{number}",
            "channel": channel,
            "text": text,
            "created_at": self.clock.now,
            "author": Author(id=author, handle=f"@customer{author}", followers=120),
            "received_at": self.clock.now,
            **fields,
        }
        return Post.model_validate(given)

    def brand_reply(self, to: Post, text: str = "@customer42 so sorry, DM us") -> Post:
        """The brand's answer to `to`, on its thread."""
        return self.post(
            text,
            author="brand",
            channel=to.channel,
            in_reply_to=to.id,
            conversation_id=to.conversation_id,
            from_brand=True,
        )

    def at(self, **delta: float) -> datetime:
        """Move the clock on by `delta` (hours=, minutes=, seconds=)."""
        return self.clock.advance(**delta)

    def run_timer(self, case_id: str) -> None:
        """What the state machine does: the escalate step, again after each wait, until it
        says done or wants to wait past now."""
        case = self.cases.get(case_id)
        for _ in range(50):
            step = self.escalator.escalate(case_id, case.timer_round)
            if step.done or step.wait_seconds > 0:
                return
        raise AssertionError("the timer never settled")


@pytest.fixture(autouse=True)
def _quiet_metrics(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")


@pytest.fixture
def world() -> World:
    clock = FakeClock()
    cases, incidents, timers = FakeCases(), FakeIncidents(), FakeTimers()
    mailer, replier, signer = FakeMailer(), FakeReplier(), FakeSigner()
    escalator = Escalator(
        cases=cases,
        timers=timers,
        mailer=mailer,
        policy=Policy.model_validate(tomllib.loads(POLICY)),
        sender="escalator@example.com",
        base_url=lambda: "https://escalator.example.com",
        clock=clock,
        sleep=clock.sleep,
        replier=lambda: replier,
        contacts=FakeContacts(),
        incidents=incidents,
        link_signer=lambda: signer,
    )
    return World(
        escalator, clock, cases, incidents, timers, mailer, replier, signer, itertools.count(1)
    )
