"""The policy file's sections besides its rules: `[calendars]`, quiet hours, `[teams]`,
`[topics]`, `[storms]` and `[listening]`.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from typing import Annotated

import regex
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from chalicelib.domain.calendars import (
    BusinessCalendar,
    QuietHours,
    Weekday,
    parse_interval,
    parse_quiet_hours,
)
from chalicelib.domain.policy_values import (
    Duration,
    EmailAddress,
    Interval,
    SearchTerm,
    hashtag,
    listed,
    time_zone,
    topic_pattern_value,
)
from chalicelib.domain.topics import compile_topic, topic_pattern


class CalendarSpec(BaseModel):
    """When a team is at work: `hours` per weekday (mon..sun), in `timezone`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: Annotated[str, AfterValidator(time_zone)]
    hours: dict[Weekday, Interval | list[Interval]]
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
                for (_, closes), (opens, _) in pairwise(map(parse_interval, listed(value)))
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

    timezone: Annotated[str, AfterValidator(time_zone)]
    hours: Annotated[str, AfterValidator(parse_quiet_hours)]

    def quiet_hours(self) -> QuietHours:
        return QuietHours(**self.model_dump())


class TeamSpec(BaseModel):
    """The people who own a kind of case: `members[0]` is emailed at tier 1, `members[1]`
    at tier 2, and so on; the last list is emailed at any later tier too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    members: Annotated[
        list[Annotated[list[EmailAddress], Field(min_length=1)]], Field(min_length=1)
    ]
    calendar: str | None = None
    """Its business hours: its policies' `after` durations count in them (unless the
    policy names a calendar of its own)."""
    quiet_hours: QuietSpec | None = None
    """When its members are not emailed unless the case is urgent (a tier may override)."""

    def members_for(self, tier: int) -> list[str]:
        return self.members[min(tier, len(self.members)) - 1]


class TopicSpec(BaseModel):
    """What a topic's posts say: `terms` (words or phrases) and `patterns` (regular
    expressions), matched on word boundaries, ignoring case and accents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]] = []
    patterns: list[Annotated[str, AfterValidator(topic_pattern_value)]] = []

    @model_validator(mode="after")
    def _says_something(self) -> TopicSpec:
        if not (self.terms or self.patterns):
            raise ValueError("a topic needs `terms` or `patterns`")
        if empty := [p for p in self.patterns if re.fullmatch(p, "")]:
            raise ValueError(f"patterns: a pattern must not match nothing at all, got {empty[0]!r}")
        try:  # as Python's re reads it (inline flags, group names clash) and as triage runs it
            re.compile(topic_pattern(self.terms, self.patterns))
            compile_topic(self.terms, self.patterns)
        except (re.error, regex.error) as error:
            raise ValueError(f"the topic's terms and patterns do not combine: {error}") from None
        return self


class Storms(BaseModel):
    """When `threshold` complaints about the same thing arrive within `window`, they are
    one incident: `notify` (the crisis tier) is emailed once, not once per complaint."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: Annotated[int, Field(ge=2, le=1000)] = 10
    window: Duration = 15 * 60
    notify: Annotated[list[EmailAddress], Field(min_length=1)]


class Listening(BaseModel):
    """Brand listening on X: posts that name the brand (`terms`, words or phrases) or use
    its `hashtags` without tagging it are searched for, and the complaints and questions
    among them become cases, marked as not addressed to us."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: list[SearchTerm] = []
    hashtags: list[Annotated[str, AfterValidator(hashtag)]] = []

    @model_validator(mode="after")
    def _something_to_listen_for(self) -> Listening:
        if not (self.terms or self.hashtags):
            raise ValueError("listening needs `terms` or `hashtags` to search for")
        for term in self.terms:
            if '"' in term:
                raise ValueError(f"terms: a term cannot hold a double quote, got {term!r}")
        return self
