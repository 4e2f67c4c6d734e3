"""The escalation policy: which tiers of people are told, and when, if nobody responds.

Loaded from a TOML file (stdlib `tomllib`: nothing to install in the Lambda) and
validated with pydantic; every problem is reported as `file: key.path: what was expected`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from chalicelib.domain.calendars import (
    BusinessCalendar,
)
from chalicelib.domain.policy_sections import CalendarSpec, Listening, Storms, TeamSpec, TopicSpec
from chalicelib.domain.policy_values import Duration, Name, format_duration
from chalicelib.domain.rules import CaseFacts, Rule
from chalicelib.domain.topics import (
    CHECK_BUDGET,
    OTHER,
    Taxonomy,
    too_slow,
)
from chalicelib.domain.triage import MAX_TRIAGE_CHARACTERS, Intent, Priority
from chalicelib.settings import DEFAULT_POLICY_PATH

MIN_RETENTION_SECONDS = 30 * 24 * 3600  # chalicelib.domain.retention.DEDUPE_RETENTION


"""A team's or a topic's name: lowercase, like `billing` or `trust-safety`."""


class Policy(BaseModel):
    """The whole file: policies in order; the first whose match fits a case wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: Annotated[list[Rule], Field(min_length=1, alias="policy")]  # `[[policy]]`
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
        names = [rule.name for rule in self.rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"policy names must be unique; repeated: {', '.join(duplicates)}")
        for index, rule in enumerate(self.rules):
            if rule.match.is_catch_all and index != len(self.rules) - 1:
                raise ValueError(
                    f"policy[{index}] ({rule.name!r}) has no `match`, so it fits every case and "
                    f"the policies after it could never apply; move it last"
                )
        if problems := self._dangling_references():
            raise ValueError("\n".join(problems))  # one problem a line (see load_policy)
        if not self.rules[-1].match.is_catch_all:
            raise ValueError(
                "the last policy must have no `match`: it is the default for cases no other "
                "policy fits"
            )
        return self

    def _dangling_references(self) -> list[str]:
        """Every name that points nowhere: teams, calendars and topics; and every tier
        that would email nobody."""

        def missing(kind: str, name: str, known: dict[str, Any]) -> str:
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
        for index, rule in enumerate(self.rules):
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
            if (rule.team or self.default_team) is None:
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

    def calendar_for(self, rule: Rule) -> BusinessCalendar | None:
        return self.calendars[rule.calendar].calendar() if rule.calendar else None

    def for_case(
        self,
        channel: str,
        intent: Intent,
        priority: Priority,
        brand: str | None = None,
        topic: str = OTHER,
        language: str | None = None,
    ) -> Rule:
        """The first policy that fits the case, as its case sees it: with its team (its
        own, or the default team) filled in. Each tier emails its own `notify` if it has
        one, else the team's members for it, under the team's quiet hours (unless the tier
        sets its own); the team's calendar applies if the policy names none."""
        case = CaseFacts(channel, intent, priority, brand, topic, language)
        rule = next(rule for rule in self.rules if rule.match.fits(case))
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


def _describe(error: Mapping[str, Any], document: dict[str, Any]) -> str:
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


def _rule_name(document: dict[str, Any], index: int) -> str | None:
    rules = document.get("policy")
    if isinstance(rules, list) and index < len(rules) and isinstance(rules[index], dict):
        name = rules[index].get("name")
        return name if isinstance(name, str) else None
    return None
