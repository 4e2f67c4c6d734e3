"""One readable terminal line per case event, for `escalator local` and `escalator demo`.

06:12:03  +1:00  x-ed2a0f43  tier 1     emailed care-agents@example.com
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click

from chalicelib.domain.cases import Case, EventKind
from chalicelib.domain.errors import CaseNotFound
from chalicelib.messages.emails import channel_name, excerpt

STYLES = {
    "opened": {"fg": "cyan"},
    "dismissed": {"fg": "bright_black"},
    "notified": {"fg": "yellow", "bold": True},
    "responded": {"fg": "green"},
    "resolved": {"fg": "green", "bold": True},
    "joined incident": {"fg": "red", "bold": True},
    "moved": {"fg": "magenta"},
}


def policy_clock(seconds: float) -> str:
    """Policy time as h:mm, the way a supervisor would say it."""
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


class EventPrinter:
    """Formats audit events (as the table's stream delivers them) into terminal lines."""

    def __init__(self, load_case: Callable[[str], Case], echo: Callable[[str], None] = click.echo):
        self._load_case = load_case
        self._echo = echo
        self._cases: dict[str, Case] = {}
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> None:
        line = self.format(event)
        if line:
            with self._lock:
                self._echo(line)

    def format(self, event: dict[str, Any]) -> str | None:
        kind, case_id = event["kind"], event["case_id"]
        case = self._case(case_id)
        if case is None:
            return None
        at = datetime.fromisoformat(event["at"])
        detail = event.get("detail", {})
        post = case.post
        if kind == EventKind.OPENED:
            label = "dismissed" if detail.get("status") == "dismissed" else "opened"
            workflow = "no workflow" if label == "dismissed" else f"{len(case.tiers)} tiers"
            if case.team and label != "dismissed":
                workflow += f" for {case.team}"
            text = (
                f"{channel_name(post.channel)} {case.intent} about {case.topic} · "
                f"{case.priority} · {workflow} · "
                f'{post.author.handle}: "{excerpt(post.text, 48)}"'
            )
        elif kind == EventKind.NOTIFIED:
            label = f"tier {int(detail['tier'])}"
            text = f"emailed {', '.join(detail['to'])}"
        elif kind == EventKind.MOVED:
            label = "moved"
            text = (
                f"from {detail['from_team'] or 'no team'} to {detail['to_team']}, by {event['by']}"
            )
        elif kind == EventKind.JOINED_INCIDENT:
            label = "incident"
            text = f'storm about "{detail["term"]}": {detail["incident_id"]}'
        elif kind in (EventKind.RESPONDED, EventKind.RESOLVED):
            label = kind
            tier = int(detail.get("tier", 0))
            text = f"by {event['by']}, " + (
                f"after tier {tier}" if tier else "before any escalation"
            )
        else:
            return None
        since = policy_clock(case.policy_time_since_opened(at).total_seconds())
        style = STYLES["dismissed" if label == "dismissed" else kind]
        return (
            f"{at.astimezone().strftime('%H:%M:%S')}  +{since:>5}  {case_id:<30}  "
            + click.style(f"{label:<10}", **style)
            + f" {text}"
        )

    def _case(self, case_id: str) -> Case | None:
        if case_id not in self._cases:
            try:
                self._cases[case_id] = self._load_case(case_id)
            except CaseNotFound:
                return None
        return self._cases[case_id]
