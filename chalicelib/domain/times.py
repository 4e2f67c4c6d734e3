"""Moments as the table, the trail and the JSON API write them: UTC, to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC: the clock every use case is given unless a test gives another."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """`2026-12-05T06:40:02.123Z`: milliseconds, and Z for UTC."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """The moment `iso` wrote (or any ISO 8601 time with its offset)."""
    return datetime.fromisoformat(text)
