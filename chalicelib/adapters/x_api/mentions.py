"""The X mentions poller, for accounts without webhook access: a scheduled function asks
X for each brand account's new mentions (tweepy, every page, author reach included) and
queues them like webhook deliveries, from a checkpoint per account (`x-mentions#<id>`,
see chalicelib.adapters.x_api.reads: never sleeping on a rate limit).
"""

from __future__ import annotations

from chalicelib.adapters.x_api.reads import PAGE_SIZE, Haul, ReadResult, XReader
from chalicelib.channels.x import v2_post
from chalicelib.channels.x_models import TWEET_FIELDS


class MentionsPoller(XReader):
    def poll_all(self) -> list[ReadResult]:
        return [self.poll(brand_id) for brand_id in sorted(self._brand_ids)]

    def poll(self, brand_id: str) -> ReadResult:
        """Queue every mention of the account newer than its checkpoint."""
        import tweepy

        def walk(haul: Haul, since_id: str | None) -> None:
            for page in tweepy.Paginator(
                self._client.get_users_mentions,
                brand_id,
                since_id=since_id,
                max_results=PAGE_SIZE,
                expansions=["author_id"],
                user_fields=["public_metrics"],
                tweet_fields=TWEET_FIELDS,
            ):
                haul.take(
                    page,
                    lambda tweet, users: v2_post(tweet, users, self._brand_ids).addressed_to(
                        brand_id
                    ),
                )

        return self._read(f"x-mentions#{brand_id}", walk, self._clock())
