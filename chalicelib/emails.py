"""Escalation emails: what a tier's people read, rendered from Jinja2 templates
(HTML escaped: post text is hostile input) into one multipart message."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.cases import Case, Tier
from chalicelib.incidents import Incident
from chalicelib.policy import format_duration

TEMPLATES = Path(__file__).with_name("templates")
CHANNEL_NAMES = {"x": "X", "facebook": "Facebook", "instagram": "Instagram"}
SUBJECT_EXCERPT = 60


def channel_name(channel: str) -> str:
    return CHANNEL_NAMES.get(channel, channel.capitalize())


def excerpt(text: str, length: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


@cache
def _templates() -> Any:
    # Imported here: only the escalate step renders emails, so only it pays for Jinja2.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def escalation_email(
    case: Case, tier: Tier, now: datetime, sender: str, base_url: str, repeat: int = 0
) -> EmailMessage:
    """The email for one tier of one case (or its `repeat`-th reminder), as a multipart
    text + HTML message."""
    waited = format_duration(case.policy_time_since_opened(now).total_seconds())
    following = case.tiers[tier.number] if tier.number < len(case.tiers) else None
    context = {
        "case": case,
        "post": case.post,
        "tier": tier,
        "tier_count": len(case.tiers),
        "channel": channel_name(case.post.channel),
        "waited": waited,
        "deadline": format_duration(tier.after_seconds),
        "next_tier": following,
        "next_in": following and format_duration(following.after_seconds - tier.after_seconds),
        "told_before": [t for t in case.tiers if t.number < tier.number],
        "case_url": f"{base_url.rstrip('/')}/cases/{case.id}",
        "repeat": repeat,
    }
    message = EmailMessage()
    reminder = f" (reminder {repeat})" if repeat else ""
    message["Subject"] = (
        f"[{context['channel']} {case.intent} · {case.priority}] tier {tier.number}/"
        f"{len(case.tiers)}{reminder} · {waited} unanswered · "
        f'"{excerpt(case.post.text, SUBJECT_EXCERPT)}"'
    )
    message["From"] = sender
    message["To"] = ", ".join(tier.notify)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(
        idstring=f"{case.id}.{case.timer_round}.{tier.number}.{repeat}", domain="escalator"
    )
    message["X-Escalator-Case"] = case.id
    message["X-Escalator-Tier"] = str(tier.number)
    if repeat:
        message["X-Escalator-Repeat"] = str(repeat)
    message.set_content(_templates().get_template("escalation.txt.j2").render(context))
    message.add_alternative(
        _templates().get_template("escalation.html.j2").render(context), subtype="html"
    )
    return message


def incident_email(
    incident: Incident,
    cases: list[Case],
    notify: list[str],
    window: str,
    now: datetime,
    sender: str,
    base_url: str,
) -> EmailMessage:
    """The crisis tier's one email about a storm: what it is about and every post in it."""
    base = base_url.rstrip("/")
    context = {
        "incident": incident,
        "cases": cases,
        "window": window,
        "channels": sorted({channel_name(case.post.channel) for case in cases}),
        "incident_url": f"{base}/incidents/{incident.id}",
        "case_url": f"{base}/cases/",
        "channel_name": channel_name,
    }
    message = EmailMessage()
    message["Subject"] = (
        f'[Incident] {len(cases)} complaints about "{incident.term}" within {window} · '
        f"{', '.join(context['channels'])}"
    )
    message["From"] = sender
    message["To"] = ", ".join(notify)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=incident.id, domain="escalator")
    message["X-Escalator-Incident"] = incident.id
    message.set_content(_templates().get_template("incident.txt.j2").render(context))
    message.add_alternative(
        _templates().get_template("incident.html.j2").render(context), subtype="html"
    )
    return message


class EmailRejected(RuntimeError):
    """SES answered and did not take the message: sending again cannot double it."""


class Mailer:
    """Sends through SES as a raw MIME message, so both parts arrive as rendered."""

    def __init__(self, ses: Any):
        self._ses = ses

    def send(self, message: EmailMessage) -> str:
        """The SES message id. Raises EmailRejected when SES refused the message; any
        other failure (a timeout) leaves it unknown whether the email went out."""
        from botocore.exceptions import ClientError

        recipients = [a.strip() for a in message["To"].split(",")]
        try:
            response = self._ses.send_raw_email(
                Source=message["From"],
                Destinations=recipients,
                RawMessage={"Data": message.as_bytes()},
            )
        except ClientError as error:
            raise EmailRejected(str(error)) from error
        return response["MessageId"]
