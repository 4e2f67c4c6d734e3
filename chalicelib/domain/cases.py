"""Cases: one per customer post that needs a person, with its tiers and deadlines.

Plain Python. A case's tiers are a snapshot of the policy taken when it opened, so a
policy edit never reshuffles the deadlines of cases already in flight. Deadlines are
wall-clock instants: `time_scale` compresses policy durations (60 = one policy minute
per second) so the local stack and tests run a day of escalation in seconds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from chalicelib.domain.calendars import BusinessCalendar, QuietHours
from chalicelib.domain.case_clock import CaseClock, Status, Tier
from chalicelib.domain.errors import CaseConflict

if TYPE_CHECKING:  # annotations only: the webhooks need case ids, not the policy (cold start)
    from chalicelib.domain.posts import Post
    from chalicelib.domain.rules import Rule, TierSpec
    from chalicelib.domain.triage import Intent, Priority, Triage


class EventKind(StrEnum):
    """What a line of a case's trail says happened (stored as its value)."""

    OPENED = "opened"  # triage recorded the post as a case
    TIMER_STARTED = "timer started"
    TIMER_RESTARTED = "timer restarted"  # the reconciler replaced a timer that ended
    ESCALATED = "escalated"  # a deadline passed, or a person escalated it now
    NOTIFIED = "notified"  # an email went out
    EMAIL_REFUSED = "email refused"
    FOLLOW_UP = "follow-up"  # the customer wrote again in the thread
    RESUMED = "resumed"  # a paused case's customer wrote: its clock runs again
    REOPENED = "reopened"
    BRAND_REPLY = "brand reply"  # the brand answered on the platform
    AUTO_REPLIED = "auto-replied"  # the policy's acknowledgement went out
    ADDRESSED_TO_US = "addressed to us"  # an overheard post came again, to the brand
    JOINED_INCIDENT = "joined incident"
    LEFT_INCIDENT = "left incident"
    RESPONDED = "responded"
    ACKNOWLEDGED = "acknowledged"
    CLAIMED = "claimed"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"
    MOVED = "moved"
    PAUSED = "paused"
    POST_EDITED = "post edited"  # the platform's word about a post: edited,
    POST_UNSENT = "post unsent"  # unsent,
    POST_DELETED = "post deleted"  # or deleted by its author
    ERASED = "erased"  # a data-protection erasure


@dataclass(frozen=True)
class Event:
    """One line of a case's audit trail: what happened, when, and who did it."""

    at: datetime
    kind: EventKind
    by: str
    detail: dict[str, Any] = field(default_factory=dict)
    author: str | None = None  # whose post it is about (`channel:author id`), if a customer's


@dataclass(frozen=True)
class Notice:
    """One person's email about one tier (or one repeat of the last) of a case's
    current opening: sent at most once."""

    tier: int
    repeat: int
    recipient: str


CASE_ID = re.compile(r"^[a-z][a-z0-9_-]{0,19}-[0-9a-f]{20}$")


def case_id_for(channel: str, post_id: str) -> str:
    """A case's id from the post that opened it: stable across retries, and a valid
    Step Functions execution name."""
    digest = hashlib.sha256(f"{channel}\0{post_id}".encode()).hexdigest()[:20]
    return f"{channel}-{digest}"


