"""Channel adapters: each verifies its platform's webhook and turns the payload into
normalised posts (chalicelib.domain.posts.Post), marking the brand's own posts as such.

A signed delivery is never refused for what it carries: each event in it is read on its
own (`Delivery.read`), so one that cannot be read is kept whole for an engineer
(`Unreadable`) while the others go on; an event of a kind Escalator does not act on is
`ignored`, by kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from chalicelib.domain.posts import (
    MAX_TEXT,
    InvalidPost,
    Post,
    PostNote,
    PostReference,
    clean_line,
    describe_error,
)
from chalicelib.telemetry import SERVICE

logger = Logger(service=SERVICE, child=True)


def platform_time(value: Any) -> datetime | None:
    """A platform's time as an aware datetime: epoch seconds or milliseconds (a number or
    digits), RFC 2822 (X's v1.1 `Sat Nov 28 05:30:03 +0000 2020`) or ISO 8601 (`...Z`,
    Meta's `+0000`). None for anything else, or a time no calendar in UTC holds: such a
    post is timed at its receipt, never refused (a doc placeholder, a zero, a typo)."""
    moment = None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        try:
            moment = datetime.fromtimestamp(value / 1000 if value > 10**11 else value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        for read in (_iso, parsedate_to_datetime):
            try:
                moment = read(value)
                break
            except (TypeError, ValueError, IndexError):
                continue
    if moment is None or moment.tzinfo is None:
        return None
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", value))


Moment = Annotated[datetime | None, BeforeValidator(platform_time)]
"""A time in a platform's payload; None when it cannot be read (see platform_time)."""


def clipped(text: str) -> str:
    """A platform's text as a post holds it: a Facebook post may run to 63,206
    characters, an X post to 25,000; past MAX_TEXT it is cut, and says so (the post's
    link has the rest). Never a reason to refuse a delivery."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


PlatformText = Annotated[str, AfterValidator(clipped)]
"""The text of a post, comment or message in a platform's payload."""


class PlatformModel(BaseModel):
    """A part of a platform's payload: fields we do not read are ignored (platforms add
    them freely), and numeric ids are read as strings."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


@dataclass(frozen=True)
class Unreadable:
    """One event of a signed delivery that could not be read: `kind` says what it was
    taken for (the metric's reason), `problems` what was wrong, `raw` the event whole."""

    kind: str
    problems: list[str]
    raw: Any


Queued = Post | PostNote | PostReference
"""What a webhook queues for the consumer: a post, a note about a post it delivered
before, or a post to fetch from the platform's API first."""


@dataclass
class Delivery:
    """What one webhook delivery carried: what to queue, what was ignored (by kind), and
    what could not be read."""

    posts: list[Post] = field(default_factory=list)
    notes: list[PostNote] = field(default_factory=list)
    references: list[PostReference] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)

    def ignore(self, kind: str) -> None:
        """An event of a kind Escalator does not act on: its kind (named by the platform:
        a metric's dimension and a line of the answer) as one short line."""
        self.ignored.append(str(clean_line(kind))[:100])

    @property
    def queued(self) -> list[Queued]:
        return [*self.posts, *self.notes, *self.references]

    def read(self, kind: str, raw: Any, reader: Callable[[Any], None]) -> None:
        """Run `reader` on one event (it adds what it finds to this delivery); an event it
        cannot read is kept as unreadable, with nothing of it taken."""
        before = len(self.posts), len(self.notes), len(self.references), len(self.ignored)
        try:
            reader(raw)
        except ValidationError as error:
            self._unreadable(kind, [describe_error(e) for e in error.errors()], raw, before)
        except InvalidPost as error:
            self._unreadable(kind, error.problems, raw, before)
        except (OverflowError, OSError):  # a timestamp beyond what a date can hold
            self._unreadable(kind, ["a date or timestamp out of range"], raw, before)
        except (ValueError, TypeError) as error:  # a date or number the platform never sends
            self._unreadable(kind, [f"{error}"[:300]], raw, before)
        except Exception as error:  # a reading of ours that the payload breaks: keep it
            logger.error("event not read", extra={"kind": kind, "error": type(error).__name__})
            self._unreadable(kind, [f"not read: {type(error).__name__}"], raw, before)

    def _unreadable(
        self, kind: str, problems: list[str], raw: Any, before: tuple[int, int, int, int]
    ) -> None:
        posts, notes, references, ignored = before
        del self.posts[posts:], self.notes[notes:], self.references[references:]
        del self.ignored[ignored:]
        self.unreadable.append(Unreadable(kind, problems[:20], raw))


def id_set(value: str | None) -> frozenset[str]:
    """`"123, 456"` → {"123", "456"}: account ids configured as one comma-separated value."""
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def as_json(result: Any) -> dict[str, Any]:
    """A poller's result (a dataclass) as its scheduled function returns it: Lambda
    cannot marshal a datetime."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(result).items()
    }
