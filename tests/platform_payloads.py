"""The platforms' own payloads (tests/fixtures/<platform>/, sources in each SOURCES.md)
and what the README's tables say each becomes (tests/fixtures/effects.toml names the row).
"""

from __future__ import annotations

import copy
import json
import re
import time
import tomllib
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
TABLES = {"x": "What each X event becomes", "meta": "What each Meta event becomes"}
# The effects a row can name, longest first (a row's effect is the bold text it opens with).
EFFECTS = (
    "case if a complaint or a question",
    "fetched, then a case",
    "kept as unreadable",
    "brand reply",
    "ignored",
    "note",
    "case",
)
API_ANSWERS = ("graph_", "api_")  # the stand-ins' answers, not deliveries


def deliveries(platform: str) -> list[str]:
    """The file names of the platform's webhook deliveries."""
    return sorted(
        path.name
        for path in (FIXTURES / platform).glob("*.json")
        if not path.name.startswith(API_ANSWERS)
    )


def load(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text(encoding="utf-8"))


def readme_rows(platform: str) -> dict[str, str]:
    """The README table's rows for the platform: first cell → the effect it names."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index(TABLES[platform]) :]
    rows: dict[str, str] = {}
    for line in table.splitlines()[1:]:
        if rows and not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) < 2 or cells[0] in ("", "---") or not cells[1].startswith("**"):
            continue
        named = cells[1][2 : cells[1].index("**", 2)]
        effect = next(e for e in EFFECTS if named.startswith(e))
        rows[cells[0]] = effect
    return rows


def manifest(platform: str) -> dict[str, str]:
    """Fixture name → its README row's first cell, or the start of it."""
    return tomllib.loads((FIXTURES / "effects.toml").read_text(encoding="utf-8"))[platform]


def expected_effect(platform: str, name: str) -> str:
    label, table = manifest(platform)[name], readme_rows(platform)
    if label in table:  # the whole first cell
        return table[label]
    rows = [effect for cell, effect in table.items() if cell.startswith(label)]
    assert len(rows) == 1, f"{name}: {label!r} names {len(rows)} rows of the README's table"
    return rows[0]


# -- delivered now ----------------------------------------------------------------------------

TIME_KEYS = {
    "created_at",
    "created_at_msec",
    "created_timestamp",
    "timestamp_ms",
    "time",
    "timestamp",
    "created_time",
}
_RFC_2822 = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d [+-]\d{4} \d{4}$")
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def redated(payload: Any, now: datetime | None = None) -> Any:
    """The payload as if delivered now: each time it carries (under the platforms' time
    keys) set to `now`, in the same form (epoch seconds or milliseconds, as a number or
    digits; X's `Sat Nov 28 05:30:03 +0000 2020`; ISO 8601). Anything else is left."""
    now = now or datetime.now(UTC)

    def moment(value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value > 0:
            return int(now.timestamp() * 1000) if value > 10**11 else int(now.timestamp())
        if isinstance(value, str) and value.isdigit():
            return str(moment(int(value)))
        if isinstance(value, str) and _RFC_2822.match(value):
            return now.strftime("%a %b %d %H:%M:%S +0000 %Y")
        if isinstance(value, str) and _ISO.match(value):
            return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return value

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: moment(child) if key in TIME_KEYS else walk(child)
                for key, child in value.items()
            }
        if isinstance(value, list):
            return [walk(child) for child in value]
        return value

    return walk(payload)


# -- deliveries built from the real ones ------------------------------------------------------
# Tests that need many deliveries of one kind (their own ids, texts and authors) build them
# here, each from one real payload above, replacing only what the test varies.


def fresh_id() -> str:
    return str(uuid.uuid4().int % 10**18)


def _copy(platform: str, name: str) -> Any:
    return copy.deepcopy(load(platform, name))


def v1_tweet(
    author: dict[str, Any], text: str, reply_to: str | None = None, long: bool = False
) -> dict[str, Any]:
    """One `tweet_create_events` item, built from Zammad's recording of a mention
    (`aaa_tweet_create_mention.json`; a long one from `..._extended_tweet.json`), with
    a new id, now as its time, this text, this author (`id_str`, `screen_name`,
    `followers_count`) and the post it replies to."""
    source = (
        "aaa_tweet_create_mention_extended_tweet.json" if long else "aaa_tweet_create_mention.json"
    )
    tweet = _copy("x", source)["tweet_create_events"][0]
    tweet_id, now = fresh_id(), datetime.now(UTC)
    tweet.update(
        id=int(tweet_id),
        id_str=tweet_id,
        created_at=now.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        timestamp_ms=str(int(now.timestamp() * 1000)),
        text=text[:140],
        truncated=long,
        in_reply_to_status_id=int(reply_to) if reply_to else None,
        in_reply_to_status_id_str=reply_to,
    )
    if long:
        tweet["extended_tweet"]["full_text"] = text
    tweet["user"].update(author, id=int(author["id_str"]))
    return tweet


def account_activity(*tweets: dict[str, Any], for_user_id: str) -> dict[str, Any]:
    """An Account Activity delivery of these tweets for the subscribed account, in the
    envelope of Zammad's recording (`aaa_tweet_create_mention.json`)."""
    delivery = _copy("x", "aaa_tweet_create_mention.json")
    delivery.update(for_user_id=for_user_id, tweet_create_events=list(tweets))
    return delivery