@dataclass(frozen=True)
class Case(CaseClock):
    id: str
    post: Post
    intent: Intent
    priority: Priority
    reasons: tuple[str, ...]
    policy_name: str
    tiers: tuple[Tier, ...]
    opened_at: datetime
    time_scale: float = 1.0
    topic: str = "other"  # what triage found it is about (chalicelib.domain.topics)
    team: str | None = None  # whose members its tiers email, if the policy has teams
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
    claim_seconds: int = 30 * 60  # how long an acknowledgement or claim holds tiers
    acknowledged_by: str | None = None
    held_until: datetime | None = None  # further tiers wait till then (acknowledged)
    owner: str | None = None  # who claimed the case
    repeat_every: int = 0  # policy seconds between repeats of the last tier's email
    repeat_times: int = 0
    repeats_due: int = 0  # repeat deadlines passed unanswered
    repeats_sent: int = 0  # repeat emails out
    paused_at: datetime | None = None  # waiting on the customer: the clock is stopped
    paused_seconds: float = 0.0  # policy time paused or snoozed, added to every deadline
    timer_round: int = 0  # bumped whenever the timer restarts (resume, reopen)
    opening: int = 0  # bumped by every reopening: each opening has its own emails
    version: int = 0  # bumped by every stored change: the store's optimistic lock

    @classmethod
    def open(
        cls,
        post: Post,
        triage: Triage,
        policy: Rule,
        now: datetime,
        time_scale: float = 1.0,
        calendar: BusinessCalendar | None = None,
    ) -> Case:
        needs_workflow = triage.actionable and bool(policy.tiers)
        start = policy.urgent_starts_at if triage.priority == "urgent" else None
        head_start = policy.tiers[start - 1].after if start else 0
        tiers = tuple(
            Tier(number, max(0, spec.after - head_start), *_people(spec))
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
            topic=triage.topic,
            team=policy.team,
            status=Status.OPEN if needs_workflow else Status.DISMISSED,
            tier=skipped if needs_workflow else 0,
            notified_tier=skipped if needs_workflow else 0,
            sentiment=triage.sentiment,
            complaint_score=triage.complaint_score,
            calendar=calendar,
            claim_seconds=policy.claim_window,
            repeat_every=policy.repeat.every if policy.repeat else 0,
            repeat_times=policy.repeat.times if policy.repeat else 0,
        )

    def advanced(self) -> Case:
        """The deadline passed: the next tier is due, or the last tier's next repeat."""
        if self.next_tier is not None:
            return replace(self, tier=self.tier + 1)
        return replace(self, repeats_due=self.repeats_due + 1)

    def sent(self, tier: Tier, repeat: int) -> Case:
        if repeat:
            return replace(self, repeats_sent=max(self.repeats_sent, repeat))
        return replace(self, notified_tier=max(self.notified_tier, tier.number))

    def acknowledged(self, now: datetime, by: str) -> Case:
        """Seen, and in hand: further tiers wait for the claim window."""
        self._must_be_escalating("acknowledge")
        until = now + timedelta(seconds=self.claim_seconds / self.time_scale)
        return replace(self, acknowledged_by=by, held_until=until)

    def claimed(self, now: datetime, by: str) -> Case:
        """Taken: the case is `by`'s, and further tiers wait as for an acknowledgement."""
        if self.owner and self.owner != by:
            raise CaseConflict(self.id, f"case is claimed by {self.owner} already")
        return replace(self.acknowledged(now, by), owner=by)

    def snoozed(self, seconds: int) -> Case:
        """Everything still to come (tiers, repeats) moves `seconds` of policy time later
        (opening-hours seconds, with a calendar): the clock stands still that long."""
        self._must_be_escalating("snooze")
        return replace(
            self,
            paused_seconds=self.paused_seconds + seconds,
            timer_round=self.timer_round + 1,
            execution_arn=None,
        )

    def escalated_now(self) -> Case:
        """The next tier is due at once; the tiers after it keep their deadlines."""
        self._must_be_escalating("escalate")
        if self.next_tier is None:
            raise CaseConflict(self.id, "case is at its last tier already")
        return replace(
            self.advanced(),
            held_until=None,
            timer_round=self.timer_round + 1,
            execution_arn=None,
        )

    def _must_be_escalating(self, action: str) -> None:
        if not self.is_open:
            raise CaseConflict(self.id, f"case is {self.status}: nothing to {action}")
        if self.paused_at:
            raise CaseConflict(
                self.id, f"case is paused (waiting on the customer): cannot {action}"
            )
        if self.incident_id:
            raise CaseConflict(self.id, f"case is part of incident {self.incident_id}")

    def paused(self, now: datetime) -> Case:
        if not self.is_open or self.paused_at:
            reason = "paused already" if self.paused_at else f"{self.status}: nothing to pause"
            raise CaseConflict(self.id, f"case is {reason}")
        return replace(self, paused_at=now, execution_arn=None)

    def resumed(self, now: datetime) -> Case:
        """The customer answered: the clock runs on with the time that was left."""
        if self.paused_at is None:
            raise CaseConflict(self.id, "case is not paused: nothing to resume")
        start, end = self.policy_time(self.paused_at), self.policy_time(now)
        if self.calendar is None:
            spent = (end - start).total_seconds()
        else:
            spent = self.calendar.open_seconds(start, end)
        return replace(
            self,
            paused_at=None,
            paused_seconds=self.paused_seconds + spent,
            timer_round=self.timer_round + 1,
            execution_arn=None,
        )

    def may_reopen(self, now: datetime, within_seconds: int) -> bool:
        return (
            self.status is Status.RESOLVED
            and self.resolved_at is not None
            and (now - self.resolved_at) * self.time_scale <= timedelta(seconds=within_seconds)
        )

    def reopened(self, now: datetime) -> Case:
        """A fresh clock: tiers, repeats, claims and responses start over."""
        return replace(
            self,
            status=Status.OPEN,
            opened_at=now,
            tier=self.skipped_tiers,
            notified_tier=self.skipped_tiers,
            repeats_due=0,
            repeats_sent=0,
            first_response_at=None,
            first_response_by=None,
            first_response_text=None,
            resolved_at=None,
            resolved_by=None,
            acknowledged_by=None,
            held_until=None,
            owner=None,
            paused_at=None,
            paused_seconds=0.0,
            incident_id=None,
            timer_round=self.timer_round + 1,
            opening=self.opening + 1,
            execution_arn=None,
        )

    @property
    def timer_name(self) -> str:
        """The execution's name: one per case and round, so a restarted timer is new."""
        return self.id if self.timer_round == 0 else f"{self.id}-r{self.timer_round}"

    def moved(
        self, team: str, notify: Sequence[Sequence[str]], quiet_hours: QuietHours | None
    ) -> Case:
        """Handed to another team: each tier emails `notify[n - 1]` (that team's people)
        from now on, under its quiet hours, on the same clock. An open case owes the
        tiers already reached to the new team at once (a new timer round sends them; each
        person still gets a tier's email at most once)."""
        if self.status in (Status.RESOLVED, Status.DISMISSED):
            raise CaseConflict(self.id, f"case is {self.status}: nothing to move")
        if team == self.team:
            raise CaseConflict(self.id, f"case is with team {team} already")
        tiers = tuple(
            replace(tier, notify=tuple(people), quiet_hours=quiet_hours)
            for tier, people in zip(self.tiers, notify, strict=True)
        )
        moved = replace(self, team=team, tiers=tiers)
        if not self.is_open or self.incident_id:
            return moved
        owed = max(self.skipped_tiers, min(self.notified_tier, self.tier - 1))
        if self.paused_at:  # no timer: resuming starts one, which sends what is owed
            return replace(moved, notified_tier=owed)
        return replace(
            moved, notified_tier=owed, timer_round=self.timer_round + 1, execution_arn=None
        )

    def addressed(self, post: Post) -> Case:
        """Its post, found by listening, came again written to the brand (a mention):
        the case is no longer overheard."""
        return replace(
            self, post=self.post.model_copy(update={"found_by": None, "brand": post.brand})
        )

    def joined(self, incident_id: str) -> Case:
        return replace(self, incident_id=incident_id)

    def post_taken_back(self, text: str) -> Case:
        """Its post's author unsent or deleted it: the post's text is `text` now."""
        return replace(self, post=self.post.model_copy(update={"text": text}))

    def erased(self) -> Case:
        """An anonymous record (a data-protection erasure): its post erased, and what
        quotes it or may name its author (the reasons, the first response's text);
        timings, tiers, topic and outcome stay, for the reports."""
        return replace(self, post=self.post.erased(), reasons=(), first_response_text=None)

    def left_incident(self) -> Case:
        """Out of its incident (resolved without it): in its own hands again, with a new
        timer round that sends whatever it owes by now."""
        return replace(self, incident_id=None, timer_round=self.timer_round + 1, execution_arn=None)

    def started(self, execution_arn: str) -> Case:
        return replace(self, execution_arn=execution_arn)

    @property
    def people(self) -> frozenset[str]:
        """Everyone its tiers email (as they are now: a move hands them to a team)."""
        return frozenset(person for tier in self.tiers for person in tier.notify)

    @property
    def needs_timer(self) -> bool:
        """Should a timer be running for it: open and in its own hands (not paused, not
        an incident's), with a deadline or an email still to come."""
        if not self.is_open or self.paused_at or self.incident_id:
            return False
        return self.next_deadline is not None or self.unsent is not None

    def rearmed(self) -> Case:
        """Its timer ended early (failed, aborted, lost): a new round's timer takes over,
        from where the case stands."""
        return replace(self, timer_round=self.timer_round + 1, execution_arn=None)

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


def _people(spec: TierSpec) -> tuple[tuple[str, ...], QuietHours | None]:
    """Who a tier of the policy emails, and their quiet hours."""
    quiet = spec.quiet_hours.quiet_hours() if spec.quiet_hours else None
    return tuple(spec.notify or ()), quiet
