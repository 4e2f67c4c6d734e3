"""The dashboard's figures: the open queue by next escalation, the cases that breached a
deadline lately, and per channel how many were answered and how fast. Plain Python over
cases the case repository lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case
from chalicelib.domain.figures import Figures, grouped
from chalicelib.ports import CaseRepository

DAY_SECONDS = 24 * 3600  # policy time the "last 24 hours" figures cover
MAX_OPEN = 500
MAX_BREACHED = 20


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    time_scale: float
    open: list[Case]  # soonest next escalation first
    breached: list[Case]  # newest first
    channels: list[Figures]

    @property
    def open_truncated(self) -> bool:
        """More cases are open than the board lists (the oldest MAX_OPEN are shown)."""
        return len(self.open) >= MAX_OPEN

    @classmethod
    def build(cls, store: CaseRepository, now: datetime, time_scale: float) -> Dashboard:
        since = now - timedelta(seconds=DAY_SECONDS / time_scale)
        recent = [
            case
            for status in (Status.OPEN, Status.RESPONDED, Status.RESOLVED)
            for case in store.opened_since(status, since)
        ]
        # The oldest open cases are the likeliest to be overdue: those are kept.
        return cls.of(store.list(Status.OPEN, MAX_OPEN, oldest_first=True), recent, now, time_scale)

    @classmethod
    def of(
        cls, open_cases: list[Case], recent: list[Case], now: datetime, time_scale: float
    ) -> Dashboard:
        """The figures from the open cases and the cases opened in the last 24 hours."""
        far = now + timedelta(days=3650)
        queue = sorted(open_cases, key=lambda case: (case.next_deadline or far, case.id))
        breached = sorted(
            (case for case in recent if case.breached),
            key=lambda case: case.opened_at,
            reverse=True,
        )[:MAX_BREACHED]
        return cls(now, time_scale, queue, breached, grouped(recent))
