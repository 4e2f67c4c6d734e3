"""The escalation policy: which tiers of people are told, and when, if nobody responds.

Loaded from a TOML file (stdlib `tomllib`: nothing to install in the Lambda) and
validated with pydantic; every problem is reported as `file: key.path: what was expected`.
"""

from __future__ import annotations

import re
import string
import tomllib
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from chalicelib.calendars import WEEKDAYS, BusinessCalendar, parse_interval, parse_quiet_hours
from chalicelib.posts import ChannelName
from chalicelib.settings import DEFAULT_POLICY_PATH
from chalicelib.triage import Intent, Priority

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


def _reply_template(value: str) -> str:
    for _, name, spec, conversion in string.Formatter().parse(value):
        if name is not None and (name != "handle" or spec or conversion):
            raise ValueError(f"only {{handle}} may be filled in, not {{{name}}}")
    if not 1 <= len(value.format(handle="@" + "h" * 15)) <= 280:
        raise ValueError("expected a reply of 1 to 280 characters (with a 16-character handle)")
    return value


Duration = Annotated[int, BeforeValidator(parse_duration)]
EmailAddress = Annotated[str, AfterValidator(_email)]


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"expected an IANA time zone like 'Europe/London', got {value!r}"
        ) from None
    return value


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _interval(value: str) -> str:
    parse_interval(value)
    return value


Interval = Annotated[str, AfterValidator(_interval)]


class CalendarSpec(BaseModel):
    """When a team is at work: `hours` per weekday (mon..sun), in `timezone`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: Annotated[str, AfterValidator(_time_zone)]
    hours: dict[Literal[WEEKDAYS], Interval | list[Interval]]
    holidays: list[date] = []

    @model_validator(mode="after")
    def _open_sometimes(self) -> CalendarSpec:
        if not any(self.hours.values()):
            raise ValueError("hours: a calendar needs opening hours on at least one weekday")
        unordered = [
            f"hours.{day}: intervals must be in order and not overlap, got {value!r}"
            for day, value in self.hours.items()
            if any(
                opens < closes
                for (_, closes), (opens, _) in pairwise(map(parse_interval, _listed(value)))
            )
        ]
        if unordered:
            raise ValueError("; ".join(unordered))
        return self

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_spec(self.model_dump(mode="json"))


class QuietSpec(BaseModel):
    """When a tier's people are not emailed unless the case is urgent: `22:00-07:00`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: Annotated[str, AfterValidator(_time_zone)]
    hours: Annotated[str, AfterValidator(parse_quiet_hours)]


class TierSpec(BaseModel):
    """One tier: if nobody has responded `after` this long, email `notify`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: Duration
    notify: Annotated[list[EmailAddress], Field(min_length=1)]
    quiet_hours: QuietSpec | None = None


class RepeatSpec(BaseModel):
    """The last tier is emailed again `every` so long, at most `times` times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Duration
    times: Annotated[int, Field(ge=1, le=100)]


