"""Meta webhooks: Facebook Page feed and mentions, Messenger, Instagram comments, mentions
and messages; and the Graph API fetch of what a mention names without carrying.

Each entry, change and messaging event of a delivery is read on its own
(`Delivery.read`): one that cannot be read is kept whole, the others go on. What each
kind of event becomes is the README's table ("Facebook Page, Messenger and Instagram").
In short:
- a customer's comment, visitor post, mention or message is a post (a case, or a
  follow-up in its thread); the Page's or Instagram account's own, or a Messenger echo,
  answers the thread's case;
- an edit, an unsend (`is_deleted`) or a removal is a note on the trail of the case
  holding the post;
- an Instagram @mention (the webhook has only ids) and a Page mention or visitor post
  without its text are references, fetched from the Graph API by the consumer;
- receipts, reactions, postbacks, referrals, opt-ins, handovers and insights are ignored.

Meta's payloads vary by age and product, and the sources disagree: ids come as numbers
or strings; a comment's author as `from` or as legacy `sender_id`/`sender_name`; an
Instagram comment's id as `id` or `comment_id`, inside `changes` or flat in the entry;
times as epoch seconds, milliseconds or ISO strings, or not at all (a delivery receipt).
A time that cannot be read is taken as the moment of receipt, never a reason to refuse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.channels import Delivery
from chalicelib.channels.meta_models import (
    CHANNELS,
    EVENT_KINDS,
    MESSAGING_LISTS,
    POST_ITEMS,
    Change,
    Entry,
    FeedValue,
    InstagramComment,
    InstagramMention,
    Message,
    Messaging,
    Postback,
)
from chalicelib.domain.posts import UNKNOWN_AUTHOR, Author, Post, PostNote, PostReference

if TYPE_CHECKING:
    pass

ADDED, EDITED, REMOVED = {"add"}, {"edit", "edited"}, {"remove", "delete"}


def parse(payload: Any, page_ids: frozenset[str]) -> Delivery:
    """Normalise one Meta webhook delivery: never raises, whatever it holds."""
    delivery = Delivery()
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        delivery.read("delivery", payload, _not_a_delivery)
        return delivery
    kind = payload.get("object")
    if not isinstance(kind, str) or kind not in CHANNELS:
        delivery.ignore(f"object {kind}")
        return delivery
    channel = CHANNELS[kind]
    for raw in payload["entry"]:
        delivery.read(
            f"{channel} entry", raw, lambda raw: _read_entry(delivery, channel, raw, page_ids)
        )
    return delivery


def _not_a_delivery(payload: Any) -> None:
    raise ValueError("expected a JSON object with an `entry` list and an `object`")


def _read_entry(delivery: Delivery, channel: str, raw: Any, page_ids: frozenset[str]) -> None:
    """Find the entry's events and read each on its own: its changes (also the flat
    `field`/`value` form of Instagram comments) and its messaging events."""
    entry = Entry.model_validate(raw)
    changes = _events(raw, "changes")
    if "field" in raw and "value" in raw:
        changes.append({"field": raw["field"], "value": raw["value"]})
    messaging = [event for name in MESSAGING_LISTS for event in _events(raw, name)]
    events = EntryEvents(delivery, channel, entry, page_ids | {entry.id})
    for change in changes:
        delivery.read(f"{channel} change", change, events.change)
    for event in messaging:
        delivery.read(f"{channel} messaging", event, events.messaging)


def _events(entry: dict[str, Any], name: str) -> list[Any]:
    """The entry's list of events by that name (none if it has none)."""
    found = entry.get(name)
    if found is None:
        return []
    if not isinstance(found, list):
        raise ValueError(f"{name}: expected a list of events")
    return list(found)


