"""What people do to a case: a response (on the platform or through the API), and a
supervisor's actions from the agent API or an email's one-click link (acknowledge,
claim, snooze, escalate now, resolve, move to another team, pause), each recorded in
the case's trail in their name, with its timer brought in line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib import telemetry
from chalicelib.domain.actions import Action, ActionToken
from chalicelib.domain.cases import Case, Event, EventKind
from chalicelib.domain.errors import CaseConflict, LinkUsed, UnknownTeam
from chalicelib.domain.figures import first_response_seconds
from chalicelib.domain.times import iso
from chalicelib.use_cases import changes, timers
from chalicelib.use_cases.changes import Change

if TYPE_CHECKING:
    from chalicelib.use_cases.context import Context

SNOOZE_SECONDS = 30 * 60  # policy time a snooze adds


def respond(
    ctx: Context, case_id: str, by: str, text: str | None = None, at: datetime | None = None
) -> Case:
    """Record the first response: the escalation ends. `at`: when it was given, if
    earlier than now: a platform reply is timed by its arrival, not by when the queue
    got to it (an escalation may have gone out in between; the trail shows both)."""
    case = _change_case(
        ctx,
        case_id,
        by,
        EventKind.RESPONDED,
        lambda case, now: case.responded(
            max(min(at, now), case.opened_at) if at else now, by, text
        ),
    )
    if (seconds := first_response_seconds(case)) is not None:
        telemetry.first_response(case.post.channel, seconds)
    return case


def do_action(
    ctx: Context,
    case_id: str,
    action: Action,
    by: str,
    link: ActionToken | None = None,
    team: str | None = None,
) -> Case:
    """A supervisor's action on a case, from the agent API or an email `link`; `team`:
    where a move hands it (an email link names its own)."""
    kind, change = _what_it_does(ctx, action, by, link, team)
    return _change_case(ctx, case_id, by, kind, change, link)


def follow_link(ctx: Context, link: ActionToken) -> Case:
    """What an email's action link asks, done once, in the recipient's name. A link
    that acted before raises LinkUsed, after making sure the timer it restarted
    runs (its start may have failed after the change was stored)."""
    try:
        if ctx.cases.link_used_at(link.case_id, link.nonce):
            raise LinkUsed(link.case_id)
        return do_action(ctx, link.case_id, link.action, link.recipient, link)
    except LinkUsed:
        timers.ensure_timer(ctx, ctx.cases.get(link.case_id))
        raise


def preview_link(ctx: Context, link: ActionToken) -> Case:
    """The case an email link is about, if the link may act on it now: raises what
    `act` would (LinkUsed, CaseConflict), and changes nothing."""
    case = ctx.cases.get(link.case_id)
    if ctx.cases.link_used_at(case.id, link.nonce):
        raise LinkUsed(case.id)
    _what_it_does(ctx, link.action, link.recipient, link)[1](case, ctx.clock())
    return case


def _what_it_does(
    ctx: Context, action: Action, by: str, link: ActionToken | None, team: str | None = None
) -> tuple[EventKind, Callable[[Case, datetime], Case]]:
    """The audit event's kind, and the domain change. An email link acts only on
    the opening it was sent for, while its recipient is still one of the people the
    case's tiers email (a move takes the case from the old team's hands); snooze and
    escalate only while the case is still at the link's tier (an older email's people
    cannot push a later tier around)."""
    change: Callable[[Case, datetime], Case]
    match action:
        case Action.ACKNOWLEDGE:
            kind, change = EventKind.ACKNOWLEDGED, lambda case, now: case.acknowledged(now, by)
        case Action.CLAIM:
            kind, change = EventKind.CLAIMED, lambda case, now: case.claimed(now, by)
        case Action.SNOOZE:
            kind, change = EventKind.SNOOZED, lambda case, now: case.snoozed(SNOOZE_SECONDS)
        case Action.ESCALATE:
            kind, change = EventKind.ESCALATED, lambda case, now: case.escalated_now()
        case Action.RESOLVE:
            kind, change = EventKind.RESOLVED, lambda case, now: case.resolved(now, by)
        case Action.MOVE:
            kind, change = EventKind.MOVED, _move_to(ctx, (link and link.team) or team)
    if link is None:
        return kind, change

    def linked(case: Case, now: datetime) -> Case:
        if case.opening != link.opening:
            raise CaseConflict(case.id, "the email is about another opening of this case")
        if link.recipient not in case.people:
            raise CaseConflict(
                case.id,
                f"{link.recipient} is no longer among the people this case's tiers email "
                f"(it is with {case.team or 'another team'} now)",
            )
        if action in (Action.SNOOZE, Action.ESCALATE) and case.tier != link.tier:
            raise CaseConflict(case.id, f"case is at tier {case.tier} now, not {link.tier}")
        return change(case, now)

    return kind, linked


def move(ctx: Context, case_id: str, team: str, by: str) -> Case:
    """Hand a case to another team (see `Action.MOVE`), from the agent API."""
    return do_action(ctx, case_id, Action.MOVE, by, team=team)


def _move_to(ctx: Context, team: str | None) -> Callable[[Case, datetime], Case]:
    """A move to `team` (see `Case.moved`); UnknownTeam for a team the policy does
    not have."""
    if team not in ctx.policy.teams:
        raise UnknownTeam(team, sorted(ctx.policy.teams))
    spec = ctx.policy.teams[team]
    quiet = spec.quiet_hours.quiet_hours() if spec.quiet_hours else None
    return lambda case, now: case.moved(
        team, [spec.members_for(tier.number) for tier in case.tiers], quiet
    )


def pause(ctx: Context, case_id: str, by: str) -> Case:
    """Waiting on the customer: the clock stops until they write again."""
    return _change_case(ctx, case_id, by, EventKind.PAUSED, lambda case, now: case.paused(now))


def _change_case(
    ctx: Context,
    case_id: str,
    by: str,
    kind: EventKind,
    change: Callable[[Case, datetime], Case],
    link: ActionToken | None = None,
) -> Case:
    """Make a person's change to the case, and bring its timer in line: stopped when
    the change ends it or restarts it (a new round), started when it restarts."""

    def decide(case: Case) -> Change:
        now = ctx.clock()  # after the read: later than any escalation the read saw
        waited = case.policy_time_since_opened(now).total_seconds()
        detail: dict[str, Any] = {"waited_seconds": round(waited), "tier": case.tier}
        changed = change(case, now)
        if changed.held_until and changed.held_until != case.held_until:
            detail["until"] = iso(changed.held_until)
        if changed.tier != case.tier:
            detail["to_tier"] = changed.tier
        if changed.team != case.team:
            detail.update(from_team=case.team, to_team=changed.team)
        if link is not None:
            detail["via"] = f"email link (tier {link.tier})"
        return changed, [Event(now, kind, by, detail)]

    before, changed = changes.settle(
        ctx, ctx.cases.get(case_id), decide, link.nonce if link else None
    )
    timer_ends = not changed.is_open or changed.execution_arn != before.execution_arn
    if before.is_open and before.execution_arn and timer_ends:
        timers.stop_timer(ctx, case_id, before.execution_arn, f"{kind} by {by}")
    return timers.ensure_timer(ctx, changed)
