"""The normalised post: what every channel turns its payload into before triage.

The generic webhook body is this model's JSON form, so a client sees the same field
names in the docs, in errors and in the stored case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_-]{0,19}")  # fullmatch: a channel's name
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
# What a post may not bring into an email, a page or a log line: C0 and C1 controls
# (NUL, ESC, BEL...; text keeps tab and newline), the bidi embeddings, overrides and
# isolates that make text read other than it is (U+202A-U+202E, U+2066-U+2069), and lone
# surrogates, which no UTF-8 can carry (a platform may cut an emoji in half).
_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: object) -> object:
    """Text as it may be shown: line breaks as newlines, and no controls, bidi overrides
    or isolates, or lone surrogates (each one replaced by U+FFFD). Anything but a string
    is left for the field's own validation to refuse."""
    if not isinstance(value, str) or value.isprintable():  # most text: nothing to clean
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _LONE_SURROGATE.sub("\ufffd", _TEXT_CONTROLS.sub("", value))


def clean_line(value: object) -> object:
    """A one-line value (a handle, a name, an id, a URL): as `clean_text`, and no line
    breaks or tabs either."""
    if not isinstance(value, str) or value.isprintable():  # most values: nothing to clean
        return value
    return _LONE_SURROGATE.sub("\ufffd", _LINE_CONTROLS.sub("", value))


def _channel_name(value: str) -> str:
    if not CHANNEL_NAME.fullmatch(value):
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

NonEmpty = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=256),
    BeforeValidator(clean_line),  # the last annotation runs first
]
"""A one-line value a post brings (an id, a handle, a name), cleaned (`clean_line`)."""
MAX_TEXT = 10_000  # characters of a post's text
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), BeforeValidator(clean_text)]
"""A post's text, cleaned (`clean_text`)."""
LanguageCode = Annotated[str, StringConstraints(max_length=35), AfterValidator(_language)]
"""A BCP 47 language tag: `en`, `pt-BR`."""


UNKNOWN_AUTHOR = "(author unknown)"
ERASED = "(erased)"  # what an erased post, author or trail line says instead


class Author(BaseModel):
    """Who wrote a post. `id` is None when the platform did not say (an X stream post
    delivered without its author): such a post is kept, its author shown as unknown."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: NonEmpty | None
    handle: NonEmpty
    followers: Annotated[int, Field(ge=0, le=10**12)] | None = None

    @property
    def known(self) -> bool:
        return self.id is not None


class Post(BaseModel):
    """One post on one channel. `id` is the channel's own id: the dedupe key."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: NonEmpty
    channel: ChannelName
    text: Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_TEXT), BeforeValidator(clean_text)
    ]
    created_at: Annotated[AwareDatetime, AfterValidator(_utc_representable)]
    url: (
        Annotated[
            str,
            StringConstraints(max_length=2048),
            AfterValidator(_web_url),
            BeforeValidator(clean_line),
        ]
        | None
    ) = None
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

    def erased(self) -> Post:
        """The post with nothing of its author: no text, name, link or thread id (a DM
        thread's id names the customer). Its id and times stay (its case's key, the
        reports' timings)."""
        return self.model_copy(
            update={
                "text": ERASED,
                "author": Author(id=None, handle=ERASED),
                "url": None,
                "conversation_id": None,
            }
        )


class PostNote(BaseModel):
    """What a platform says about a post it delivered before (edited, unsent, deleted):
    a line on the trail of the case that holds the post, never a post of its own."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    channel: ChannelName
    post_id: NonEmpty
    change: Literal["edited", "unsent", "deleted"]
    at: Annotated[AwareDatetime, AfterValidator(_utc_representable)]
    text: Text | None = None  # an edit's
    by: NonEmpty | None = None  # the author's id, as the platform gives it
    received_at: AwareDatetime | None = None

    def received(self, at: datetime) -> PostNote:
        return self.model_copy(update={"received_at": at})


class PostReference(BaseModel):
    """A post a webhook names without its text (an Instagram @mention, a post that
    mentions a Facebook Page): the consumer fetches it from the platform's API, then it
    is a post like any other. `post_id` is the media or post, `comment_id` the comment
    holding the mention, if it is in one."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    channel: ChannelName
    kind: Literal["instagram mention", "page mention", "page post"]
    brand: NonEmpty  # the account it names: the Instagram account or the Page
    post_id: NonEmpty
    comment_id: NonEmpty | None = None
    author: Author | None = None  # what the webhook says of the author, if anything
    created_at: Annotated[AwareDatetime, AfterValidator(_utc_representable)] | None = None
    received_at: AwareDatetime | None = None

    @property
    def id(self) -> str:
        """The id of the post it becomes: the comment holding the mention, or the post."""
        return self.comment_id or self.post_id

    def received(self, at: datetime) -> PostReference:
        return self.model_copy(update={"received_at": at})


class InvalidPost(ValueError):
    """A body that is not a post; `problems` name each bad field."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_post(raw: bytes | str) -> Post:
    """Validate a JSON body as a post, or raise InvalidPost naming every bad field. A
    body pydantic's JSON parser refuses is read again by Python's, which takes a lone
    surrogate escape, for the post to clean (`clean_text`), and says what is wrong."""
    with suppress(ValidationError):
        return Post.model_validate_json(raw)  # the usual case, and the fast one
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as problem:
        raise InvalidPost([f"body is not valid JSON: {problem}"]) from None
    if not isinstance(document, dict):
        raise InvalidPost(["body: Input should be an object"])
    try:
        return Post.model_validate(document)
    except ValidationError as error:
        raise InvalidPost([describe_error(e) for e in error.errors()]) from None


def describe_error(error: Mapping[str, Any]) -> str:
    """One pydantic error as `field.path: message`, the way a client reads it."""
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "json_invalid":
        return f"body is not valid JSON: {error['ctx'].get('error', error['msg'])}"
    if error["type"] == "missing":
        return f"{location}: required field is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"{location or 'body'}: {message}"


def person_of(post: Post) -> str | None:
    """`channel:author id`, who wrote a post (whose words a trail line holds, to find and
    erase them; whom a storm counts); None when the channel does not say."""
    return f"{post.channel}:{post.author.id}" if post.author.known else None