class EntryEvents:
    """What each event of one entry becomes, added to the delivery. `brands`: the
    entry's account (the Page or Instagram account it is for) and the configured ones."""

    def __init__(self, delivery: Delivery, channel: str, entry: Entry, brands: frozenset[str]):
        self.delivery = delivery
        self.channel = channel
        self.entry = entry
        self.brands = brands

    def _post(self, **fields: Any) -> None:
        self.delivery.posts.append(Post(channel=self.channel, brand=self.entry.id, **fields))

    def _note(self, post_id: str, change: str, at: datetime | None, **fields: Any) -> None:
        self.delivery.notes.append(
            PostNote(
                channel=self.channel,
                post_id=post_id,
                change=change,
                at=at or self.entry.time or datetime.now(UTC),
                **fields,
            )
        )

    # -- changes ------------------------------------------------------------------------

    def change(self, raw: Any) -> None:
        change = Change.model_validate(raw)
        if change.field.startswith("messag"):  # `messages`, `messaging_postbacks`...: an event
            self.messaging(change.value)
        elif self.channel == "facebook" and change.field in ("feed", "mention"):
            self.feed(FeedValue.model_validate(change.value), mention=change.field == "mention")
        elif self.channel == "instagram" and change.field in ("comments", "live_comments"):
            self.instagram_comment(InstagramComment.model_validate(change.value))
        elif self.channel == "instagram" and change.field == "mentions":
            mention = InstagramMention.model_validate(change.value)
            self.delivery.references.append(
                PostReference(
                    channel=self.channel,
                    kind="instagram mention",
                    brand=self.entry.id,
                    post_id=mention.media_id,
                    comment_id=mention.comment_id,
                    created_at=self.entry.time,
                )
            )
        else:
            self.delivery.ignore(f"{self.channel} {change.field}")

    def feed(self, value: FeedValue, mention: bool = False) -> None:
        """A Page feed change (or a mention of the Page, or a group comment): comments
        and visitors' posts added, edited or removed; the rest ignored by item and verb."""
        item, verb = value.item or "", value.verb or ""
        is_comment = item == "comment" and value.comment_id is not None
        is_post = item in POST_ITEMS and value.post_id is not None
        if not (is_comment or is_post) or verb not in ADDED | EDITED | REMOVED:
            self.delivery.ignore(f"{'mention' if mention else 'feed'} {item} {verb}".strip())
            return
        post_id = value.comment_id if is_comment else value.post_id
        assert post_id is not None  # is_comment or is_post says so
        if verb in EDITED:
            self._note(post_id, "edited", value.created_time, text=value.message, by=_id_of(value))
            return
        if verb in REMOVED:
            self._note(post_id, "deleted", value.created_time, by=_id_of(value))
            return
        author = value.author
        if is_post and author is not None and author.id in self.brands:
            self.delivery.ignore(f"feed {item} by the page")  # its own news, no reply
            return
        if value.message is None and not is_comment:
            self.delivery.references.append(
                PostReference(
                    channel=self.channel,
                    kind="page mention" if mention else "page post",
                    brand=self.entry.id,
                    post_id=value.post_id,
                    author=author,
                    created_at=value.created_time or self.entry.time,
                )
            )
            return
        url = (value.post or {}).get(
            "permalink_url"
        ) or f"https://www.facebook.com/{value.post_id or post_id}"
        if is_comment:
            url += f"?comment_id={value.comment_id}"
        top_level = value.parent_id in (None, value.post_id)
        self._post(
            id=post_id,
            text=value.message or "(no text)",
            created_at=value.created_time or self.entry.time or datetime.now(UTC),
            url=url,
            conversation_id=post_id if top_level else value.parent_id,
            in_reply_to=(value.parent_id or value.post_id) if is_comment else None,
            author=author or Author(id=None, handle=UNKNOWN_AUTHOR),
            from_brand=author is not None and author.id in self.brands,
        )

    def instagram_comment(self, comment: InstagramComment) -> None:
        sender = comment.sender
        handle = (sender.username or sender.key) if sender else None
        self._post(
            id=comment.id,
            text=comment.text or "(no text)",
            created_at=comment.timestamp or self.entry.time or datetime.now(UTC),
            conversation_id=comment.parent_id or comment.id,
            in_reply_to=comment.parent_id,
            author=Author(id=sender.key, handle=f"@{handle}")
            if sender and handle
            else Author(id=None, handle=UNKNOWN_AUTHOR),
            from_brand=sender is not None and sender.key in self.brands,
        )

    # -- messaging ----------------------------------------------------------------------

    def messaging(self, raw: Any) -> None:
        if isinstance(raw, dict) and raw.get("field") == "group_feed":  # a group's comment
            self.feed(FeedValue.model_validate(raw))
            return
        event = Messaging.model_validate(raw)
        if event.message is not None and event.message.sticker_id is not None:
            self.delivery.ignore(f"{self.channel} messaging sticker")  # a like, a wave
        elif event.message is not None:
            self.message(event, event.message)
        elif event.postback is not None and (event.postback.title or "").strip():
            self.postback(event, event.postback)
        elif event.message_edit is not None:
            edit = event.message_edit
            self._note(
                f"mid-{edit.mid}", "edited", event.timestamp, text=edit.text, by=event.sender.key
            )
        else:
            kind = next((k for k in EVENT_KINDS if raw.get(k) is not None), "event")
            self.delivery.ignore(f"{self.channel} messaging {kind}")

    def message(self, event: Messaging, message: Message) -> None:
        """A message in a private conversation: the customer's, or the account's own (an
        echo) answering it; an unsent one is a note."""
        sender = event.sender.key
        if message.is_deleted:
            self._note(f"mid-{message.mid}", "unsent", event.timestamp, by=sender)
            return
        if sender is None or event.recipient.key is None:
            raise ValueError("a message needs a sender and a recipient (`id` or `user_ref`)")
        from_brand = message.is_echo or sender in self.brands
        customer = event.recipient.key if from_brand else sender
        reply_to = (message.reply_to or {}).get("mid")
        guest = event.sender.user_ref is not None
        self._post(
            id=f"mid-{message.mid}",
            text=message.text or _attachments(message),
            created_at=event.timestamp or self.entry.time or datetime.now(UTC),
            conversation_id=f"dm:{customer}",
            in_reply_to=f"mid-{reply_to}" if isinstance(reply_to, str) and reply_to else None,
            private=True,
            author=Author(id=sender, handle=f"chat plugin guest {sender}" if guest else sender),
            from_brand=from_brand,
        )

    def postback(self, event: Messaging, postback: Postback) -> None:
        """A button the customer tapped (an Instagram ice-breaker, a menu item): its
        title is what they said, a message in the conversation. A postback without one
        (a "Get started" with no title) is ignored."""
        sender = event.sender.key
        if sender is None:
            raise ValueError("a postback needs a sender (`id` or `user_ref`)")
        at = event.timestamp or self.entry.time or datetime.now(UTC)
        post_id = (
            f"mid-{postback.mid}" if postback.mid else f"postback-{sender}-{at.timestamp():.0f}"
        )
        self._post(
            id=post_id,
            text=postback.title,
            created_at=at,
            conversation_id=f"dm:{sender}",
            private=True,
            author=Author(id=sender, handle=sender),
        )


def _id_of(value: FeedValue) -> str | None:
    author = value.author
    return author.id if author else None


def _attachments(message: Message) -> str:
    kinds = [a.type for a in message.attachments if a.type]
    return f"({', '.join(kinds)})" if kinds else "(no text)"
