"""Cases and their trail as the table holds them: their keys, and each item to and from
the domain's Case and Event (see chalicelib.adapters.dynamodb.cases for the layout).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict
from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamodb.table import author_key
from chalicelib.domain.calendars import BusinessCalendar, QuietHours
from chalicelib.domain.case_clock import Status, Tier
from chalicelib.domain.cases import Case, Event, EventKind, Notice
from chalicelib.domain.posts import Post
from chalicelib.domain.times import iso, parse_iso


def case_key(case_id: str) -> dict[str, str]:
    return {"pk": f"CASE#{case_id}", "sk": "CASE"}


def dedupe_key(channel: str, post_id: str) -> dict[str, str]:
    return {"pk": f"POST#{channel}#{post_id}", "sk": "POST"}


def early_key(channel: str, post_id: str) -> dict[str, str]:
    return {"pk": f"EARLY#{channel}#{post_id}", "sk": "EARLY"}


def conversation_key(channel: str, conversation_id: str) -> dict[str, str]:
    return {"pk": f"CONV#{channel}#{conversation_id}", "sk": "CONV"}


def link_key(case_id: str, nonce: str) -> dict[str, str]:
    return {"pk": f"CASE#{case_id}", "sk": f"ACTION#{nonce}"}


def notice_key(case: Case, notice: Notice) -> dict[str, str]:
    """One email right per (case, opening, tier, repeat, person): a reopened case
    emails anew."""
    return {
        "pk": f"CASE#{case.id}",
        "sk": f"NOTIFY#{case.opening:02d}#{notice.tier:02d}#{notice.repeat:02d}#{notice.recipient}",
    }


def case_item(case: Case, expires: datetime) -> dict[str, Any]:
    item: dict[str, Any] = {
        **case_key(case.id),
        "gsi1pk": f"STATUS#{case.status}",
        "gsi1sk": f"{iso(case.opened_at)}#{case.id}",
        "expires_at": int(expires.timestamp()),
        "id": case.id,
        "post": case.post.model_dump(mode="json"),
        "intent": case.intent,
        "priority": case.priority,
        "reasons": list(case.reasons),
        "policy_name": case.policy_name,
        "topic": case.topic,
        "tiers": [asdict(tier) for tier in case.tiers],
        "opened_at": iso(case.opened_at),
        "time_scale": case.time_scale,
        "status": str(case.status),
        "tier": case.tier,
        "notified_tier": case.notified_tier,
        "sentiment": case.sentiment,
        "complaint_score": case.complaint_score,
        "claim_seconds": case.claim_seconds,
        "repeat_every": case.repeat_every,
        "repeat_times": case.repeat_times,
        "repeats_due": case.repeats_due,
        "repeats_sent": case.repeats_sent,
        "paused_seconds": case.paused_seconds,
        "timer_round": case.timer_round,
        "opening": case.opening,
        "version": case.version,
    }
    optional = {
        "execution_arn": case.execution_arn,
        "first_response_at": case.first_response_at and iso(case.first_response_at),
        "first_response_by": case.first_response_by,
        "first_response_text": case.first_response_text,
        "resolved_at": case.resolved_at and iso(case.resolved_at),
        "resolved_by": case.resolved_by,
        "incident_id": case.incident_id,
        "team": case.team,
        "calendar": case.calendar and case.calendar.as_spec(),
        "acknowledged_by": case.acknowledged_by,
        "held_until": case.held_until and iso(case.held_until),
        "owner": case.owner,
        "paused_at": case.paused_at and iso(case.paused_at),
    }
    item.update({key: value for key, value in optional.items() if value is not None})
    if case.post.author.id is not None:  # the author index: a person's cases, by a query
        item["gsi2pk"] = author_key(case.post.channel, case.post.author.id)
        item["gsi2sk"] = f"{iso(case.opened_at)}#{case.id}"
    return item


def case_from_item(item: dict[str, Any]) -> Case:
    def moment(key: str) -> datetime | None:
        return parse_iso(item[key]) if key in item else None

    return Case(
        id=item["id"],
        post=Post.model_validate(item["post"]),
        intent=item["intent"],
        priority=item["priority"],
        reasons=tuple(item["reasons"]),
        policy_name=item["policy_name"],
        topic=item.get("topic", "other"),
        team=item.get("team"),
        tiers=tuple(
            Tier(
                t["number"],
                t["after_seconds"],
                tuple(t["notify"]),
                QuietHours(**t["quiet_hours"]) if t.get("quiet_hours") else None,
            )
            for t in item["tiers"]
        ),
        opened_at=parse_iso(item["opened_at"]),
        time_scale=item["time_scale"],
        status=Status(item["status"]),
        tier=item["tier"],
        notified_tier=item["notified_tier"],
        execution_arn=item.get("execution_arn"),
        first_response_at=moment("first_response_at"),
        first_response_by=item.get("first_response_by"),
        first_response_text=item.get("first_response_text"),
        resolved_at=moment("resolved_at"),
        resolved_by=item.get("resolved_by"),
        sentiment=float(item.get("sentiment", 0)),
        complaint_score=float(item.get("complaint_score", 0)),
        incident_id=item.get("incident_id"),
        calendar=BusinessCalendar.from_spec(item["calendar"]) if "calendar" in item else None,
        claim_seconds=item.get("claim_seconds", 1800),
        acknowledged_by=item.get("acknowledged_by"),
        held_until=moment("held_until"),
        owner=item.get("owner"),
        repeat_every=item.get("repeat_every", 0),
        repeat_times=item.get("repeat_times", 0),
        repeats_due=item.get("repeats_due", 0),
        repeats_sent=item.get("repeats_sent", 0),
        paused_at=moment("paused_at"),
        paused_seconds=float(item.get("paused_seconds", 0)),
        timer_round=item.get("timer_round", 0),
        opening=item.get("opening", 0),
        version=item["version"],
    )


def event_item(case_id: str, event: Event, expires: datetime) -> dict[str, Any]:
    sk = f"EVENT#{iso(event.at)}#{secrets.token_hex(3)}"
    item = {
        "pk": f"CASE#{case_id}",
        "sk": sk,
        "case_id": case_id,
        "at": iso(event.at),
        "kind": str(event.kind),
        "by": event.by,
        "detail": event.detail,
        "expires_at": int(expires.timestamp()),
    }
    if event.author:  # about a customer's post: in the author index too
        channel, _, author_id = event.author.partition(":")
        item.update(gsi2pk=author_key(channel, author_id), gsi2sk=f"{iso(event.at)}#{sk}")
    return item


def event_from_item(item: dict[str, Any]) -> Event:
    author = item["gsi2pk"].split("#", 2) if "gsi2pk" in item else None
    return Event(
        parse_iso(item["at"]),
        EventKind(item["kind"]),
        item["by"],
        item.get("detail", {}),
        f"{author[1]}:{author[2]}" if author else None,
    )


def unchanged_since(version: int) -> dict[str, Any]:
    """The condition of every case write: the case is still at the version read."""
    return {
        "ConditionExpression": "version = :read",
        "ExpressionAttributeValues": {":read": {"N": str(version)}},
    }
