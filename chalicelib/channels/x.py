"""X (Twitter) webhooks: the CRC check, the signature, and the payload families.

- X Activity API (XAA): `{"data": {"event_type", "filter": {"user_id"}, "payload",
  "includes": {"users"}}}` with v2 posts (`post.mention.create`, `post.reply.create`) and
  DMs (`dm.received`).
- Account Activity API (AAA, legacy): `{"for_user_id", "tweet_create_events" |
  "direct_message_events", "users"}` with v1.1 tweets (long ones in `extended_tweet`).
- Filtered stream (listening): `{"data": <v2 post>, "includes": {"users"},
  "matching_rules": [{"id", "tag"}]}`, posts that matched the app's stream rules: found
  by a rule unless they mention or reply to a brand account.

A post or DM whose author is the subscribed account (or a configured brand id) is the
brand answering, not a new case. X's `lang` becomes the post's language when it is one:
X's codes for no language or an undetermined one (`und`, `zxx`, `art`, `q...`) do not.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError

from chalicelib.channels import Delivery, PlatformModel
from chalicelib.posts import Author, InvalidPost, LanguageCode, Post, describe_error

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
    id_str: str
    screen_name: str
    followers_count: int | None = None


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
    full_text: str


class V1Tweet(V1Counts):
    id_str: str
    created_at: str
    text: str | None = None
    full_text: str | None = None
    truncated: bool = False
    extended_tweet: V1ExtendedTweet | None = None
    in_reply_to_status_id_str: str | None = None
    user: V1User
    retweeted_status: dict | None = None
    lang: Language = None

    @property
    def full(self) -> str:
        if self.extended_tweet is not None:
            return self.extended_tweet.full_text
        return self.full_text or self.text or ""


class V1MessageData(PlatformModel):
    text: str = ""


class V1Target(PlatformModel):
    recipient_id: str


class V1MessageCreate(PlatformModel):
    sender_id: str
    target: V1Target
    message_data: V1MessageData


class V1DirectMessage(PlatformModel):
    type: str
    id: str
    created_timestamp: str
    message_create: V1MessageCreate | None = None


class AccountActivity(PlatformModel):
    for_user_id: str
    tweet_create_events: list[V1Tweet] | None = None
    direct_message_events: list[V1DirectMessage] | None = None
    users: dict[str, V1User] = {}


# -- X Activity API (v2 objects) --------------------------------------------------------------


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
    text: str
    author_id: str
    created_at: datetime | None = None
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


class V2DirectMessage(PlatformModel):
    id: str
    text: str = ""
    sender_id: str
    created_at: datetime | None = None
    dm_conversation_id: str | None = None
    participant_ids: list[str] = []


class V2Filter(PlatformModel):
    user_id: str


class ActivityData(PlatformModel):
    event_type: str
    filter: V2Filter
    payload: dict[str, Any]
    includes: dict[str, Any] = {}


class ActivityEnvelope(PlatformModel):
    data: ActivityData
    includes: dict[str, Any] = {}


class StreamRule(PlatformModel):
    id: str
    tag: Annotated[str, Field(max_length=200)] | None = None


class StreamDelivery(PlatformModel):
    """A filtered-stream post: the post, its authors, and the rules it matched."""

    data: V2Post
    includes: dict[str, Any] = {}
    matching_rules: Annotated[list[StreamRule], Field(min_length=1)]


POST_EVENTS = {"post.mention.create", "post.reply.create"}
DM_EVENTS = {"dm.received", "dm.sent"}


HANDLED_ACCOUNT_EVENTS = {"tweet_create_events", "direct_message_events"}


def parse(payload: Any, brand_ids: frozenset[str]) -> Delivery:
    """Normalise one X webhook delivery, or raise InvalidPost naming the bad fields."""
    if not isinstance(payload, dict):
        raise InvalidPost(["body: expected a JSON object"])
    try:
        if isinstance(payload.get("data"), dict) and "event_type" in payload["data"]:
            return _activity(ActivityEnvelope.model_validate(payload), brand_ids)
        if "matching_rules" in payload:
            return _stream(StreamDelivery.model_validate(payload), brand_ids)
        if "for_user_id" in payload:
            delivery = _account_activity(AccountActivity.model_validate(payload), brand_ids)
            delivery.ignored.extend(
                key
                for key in payload
                if key.endswith("_events") and key not in HANDLED_ACCOUNT_EVENTS
            )
            return delivery
    except ValidationError as error:
        raise InvalidPost([describe_error(e) for e in error.errors()]) from None
    except (OverflowError, OSError):  # a timestamp beyond what a date can hold
        raise InvalidPost(["body: a date or timestamp out of range"]) from None
    except (ValueError, TypeError) as error:  # a date or number the platform never sends
        raise InvalidPost([f"body: {error}"]) from None
    return Delivery(ignored=["not an X Activity or Account Activity payload"])


def _account_activity(body: AccountActivity, brand_ids: frozenset[str]) -> Delivery:
    brands = brand_ids | {body.for_user_id}
    delivery = Delivery()
    for tweet in body.tweet_create_events or []:
        if tweet.retweeted_status is not None:
            delivery.ignored.append(f"repost {tweet.id_str}")
            continue
        delivery.posts.append(
            Post(
                id=tweet.id_str,
                channel=CHANNEL,
                text=tweet.full or "(no text)",
                created_at=parsedate_to_datetime(tweet.created_at),
                url=f"https://x.com/{tweet.user.screen_name}/status/{tweet.id_str}",
                in_reply_to=tweet.in_reply_to_status_id_str,
                engagement=tweet.engagement,
                author=Author(
                    id=tweet.user.id_str,
                    handle=f"@{tweet.user.screen_name}",
                    followers=tweet.user.followers_count,
                ),
                from_brand=tweet.user.id_str in brands,
                language=tweet.lang,
            )
        )
    for event in body.direct_message_events or []:
        if event.type != "message_create" or event.message_create is None:
            delivery.ignored.append(f"direct message event {event.type}")
            continue
        message = event.message_create
        sender = body.users.get(message.sender_id)
        from_brand = message.sender_id in brands
        customer = message.target.recipient_id if from_brand else message.sender_id
        delivery.posts.append(
            Post(
                id=f"dm-{event.id}",
                channel=CHANNEL,
                text=message.message_data.text or "(no text)",
                created_at=datetime.fromtimestamp(int(event.created_timestamp) / 1000, UTC),
                conversation_id=f"dm:{customer}",
                private=True,
                author=Author(
                    id=message.sender_id,
                    handle=f"@{sender.screen_name}" if sender else message.sender_id,
                    followers=sender.followers_count if sender else None,
                ),
                from_brand=from_brand,
            )
        )
    delivery.posts = [post.addressed_to(body.for_user_id) for post in delivery.posts]
    return delivery


def _activity(envelope: ActivityEnvelope, brand_ids: frozenset[str]) -> Delivery:
    data = envelope.data
    brands = brand_ids | {data.filter.user_id}
    users = _users({**envelope.includes, **data.includes})
    if data.event_type in POST_EVENTS:
        post = v2_post(V2Post.model_validate(data.payload), users, brands)
        return Delivery(posts=[post.addressed_to(data.filter.user_id)])
    if data.event_type in DM_EVENTS:
        message = V2DirectMessage.model_validate(data.payload)
        sender = users.get(message.sender_id)
        from_brand = message.sender_id in brands
        others = [p for p in message.participant_ids if p not in brands]
        customer = message.sender_id if not from_brand else (others[0] if others else "")
        return Delivery(
            posts=[
                Post(
                    id=f"dm-{message.id}",
                    channel=CHANNEL,
                    text=message.text or "(no text)",
                    created_at=message.created_at or datetime.now(UTC),
                    conversation_id=f"dm:{customer}" if customer else message.dm_conversation_id,
                    private=True,
                    author=Author(
                        id=message.sender_id,
                        handle=f"@{sender.username}" if sender else message.sender_id,
                        followers=_followers(sender),
                    ),
                    from_brand=from_brand,
                )
            ]
        )
    return Delivery(ignored=[f"event type {data.event_type}"])


def _stream(delivery: StreamDelivery, brand_ids: frozenset[str]) -> Delivery:
    """Found by a stream rule, unless it is the brand's own post or written to a brand
    (then it is a mention like any other, addressed to that brand)."""
    post, rule = delivery.data, delivery.matching_rules[0]
    if post.is_repost:
        return Delivery(ignored=[f"repost {post.id}"])
    users = _users(delivery.includes)
    if brand := post.written_to(brand_ids):
        return Delivery(posts=[v2_post(post, users, brand_ids).addressed_to(brand)])
    found_by = None if post.author_id in brand_ids else f"rule: {rule.tag or rule.id}"
    return Delivery(posts=[v2_post(post, users, brand_ids, found_by=found_by)])


def v2_post(
    post: V2Post,
    users: dict[str, V2User],
    brands: frozenset[str],
    found_by: str | None = None,
) -> Post:
    """A v2 post (from a webhook or from the API) as a normalised post; `found_by` what
    listening found it by, when it was not written to the brand."""
    author = users.get(post.author_id)
    replied_to = next((r.id for r in post.referenced_tweets if r.type == "replied_to"), None)
    handle = author.username if author else post.author_id
    return Post(
        id=post.id,
        channel=CHANNEL,
        text=post.text,
        created_at=post.created_at or datetime.now(UTC),
        url=f"https://x.com/{handle}/status/{post.id}",
        conversation_id=post.conversation_id,
        in_reply_to=replied_to,
        engagement=post.public_metrics.engagement if post.public_metrics else None,
        author=Author(id=post.author_id, handle=f"@{handle}", followers=_followers(author)),
        from_brand=post.author_id in brands,
        language=post.lang,
        found_by=found_by,
    )


def _users(includes: dict[str, Any]) -> dict[str, V2User]:
    """Included users by id; `dm.received` wraps each one in `{"data": ...}`."""
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