def v1_direct_message(
    sender: dict[str, Any], recipient: dict[str, Any], text: str, for_user_id: str
) -> tuple[dict[str, Any], str]:
    """An Account Activity DM delivery, built from Zammad's recording of one
    (`aaa_dm_received.json`): a new id, now, this text, between these two users (each
    `id_str`, `screen_name`, `followers_count`; the users map keyed by id, with `id` and
    no `id_str`, as X sends it). Returns the delivery and the DM's event id."""
    delivery = _copy("x", "aaa_dm_received.json")
    event = delivery["direct_message_events"][0]
    recorded_users = list(delivery["users"].values())
    message_id = fresh_id()
    event.update(id=message_id, created_timestamp=str(int(time.time() * 1000)))
    event["message_create"].update(
        sender_id=sender["id_str"], target={"recipient_id": recipient["id_str"]}
    )
    event["message_create"]["message_data"]["text"] = text
    users = {}
    for user, recorded in zip((sender, recipient), recorded_users, strict=True):
        fields = {k: v for k, v in user.items() if k != "id_str"}
        users[user["id_str"]] = {**recorded, **fields, "id": user["id_str"]}
    delivery.update(for_user_id=for_user_id, users=users)
    return delivery, message_id


def v2_post(text: str, author_id: str, **fields: Any) -> dict[str, Any]:
    """An X Activity API post payload, built from X's documented `post.mention.create`
    (`xaa_post_mention_create.json`): a new id (its own conversation), now, this text and
    author, and any other v2 fields."""
    post = _copy("x", "xaa_post_mention_create.json")["data"]["payload"]
    post_id = fresh_id()
    post.update(
        {
            "id": post_id,
            "conversation_id": post_id,
            "edit_history_tweet_ids": [post_id],
            "created_at": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "text": text,
            "author_id": author_id,
            "display_text_range": [0, len(text)],
            **fields,
        }
    )
    return post


def activity(event_type: str, payload: dict[str, Any], users: list, for_user_id: str) -> dict:
    """An X Activity API delivery in the envelope of X's documented `post.mention.create`
    (`xaa_post_mention_create.json`): a new event id, this event type, payload and users."""
    delivery = _copy("x", "xaa_post_mention_create.json")
    data = delivery["data"]
    data.update(
        event_uuid=fresh_id(),
        event_type=event_type,
        filter={"user_id": for_user_id},
        payload=payload,
        includes={"users": users},
    )
    return delivery


def stream_delivery(post: dict[str, Any], rule: dict[str, Any], author: dict) -> dict[str, Any]:
    """A filtered-stream delivery, built from X's documented webhook body
    (`fs_webhook_post_expansions_author_id.json`): this post (v2 fields), its author's
    user object and the rule it matched."""
    delivery = _copy("x", "fs_webhook_post_expansions_author_id.json")
    delivery["data"] = {
        **delivery["data"],
        "created_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "author_id": author["id"],
        **post,
    }
    delivery["includes"]["users"] = [author]
    delivery["matching_rules"] = [rule]
    return delivery


def page_comment(
    page_id: str,
    comment_id: str,
    text: str,
    sender: dict[str, str],
    parent_id: str | None = None,
    post_id: str | None = None,
) -> dict[str, Any]:
    """A Page `feed` comment, built from Bottender's recorded visitor comment
    (`page_feed_comment_add_visitor.json`): on this Page, with this id, text, author
    (`id`, `name`), and post and parent (a top-level comment's parent is its post)."""
    delivery = _copy("meta", "page_feed_comment_add_visitor.json")
    entry = delivery["entry"][0]
    now = int(time.time())
    post_id = post_id or f"{page_id}_555"
    entry.update(id=page_id, time=now)
    entry["changes"][0]["value"].update(
        {
            "from": sender,
            "comment_id": comment_id,
            "post_id": post_id,
            "parent_id": parent_id or post_id,
            "created_time": now,
            "message": text,
        }
    )
    return delivery


def messenger(mid: str, sender: str, recipient: str, text: str, echo: bool = False) -> dict:
    """A Messenger message, built from fbmq's recorded text message
    (`messenger_message_text_recorded.json`; an echo from its recorded echo,
    `messenger_echo_text_recorded.json`): this mid, sender, recipient and text, now."""
    source = "messenger_echo_text_recorded.json" if echo else "messenger_message_text_recorded.json"
    delivery = _copy("meta", source)
    entry = delivery["entry"][0]
    now = int(time.time() * 1000)
    page = recipient if not echo else sender
    entry.update(id=page, time=now)
    event = entry["messaging"][0]
    event.update(sender={"id": sender}, recipient={"id": recipient}, timestamp=now)
    event["message"].update(mid=mid, text=text)
    return delivery


def instagram_comment(
    account_id: str,
    comment_id: str,
    text: str,
    sender: dict[str, str],
    flat: bool,
    parent_id: str | None = None,
) -> dict[str, Any]:
    """An Instagram comment on this account's media, built from the App Dashboard's
    sample reply (`instagram_comments_reply_dashboard_sample.json`, in `changes`) or
    Meta's documented flat form (`instagram_comments_flat_docs.json`): this id, text,
    author (`id`, `username`) and parent comment, if any."""
    source = (
        "instagram_comments_flat_docs.json"
        if flat
        else "instagram_comments_reply_dashboard_sample.json"
    )
    delivery = _copy("meta", source)
    entry = delivery["entry"][0]
    entry.update(id=account_id, time=int(time.time()))
    value = entry["value"] if flat else entry["changes"][0]["value"]
    value.update({"id": comment_id, "from": sender, "text": text})
    value["media"]["id"] = "17918195224117851"
    value.pop("parent_id", None)
    if parent_id:
        value["parent_id"] = parent_id
    return delivery
