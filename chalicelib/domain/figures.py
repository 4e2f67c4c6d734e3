"""How a set of cases went, per channel (or team, or topic): the questions the industry
studies ask (how many complaints are answered at all, how fast, how many within the SLA
or the same day) and how far they climbed. Plain Python over cases; times are policy
time."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case

SAME_DAY_SECONDS = 24 * 3600


GROUPINGS: dict[str, Callable[[Case], str]] = {
    "channel": lambda case: case.post.channel,
    "team": lambda case: case.team or "(no team)",
    "topic": lambda case: case.topic,
}


@dataclass(frozen=True)
class Figures:
    group: str  # the channel, team or topic the cases share, or "all"
    cases: int
    answered: int
    waiting: int  # open, with no response yet
    within_sla: int  # answered by the first deadline an email would have gone out at
    same_day: int  # answered within 24 hours
    breached: int  # a deadline passed unanswered
    median_seconds: float | None  # time to first response
    p90_seconds: float | None
    escalations_by_tier: dict[int, int] = field(default_factory=dict)  # cases that reached it

    @property
    def response_rate(self) -> float:
        return self.answered / self.cases if self.cases else 0.0

    @property
    def within_sla_share(self) -> float:
        return self.within_sla / self.cases if self.cases else 0.0

    @property
    def same_day_share(self) -> float:
        return self.same_day / self.cases if self.cases else 0.0


def first_response_seconds(case: Case) -> float | None:
    if case.first_response_at is None:
        return None
    return case.policy_span(case.opened_at, case.first_response_at).total_seconds()


def answered_within_sla(case: Case) -> bool:
    """Answered before the first deadline that would escalate it further (an urgent
    case's first tiers are emailed at once: its SLA is the next tier's deadline)."""
    if case.first_response_at is None or (sla := case.sla_tier) is None:
        return False
    return case.first_response_at <= case.deadline(sla)


def grouped(cases: list[Case], by: str = "channel") -> list[Figures]:
    """Figures for each channel (team, topic: see GROUPINGS) the cases have, in order."""
    key = GROUPINGS[by]
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(key(case), []).append(case)
    return [summarize(name, groups[name]) for name in sorted(groups)]


def summarize(group: str, cases: list[Case]) -> Figures:
    """Figures for these cases, under the name `group` ("all", say)."""
    waits = sorted(w for case in cases if (w := first_response_seconds(case)) is not None)
    reached = Counter(
        number for case in cases for number in range(case.skipped_tiers + 1, case.tier + 1)
    )
    return Figures(
        group=group,
        cases=len(cases),
        answered=len(waits),
        waiting=sum(case.status is Status.OPEN for case in cases),
        within_sla=sum(answered_within_sla(case) for case in cases),
        same_day=sum(wait <= SAME_DAY_SECONDS for wait in waits),
        breached=sum(case.breached for case in cases),
        median_seconds=statistics.median(waits) if waits else None,
        p90_seconds=percentile(waits, 0.9),
        escalations_by_tier=dict(sorted(reached.items())),
    )


def percentile(ordered: list[float], share: float) -> float | None:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(len(ordered) * share)) - 1]
