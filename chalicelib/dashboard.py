"""The dashboard's figures: the open queue by next escalation, the cases that breached a
deadline lately, and per channel how many were answered and how fast. Plain Python over
cases the store lists."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.cases import Case, Status

DAY_SECONDS = 24 * 3600  # policy time the "last 24 hours" figures cover
MAX_OPEN = 500
MAX_BREACHED = 20


class CaseLister(Protocol):
    def list(self, status: Status, limit: int = 100, oldest_first: bool = False) -> list[Case]: ...

    def opened_since(self, status: Status, since: datetime, limit: int = 1000) -> list[Case]: ...


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    cases: int
    answered: int
    breached: int
    median_seconds: float | None  # time to first response, policy time
    p90_seconds: float | None

    @property
    def response_rate(self) -> float:
        return self.answered / self.cases if self.cases else 0.0


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    time_scale: float
    open: list[Case]  # soonest next escalation first
    breached: list[Case]  # newest first
    channels: list[ChannelFigures]

    @property
    def open_truncated(self) -> bool:
        """More cases are open than the board lists (the oldest MAX_OPEN are shown)."""
        return len(self.open) >= MAX_OPEN

    @classmethod
    def build(cls, store: CaseLister, now: datetime, time_scale: float) -> Dashboard:
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
            (case for case in recent if breached_deadline(case)),
            key=lambda case: case.opened_at,
            reverse=True,
        )[:MAX_BREACHED]
        channels = sorted({case.post.channel for case in recent})
        return cls(now, time_scale, queue, breached, [_figures(c, recent) for c in channels])


def breached_deadline(case: Case) -> bool:
    """Did a deadline pass unanswered (an urgent case's skipped tiers are not breaches)?"""
    return case.tier > case.skipped_tiers


def _figures(channel: str, recent: list[Case]) -> ChannelFigures:
    cases = [case for case in recent if case.post.channel == channel]
    waits = sorted(
        (case.first_response_at - case.opened_at).total_seconds() * case.time_scale
        for case in cases
        if case.first_response_at is not None
    )
    return ChannelFigures(
        channel=channel,
        cases=len(cases),
        answered=len(waits),
        breached=sum(breached_deadline(case) for case in cases),
        median_seconds=statistics.median(waits) if waits else None,
        p90_seconds=_percentile(waits, 0.9),
    )


def _percentile(ordered: list[float], share: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * share // 1))  # ceil
    return ordered[int(rank) - 1]
