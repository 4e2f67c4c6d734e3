"""The X mentions poller, for accounts without webhook access: a scheduled function asks
X for the brand's new mentions (tweepy) and queues them like webhook deliveries.

Each brand account has a checkpoint in the table: the newest mention seen (`since_id`)
and, after a rate limit, the moment X allows the next call. A poll never sleeps: while
rate limited it skips, and a later poll picks up where the checkpoint says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.channels.x import V2Post, V2User, v2_post
from chalicelib.inbox import Inbox
from chalicelib.store import Checkpoints
from chalicelib.telemetry import SERVICE

logger = Logger(service=SERVICE, child=True)
PAGE_SIZE = 100
TWEET_FIELDS = [
    "author_id",
    "created_at",
    "conversation_id",
    "referenced_tweets",
    "public_metrics",
    "lang",
]


@dataclass(frozen=True)
class PollResult:
    brand_id: str
    queued: int = 0
    skipped_until: datetime | None = None
    error: str | None = None


class MentionsPoller:
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

    def poll_all(self) -> list[PollResult]:
        return [self.poll(brand_id) for brand_id in sorted(self._brand_ids)]

    def poll(self, brand_id: str) -> PollResult:
        """Queue every mention newer than the checkpoint, all pages, then move it on."""
        import tweepy  # only the poller pays for tweepy and requests

        key = f"x-mentions#{brand_id}"
        checkpoint = self._checkpoints.get(key)
        now = self._clock()
        if (until := checkpoint.get("rate_limited_until")) and now.timestamp() < until:
            return PollResult(brand_id, skipped_until=datetime.fromtimestamp(until, UTC))
        posts, newest = [], None
        try:
            for page in tweepy.Paginator(
                self._client.get_users_mentions,
                brand_id,
                since_id=checkpoint.get("since_id"),
                max_results=PAGE_SIZE,
                expansions=["author_id"],
                user_fields=["public_metrics"],
                tweet_fields=TWEET_FIELDS,
            ):
                newest = newest or (page.meta or {}).get("newest_id")
                users = {
                    str(u.id): V2User.model_validate(u.data)
                    for u in (page.includes or {}).get("users", [])
                }
                posts += [
                    v2_post(V2Post.model_validate(t.data), users, self._brand_ids).addressed_to(
                        brand_id
                    )
                    for t in page.data or []
                ]
        except tweepy.TooManyRequests as limited:
            reset = limited.reset_time or int(now.timestamp()) + 15 * 60
            self._inbox.put([p.received(now) for p in posts])  # re-read next time: deduped
            self._checkpoints.put(key, {**checkpoint, "rate_limited_until": reset})
            logger.warning(
                "X rate limit: skipping polls until reset",
                extra={"brand_id": brand_id, "reset": reset},
            )
            return PollResult(
                brand_id, queued=len(posts), skipped_until=datetime.fromtimestamp(reset, UTC)
            )
        except tweepy.TweepyException as failure:
            logger.warning(
                "X mentions poll failed", extra={"brand_id": brand_id, "error": str(failure)}
            )
            return PollResult(brand_id, error=str(failure))
        self._inbox.put([p.received(now) for p in posts])  # queued before the checkpoint moves
        if newest:
            self._checkpoints.put(key, {"since_id": newest})
        elif "rate_limited_until" in checkpoint:
            self._checkpoints.put(
                key, {k: v for k, v in checkpoint.items() if k != "rate_limited_until"}
            )
        return PollResult(brand_id, queued=len(posts))
