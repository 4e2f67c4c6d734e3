"""Escalation emails: what a tier's people read and act from, rendered from Jinja2
templates (HTML escaped: post text is hostile input), one multipart message per person
so that each carries action links signed for its recipient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from chalicelib.domain.actions import Action, button_label
from chalicelib.domain.case_clock import Tier
from chalicelib.domain.cases import Case, Event, EventKind
from chalicelib.domain.incidents import Incident
from chalicelib.domain.policy_values import format_duration
from chalicelib.messages.rendering import render
from chalicelib.ports import LinkSigner

CHANNEL_NAMES = {"x": "X", "facebook": "Facebook", "instagram": "Instagram"}
SUBJECT_EXCERPT = 60
QUIET_EVENTS = {EventKind.TIMER_STARTED}  # bookkeeping, not news for a supervisor
SYSTEM_ACTORS = {"timer", "triage", "escalator", "storm"}


def channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel.capitalize())


def excerpt(text: str, length: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def policy_offset(case: Case, moment: datetime) -> str:
    """A moment as policy time since the case opened: "+1:05" (hours:minutes)."""
    seconds = round(case.policy_span(case.opened_at, moment).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours}:{rest:02d}"


def timeline(case: Case, events: list[Event]) -> list[dict[str, str]]:
    """The current opening's audit trail as a supervisor reads it: when (policy time
    since opening), what, and who, when a person."""
    lines = []
    for event in events:
        if event.kind in QUIET_EVENTS or event.at < case.opened_at:
            continue
        what = _timeline_entry(event)
        lines.append(
            {
                "at": policy_offset(case, event.at),
                "what": what,
                "by": "" if event.by in SYSTEM_ACTORS else event.by,
            }
        )
    return lines


def action_links(
    signer: LinkSigner,
    base_url: str,
    case: Case,
    tier: Tier,
    recipient: str,
    teams: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """The email's one-click links (label, URL), signed for its recipient. Snooze and
    escalate only while the case is at this email's tier (quiet hours can send an older
    tier's email late), and escalate only when a tier is left to escalate to; one move
    link per team the case is not with."""
    current = tier.number == case.tier
    offered: list[tuple[Action, str | None]] = [
        (action, None)
        for action in Action
        if (action is not Action.SNOOZE or current)
        and (action is not Action.ESCALATE or (current and case.next_tier is not None))
        and action is not Action.MOVE
    ]
    offered += [(Action.MOVE, team) for team in teams if team != case.team]

    def link(action: Action, team: str | None) -> tuple[str, str]:
        token = signer.token(case.id, case.opening, tier.number, action, recipient, team)
        return button_label(action, team), f"{base_url}/actions/{token}"

    return [link(action, team) for action, team in offered]


def _timeline_entry(event: Event) -> str:
    tier = event.detail.get("to_tier") or event.detail.get("tier")
    if event.kind == EventKind.NOTIFIED:
        return f"tier {tier} emailed"
    if event.kind == EventKind.ESCALATED:
        return f"escalated to tier {tier}"
    if event.kind == EventKind.MOVED:
        return f"moved to team {event.detail.get('to_team')} at tier {tier}"
    return f"{event.kind} at tier {tier}" if tier else str(event.kind)


def escalation_emails(
    case: Case,
    tier: Tier,
    repeat: int,
    events: list[Event],
    now: datetime,
    sender: str,
    base_url: str,
    signer: LinkSigner | None,
    teams: Sequence[str] = (),
) -> list[EmailMessage]:
    """The emails for one tier of one case (or its `repeat`-th reminder): one per
    recipient, each with action links of its own when a signer is given (a move link
    for each of `teams`, the policy's, but the case's own)."""
    base = base_url.rstrip("/")
    waited = case.policy_time_since_opened(now).total_seconds()
    following = case.next_deadline
    context: dict[str, Any] = {
        "case": case,
        "post": case.post,
        "tier": tier,
        "tier_count": len(case.tiers),
        "channel": channel_name(case.post.channel),
        "waited": format_duration(waited),
        "deadline": format_duration(tier.after_seconds),
        "next_tier": case.next_tier,
        "next_in": following and format_duration(case.policy_span(now, following).total_seconds()),
        "told_before": [t for t in case.tiers if case.skipped_tiers < t.number < tier.number],
        "case_url": f"{base}/cases/{case.id}",
        "repeat": repeat,
        "timeline": timeline(case, events),
        "suggested_reply": render(
            "suggested_reply.txt.j2",
            case=case,
            post=case.post,
            channel=channel_name(case.post.channel),
        ).strip(),
    }
    minutes = round(waited / 60)
    reminder = f" (reminder {repeat})" if repeat else ""
    overheard = "" if case.post.addressed_to_us else " (not addressed to us)"
    subject = (
        f"[{context['channel']} · {case.priority} {case.intent}{overheard}] Tier {tier.number}/"
        f"{len(case.tiers)}{reminder} · {minutes} min waiting · "
        f'"{excerpt(case.post.text, SUBJECT_EXCERPT)}"'
    )
    messages = []
    for recipient in tier.notify:
        links = signer and action_links(signer, base, case, tier, recipient, teams)
        personal = {
            **context,
            "recipient": recipient,
            "also_told": [r for r in tier.notify if r != recipient],
            "links": links or [],
        }
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = sender
        message["To"] = recipient
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(
            idstring=f"{case.id}.{case.opening}.{tier.number}.{repeat}", domain="escalator"
        )
        message["X-Escalator-Case"] = case.id
        message["X-Escalator-Tier"] = str(tier.number)
        if repeat:
            message["X-Escalator-Repeat"] = str(repeat)
        _write_bodies(
            message,
            render("escalation.txt.j2", **personal),
            render("escalation.html.j2", **personal),
        )
        messages.append(message)
    return messages


def incident_email(
    incident: Incident,
    cases: list[Case],
    notify: list[str],
    window: str,
    now: datetime,
    sender: str,
    base_url: str,
    digest: bool = False,
) -> EmailMessage:
    """The crisis tier's email about a storm: what it is about and every post in it; or,
    `digest`, the posts that joined it since its last email (`cases`)."""
    base = base_url.rstrip("/")
    channels = sorted({channel_name(case.post.channel) for case in cases})
    context = {
        "incident": incident,
        "cases": cases,
        "digest": digest,
        "window": window,
        "channels": channels,
        "incident_url": f"{base}/incidents/{incident.id}",
        "case_url": f"{base}/cases/",
        "channel_name": channel_name,
    }
    message = EmailMessage()
    count = f"{len(cases)} complaint" + ("" if len(cases) == 1 else "s")
    what = (
        f'{count} more about "{incident.term}"'
        if digest
        else f'{count} about "{incident.term}" within {window}'
    )
    message["Subject"] = f"[Incident] {what} · {', '.join(channels)}"
    message["From"] = sender
    message["To"] = ", ".join(notify)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=incident.id, domain="escalator")
    message["X-Escalator-Incident"] = incident.id
    _write_bodies(
        message, render("incident.txt.j2", **context), render("incident.html.j2", **context)
    )
    return message


def _write_bodies(message: EmailMessage, text: str, html: str) -> None:
    """The plain and HTML parts, quoted-printable: any character a post brought
    (cleaned of controls by chalicelib.domain.posts) travels in 7-bit lines no mail server
    refuses, and no line of a post can pass for a MIME header or boundary."""
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
