"""X (Twitter) webhooks: the payload families one webhook URL receives, each event read
on its own (`Delivery.read`), as the README's table says ("X").

- X Activity API (XAA): `{"data": {"event_type", "filter"?, "payload", "includes"?}}`:
  v2 posts (`post.mention.create`, `post.reply.create`, `post.quote.create`, and the
  brand's own `post.create`), `post.delete`, legacy DMs (`dm.received`, `dm.sent`: AAA's
  `direct_message_events` with v2 users keyed by id, each in `{"data": ...}`) and
  encrypted X Chat messages (`chat.received`, `chat.sent`: no readable text, so the case
  says to read it in X). Other event types (likes, follows, profile updates, news,
  `oauth.revoke`, whose `filter` is empty) are ignored.
- Account Activity API (AAA, legacy): `{"for_user_id", "<kind>_events": [...], "users"?}`
  with v1.1 tweets (long ones in `extended_tweet`) and DMs (`users` keyed by id, each
  with `id` and maybe no `id_str`); deletions are notes; typing, read receipts, likes,
  follows, blocks, mutes, revocations (`user_event`) and replay-job reports are ignored.
- Filtered stream (listening): `{"data": <v2 post>, "includes"?, "matching_rules"}`:
  found by a rule unless it mentions or replies to a brand account. Delivered with X's
  default fields it has no `author_id`: it is kept, its author unknown, and the
  consumer looks the post up when a bearer token is set (chalicelib.adapters.x_api.lookup).

A post or DM whose author is the subscribed account (or a configured brand id) is the
brand answering, not a new case. X's `lang` becomes the post's language when it is one:
X's codes for no language or an undetermined one (`und`, `zxx`, `art`, `q...`) do not.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, TypeAdapter, ValidationError

from chalicelib.channels import Delivery, Moment, PlatformModel, PlatformText
from chalicelib.domain.posts import UNKNOWN_AUTHOR, Author, LanguageCode, Post, PostNote

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


# -- Account Activity API (v1.1 objects) ------------------------------------------------------


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


# -- X Activity API and filtered stream (v2 objects) -------------------------------------


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
POST_EVENTS = {"post.mention.create", "post.reply.create", "post.quote.create", "post.create"}
DM_EVENTS = {"dm.received", "dm.sent"}
CHAT_EVENTS = {"chat.received", "chat.sent"}
ENCRYPTED_CHAT = "(an encrypted X Chat message: read it in X)"
ACCOUNT_KEYS = {"user_event", "replay_job_status"}  # AAA bodies without for_user_id


def parse(payload: Any, brand_ids: frozenset[str]) -> Delivery:
    """Normalise one X webhook delivery: never raises, whatever it holds."""
    delivery = Delivery()
    if not isinstance(payload, dict):
        delivery.read("delivery", payload, _unknown)
    elif isinstance(payload.get("data"), dict) and "event_type" in payload["data"]:
        delivery.read("activity event", payload, lambda raw: _activity(delivery, raw, brand_ids))
    elif "matching_rules" in payload:
        delivery.read("stream post", payload, lambda raw: _stream(delivery, raw, brand_ids))
    elif "for_user_id" in payload:
        _account_activity(delivery, payload, brand_ids)
    elif ACCOUNT_KEYS & payload.keys():
        for key in sorted(ACCOUNT_KEYS & payload.keys()):
            delivery.ignore(key)
    else:
        delivery.read("delivery", payload, _unknown)
    return delivery


def _unknown(payload: Any) -> None:
    raise ValueError(
        "not an X delivery: expected an Account Activity (`for_user_id`), X Activity "
        "(`data.event_type`) or filtered-stream (`matching_rules`) body"
    )


def _account_activity(
    delivery: Delivery, payload: dict[str, Any], brand_ids: frozenset[str]
) -> None:
    """Each event of an AAA body on its own; the users map is read once, leniently (a
    user it cannot read is one without a handle)."""
    brand = str(payload["for_user_id"])
    brands = brand_ids | {brand}
    users = _v1_users(payload.get("users"))
    for key, events in payload.items():
        if not key.endswith("_events"):
            continue
        if not isinstance(events, list):
            delivery.read(key, events, _not_a_list)
            continue
        for raw in events:
            if key == "tweet_create_events":
                delivery.read("tweet", raw, lambda raw: _v1_tweet(delivery, raw, brand, brands))
            elif key == "direct_message_events":
                delivery.read(
                    "direct message",
                    raw,
                    lambda raw: _v1_message(delivery, raw, brand, brands, users),
                )
            elif key == "tweet_delete_events":
                delivery.read("tweet deletion", raw, lambda raw: _v1_deletion(delivery, raw))
            else:
                delivery.ignore(key)


def _not_a_list(events: Any) -> None:
    raise ValueError(f"expected a list of events, got {type(events).__name__}")


def _v1_tweet(delivery: Delivery, raw: Any, brand: str, brands: frozenset[str]) -> None:
    tweet = V1Tweet.model_validate(raw)
    if tweet.retweeted_status is not None:
        delivery.ignore("repost")
        return
    author = tweet.author
    handle = author.handle.removeprefix("@") if author.known else "i"
    delivery.posts.append(
        Post(
            id=tweet.id_str,
            channel=CHANNEL,
            text=tweet.full or "(no text)",
            created_at=tweet.sent_at,
            url=f"https://x.com/{handle}/status/{tweet.id_str}",
            in_reply_to=tweet.in_reply_to_status_id_str,
            engagement=tweet.engagement,
            author=author,
            from_brand=author.id in brands,
            language=tweet.lang,
            brand=brand,
        )
    )


def _v1_users(users: Any) -> dict[str, Author]:
    """A DM's users map (AAA's flat v1.1 users, or XAA's `{"data": v2 user}`) as authors
    by id; an entry that cannot be read is left out (the sender then shows by id)."""
    found: dict[str, Author] = {}
    for key, entry in (users or {}).items() if isinstance(users, dict) else []:
        user = entry.get("data", entry) if isinstance(entry, dict) else None
        try:
            if isinstance(user, dict) and "username" in user:
                v2 = V2User.model_validate(user)
                found[str(key)] = Author(
                    id=v2.id, handle=f"@{v2.username}", followers=_followers(v2)
                )
            elif isinstance(user, dict):
                found[str(key)] = V1User.model_validate(user).author()
        except ValidationError:
            continue
    return found


def _v1_message(
    delivery: Delivery,
    raw: Any,
    brand: str | None,
    brands: frozenset[str],
    users: dict[str, Author],
) -> None:
    event = V1DirectMessage.model_validate(raw)
    if event.type != "message_create" or event.message_create is None:
        delivery.ignore(f"direct message {event.type}")
        return
    message = event.message_create
    from_brand = message.sender_id in brands
    customer = message.target.recipient_id if from_brand else message.sender_id
    sent = event.created_timestamp or datetime.now(UTC)
    delivery.posts.append(
        Post(
            id=f"dm-{event.id}",
            channel=CHANNEL,
            text=message.message_data.shown,
            created_at=sent,
            conversation_id=f"dm:{customer}",
            private=True,
            author=users.get(message.sender_id)
            or Author(id=message.sender_id, handle=message.sender_id),
            from_brand=from_brand,
            brand=brand,
        )
    )


def _v1_deletion(delivery: Delivery, raw: Any) -> None:
    deletion = V1Deletion.model_validate(raw)
    at = deletion.timestamp_ms or datetime.now(UTC)
    delivery.notes.append(
        PostNote(
            channel=CHANNEL,
            post_id=deletion.status.id,
            change="deleted",
            at=at,
            by=deletion.status.user_id,
        )
    )


def _activity(delivery: Delivery, raw: dict[str, Any], brand_ids: frozenset[str]) -> None:
    data = ActivityData.model_validate(raw["data"])
    brand = data.filter.user_id
    brands = brand_ids | ({brand} if brand else set())
    includes = {**(raw.get("includes") or {}), **data.includes}
    if data.event_type in POST_EVENTS:
        post = v2_post(V2Post.model_validate(data.payload), _users(includes), brands)
        delivery.posts.append(post.addressed_to(brand) if brand else post)
    elif data.event_type == "post.delete":
        deleted = V2Deleted.model_validate(data.payload)
        delivery.notes.append(
            PostNote(
                channel=CHANNEL,
                post_id=deleted.id,
                change="deleted",
                at=datetime.now(UTC),
                by=deleted.author_id,
            )
        )
    elif data.event_type in DM_EVENTS:
        if not isinstance(data.payload, dict) or not isinstance(
            data.payload.get("direct_message_events"), list
        ):
            raise ValueError("payload.direct_message_events: expected a list of events")
        users = _v1_users(data.payload.get("users"))
        for event in data.payload["direct_message_events"]:
            delivery.read(
                "direct message",
                event,
                lambda raw: _v1_message(delivery, raw, brand, brands, users),
            )
    elif data.event_type in CHAT_EVENTS:
        _chat(delivery, V2Chat.model_validate(data.payload), brand, brands)
    else:
        delivery.ignore(data.event_type)


def _chat(delivery: Delivery, chat: V2Chat, brand: str | None, brands: frozenset[str]) -> None:
    """An encrypted X Chat message: who wrote and when, never what (the key is the
    brand's, in X's app): a case that says to read it in X, threaded with the customer's
    DMs when the conversation is one to one (`A:B`, or `A-B`), else with its group."""
    from_brand = chat.sender_id in brands
    parties = re.split(r"[:-]", chat.conversation_id or "")
    others = [p for p in parties if p and p not in brands]
    group = (chat.conversation_id or "").startswith("g") or len(others) != 1
    customer = chat.sender_id if not from_brand else (others[0] if others else None)
    conversation = f"chat:{chat.conversation_id}" if group or customer is None else f"dm:{customer}"
    sent = chat.created_at_msec or datetime.now(UTC)
    delivery.posts.append(
        Post(
            id=f"chat-{chat.key}",
            channel=CHANNEL,
            text=ENCRYPTED_CHAT,
            created_at=sent,
            conversation_id=conversation,
            private=True,
            author=Author(id=chat.sender_id, handle=chat.sender_id),
            from_brand=from_brand,
            brand=brand,
        )
    )


def _stream(delivery: Delivery, raw: dict[str, Any], brand_ids: frozenset[str]) -> None:
    stream = StreamDelivery.model_validate(raw)
    rule = stream.matching_rules[0]
    if stream.data.is_repost:
        delivery.ignore("repost")
        return
    delivery.posts.append(
        found_post(stream.data, _users(stream.includes), brand_ids, f"rule: {rule.tag or rule.id}")
    )


def found_post(
    post: V2Post, users: dict[str, V2User], brand_ids: frozenset[str], found_by: str
) -> Post:
    """A post listening found (`found_by`), unless it is the brand's own or written to a
    brand: then it is a mention like any other, addressed to that brand."""
    if brand := post.written_to(brand_ids):
        return v2_post(post, users, brand_ids).addressed_to(brand)
    own = post.author_id is not None and post.author_id in brand_ids
    return v2_post(post, users, brand_ids, found_by=None if own else found_by)


def v2_post(
    post: V2Post,
    users: dict[str, V2User],
    brands: frozenset[str],
    found_by: str | None = None,
) -> Post:
    """A v2 post (from a webhook or from the API) as a normalised post; `found_by` what
    listening found it by, when it was not written to the brand."""
    user = users.get(post.author_id) if post.author_id else None
    replied_to = next((r.id for r in post.referenced_tweets if r.type == "replied_to"), None)
    if post.author_id is None:
        author = Author(id=None, handle=UNKNOWN_AUTHOR)
    else:
        handle = f"@{user.username}" if user else post.author_id
        author = Author(id=post.author_id, handle=handle, followers=_followers(user))
    return Post(
        id=post.id,
        channel=CHANNEL,
        text=post.text or "(no text)",
        created_at=post.created_at or datetime.now(UTC),
        url=f"https://x.com/{user.username if user else 'i'}/status/{post.id}",
        conversation_id=post.conversation_id,
        in_reply_to=replied_to,
        engagement=post.public_metrics.engagement if post.public_metrics else None,
        author=author,
        from_brand=post.author_id in brands,
        language=post.lang,
        found_by=found_by,
    )


def _users(includes: dict[str, Any]) -> dict[str, V2User]:
    """Included users by id; some events wrap each one in `{"data": ...}`."""
    found = {}
    for entry in includes.get("users") or []:
        if isinstance(entry, dict):
            user = entry.get("data", entry)
            try:
                parsed = V2User.model_validate(user)
            except ValidationError:
                continue
            found[parsed.id] = parsed
    return found


def _followers(user: V2User | None) -> int | None:
    return user.public_metrics.followers_count if user and user.public_metrics else None
