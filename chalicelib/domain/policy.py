"""The escalation policy: which tiers of people are told, and when, if nobody responds.

Loaded from a TOML file (stdlib `tomllib`: nothing to install in the Lambda) and
validated with pydantic; every problem is reported as `file: key.path: what was expected`.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import regex
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from chalicelib.domain.calendars import (
    WEEKDAYS,
    BusinessCalendar,
    QuietHours,
    parse_interval,
    parse_quiet_hours,
)
from chalicelib.domain.posts import ChannelName, LanguageCode
from chalicelib.domain.topics import (
    CHECK_BUDGET,
    OTHER,
    Taxonomy,
    compile_topic,
    nested_repeat,
    too_slow,
    topic_pattern,
)
from chalicelib.domain.triage import MAX_TRIAGE_CHARACTERS, Intent, Priority
from chalicelib.settings import DEFAULT_POLICY_PATH

MIN_RETENTION_SECONDS = 30 * 24 * 3600  # chalicelib.domain.retention.DEDUPE_RETENTION
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

    def quiet_hours(self) -> QuietHours:
        return QuietHours(**self.model_dump())


class TierSpec(BaseModel):
    """One tier: if nobody has responded `after` this long, email `notify`, or the
    policy's team's members for this tier."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: Duration
    notify: Annotated[list[EmailAddress], Field(min_length=1)] | None = None
    """Who to email at this tier, instead of the team's members for it."""
    quiet_hours: QuietSpec | None = None
    """Overrides the team's quiet hours for this tier."""


class RepeatSpec(BaseModel):
    """The last tier is emailed again `every` so long, at most `times` times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Duration
    times: Annotated[int, Field(ge=1, le=100)]


_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(
            f"expected a lowercase name like 'billing' or 'trust-safety' (a-z, 0-9, - and _, "
            f"at most 40), got {value!r}"
        )
    return value


Name = Annotated[str, AfterValidator(_name)]
"""A team's or a topic's name: lowercase, like `billing` or `trust-safety`."""


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


def _pattern(value: str) -> str:
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


class TopicSpec(BaseModel):
    """What a topic's posts say: `terms` (words or phrases) and `patterns` (regular
    expressions), matched on word boundaries, ignoring case and accents."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]] = []
    patterns: list[Annotated[str, AfterValidator(_pattern)]] = []

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


