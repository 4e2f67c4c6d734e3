"""The timer's step: at each deadline, a case nobody answered moves up a tier (or repeats
the last) and its people are emailed; the step says how long the timer waits next."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from chalicelib import telemetry
from chalicelib.domain.case_clock import whole_seconds_until
from chalicelib.domain.cases import Case, Event, EventKind
from chalicelib.domain.errors import CaseNotFound, ConcurrentChange
from chalicelib.domain.times import iso
from chalicelib.use_cases import notify

if TYPE_CHECKING:
    from chalicelib.use_cases.context import Context

logger = Logger(service=telemetry.SERVICE, child=True)
EARLY_WAKE = timedelta(seconds=1)  # the timer's whole-second rounding (see cases.py)


@dataclass(frozen=True)
class EscalationStep:
    """What the state machine does next: wait this long and run again, or stop."""

    case_id: str
    wait_seconds: int
    done: bool
    timer_round: int = 0

    def as_output(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "round": self.timer_round,
            "wait_seconds": self.wait_seconds,
            "done": self.done,
        }


def escalate(ctx: Context, case_id: str, timer_round: int = 0) -> EscalationStep:
    """The timer's step: if the case is still unanswered at its deadline, move it
    up a tier (or repeat the last) and email once; then say how long to wait."""
    try:
        case = ctx.cases.get(case_id)
    except CaseNotFound:
        logger.warning("timer for a case that does not exist", extra={"case_id": case_id})
        return EscalationStep(case_id, 0, done=True, timer_round=timer_round)
    if not case.is_open or case.incident_id or case.timer_round != timer_round:
        # answered, the incident's now, or a timer of a round that is over
        return EscalationStep(case_id, 0, done=True, timer_round=timer_round)
    now = _wait_out_early_wake(ctx, case)
    if case.is_due(now):
        tier = case.next_tier
        detail = (
            {"tier": tier.number, "deadline": iso(case.deadline(tier))}
            if tier
            else {"tier": len(case.tiers), "repeat": case.repeats_due + 1}
        )
        breached_before = case.breached
        try:
            case = ctx.cases.update(
                case, case.advanced(), Event(now, EventKind.ESCALATED, "timer", detail)
            )
        except ConcurrentChange:  # re-decide on fresh state
            return EscalationStep(case_id, 0, done=False, timer_round=timer_round)
        if tier is not None:
            telemetry.escalated(case.post.channel, tier.number)
        if case.breached and not breached_before:  # its first deadline, missed
            telemetry.sla_breached(case.post.channel)
    wake = case.next_deadline
    if (owed := case.unsent) is not None:
        held = case.quiet_until(owed[0], now)
        if held is None:
            case = notify.notify(ctx, case, now)
            wake = now if case.unsent else case.next_deadline  # more owed: at once
        elif wake is None or held < wake:
            # The email waits out its recipients' quiet hours; rounded up, as the
            # escalate step does not wait out an early wake for it.
            wait = math.ceil(max(0.0, (held - ctx.clock()).total_seconds()))
            return EscalationStep(case_id, wait, done=False, timer_round=timer_round)
    if wake is None:
        return EscalationStep(case_id, 0, done=True, timer_round=timer_round)
    wait = whole_seconds_until(wake, ctx.clock())
    return EscalationStep(case_id, wait, done=False, timer_round=timer_round)


def _wait_out_early_wake(ctx: Context, case: Case) -> datetime:
    now = ctx.clock()
    deadline = case.next_deadline
    if deadline is not None and now < deadline <= now + EARLY_WAKE:
        ctx.sleep((deadline - now).total_seconds())
        now = ctx.clock()
    return now
