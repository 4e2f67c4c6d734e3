"""The policy file's values: durations, email addresses, names, time zones, hours, reply
templates, topic patterns and listening terms, each read and checked as pydantic reads
the file (a value that is not one raises ValueError, which names what was expected).
"""

from __future__ import annotations

import re
import string
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, StringConstraints

from chalicelib.domain.calendars import parse_interval
from chalicelib.domain.topics import nested_repeat

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_duration(value: object) -> int:
    """`"90m"`, `"2h"`, `"1h30m"`, `"1d"`, `"45s"` → seconds (positive)."""
    if isinstance(value, str) and (found := _DURATION.match(value.strip())) and any(found.groups()):
        days, hours, minutes, seconds = (int(part or 0) for part in found.groups())
        total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
        if total > 0:
            return total
    raise ValueError(f'expected a duration like "90m", "2h" or "1d", got {value!r}')


def format_duration(seconds: float) -> str:
    """The inverse for people: 3600 → "60 min", 7200 → "2 h", 93600 → "26 h"."""
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"expected an email address, got {value!r}")
    return value


def reply_template(value: str) -> str:
    for _, name, spec, conversion in string.Formatter().parse(value):
        if name is not None and (name != "handle" or spec or conversion):
            raise ValueError(f"only {{handle}} may be filled in, not {{{name}}}")
    if not 1 <= len(value.format(handle="@" + "h" * 15)) <= 280:
        raise ValueError("expected a reply of 1 to 280 characters (with a 16-character handle)")
    return value


Duration = Annotated[int, BeforeValidator(parse_duration)]


EmailAddress = Annotated[str, AfterValidator(_email)]


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"expected an IANA time zone like 'Europe/London', got {value!r}"
        ) from None
    return value


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _interval(value: str) -> str:
    parse_interval(value)
    return value


Interval = Annotated[str, AfterValidator(_interval)]


_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            f"expected a lowercase name like 'billing' or 'trust-safety' (a-z, 0-9, - and _, "
            f"at most 40), got {value!r}"
        )
    return value


Name = Annotated[str, AfterValidator(_name)]


def topic_pattern_value(value: str) -> str:
    try:
        re.compile(value)
    except re.error as error:
        raise ValueError(f"not a valid regular expression ({error}): {value!r}") from None
    if nested_repeat(value):
        raise ValueError(
            "a repeat inside a repeat (like `(a+)+`) can take minutes to fail on a post; "
            f"write it without one, got {value!r}"
        )
    return value


_HASHTAG = re.compile(r"^#\w{1,100}$")


SearchTerm = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]


def hashtag(value: str) -> str:
    if not _HASHTAG.match(value):
        raise ValueError(f"expected a hashtag like '#acmefail', got {value!r}")
    return value
