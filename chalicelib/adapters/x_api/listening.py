"""Brand listening on X: a scheduled function searches recent posts (tweepy) for the
policy's `[listening]` terms and hashtags, posts that talk about the brand without
writing to it, and queues them like webhook deliveries, each with what found it
(`Post.found_by`), so the service can tell them from posts addressed to us.

Left out, in the query and again here: the brand's own posts and reposts; and posts that
mention or reply to a brand account: those are mentions, which the webhook or the
mentions poller brings.

One checkpoint in the table (`x-listening`, see chalicelib.adapters.x_api.reads: never
sleeping on a rate limit). With no checkpoint (the first run), or one X refuses as older
than recent search reaches (seven days), the search starts LOOK_BACK ago rather than
pulling a week of posts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from chalicelib.adapters.dynamodb.checkpoints import Checkpoints
from chalicelib.adapters.sqs import Inbox
from chalicelib.adapters.x_api.reads import PAGE_SIZE, Haul, ReadResult, XReader
from chalicelib.channels.x import v2_post
from chalicelib.channels.x_models import TWEET_FIELDS, V2Post, V2User
from chalicelib.domain.posts import Post
from chalicelib.domain.topics import phrase
from chalicelib.telemetry import SERVICE

if TYPE_CHECKING:
    from chalicelib.domain.policy_sections import Listening

logger = Logger(service=SERVICE, child=True)
CHECKPOINT = "x-listening"
LOOK_BACK = timedelta(hours=1)
QUERY_LIMIT = 512  # characters, X's limit for recent search below the Pro access level
FOUND_BY_LIMIT = 256  # Post.found_by's length


class QueryTooLong(ValueError):
    """The policy's `[listening]` terms make a search query longer than X takes."""


def listening_query(listening: Listening, brand_ids: Iterable[str]) -> str:
    """`("Northwind Air" OR northwindair OR #nwfail) -is:retweet -from:ID -to:ID`: any
    term (phrases and anything but a plain word quoted) or hashtag, leaving out reposts
    and the brand's own posts and replies to it."""
    words = [_keyword(term) for term in listening.terms] + list(listening.hashtags)
    brands = sorted(brand_ids)
    query = " ".join(
        [f"({' OR '.join(words)})", "-is:retweet"]
        + [f"-from:{brand}" for brand in brands]
        + [f"-to:{brand}" for brand in brands]
    )
    if len(query) > QUERY_LIMIT:
        raise QueryTooLong(
            f"[listening]: the X search query for these terms and hashtags is {len(query)} "
            f"characters, X takes at most {QUERY_LIMIT}: listen for fewer or shorter ones"
        )
    return query


def _keyword(term: str) -> str:
    return term if re.fullmatch(r"\w+", term) and term != "OR" else f'"{term}"'


class BrandListener(XReader):
    def __init__(
        self,
        client: Any,
        checkpoints: Checkpoints,
        inbox: Inbox,
        brand_ids: frozenset[str],
        listening: Listening,
        clock: Callable[[], datetime],
    ):
        super().__init__(client, checkpoints, inbox, brand_ids, clock)
        self.query = listening_query(listening, brand_ids)
        self._found_by = [
            (term, re.compile(rf"(?<!\w){phrase(term)}(?!\w)", re.IGNORECASE))
            for term in [*listening.terms, *listening.hashtags]
        ]
        group = self.query.partition(" -is:retweet")[0]
        self._unmatched = (
            group if len(group) <= FOUND_BY_LIMIT else group[: FOUND_BY_LIMIT - 1] + "…"
        )

    def listen(self) -> ReadResult:
        """Queue every post found since the checkpoint."""
        now = self._clock()

        def walk(haul: Haul, since_id: str | None) -> None:
            import tweepy

            try:
                self._search(haul, since_id, start_time=None if since_id else now - LOOK_BACK)
            except tweepy.BadRequest as refused:
                if not (since_id and "since_id" in str(refused.api_errors)):
                    raise
                logger.warning(
                    "X refused the listening checkpoint (older than recent search reaches): "
                    "searching from the look-back instead",
                    extra={"since_id": since_id, "look_back": str(LOOK_BACK)},
                )
                self._search(haul, None, start_time=now - LOOK_BACK)

        return self._read(CHECKPOINT, walk, now)

    def _search(self, haul: Haul, since_id: str | None, start_time: datetime | None) -> None:
        """Walk every page of the search, newest first, into `haul`."""
        import tweepy

        for page in tweepy.Paginator(
            self._client.search_recent_tweets,
            self.query,
            since_id=since_id,
            start_time=start_time,
            max_results=PAGE_SIZE,
            expansions=["author_id"],
            user_fields=["public_metrics"],
            tweet_fields=TWEET_FIELDS,
        ):
            haul.take(page, self._found)

    def _found(self, tweet: V2Post, users: dict[str, V2User]) -> Post | None:
        """The post as listening found it, or None: the brand's own post, a repost, or
        written to the brand (a mention: not ours to bring)."""
        brands = self._brand_ids
        if tweet.author_id in brands or tweet.is_repost or tweet.written_to(brands):
            return None
        found_by = next((t for t, p in self._found_by if p.search(tweet.text)), self._unmatched)
        return v2_post(tweet, users, self._brand_ids, found_by=found_by)
