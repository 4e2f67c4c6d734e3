"""The emails a case owes its tier's people: one per person, each sent at most once
whatever the retries (claimed in the send-once ledger before it goes, confirmed after),
never once the case has been answered."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from chalicelib import telemetry
from chalicelib.domain.cases import Case, Event, EventKind, Notice
from chalicelib.domain.errors import ConcurrentChange, EmailRejected
from chalicelib.messages.emails import escalation_emails
from chalicelib.use_cases import changes

if TYPE_CHECKING:
    from chalicelib.use_cases.context import Context

logger = Logger(service=telemetry.SERVICE, child=True)


def notify(ctx: Context, case: Case, now: datetime) -> Case:
    """Send the emails the case owes (a tier's, or a repeat of the last), one per
    person, each at most once whatever the retries; never once the case has changed
    (been answered) since it was read."""
    if case.unsent is None:
        return case  # nothing owed
    tier, repeat = case.unsent
    events = ctx.cases.history(case.id)[1]  # read, and rendered, before any claim
    messages = escalation_emails(
        case,
        tier,
        repeat,
        events,
        now,
        ctx.sender,
        ctx.base_url(),
        ctx.link_signer(),
        list(ctx.policy.teams),
    )
    refused = []
    for message in messages:
        notice = Notice(tier.number, repeat, message["To"])
        try:
            claimed = ctx.cases.claim_notification(case, notice, now)
        except ConcurrentChange:
            case = ctx.cases.get(case.id)
            if not case.is_open or case.incident_id or case.unsent != (tier, repeat):
                return case
            return notify(ctx, case, now)
        if claimed and (refusal := _send(ctx, case, notice, message, now)):
            refused.append((notice, refusal))
    if refused and len(refused) == len(messages):
        raise refused[0][1]  # nobody reached: the state machine retries the tier
    for notice, refusal in refused:  # the others were told: escalation carries on
        logger.error(
            "email refused",
            extra={"case_id": case.id, "to": notice.recipient, "error": str(refusal)},
        )
        detail = {"tier": notice.tier, "to": [notice.recipient], "error": str(refusal)[:500]}
        ctx.cases.append_event(case.id, Event(now, EventKind.EMAIL_REFUSED, "timer", detail))
    # A response may land meanwhile: the emails went out all the same, so record it.
    return changes.settle(
        ctx,
        case,
        lambda case: None if case.unsent != (tier, repeat) else (case.sent(tier, repeat), []),
    )[1]


def _send(
    ctx: Context, case: Case, notice: Notice, message: EmailMessage, now: datetime
) -> EmailRejected | None:
    """Send one claimed email and put it on the trail; when SES refused it, give the
    claim back (it surely went nowhere) and return the refusal. Any other failure
    (a timeout) keeps the claim: at most once, even if the email may be lost."""
    try:
        message_id = ctx.mailer.send(message)
    except EmailRejected as refusal:
        ctx.cases.release_notification(case, notice)
        return refusal
    detail = {"tier": notice.tier, "to": [notice.recipient], "message_id": message_id}
    if notice.repeat:
        detail["repeat"] = notice.repeat
    sent = Event(now, EventKind.NOTIFIED, "timer", detail)
    ctx.cases.confirm_notification(case, notice, message_id, sent)
    logger.info("tier notified", extra={"case_id": case.id, "tier": notice.tier})
    return None
