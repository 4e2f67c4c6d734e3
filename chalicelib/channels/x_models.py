"""X's payloads as X documents them, read with pydantic: v1.1 objects (the Account
Activity API's tweets, DMs and deletions) and v2 objects (the X Activity API, the
filtered stream and the API's answers), with X's language codes. What they become is
chalicelib.channels.x's.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, TypeAdapter, ValidationError

from chalicelib.channels import Moment, PlatformModel, PlatformText
from chalicelib.domain.posts import UNKNOWN_AUTHOR, Author, LanguageCode

CHANNEL = "x"


NOT_LANGUAGES = {"und", "zxx", "art"}  # undetermined, no linguistic content, artificial


_LOCAL_USE = re.compile(r"^q[a-t][a-z]$")  # ISO 639's private range: X's qme, qam, qht...


_POST_LANGUAGE = TypeAdapter(LanguageCode)


def x_language(code: Any) -> str | None:
    """X's `lang` as a post's language, or None: X's own codes for posts with no
    language it can name (`und`, `zxx`, `art`, and ISO 639's local-use range: `qme`,
    `qam`, `qht`...) and anything Post would refuse are no language, never a refused
    delivery."""
    if not isinstance(code, str) or code in NOT_LANGUAGES or _LOCAL_USE.match(code):
        return None
    try:
        return _POST_LANGUAGE.validate_python(code)
    except ValidationError:
        return None


Language = Annotated[str | None, BeforeValidator(x_language)]


class V1User(PlatformModel):
    """A v1.1 user: tweets carry `id_str` (and a number in `id` that JSON may round); the
    `users` map of DMs carries `id` as a string and no `id_str`."""

    id: str = Field(validation_alias=AliasChoices("id_str", "id"))
    screen_name: str | None = None
    followers_count: int | None = None

    def author(self) -> Author:
        handle = f"@{self.screen_name}" if self.screen_name else self.id
        return Author(id=self.id, handle=handle, followers=self.followers_count)


class V1Counts(PlatformModel):
    """Engagement counts on an X post (v1.1 names)."""

    favorite_count: int | None = None
    retweet_count: int | None = None
    reply_count: int | None = None
    quote_count: int | None = None

    @property
    def engagement(self) -> int | None:
        counts = [self.favorite_count, self.retweet_count, self.reply_count, self.quote_count]
        return sum(c for c in counts if c) if any(c is not None for c in counts) else None


class V1ExtendedTweet(PlatformModel):
    full_text: PlatformText


class V1Tweet(V1Counts):
    id_str: str
    created_at: Moment = None
    timestamp_ms: Moment = None
    text: PlatformText | None = None
    full_text: PlatformText | None = None
    truncated: bool = False
    extended_tweet: V1ExtendedTweet | None = None
    in_reply_to_status_id_str: str | None = None
    user: dict[str, Any] = {}
    retweeted_status: dict[str, Any] | None = None
    lang: Language = None

    @property
    def full(self) -> str:
        if self.extended_tweet is not None:
            return self.extended_tweet.full_text
        return self.full_text or self.text or ""

    @property
    def author(self) -> Author:
        """The author, or an unknown one when the user object says nothing (X's own
        documentation elides it)."""
        if not self.user.get("id_str") and not self.user.get("id"):
            return Author(id=None, handle=UNKNOWN_AUTHOR)
        return V1User.model_validate(self.user).author()

    @property
    def sent_at(self) -> datetime:
        return self.created_at or self.timestamp_ms or datetime.now(UTC)


class V1Media(PlatformModel):
    type: str | None = None
    url: str | None = None  # the t.co link the message's text carries for it


class V1Attachment(PlatformModel):
    type: str | None = None
    media: V1Media | None = None


class V1MessageData(PlatformModel):
    text: PlatformText = ""
    attachment: V1Attachment | None = None

    @property
    def shown(self) -> str:
        """The text without the link X puts in it for an attached medium; a message
        with nothing else says what it carried."""
        media = self.attachment.media if self.attachment else None
        text = self.text.replace(media.url, "") if media and media.url else self.text
        if text.strip():
            return text.strip()
        kind = (media and media.type) or (self.attachment and self.attachment.type)
        return f"({kind})" if kind else "(no text)"


class V1Target(PlatformModel):
    recipient_id: str


class V1MessageCreate(PlatformModel):
    sender_id: str
    target: V1Target
    message_data: V1MessageData


class V1DirectMessage(PlatformModel):
    type: str
    id: str
    created_timestamp: Moment = None
    message_create: V1MessageCreate | None = None


class V1Deleted(PlatformModel):
    id: str
    user_id: str | None = None


class V1Deletion(PlatformModel):
    status: V1Deleted
    timestamp_ms: Moment = None


class V2Metrics(PlatformModel):
    followers_count: int | None = None


class V2User(PlatformModel):
    id: str
    username: str
    public_metrics: V2Metrics | None = None


class V2PostMetrics(PlatformModel):
    like_count: int = 0
    retweet_count: int = 0
    reply_count: int = 0
    quote_count: int = 0

    @property
    def engagement(self) -> int:
        return self.like_count + self.retweet_count + self.reply_count + self.quote_count


class V2Reference(PlatformModel):
    type: str
    id: str


class V2Mention(PlatformModel):
    id: str | None = None
    username: str | None = None


class V2Entities(PlatformModel):
    mentions: list[V2Mention] = []


class V2Post(PlatformModel):
    id: str
    text: PlatformText
    author_id: str | None = None  # missing when the author was not asked for
    created_at: Moment = None
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[V2Reference] = []
    public_metrics: V2PostMetrics | None = None
    entities: V2Entities | None = None
    lang: Language = None

    @property
    def is_repost(self) -> bool:
        return any(r.type == "retweeted" for r in self.referenced_tweets)

    def written_to(self, brands: frozenset[str]) -> str | None:
        """The brand account this post replies to or mentions, if any: then it is
        addressed to us, however it was found."""
        if self.in_reply_to_user_id in brands:
            return self.in_reply_to_user_id
        mentioned = (m.id for m in (self.entities.mentions if self.entities else []))
        return next((m for m in mentioned if m in brands), None)


class V2Deleted(PlatformModel):
    id: str
    author_id: str | None = None


class V2Chat(PlatformModel):
    """An X Chat message: end-to-end encrypted, so only who wrote, where and when."""

    id: str | None = None
    sender_id: str
    conversation_id: str | None = None
    created_at_msec: Moment = None
    encoded_event: str | None = None

    @property
    def key(self) -> str:
        """Its id, or (X's guide shows a message without one) a digest of the encrypted
        message itself: the same message delivered again has the same."""
        if self.id:
            return self.id
        if not self.encoded_event:
            raise ValueError("a chat message needs an id or an encoded_event")
        return hashlib.sha256(self.encoded_event.encode()).hexdigest()[:32]


class V2Filter(PlatformModel):
    user_id: str | None = None


class ActivityData(PlatformModel):
    event_type: str
    filter: V2Filter = V2Filter()
    payload: Any = None
    includes: dict[str, Any] = {}


class StreamRule(PlatformModel):
    id: str
    tag: Annotated[str, Field(max_length=200)] | None = None


class StreamDelivery(PlatformModel):
    """A filtered-stream post: the post, its authors, and the rules it matched."""

    data: V2Post
    includes: dict[str, Any] = {}
    matching_rules: Annotated[list[StreamRule], Field(min_length=1)]


TWEET_FIELDS = [  # what every read of posts from X's API asks for
    "author_id",
    "created_at",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "entities",
    "public_metrics",
    "lang",
]
