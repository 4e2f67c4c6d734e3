"""Cases: one per customer post that needs a person, with its tiers and deadlines.

Plain Python. A case's tiers are a snapshot of the policy taken when it opened, so a
policy edit never reshuffles the deadlines of cases already in flight. Deadlines are
wall-clock instants: `time_scale` compresses policy durations (60 = one policy minute
per second) so the local stack and tests run a day of escalation in seconds.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.calendars import BusinessCalendar
from chalicelib.policy import EscalationPolicy
from chalicelib.posts import Post
from chalicelib.triage import Triage


class Status(StrEnum):
    OPEN = "open"  # nobody has responded yet: the timer runs
    RESPONDED = "responded"  # first response given: escalation over
    RESOLVED = "resolved"  # done
    DISMISSED = "dismissed"  # praise, spam: recorded, never escalated


@dataclass(frozen=True)
class Tier:
    number: int  # 1-based
    after_seconds: int  # policy time from opening
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    """One line of a case's audit trail: what happened, when, and who did it."""

    at: datetime
    kind: str
    by: str
    detail: dict = field(default_factory=dict)


CASE_ID = re.compile(r"^[a-z][a-z0-9_-]{0,19}-[0-9a-f]{20}$")


def case_id_for(channel: str, post_id: str) -> str:
    """A case's id from the post that opened it: stable across retries, and a valid
    Step Functions execution name."""
    digest = hashlib.sha256(f"{channel}\0{post_id}".encode()).hexdigest()[:20]
    return f"{channel}-{digest}"


@dataclass(frozen=True)
class Case:
    id: str
    post: Post
    intent: str
    priority: str
    reasons: tuple[str, ...]
    policy_name: str
    tiers: tuple[Tier, ...]
    opened_at: datetime
    time_scale: float = 1.0
    status: Status = Status.OPEN
    tier: int = 0  # highest tier whose deadline passed unanswered
    notified_tier: int = 0  # highest tier whose email went out
    execution_arn: str | None = None
    first_response_at: datetime | None = None
    first_response_by: str | None = None
    first_response_text: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    sentiment: float = 0.0  # VADER compound of the opening post, -1..1
    complaint_score: float = 0.0
    incident_id: str | None = None  # the storm this case is part of, if any
    calendar: BusinessCalendar | None = None  # tiers count its opening hours only, if set
    version: int = 0  # bumped by every stored change: the store's optimistic lock

    @classmethod
    def open(
        cls,
        post: Post,
        triage: Triage,
        policy: EscalationPolicy,
        now: datetime,
        time_scale: float = 1.0,
        calendar: BusinessCalendar | None = None,
    ) -> Case:
        needs_workflow = triage.actionable and bool(policy.tiers)
        start = policy.urgent_starts_at if triage.priority == "urgent" else None
        head_start = policy.tiers[start - 1].after if start else 0
        tiers = tuple(
            Tier(number, max(0, spec.after - head_start), tuple(spec.notify))
            for number, spec in enumerate(policy.tiers, start=1)
        )
        skipped = start - 1 if start else 0  # urgent: earlier tiers passed over, unemailed
        return cls(
            id=case_id_for(post.channel, post.id),
            post=post,
            intent=triage.intent,
            priority=triage.priority,
            reasons=tuple(triage.reasons),
            policy_name=policy.name,
            tiers=tiers if needs_workflow else (),
            opened_at=now,
            time_scale=time_scale,
            status=Status.OPEN if needs_workflow else Status.DISMISSED,
            tier=skipped if needs_workflow else 0,
            notified_tier=skipped if needs_workflow else 0,
            sentiment=triage.sentiment,
            complaint_score=triage.complaint_score,
            calendar=calendar,
        )

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    @property
    def next_tier(self) -> Tier | None:
        return self.tiers[self.tier] if self.tier < len(self.tiers) else None

    def deadline(self, tier: Tier) -> datetime:
        """When the tier is due: `after` policy seconds from opening, counted in the
        calendar's opening hours if the case has one (policy time runs `time_scale`
        times faster than the wall clock from the moment the case opened)."""
        if self.calendar is None:
            return self.opened_at + timedelta(seconds=tier.after_seconds / self.time_scale)
        policy_deadline = self.calendar.add(self.opened_at, tier.after_seconds)
        return self.opened_at + (policy_deadline - self.opened_at) / self.time_scale

    @property
    def next_deadline(self) -> datetime | None:
        tier = self.next_tier
        return self.deadline(tier) if tier and self.is_open else None

    def is_due(self, now: datetime) -> bool:
        deadline = self.next_deadline
        return deadline is not None and now >= deadline

    def seconds_until_next_deadline(self, now: datetime) -> int | None:
        """Whole seconds to wait (Step Functions waits whole seconds), rounded down: the
        timer wakes up to a second early and the escalate step waits out the rest, so
        emails leave on the deadline, not up to a second after it. None when nothing
        is left to wait for."""
        deadline = self.next_deadline
        if deadline is None:
            return None
        return max(0, math.floor((deadline - now).total_seconds()))

    def policy_time_since_opened(self, now: datetime) -> timedelta:
        """How long the customer has waited, in policy time (what people read)."""
        return (now - self.opened_at) * self.time_scale

    def advanced(self) -> Case:
        return replace(self, tier=self.tier + 1)

    def notified(self, tier: int) -> Case:
        return replace(self, notified_tier=max(self.notified_tier, tier))

    def joined(self, incident_id: str) -> Case:
        return replace(self, incident_id=incident_id)

    def started(self, execution_arn: str) -> Case:
        return replace(self, execution_arn=execution_arn)

    def responded(self, at: datetime, by: str, text: str | None = None) -> Case:
        if self.status is Status.RESOLVED or self.first_response_at is not None:
            raise CaseConflict(self.id, f"case is {self.status} and was already answered")
        status = Status.RESPONDED if self.status is Status.OPEN else self.status
        return replace(
            self,
            status=status,
            first_response_at=at,
            first_response_by=by,
            first_response_text=text,
        )

    @property
    def takes_follow_ups(self) -> bool:
        """A customer's next post in the thread joins the case while it is in hand;
        after a resolution (or a dismissal) it starts a new one."""
        return self.status in (Status.OPEN, Status.RESPONDED)

    def resolved(self, at: datetime, by: str) -> Case:
        if self.status is Status.RESOLVED:
            raise CaseConflict(self.id, "case is already resolved")
        return replace(self, status=Status.RESOLVED, resolved_at=at, resolved_by=by)


class CaseNotFound(LookupError):
    def __init__(self, case_id: str):
        super().__init__(f"no case with id {case_id!r}")
        self.case_id = case_id


class CaseConflict(RuntimeError):
    """A change that the case's current state does not allow."""

    def __init__(self, case_id: str, reason: str):
        super().__init__(f"case {case_id}: {reason}")
        self.case_id = case_id


class ConcurrentChange(CaseConflict):
    """The case changed between reading and writing it: read it again and re-decide."""

    def __init__(self, case_id: str):
        super().__init__(case_id, "changed by someone else meanwhile")
