"""Meta's webhook payloads as Meta documents them, read with pydantic: a Page's feed
(comments, visitors' posts, mentions), Messenger and Instagram messaging events, and
Instagram comments and mentions. What they become is chalicelib.channels.meta's.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from chalicelib.channels import Moment, PlatformModel, PlatformText
from chalicelib.domain.posts import Author

CHANNELS = {"page": "facebook", "instagram": "instagram"}


POST_ITEMS = {"post", "status", "photo", "video", "share"}  # a visitor's post on the Page


MESSAGING_LISTS = ("messaging", "standby")  # standby: while another app holds the thread


EVENT_KINDS = (  # what a messaging event that is not a message is, by the key it carries
    "delivery",
    "read",
    "reaction",
    "postback",
    "optin",
    "referral",
    "account_linking",
    "pass_thread_control",
    "take_thread_control",
    "request_thread_control",
    "app_roles",
    "policy_enforcement",
)


class Sender(PlatformModel):
    """Who sent or received: a Page-scoped or Instagram-scoped id, or, for a guest of the
    chat plugin, a `user_ref`."""

    id: str | None = None
    user_ref: str | None = None
    name: str | None = None
    username: str | None = None

    @property
    def key(self) -> str | None:
        return self.id or self.user_ref


class FeedValue(PlatformModel):
    """A Page `feed` or `mention` change's value (and a `group_feed` messaging item)."""

    item: str | None = None
    verb: str | None = None
    sender: Sender | None = Field(default=None, alias="from")
    sender_id: str | None = None  # the legacy author fields, without `from`
    sender_name: str | None = None
    message: PlatformText | None = None
    post_id: str | None = None
    comment_id: str | None = None
    parent_id: str | None = None
    created_time: Moment = None
    post: dict[str, Any] | None = None  # the post commented on, on some deliveries

    @property
    def author(self) -> Author | None:
        if self.sender is not None and self.sender.key:
            return Author(id=self.sender.key, handle=self.sender.name or self.sender.key)
        if self.sender_id:
            return Author(id=self.sender_id, handle=self.sender_name or self.sender_id)
        return None


class InstagramComment(PlatformModel):
    id: str = Field(validation_alias=AliasChoices("id", "comment_id"))
    text: PlatformText = ""
    sender: Sender | None = Field(default=None, alias="from")
    parent_id: str | None = None
    timestamp: Moment = None


class InstagramMention(PlatformModel):
    media_id: str
    comment_id: str | None = None


class Attachment(PlatformModel):
    type: str | None = None


class Message(PlatformModel):
    mid: str
    text: PlatformText | None = None
    is_echo: bool = False
    is_deleted: bool = False
    sticker_id: str | None = None
    attachments: list[Attachment] = []
    reply_to: dict[str, Any] | None = None


class Postback(PlatformModel):
    mid: str | None = None
    title: PlatformText | None = None


class MessageEdit(PlatformModel):
    mid: str
    text: PlatformText | None = None


class Messaging(PlatformModel):
    sender: Sender
    recipient: Sender
    timestamp: Moment = None
    message: Message | None = None
    message_edit: MessageEdit | None = None
    postback: Postback | None = None


class Change(PlatformModel):
    field: str
    value: dict[str, Any]


class Entry(PlatformModel):
    id: str
    time: Moment = None
