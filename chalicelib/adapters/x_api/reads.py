"""What the X mentions poller and the brand listener share: reading X's API from a
checkpoint, without ever sleeping.

Each read has a checkpoint in the table under its own key: the newest post seen
(`since_id`) and, after a rate limit, the moment X allows the next call. A read walks
every page, queues what it found before the checkpoint moves on (a crash in between
re-reads posts, which the store dedupes, rather than losing them), and while rate limited
is skipped: a later run picks up where the checkpoint says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.adapters.dynamodb.checkpoints import Checkpoints
from chalicelib.adapters.sqs import Inbox
from chalicelib.channels.x_models import V2Post, V2User
from chalicelib.domain.posts import Post
from chalicelib.telemetry import SERVICE

logger = Logger(service=SERVICE, child=True)
PAGE_SIZE = 100
DEFAULT_RESET_SECONDS = 15 * 60  # X's rate-limit window, when a 429 names no reset


@dataclass
class Haul:
    """What one read found so far: posts to queue, posts left out, the newest id seen."""

    posts: list[Post] = field(default_factory=list)
    left_out: int = 0
    newest: str | None = None

    def take(self, page: Any, post_of: Callable[[V2Post, dict[str, V2User]], Post | None]) -> None:
        """Add a tweepy page's posts: `post_of` makes each one a post, or None to leave
        it out. X gives the newest id on the first page."""
        self.newest = self.newest or (page.meta or {}).get("newest_id")
        users = {
            str(u.id): V2User.model_validate(u.data) for u in (page.includes or {}).get("users", [])
        }
        for tweet in page.data or []:
            if post := post_of(V2Post.model_validate(tweet.data), users):
                self.posts.append(post)
            else:
                self.left_out += 1


@dataclass(frozen=True)
class ReadResult:
    read: str  # the checkpoint's key: which read this was
    queued: int = 0
    left_out: int = 0
    skipped_until: datetime | None = None
    error: str | None = None


class XReader:
    """A scheduled reader of X (the mentions poller, the brand listener): its tweepy
    client, the brand's account ids, where it keeps its place and where it queues."""

    def __init__(
        self,
        client: Any,
        checkpoints: Checkpoints,
        inbox: Inbox,
        brand_ids: frozenset[str],
        clock: Callable[[], datetime],
    ):
        self._client = client  # a tweepy.Client
        self._checkpoints = checkpoints
        self._inbox = inbox
        self._brand_ids = brand_ids
        self._clock = clock

    def _read(
        self, key: str, walk: Callable[[Haul, str | None], None], now: datetime
    ) -> ReadResult:
        """Run `walk` (which fills the haul from X, from the since id if there is one)
        unless the read is rate limited; queue the haul, then move the checkpoint on."""
        import tweepy  # only the readers pay for tweepy and requests

        checkpoint = self._checkpoints.get(key)
        if (until := checkpoint.get("rate_limited_until")) and now.timestamp() < until:
            return ReadResult(key, skipped_until=datetime.fromtimestamp(until, UTC))
        haul = Haul()
        try:
            walk(haul, checkpoint.get("since_id"))
        except tweepy.TooManyRequests as limited:
            reset = limited.reset_time or int(now.timestamp()) + DEFAULT_RESET_SECONDS
            self._inbox.put([p.received(now) for p in haul.posts])  # re-read next time: deduped
            self._checkpoints.put(key, {**checkpoint, "rate_limited_until": reset})
            logger.warning(
                "X rate limit: skipping until reset", extra={"read": key, "reset": reset}
            )
            until = datetime.fromtimestamp(reset, UTC)
            return ReadResult(key, len(haul.posts), haul.left_out, skipped_until=until)
        except tweepy.TweepyException as failure:
            logger.warning("X read failed", extra={"read": key, "error": str(failure)})
            return ReadResult(key, error=str(failure))
        self._inbox.put([p.received(now) for p in haul.posts])  # queued before the checkpoint
        if haul.newest:
            self._checkpoints.put(key, {"since_id": haul.newest})
        elif "rate_limited_until" in checkpoint:
            self._checkpoints.put(
                key, {k: v for k, v in checkpoint.items() if k != "rate_limited_until"}
            )
        return ReadResult(key, len(haul.posts), haul.left_out)