class Match(BaseModel):
    """Which cases a policy is for; a missing key matches everything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: Annotated[list[Name], Field(min_length=1)] | None = None
    """Topics from `[topics]` (or `other`: a post no topic fits)."""
    language: Annotated[list[LanguageCode], Field(min_length=1)] | None = None
    """Language codes: `en` fits `en` and `en-GB`; a post whose language is unknown fits
    none."""
    channel: Annotated[list[ChannelName], Field(min_length=1)] | None = None
    intent: Annotated[list[Intent], Field(min_length=1)] | None = None
    priority: Annotated[list[Priority], Field(min_length=1)] | None = None
    brand: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] | None = None
    """Brand accounts (X user ids, page ids, a generic source's brand names)."""

    @property
    def is_catch_all(self) -> bool:
        keys = (self.topic, self.language, self.channel, self.intent, self.priority, self.brand)
        return all(key is None for key in keys)

    def fits(self, case: CaseFacts) -> bool:
        return (
            (self.topic is None or case.topic in self.topic)
            and (self.language is None or _speaks(case.language, self.language))
            and (self.channel is None or case.channel in self.channel)
            and (self.intent is None or case.intent in self.intent)
            and (self.priority is None or case.priority in self.priority)
            and (self.brand is None or case.brand in self.brand)
        )


def _speaks(language: str | None, languages: list[str]) -> bool:
    """`en` fits `en` and `en-GB`; `zh-Hant` fits `zh-Hant-TW` (case aside)."""
    if language is None:
        return False
    language = language.lower()
    return any(
        language == code.lower() or language.startswith(code.lower() + "-") for code in languages
    )


@dataclass(frozen=True)
class CaseFacts:
    """What routing reads of a new case: its post's channel, brand and language, and
    triage's intent, priority and topic."""

    channel: str
    intent: str
    priority: str
    brand: str | None = None
    topic: str = OTHER
    language: str | None = None


class EscalationPolicy(BaseModel):
    """A named rule: cases it matches climb its tiers; no tiers means no workflow."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1)]
    match: Match = Match()
    team: Name | None = None
    """The team whose members each tier emails (default: the file's `default_team`)."""
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


_HASHTAG = re.compile(r"^#\w{1,100}$")
SearchTerm = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]


def _hashtag(value: str) -> str:
    if not _HASHTAG.match(value):
        raise ValueError(f"expected a hashtag like '#acmefail', got {value!r}")
    return value


class Listening(BaseModel):
    """Brand listening on X: posts that name the brand (`terms`, words or phrases) or use
    its `hashtags` without tagging it are searched for, and the complaints and questions
    among them become cases, marked as not addressed to us."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    terms: list[SearchTerm] = []
    hashtags: list[Annotated[str, AfterValidator(_hashtag)]] = []

    @model_validator(mode="after")
    def _something_to_listen_for(self) -> Listening:
        if not (self.terms or self.hashtags):
            raise ValueError("listening needs `terms` or `hashtags` to search for")
        for term in self.terms:
            if '"' in term:
                raise ValueError(f"terms: a term cannot hold a double quote, got {term!r}")
        return self


class Policy(BaseModel):
    """The whole file: policies in order; the first whose match fits a case wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: Annotated[list[EscalationPolicy], Field(min_length=1)]
    calendars: dict[Annotated[str, Field(min_length=1)], CalendarSpec] = {}
    teams: dict[Name, TeamSpec] = {}
    default_team: Name | None = None
    """The team of policies that name none."""
    topics: dict[Name, TopicSpec] = {}
    """The topic taxonomy, in order: ties go to the topic listed first."""
    storms: Storms | None = None
    listening: Listening | None = None
    reopen_within: Duration = 7 * 24 * 3600
    """A customer post in a resolved case's conversation within this long reopens it."""
    retention: Duration = 400 * 24 * 3600
    """How long the table keeps what a post brought (a case and its trail, its thread, its
    incident) after the case opened; praise and spam at most 30 days. At least 30 days:
    posts are deduplicated that long, and a redelivered post must find its case."""

    @field_validator("retention")
    @classmethod
    def _at_least_the_dedupe_window(cls, seconds: int) -> int:
        if seconds < MIN_RETENTION_SECONDS:
            raise ValueError(
                f"retention must be at least 30d (posts are deduplicated for 30 days), "
                f"got {format_duration(seconds)}"
            )
        return seconds

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
        if problems := self._dangling_references():
            raise ValueError("\n".join(problems))  # one problem a line (see load_policy)
        if not self.policy[-1].match.is_catch_all:
            raise ValueError(
                "the last policy must have no `match`: it is the default for cases no other "
                "policy fits"
            )
        return self

    def _dangling_references(self) -> list[str]:
        """Every name that points nowhere: teams, calendars and topics; and every tier
        that would email nobody."""

        def missing(kind: str, name: str, known: dict) -> str:
            listed = ", ".join(sorted(known)) or "none defined"
            return f"no {kind} {name!r} ({kind}s: {listed})"

        problems = []
        if self.default_team is not None and self.default_team not in self.teams:
            problems.append(f"default_team: {missing('team', self.default_team, self.teams)}")
        for name, team in self.teams.items():
            if team.calendar is not None and team.calendar not in self.calendars:
                problems.append(
                    f"teams.{name}.calendar: {missing('calendar', team.calendar, self.calendars)}"
                )
        if OTHER in self.topics:
            problems.append(f"topics.{OTHER}: is what a post no topic fits is about; rename it")
        topics = {**self.topics, OTHER: None}
        for index, rule in enumerate(self.policy):
            where = f"policy[{index}] ({rule.name!r})"
            if rule.calendar is not None and rule.calendar not in self.calendars:
                problems.append(
                    f"{where}.calendar: {missing('calendar', rule.calendar, self.calendars)}"
                )
            if rule.team is not None and rule.team not in self.teams:
                problems.append(f"{where}.team: {missing('team', rule.team, self.teams)}")
            problems += [
                f"{where}.match.topic: {missing('topic', topic, topics)}"
                for topic in rule.match.topic or []
                if topic not in topics
            ]
            team = rule.team or self.default_team
            if team is None:
                problems += [
                    f"{where}.tiers[{number}].notify: nobody to email; give `notify`, or a "
                    f"team (the policy's `team`, or the file's `default_team`)"
                    for number, tier in enumerate(rule.tiers)
                    if not tier.notify
                ]
        return problems

    @cached_property
    def taxonomy(self) -> Taxonomy:
        return Taxonomy.of({name: (t.terms, t.patterns) for name, t in self.topics.items()})

    def slow_patterns(self) -> list[str]:
        """Each topic pattern that takes more than CHECK_BUDGET on a post made against it
        (chalicelib.domain.topics.adversarial_posts, as long as the prefix triage reads), as a
        problem naming its topic. It takes time, so `escalator policy check` runs it, not
        loading."""
        problems = []
        for name, topic in self.topics.items():
            for index, pattern in enumerate(topic.patterns):
                if post := too_slow(pattern, MAX_TRIAGE_CHARACTERS):
                    problems.append(
                        f"topics.{name}.patterns[{index}]: takes more than "
                        f"{CHECK_BUDGET * 1000:.0f} ms on a {len(post):,}-character post like "
                        f"{post[:10] + '…' + post[-10:]!r}; write it so it backtracks less, "
                        f"got {pattern!r}"
                    )
        return problems

    def calendar_for(self, rule: EscalationPolicy) -> BusinessCalendar | None:
        return self.calendars[rule.calendar].calendar() if rule.calendar else None

    def for_case(
        self,
        channel: str,
        intent: str,
        priority: str,
        brand: str | None = None,
        topic: str = OTHER,
        language: str | None = None,
    ) -> EscalationPolicy:
        """The first policy that fits the case, as its case sees it: with its team (its
        own, or the default team) filled in. Each tier emails its own `notify` if it has
        one, else the team's members for it, under the team's quiet hours (unless the tier
        sets its own); the team's calendar applies if the policy names none."""
        case = CaseFacts(channel, intent, priority, brand, topic, language)
        rule = next(rule for rule in self.policy if rule.match.fits(case))
        name = rule.team or self.default_team
        if name is None:
            return rule
        team = self.teams[name]
        tiers = [
            tier.model_copy(
                update={
                    "notify": tier.notify or team.members_for(number),
                    "quiet_hours": tier.quiet_hours or (None if tier.notify else team.quiet_hours),
                }
            )
            for number, tier in enumerate(rule.tiers, start=1)
        ]
        return rule.model_copy(
            update={"team": name, "tiers": tiers, "calendar": rule.calendar or team.calendar}
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
        problems = [_describe(e, document) for e in error.errors()]
        raise PolicyError(
            path, [line for problem in problems for line in problem.split("\n")]
        ) from None


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
