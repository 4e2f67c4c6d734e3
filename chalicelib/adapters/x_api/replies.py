"""Replies on X from the brand's account (tweepy, user-context auth): the optional
acknowledgement a policy can send when a case opens."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import ReplyFailed


class XReplier:
    def __init__(self, client: Any):
        self._client = client  # a tweepy.Client with the brand account's user tokens

    def reply(self, in_reply_to: str, text: str) -> str:
        """Post `text` in reply to post `in_reply_to`; returns the new post's id."""
        import tweepy

        try:
            response = self._client.create_tweet(text=text, in_reply_to_tweet_id=in_reply_to)
        except tweepy.TweepyException as failure:
            raise ReplyFailed(str(failure)) from failure
        return str(response.data["id"])
