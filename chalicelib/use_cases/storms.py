"""Storms: when many people complain about the same thing at once, their complaints join
one incident and the crisis tier gets one email (and a digest of later members per
window) instead of a timer and an email each. Resolving the incident resolves the
members its emails named; the others escalate on their own again."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from chalicelib import telemetry
from chalicelib.domain.actions import Action
from chalicelib.domain.cases import Case, Event, EventKind
from chalicelib.domain.errors import CaseConflict, CaseNotFound, EmailRejected
from chalicelib.domain.incidents import Incident, IncidentStatus, storm_terms
from chalicelib.domain.policy_values import format_duration
from chalicelib.domain.posts import person_of
from chalicelib.messages.emails import incident_email
from chalicelib.use_cases import agent_actions, changes, timers
from chalicelib.use_cases.changes import Change

if TYPE_CHECKING:
    from chalicelib.ports import IncidentRepository
    from chalicelib.use_cases.context import Context

logger = Logger(service=telemetry.SERVICE, child=True)


def incidents_of(ctx: Context) -> IncidentRepository:
    """The incident repository: a case that is part of an incident, or an incident
    acted on, means storms are on and the context has one."""
    if ctx.incidents is None:
        raise RuntimeError("storms need an incident repository (Context.incidents)")
    return ctx.incidents


def _person(case: Case) -> str:
    """Who wrote a case's post, as a storm counts people: its channel and author id
    (each case on its own when the author is unknown)."""
    return person_of(case.post) or f"case:{case.id}"


def join_storm(ctx: Context, case: Case, retry: bool) -> Case | None:
    """Count the complaint under each of its terms; when as many people as the storm
    threshold have used one, the case joins that term's incident (opening it if need
    be) and stops escalating by itself. Returns the case as joined, or None."""
    storms = ctx.policy.storms
    if storms is None or ctx.incidents is None:
        return None
    window = storms.window / ctx.time_scale
    for term in storm_terms(case.post.text):
        members, incident_id = incidents_of(ctx).record_complaint(
            term, case.id, _person(case), case.opened_at, window
        )
        if incident_id is None and len(set(members.values())) >= storms.threshold:
            incident = _open_incident(ctx, term, case, members, storms.threshold)
            if incident is not None:
                return _join_with_members(ctx, case, incident)
            incident_id = incidents_of(ctx).open_incident_for(term)
        incident = incidents_of(ctx).join(incident_id, case.id) if incident_id else None
        if incident:
            return (
                _join_with_members(ctx, case, incident)
                if retry
                else _join_incident(ctx, case, incident)
            )
    return None


def _open_incident(
    ctx: Context, term: str, case: Case, members: dict[str, str], threshold: int
) -> Incident | None:
    """Open an incident for the term with the complaints still in hand and in no other
    incident (`members`: case → author); None if their authors are too few, or
    someone else opened one first."""
    others = [ctx.cases.get(member) for member in members if member != case.id]
    grouped = [case.id, *(c.id for c in others if c.is_open and not c.incident_id)]
    if len({members.get(member, member) for member in grouped}) < threshold:
        return None
    incident = Incident.open(term, ctx.clock(), grouped)
    return incident if incidents_of(ctx).create(incident) else None


def _join_with_members(ctx: Context, case: Case, incident: Incident) -> Case:
    """Link the case to its incident, and every member not linked yet: on a retry,
    this may be the opener, stopped half-way the first time."""
    for member in incident.members:
        if member != case.id:
            _join_incident(ctx, ctx.cases.get(member), incident)
    return _join_incident(ctx, case, incident)


def _join_incident(ctx: Context, case: Case, incident: Incident) -> Case:
    """Make the case part of the incident: its own escalation ends there."""

    def join(case: Case) -> Change | None:
        if case.incident_id or not case.is_open:
            return None
        event = Event(
            ctx.clock(),
            EventKind.JOINED_INCIDENT,
            "storm",
            {"incident_id": incident.id, "term": incident.term},
        )
        return case.joined(incident.id), [event]

    before, joined = changes.settle(ctx, case, join)
    if joined is not before and before.execution_arn:
        timers.stop_timer(ctx, case.id, before.execution_arn, "joined an incident")
    return joined


def notify_incident(ctx: Context, incident: Incident) -> None:
    """The crisis tier's one email about the incident: the first member to get here
    sends it, the others find it claimed."""
    now = ctx.clock()
    if ctx.policy.storms is None:  # storms switched off since: nobody to tell
        return
    if not incidents_of(ctx).claim_notification(incident.id, now):
        return
    cases = [ctx.cases.get(member) for member in incident.members]
    message = incident_email(
        incident,
        cases,
        ctx.policy.storms.notify,
        format_duration(ctx.policy.storms.window),
        now,
        ctx.sender,
        ctx.base_url(),
    )
    try:
        message_id = ctx.mailer.send(message)
    except EmailRejected:
        incidents_of(ctx).release_notification(incident.id)
        raise
    incidents_of(ctx).confirm_notification(incident.id, message_id, list(incident.members), now)
    logger.info("incident notified", extra={"incident_id": incident.id, "term": incident.term})


def send_incident_digests(ctx: Context) -> list[str]:
    """Tell each open incident's recipients of the complaints that joined it since
    its last email: one digest at most per storm window, once that window is over
    (so a stream of joiners makes one email, not one each). Returns the incidents
    that sent one."""
    storms = ctx.policy.storms
    if storms is None or ctx.incidents is None:
        return []
    sent = []
    now = ctx.clock()
    window = timedelta(seconds=storms.window / ctx.time_scale)
    for incident in incidents_of(ctx).list(IncidentStatus.OPEN):
        joined = list(incident.untold)
        if not joined or incident.told_at is None or now < incident.told_at + window:
            continue  # nothing new, its notice not out yet, or within its window
        if not incidents_of(ctx).claim_digest(incident, joined, now):
            continue  # another run took it, or it was resolved meanwhile
        message = incident_email(
            incident,
            [ctx.cases.get(member) for member in joined],
            storms.notify,
            format_duration(storms.window),
            now,
            ctx.sender,
            ctx.base_url(),
            digest=True,
        )
        try:
            ctx.mailer.send(message)
        except EmailRejected:
            incidents_of(ctx).release_digest(incident, joined)
            logger.exception("incident digest refused", extra={"incident_id": incident.id})
            continue
        logger.info("incident digest sent", extra={"incident_id": incident.id})
        sent.append(incident.id)
    return sent


def resolve_incident(ctx: Context, incident_id: str, by: str, everyone: bool = False) -> Incident:
    """Close an incident and resolve its cases still in hand that its emails told its
    recipients of (or all of them, `everyone`); the others leave it and escalate on
    their own again (a complaint that joined unseen may be another problem)."""
    resolved = incidents_of(ctx).resolve(incident_id, ctx.clock(), by)
    if resolved is None:
        incidents_of(ctx).get(incident_id)  # IncidentNotFound if there is none
        raise CaseConflict(incident_id, "incident is already resolved")
    for case_id in resolved.members:
        try:
            if everyone or case_id in resolved.told:
                agent_actions.do_action(ctx, case_id, Action.RESOLVE, by)
            else:
                _leave_incident(ctx, case_id, resolved, by)
        except (CaseConflict, CaseNotFound):
            continue  # resolved already, or gone
    return resolved


def _leave_incident(ctx: Context, case_id: str, incident: Incident, by: str) -> Case:
    """The incident was resolved without this case, which nobody was told of: it
    escalates on its own again, in a new timer round, on its own clock."""

    def leave(case: Case) -> Change | None:
        if case.incident_id != incident.id or not case.is_open:
            return None
        detail = {"incident_id": incident.id}
        return case.left_incident(), [Event(ctx.clock(), EventKind.LEFT_INCIDENT, by, detail)]

    return timers.ensure_timer(ctx, changes.settle(ctx, ctx.cases.get(case_id), leave)[1])
