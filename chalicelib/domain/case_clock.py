"""A case's clock: its deadlines, wall and policy time, what it owes, and when its
emails may go (quiet hours). Read-only queries, mixed into chalicelib.domain.cases.Case,
which holds the fields they read and the transitions that change them.

Deadlines are wall-clock instants: `time_scale` compresses policy durations (60 = one
policy minute per second) so that the local stack and tests run a day of escalation in
seconds; a calendar counts its opening hours only; a pause or a snooze adds the time it
stood still to every deadline still to come.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain.calendars import BusinessCalendar, QuietHours

if TYPE_CHECKING:  # annotations only: the webhooks load no triage (cold start)
    from chalicelib.domain.triage import Priority


class Status(StrEnum):
    OPEN = "open"  # nobody has responded yet: the timer runs (unless paused)
    RESPONDED = "responded"  # first response given: escalation over
    RESOLVED = "resolved"  # done
    DISMISSED = "dismissed"  # praise, spam: recorded, never escalated


@dataclass(frozen=True)
class Tier:
    number: int  # 1-based
    after_seconds: int  # policy time from opening
    notify: tuple[str, ...]
    quiet_hours: QuietHours | None = None  # its emails wait these out, unless urgent


def whole_seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds to wait (Step Functions waits whole seconds), rounded down: the timer
    wakes up to a second early and the escalate step waits out the rest, so emails leave
    on the deadline, not up to a second after it."""
    return max(0, math.floor((moment - now).total_seconds()))


class CaseClock:
    """The queries of chalicelib.domain.cases.Case that read its clock."""

    # The case's fields these read (chalicelib.domain.cases.Case holds them).
    status: Status
    priority: Priority
    tiers: tuple[Tier, ...]
    opened_at: datetime
    time_scale: float
    tier: int
    notified_tier: int
    incident_id: str | None
    calendar: BusinessCalendar | None
    held_until: datetime | None
    repeat_every: int
    repeat_times: int
    repeats_due: int
    repeats_sent: int
    paused_at: datetime | None
    paused_seconds: float

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    @property
    def next_tier(self) -> Tier | None:
        return self.tiers[self.tier] if self.tier < len(self.tiers) else None

    def deadline(self, tier: Tier) -> datetime:
        """When the tier is due."""
        return self._after_policy_time(tier.after_seconds)

    def _after_policy_time(self, seconds: float) -> datetime:
        """The wall-clock moment when `seconds` of policy time (plus the time spent paused)
        have passed since opening, counted in the calendar's opening hours if the case
        has one. Policy time runs `time_scale` times faster than the wall clock from the
        moment the case opened."""
        seconds += self.paused_seconds
        if self.calendar is None:
            return self.wall_time(self.opened_at + timedelta(seconds=seconds))
        return self.wall_time(self.calendar.add(self.opened_at, seconds))

    def policy_time(self, moment: datetime) -> datetime:
        """The policy clock's reading at a wall-clock moment (what calendars and quiet
        hours are read against)."""
        return self.opened_at + (moment - self.opened_at) * self.time_scale

    def wall_time(self, policy_moment: datetime) -> datetime:
        return self.opened_at + (policy_moment - self.opened_at) / self.time_scale

    @property
    def next_deadline(self) -> datetime | None:
        """The next tier's deadline, or the last tier's next repeat; held back to the end
        of an acknowledgement's hold. None when answered, paused, part of an incident or
        all done."""
        if not self.is_open or self.paused_at or self.incident_id or not self.tiers:
            return None
        if (tier := self.next_tier) is not None:
            due = self.deadline(tier)
        elif self.repeats_due < self.repeat_times:
            last = self.tiers[-1].after_seconds
            due = self._after_policy_time(last + self.repeat_every * (self.repeats_due + 1))
        else:
            return None
        if self.held_until and self.held_until > due:
            return self.held_until
        return due

    def is_due(self, now: datetime) -> bool:
        deadline = self.next_deadline
        return deadline is not None and now >= deadline

    def seconds_until_next_deadline(self, now: datetime) -> int | None:
        """Whole seconds to the next deadline (see `whole_seconds_until`); None when
        nothing is left to wait for."""
        deadline = self.next_deadline
        return None if deadline is None else whole_seconds_until(deadline, now)

    def policy_time_since_opened(self, now: datetime) -> timedelta:
        """How long the customer has waited, in policy time (what people read)."""
        return self.policy_span(self.opened_at, now)

    def policy_span(self, start: datetime, end: datetime) -> timedelta:
        """The policy time between two wall-clock moments."""
        return (end - start) * self.time_scale

    @property
    def unsent(self) -> tuple[Tier, int] | None:
        """The next email owed, oldest first: (tier, repeat number), or None. Several
        are owed when quiet hours held them; each goes out in turn."""
        if self.notified_tier < self.tier:
            return self.tiers[self.notified_tier], 0
        if self.repeats_sent < self.repeats_due:
            return self.tiers[-1], self.repeats_sent + 1
        return None

    @property
    def skipped_tiers(self) -> int:
        """Tiers an urgent case passed over at once (their deadlines are all zero)."""
        return max(0, self._first_deadline - 1)

    @property
    def breached(self) -> bool:
        """Did a deadline pass unanswered? An urgent case's first tiers, emailed at once,
        are not breaches: its first is the next tier's."""
        return self.tier > self._first_deadline

    @property
    def sla_tier(self) -> Tier | None:
        """The tier whose deadline is the case's SLA: the first with a deadline after
        opening (an urgent case's at-once tiers are not), or the last; None without tiers."""
        return self.tiers[min(self._first_deadline, len(self.tiers) - 1)] if self.tiers else None

    @property
    def _first_deadline(self) -> int:
        """The index of the first tier with a deadline after opening (all: none)."""
        return next((i for i, t in enumerate(self.tiers) if t.after_seconds), len(self.tiers))

    def quiet_until(self, tier: Tier, now: datetime) -> datetime | None:
        """When the tier's quiet hours end, if it is in them now and the case is not urgent."""
        if tier.quiet_hours is None or self.priority == "urgent":
            return None
        end = tier.quiet_hours.end_after(self.policy_time(now))
        return self.wall_time(end) if end else None
