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

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.channels import Delivery
from chalicelib.channels.x_models import (
    CHANNEL,
    ActivityData,
    StreamDelivery,
    V1Deletion,
    V1DirectMessage,
    V1Tweet,
    V1User,
    V2Chat,
    V2Deleted,
    V2Post,
    V2User,
)
from chalicelib.domain.posts import UNKNOWN_AUTHOR, Author, Post, PostNote

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
