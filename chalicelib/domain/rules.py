"""The policy's rules (`[[policy]]` in the file): which cases a rule takes (`match`), and
what it does with them: its tiers of people and their deadlines, repeats, the claim
window, where an urgent case starts, and an optional public acknowledgement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chalicelib.domain.policy_sections import QuietSpec
from chalicelib.domain.policy_values import (
    Duration,
    EmailAddress,
    Name,
    format_duration,
    reply_template,
)
from chalicelib.domain.posts import ChannelName, LanguageCode
from chalicelib.domain.topics import OTHER
from chalicelib.domain.triage import Intent, Priority


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
    intent: Intent
    priority: Priority
    brand: str | None = None
    topic: str = OTHER
    language: str | None = None


class Rule(BaseModel):
    """A named rule: cases it matches climb its tiers; no tiers means no workflow."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1)]
    match: Match = Match()
    team: Name | None = None
    """The team whose members each tier emails (default: the file's `default_team`)."""
    tiers: list[TierSpec] = []
    acknowledge: Annotated[str, AfterValidator(reply_template)] | None = None
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
    def _tiers_in_order(self) -> Rule:
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
