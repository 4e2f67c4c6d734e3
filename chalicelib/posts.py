"""The normalised post: what every channel turns its payload into before triage.

The generic webhook body is this model's JSON form, so a client sees the same field
names in the docs, in errors and in the stored case.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def _channel_name(value: str) -> str:
    if not _CHANNEL.match(value):
        raise ValueError(
            f"expected a lowercase channel name like 'x' or 'facebook' (a-z, 0-9, - and _, "
            f"at most 20), got {value!r}"
        )
    return value


def _web_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError(f"expected an http(s) URL, got {value[:40]!r}")
    return value


def _utc_representable(value: datetime) -> datetime:
    """Emails and the dashboard show the time in UTC: it must exist there."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("expected a date and time within the years 1 to 9999 in UTC") from None
    return value


def _language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError(
            f"expected a language code like 'en' or 'pt-BR' (BCP 47), got {value[:40]!r}"
        )
    return value


ChannelName = Annotated[str, AfterValidator(_channel_name)]
"""A channel's short lowercase name: x, facebook, instagram, or any source's own."""

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]
LanguageCode = Annotated[str, StringConstraints(max_length=35), AfterValidator(_language)]
"""A BCP 47 language tag: `en`, `pt-BR`."""


class Author(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: NonEmpty
    handle: NonEmpty
    followers: Annotated[int, Field(ge=0, le=10**12)] | None = None


class Post(BaseModel):
    """One post on one channel. `id` is the channel's own id: the dedupe key."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: NonEmpty
    channel: ChannelName
    text: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    created_at: Annotated[AwareDatetime, AfterValidator(_utc_representable)]
    url: Annotated[str, StringConstraints(max_length=2048), AfterValidator(_web_url)] | None = None
    conversation_id: NonEmpty | None = None
    in_reply_to: NonEmpty | None = None
    author: Author
    engagement: Annotated[int, Field(ge=0, le=10**12)] | None = None
    """Likes, reposts, replies and quotes when the post arrived, if the channel says."""
    brand: NonEmpty | None = None
    """The brand account it is addressed to (an X user id, a Facebook page or Instagram
    account id, or a generic source's own name): policies can match on it."""
    language: LanguageCode | None = None
    """The post's language (BCP 47: `en`, `pt-BR`), if the channel says: policies can
    match on it."""
    found_by: NonEmpty | None = None
    """What listening found the post by (a search term, a filtered-stream rule) when its
    author did not write to the brand: such a post is not addressed to us."""
    private: bool = False  # a direct message, not a public post
    from_brand: bool = False  # the brand's own post: a response, never a case
    received_at: AwareDatetime | None = None  # set by Escalator when the webhook took it

    @property
    def addressed_to_us(self) -> bool:
        """Written to the brand (a mention, a reply, a DM, a comment on its page), not
        overheard by listening."""
        return self.found_by is None

    @property
    def created_at_utc(self) -> datetime:
        return self.created_at.astimezone(UTC)

    def addressed_to(self, brand: str) -> Post:
        return self.model_copy(update={"brand": brand})

    def received(self, at: datetime) -> Post:
        """This post stamped with the moment Escalator took it: its cases' SLA clock
        starts there, however long the queue held it."""
        return self.model_copy(update={"received_at": at})

    def to_message(self) -> str:
        """JSON for the queue, ASCII only (SQS refuses some code points raw)."""
        return json.dumps(self.model_dump(mode="json"))


class InvalidPost(ValueError):
    """A body that is not a post; `problems` name each bad field."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_post(raw: bytes | str) -> Post:
    """Validate a JSON body as a post, or raise InvalidPost naming every bad field."""
    try:
        return Post.model_validate_json(raw)
    except ValidationError as error:
        raise InvalidPost([describe_error(e) for e in error.errors()]) from None


def describe_error(error: dict) -> str:
    """One pydantic error as `field.path: message`, the way a client reads it."""
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "json_invalid":
        return f"body is not valid JSON: {error['ctx'].get('error', error['msg'])}"
    if error["type"] == "missing":
        return f"{location}: required field is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"{location or 'body'}: {message}"
