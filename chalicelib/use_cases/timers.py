"""Each open case's timer (a Step Functions execution per case and round): started when a
case needs one, stopped when a change ends it, and the reconciler that restarts the
timers a crash lost or that ended early."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from chalicelib import telemetry
from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case, Event, EventKind
from chalicelib.domain.times import iso
from chalicelib.use_cases import changes
from chalicelib.use_cases.changes import Change

if TYPE_CHECKING:
    from chalicelib.use_cases.context import Context

logger = Logger(service=telemetry.SERVICE, child=True)
START_GRACE = timedelta(minutes=2)  # wall time a new case's timer may take to start


def start_timer(ctx: Context, case: Case) -> Case:
    """Start the case's timer for its round: at once when an email is owed."""
    wait = 0 if case.unsent else case.seconds_until_next_deadline(ctx.clock()) or 0
    arn = ctx.timers.start(case.timer_name, case.id, case.timer_round, wait)

    def record_start(stored: Case) -> Change | None:
        if stored.timer_round != case.timer_round:
            return None  # a later round started meanwhile: this timer's first step ends
        if not stored.is_open or stored.execution_arn or stored.incident_id:
            return None  # answered or grouped meanwhile: the timer's first step ends
        deadline = stored.next_deadline
        started = Event(
            ctx.clock(),
            EventKind.TIMER_STARTED,
            "escalator",
            {
                "first_deadline": iso(deadline) if deadline else None,
            },
        )
        return stored.started(arn), [started]

    stored = changes.settle(ctx, case, record_start)[1]
    if stored.incident_id and stored.execution_arn != arn:
        stop_timer(ctx, stored.id, arn, "joined an incident")
    return stored


def ensure_timer(ctx: Context, case: Case) -> Case:
    """Start the timer of a case that should have one running and has none (a new
    round, or a start that failed)."""
    if case.is_open and not (case.paused_at or case.incident_id or case.execution_arn):
        return start_timer(ctx, case)
    return case


def stop_timer(ctx: Context, case_id: str, execution_arn: str, cause: str) -> None:
    try:
        ctx.timers.stop(execution_arn, cause)
    except Exception:  # the timer's next step re-reads the case and ends
        logger.exception("could not stop the timer", extra={"case_id": case_id})


def reconcile_timers(ctx: Context, grace: timedelta = START_GRACE) -> list[str]:
    """The safety net under the timers: every open case that should be escalating
    (`Case.needs_timer`) and has no running execution gets one: a start a crash lost
    is made again (under the same name, so never twice), and a timer that ended early
    (failed, aborted, timed out, gone) is replaced by a new round's. Paused cases and
    an incident's are left alone, and so are cases opened less than `grace` ago (the
    consumer may be starting their timer). One case that fails is logged and left to
    the next run; the others go on. Returns the ids of the cases given a timer."""
    restarted = []
    running = ctx.timers.running()  # listed once: a describe per case would not scale
    settled_before = ctx.clock() - grace
    for case in ctx.cases.each(Status.OPEN):
        if not case.needs_timer or case.execution_arn in running:
            continue
        if case.execution_arn is None and case.opened_at > settled_before:
            continue
        try:
            reason = _reconcile(ctx, case)
        except Exception:
            logger.exception("timer not restarted", extra={"case_id": case.id})
            continue
        if reason is not None:
            logger.warning("timer restarted", extra={"case_id": case.id, "reason": reason})
            telemetry.timer_restarted(reason)
            restarted.append(case.id)
    return restarted


def _reconcile(ctx: Context, case: Case) -> str | None:
    """Give a case without a running timer its timer; returns why it had none, or
    None if it turned out to have one after all."""
    if case.execution_arn is None:
        reason, stored = "never started", start_timer(ctx, case)
    elif (state := ctx.timers.state(case.execution_arn)) != "RUNNING":
        reason, stored = state.lower(), _rearm(ctx, case, state)
    else:
        return None  # started after the listing
    return reason if stored.execution_arn not in (None, case.execution_arn) else None


def _rearm(ctx: Context, case: Case, state: str) -> Case:
    """Replace a case's ended timer with a new round's, unless the case moved on
    meanwhile (answered, or another timer took over)."""
    ended = case.execution_arn

    def rearm(case: Case) -> Change | None:
        if case.execution_arn != ended or not case.needs_timer:
            return None
        event = Event(ctx.clock(), EventKind.TIMER_RESTARTED, "reconciler", {"was": state})
        return case.rearmed(), [event]

    return ensure_timer(ctx, changes.settle(ctx, case, rearm)[1])
