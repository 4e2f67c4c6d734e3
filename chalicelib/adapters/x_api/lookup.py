"""Completing an X post that arrived without its author (a filtered-stream post
delivered with X's default fields): X's API gives the whole post, its author and their
reach (tweepy `get_tweet` with `expansions=author_id`), before triage uses the reach.

A lookup that fails (a rate limit, an outage, a post deleted since) leaves the post as
it came, author unknown: it is still a post to answer, and never waits on X.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from chalicelib.channels.x import found_post, v2_post
from chalicelib.channels.x_models import TWEET_FIELDS, V2Post, V2User
from chalicelib.domain.posts import Post
from chalicelib.telemetry import SERVICE

logger = Logger(service=SERVICE, child=True)


class XPostLookup:
    def __init__(self, client: Any, brand_ids: frozenset[str]):
        self._client = client  # a tweepy.Client with the app's bearer token
        self._brand_ids = brand_ids

    def complete(self, post: Post) -> Post:
        """The post as X's API has it now (author, reach, thread), found and addressed
        as it was, and received when it was; the post unchanged if X cannot say."""
        import tweepy

        try:
            response = self._client.get_tweet(
                post.id,
                expansions=["author_id"],
                user_fields=["public_metrics"],
                tweet_fields=TWEET_FIELDS,
            )
        except (tweepy.TweepyException, ValueError, KeyError, TypeError) as failure:
            # X's errors, and an answer tweepy cannot model (a user without `name`)
            logger.warning(
                "X post lookup failed: its author stays unknown",
                extra={"post_id": post.id, "error": type(failure).__name__},
            )
            return post
        if response.data is None:  # deleted or protected since: X answers with errors
            logger.info("X post lookup found nothing", extra={"post_id": post.id})
            return post
        try:
            tweet = V2Post.model_validate(response.data.data)
            users = {
                str(user.id): V2User.model_validate(user.data)
                for user in (response.includes or {}).get("users", [])
            }
        except ValidationError:
            logger.warning("X post lookup gave no post it could read", extra={"post_id": post.id})
            return post
        if tweet.id != post.id:  # not the post asked for: trust the delivery
            logger.warning("X post lookup answered another post", extra={"post_id": post.id})
            return post
        if post.found_by is not None:
            whole = found_post(tweet, users, self._brand_ids, post.found_by)
        else:
            whole = v2_post(tweet, users, self._brand_ids).model_copy(update={"brand": post.brand})
        return whole.received(post.received_at) if post.received_at else whole
