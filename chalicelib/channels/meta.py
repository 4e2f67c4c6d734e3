"""Meta webhooks: Facebook Page feed comments, Messenger, Instagram comments and messages.

A comment or message by the page (or Instagram account) itself, or a Messenger echo, is
the brand answering, not a new case. Instagram comments arrive both inside
`entry[].changes[]` and flat as `entry[].field` / `entry[].value`: both are read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field, ValidationError

from chalicelib.channels import Delivery, PlatformModel
from chalicelib.posts import Author, InvalidPost, Post, describe_error


class Sender(PlatformModel):
    id: str
    name: str | None = None
    username: str | None = None


class FeedValue(PlatformModel):
    item: str | None = None
    verb: str | None = None
    sender: Sender | None = Field(default=None, alias="from")
    message: str | None = None
    post_id: str | None = None
    comment_id: str | None = None
    parent_id: str | None = None
    created_time: int | None = None


class InstagramComment(PlatformModel):
    id: str
    text: str = ""
    sender: Sender | None = Field(default=None, alias="from")
    parent_id: str | None = None
    timestamp: datetime | None = None


class Change(PlatformModel):
    field: str
    value: dict[str, Any]


class Message(PlatformModel):
    mid: str
    text: str | None = None
    is_echo: bool = False
    attachments: list[dict[str, Any]] = []


class Messaging(PlatformModel):
    sender: Sender
    recipient: Sender
    timestamp: int
    message: Message | None = None


class Entry(PlatformModel):
    id: str
    time: int | None = None
    changes: list[Change] = []
    messaging: list[Messaging] = []
    field: str | None = None
    value: dict[str, Any] | None = None


class Notification(PlatformModel):
    object: str
    entry: list[Entry]


CHANNELS = {"page": "facebook", "instagram": "instagram"}


def parse(payload: Any, page_ids: frozenset[str]) -> Delivery:
    """Normalise one Meta webhook delivery, or raise InvalidPost naming the bad fields."""
    if not isinstance(payload, dict):
        raise InvalidPost(["body: expected a JSON object"])
    try:
        notification = Notification.model_validate(payload)
        if notification.object not in CHANNELS:
            return Delivery(ignored=[f"object {notification.object}"])
        channel = CHANNELS[notification.object]
        delivery = Delivery()
        for entry in notification.entry:
            brands = page_ids | {entry.id}
            before = len(delivery.posts)
            changes = list(entry.changes)
            if entry.field and entry.value is not None:
                changes.append(Change(field=entry.field, value=entry.value))
            for change in changes:
                _change(channel, entry, change, brands, delivery)
            for messaging in entry.messaging:
                _message(channel, messaging, brands, delivery)
            delivery.posts[before:] = [p.addressed_to(entry.id) for p in delivery.posts[before:]]
        return delivery
    except ValidationError as error:
        raise InvalidPost([describe_error(e) for e in error.errors()]) from None
    except (OverflowError, OSError):  # a timestamp beyond what a date can hold
        raise InvalidPost(["body: a date or timestamp out of range"]) from None
    except (ValueError, TypeError) as error:  # a date or number the platform never sends
        raise InvalidPost([f"body: {error}"]) from None


def _change(
    channel: str, entry: Entry, change: Change, brands: frozenset[str], delivery: Delivery
) -> None:
    if change.field == "feed" and channel == "facebook":
        value = FeedValue.model_validate(change.value)
        if value.item != "comment" or value.verb != "add" or not value.comment_id:
            delivery.ignored.append(f"feed {value.item} {value.verb}")
            return
        if value.sender is None or not value.message:
            delivery.ignored.append(f"feed comment {value.comment_id} without author or text")
            return
        top_level = value.parent_id in (None, value.post_id)
        delivery.posts.append(
            Post(
                id=value.comment_id,
                channel=channel,
                text=value.message,
                created_at=_epoch(value.created_time or entry.time),
                url=f"https://www.facebook.com/{value.post_id or value.comment_id}"
                f"?comment_id={value.comment_id}",
                conversation_id=value.comment_id if top_level else value.parent_id,
                in_reply_to=None if top_level else value.parent_id,
                author=Author(id=value.sender.id, handle=value.sender.name or value.sender.id),
                from_brand=value.sender.id in brands,
            )
        )
    elif change.field == "comments" and channel == "instagram":
        comment = InstagramComment.model_validate(change.value)
        if comment.sender is None:
            delivery.ignored.append(f"instagram comment {comment.id} without author")
            return
        handle = comment.sender.username or comment.sender.id
        delivery.posts.append(
            Post(
                id=comment.id,
                channel=channel,
                text=comment.text or "(no text)",
                created_at=comment.timestamp or _epoch(entry.time),
                conversation_id=comment.parent_id or comment.id,
                in_reply_to=comment.parent_id,
                author=Author(id=comment.sender.id, handle=f"@{handle}"),
                from_brand=comment.sender.id in brands,
            )
        )
    else:
        delivery.ignored.append(f"{channel} change {change.field}")


def _message(
    channel: str, messaging: Messaging, brands: frozenset[str], delivery: Delivery
) -> None:
    message = messaging.message
    if message is None:
        delivery.ignored.append(f"{channel} messaging event without a message")
        return
    from_brand = message.is_echo or messaging.sender.id in brands
    customer = messaging.recipient.id if from_brand else messaging.sender.id
    text = message.text or ("(attachment)" if message.attachments else "(no text)")
    delivery.posts.append(
        Post(
            id=f"mid-{message.mid}",
            channel=channel,
            text=text,
            created_at=_epoch(messaging.timestamp / 1000),
            conversation_id=f"dm:{customer}",
            private=True,
            author=Author(id=messaging.sender.id, handle=messaging.sender.id),
            from_brand=from_brand,
        )
    )


def _epoch(seconds: float | None) -> datetime:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else datetime.now(UTC)