class Match(BaseModel):
    """Which cases a policy is for; a missing key matches everything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Annotated[list[ChannelName], Field(min_length=1)] | None = None
    intent: Annotated[list[Intent], Field(min_length=1)] | None = None
    priority: Annotated[list[Priority], Field(min_length=1)] | None = None
    brand: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] | None = None
    """Brand accounts (X user ids, page ids, a generic source's brand names)."""

    @property
    def is_catch_all(self) -> bool:
        keys = (self.channel, self.intent, self.priority, self.brand)
        return all(key is None for key in keys)

    def fits(self, channel: str, intent: str, priority: str, brand: str | None = None) -> bool:
        return (
            (self.channel is None or channel in self.channel)
            and (self.intent is None or intent in self.intent)
            and (self.priority is None or priority in self.priority)
            and (self.brand is None or brand in self.brand)
        )


class EscalationPolicy(BaseModel):
    """A named rule: cases it matches climb its tiers; no tiers means no workflow."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1)]
    match: Match = Match()
    tiers: list[TierSpec] = []
    acknowledge: Annotated[str, AfterValidator(_reply_template)] | None = None
    """A public reply to send on X when a case opens (off unless set): `{handle}` is the
    customer's handle."""
    calendar: str | None = None
    """Count `after` durations in this calendar's opening hours only (default: around
    the clock)."""
    claim_window: Duration = 30 * 60
    """How long acknowledging (claiming) a case holds its further tiers."""
    repeat: RepeatSpec | None = None
    urgent_starts_at: Annotated[int, Field(ge=1)] | None = None
    """Urgent cases skip the tiers before this one: it is emailed at once, and the later
    tiers keep their distance from it."""

    @model_validator(mode="after")
    def _tiers_in_order(self) -> EscalationPolicy:
        if self.urgent_starts_at is not None and self.urgent_starts_at > len(self.tiers):
            raise ValueError(
                f"urgent_starts_at: there is no tier {self.urgent_starts_at} "
                f"(this policy has {len(self.tiers)})"
            )
        for earlier, later in zip(self.tiers, self.tiers[1:], strict=False):
            if later.after <= earlier.after:
                raise ValueError(
                    f"tiers: each tier's `after` must be later than the one before "
                    f"({format_duration(later.after)} follows {format_duration(earlier.after)})"
                )
        return self


class Storms(BaseModel):
    """When `threshold` complaints about the same thing arrive within `window`, they are
    one incident: `notify` (the crisis tier) is emailed once, not once per complaint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: Annotated[int, Field(ge=2, le=1000)] = 10
    window: Duration = 15 * 60
    notify: Annotated[list[EmailAddress], Field(min_length=1)]


class Policy(BaseModel):
    """The whole file: policies in order; the first whose match fits a case wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: Annotated[list[EscalationPolicy], Field(min_length=1)]
    calendars: dict[Annotated[str, Field(min_length=1)], CalendarSpec] = {}
    storms: Storms | None = None
    reopen_within: Duration = 7 * 24 * 3600
    """A customer post in a resolved case's conversation within this long reopens it."""

    @model_validator(mode="after")
    def _ends_with_one_catch_all(self) -> Policy:
        names = [rule.name for rule in self.policy]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"policy names must be unique; repeated: {', '.join(duplicates)}")
        for index, rule in enumerate(self.policy):
            if rule.match.is_catch_all and index != len(self.policy) - 1:
                raise ValueError(
                    f"policy[{index}] ({rule.name!r}) has no `match`, so it fits every case and "
                    f"the policies after it could never apply; move it last"
                )
        for index, rule in enumerate(self.policy):
            if rule.calendar is not None and rule.calendar not in self.calendars:
                known = ", ".join(sorted(self.calendars)) or "none defined"
                raise ValueError(
                    f"policy[{index}] ({rule.name!r}).calendar: no calendar {rule.calendar!r} "
                    f"(calendars: {known})"
                )
        if not self.policy[-1].match.is_catch_all:
            raise ValueError(
                "the last policy must have no `match`: it is the default for cases no other "
                "policy fits"
            )
        return self

    def calendar_for(self, rule: EscalationPolicy) -> BusinessCalendar | None:
        return self.calendars[rule.calendar].calendar() if rule.calendar else None

    def for_case(
        self, channel: str, intent: str, priority: str, brand: str | None = None
    ) -> EscalationPolicy:
        return next(
            rule for rule in self.policy if rule.match.fits(channel, intent, priority, brand)
        )


class PolicyError(ValueError):
    """A policy file that cannot be used; `problems` each name the file and the key."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = [f"{path}: {problem}" for problem in problems]
        super().__init__("\n".join(self.problems))


def load_policy(path: Path | str = DEFAULT_POLICY_PATH) -> Policy:
    """Read and validate a policy file, or raise PolicyError listing every problem."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyError(path, [f"cannot read the file ({error.strerror})"]) from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(path, [f"not valid TOML: {error}"]) from None
    try:
        return Policy.model_validate(document)
    except ValidationError as error:
        raise PolicyError(path, [_describe(e, document) for e in error.errors()]) from None


def _describe(error: dict, document: dict) -> str:
    """`policy[0] ("x-complaints").tiers[1].after: expected ...` from a pydantic error."""
    parts: list[str] = []
    for part in error["loc"]:
        if isinstance(part, int):
            parts[-1] += f"[{part}]"
            if parts == [f"policy[{part}]"]:
                name = _rule_name(document, part)
                if name:
                    parts[-1] += f" ({name!r})"
        else:
            parts.append(str(part))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required key is missing"
    elif error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "literal_error":
        message = f"expected one of {error['ctx']['expected']}, got {error['input']!r}"
    return f"{'.'.join(parts)}: {message}" if parts else message


def _rule_name(document: dict, index: int) -> str | None:
    rules = document.get("policy")
    if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], dict):
        name = rules[index].get("name")
        return name if isinstance(name, str) else None
    return None
