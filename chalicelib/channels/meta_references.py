"""The posts a Meta webhook names without carrying them (an Instagram @mention, a post
that mentions the Page): read from the Graph API (chalicelib.adapters.meta_graph) by the
inbox consumer, then posts like any other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from chalicelib.adapters.meta_graph import GraphApi
from chalicelib.channels import Moment, PlatformModel, PlatformText
from chalicelib.channels.meta_models import Sender
from chalicelib.domain.posts import UNKNOWN_AUTHOR, Author, Post, PostReference


class GraphComment(PlatformModel):
    id: str
    text: PlatformText = ""
    timestamp: Moment = None
    username: str | None = None
    media: dict[str, Any] | None = None


class GraphMedia(PlatformModel):
    id: str
    caption: PlatformText = ""
    timestamp: Moment = None
    username: str | None = None
    permalink: str | None = None


class GraphPost(PlatformModel):
    id: str
    message: PlatformText = ""
    sender: Sender | None = Field(default=None, alias="from")
    created_time: Moment = None
    permalink_url: str | None = None


COMMENT_FIELDS = "id,text,timestamp,username,media{id,permalink}"


MEDIA_FIELDS = "id,caption,timestamp,username,permalink"


POST_FIELDS = "id,message,from,created_time,permalink_url"


def fetch_referenced(reference: PostReference, graph: GraphApi) -> Post:
    """The post a reference names, fetched from the Graph API; raises GraphError (whose
    `retry` says whether to try again), or pydantic's ValidationError for an answer that
    is not the object asked for."""
    if reference.kind == "instagram mention":
        return _instagram_mention(reference, graph)
    found = GraphPost.model_validate(graph.get(reference.post_id, POST_FIELDS))
    author = (
        Author(id=found.sender.key, handle=found.sender.name or found.sender.key)
        if found.sender and found.sender.key
        else reference.author or Author(id=None, handle=UNKNOWN_AUTHOR)
    )
    return Post(
        id=reference.id,
        channel=reference.channel,
        text=found.message or "(no text)",
        created_at=found.created_time or reference.created_at or _received(reference),
        url=_web(found.permalink_url) or f"https://www.facebook.com/{reference.post_id}",
        conversation_id=reference.id,
        author=author,
        brand=reference.brand,
        received_at=reference.received_at,
    )


def _instagram_mention(reference: PostReference, graph: GraphApi) -> Post:
    """An @mention of the Instagram account, in a comment or in a caption: Instagram's
    webhook gives only ids, the account's `mentioned_comment` / `mentioned_media` the
    rest."""
    if reference.comment_id:
        edge = f"mentioned_comment.comment_id({reference.comment_id}){{{COMMENT_FIELDS}}}"
        comment = GraphComment.model_validate(
            _field(graph.get(reference.brand, edge), "mentioned_comment")
        )
        text, at, username = comment.text, comment.timestamp, comment.username
        url = (comment.media or {}).get("permalink")
    else:
        edge = f"mentioned_media.media_id({reference.post_id}){{{MEDIA_FIELDS}}}"
        media = GraphMedia.model_validate(
            _field(graph.get(reference.brand, edge), "mentioned_media")
        )
        text, at, username, url = media.caption, media.timestamp, media.username, media.permalink
    return Post(
        id=reference.id,
        channel=reference.channel,
        text=text or "(no text)",
        created_at=at or reference.created_at or _received(reference),
        url=_web(url),
        conversation_id=reference.id,
        author=Author(id=None, handle=f"@{username}" if username else UNKNOWN_AUTHOR),
        brand=reference.brand,
        received_at=reference.received_at,
    )


def _field(answer: dict[str, Any], name: str) -> Any:
    from chalicelib.adapters.meta_graph import GraphError

    if name not in answer:
        raise GraphError(f"the Graph API's answer has no {name}", retry=False)
    return answer[name]


def _received(reference: PostReference) -> datetime:
    return reference.received_at or datetime.now(UTC)


def _web(url: Any) -> str | None:
    return url if isinstance(url, str) and url.startswith("https://") and len(url) <= 2048 else None
