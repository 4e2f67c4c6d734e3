"""tweepy clients for X's API, at `ESCALATOR_X_API_URL` when set (a proxy, a sandbox, a
stand-in for tests): tweepy addresses X's API by a fixed host, so its session sends
those requests to the configured base instead. Every X client is made here."""

from __future__ import annotations

import os
from typing import Any

import requests

TWEEPY_HOST = "https://api.twitter.com"  # where tweepy 4.17 sends every API v2 request


class RebasedSession(requests.Session):
    """A requests session that sends what is addressed to `origin` to `base` instead."""

    def __init__(self, origin: str, base: str):
        super().__init__()
        self._origin = origin
        self._base = base.rstrip("/")

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, bytes):
            url = url.decode()
        if url.startswith(self._origin):
            url = self._base + url[len(self._origin) :]
        return super().request(method, url, *args, **kwargs)


def x_client(**credentials: str) -> Any:
    """A tweepy.Client with these credentials that never sleeps on a rate limit (a
    Lambda must not), at ESCALATOR_X_API_URL if set."""
    import tweepy

    client = tweepy.Client(**credentials, wait_on_rate_limit=False)
    if base := os.environ.get("ESCALATOR_X_API_URL"):
        client.session = RebasedSession(TWEEPY_HOST, base)
    return client
