"""How long what a post brings is kept: the policy's `retention` for cases and their
trails (DEFAULT_RETENTION unless it says), less for what nobody needs long."""

from __future__ import annotations

from datetime import timedelta

# A post's dedupe record: a redelivery within it is a duplicate; a post older than it
# is a late post (a replay, a retry a month late) and opens nothing.
DEDUPE_RETENTION = timedelta(days=30)
LINK_RETENTION = timedelta(hours=73)  # a used link's record outlives the link (72 h)
DEFAULT_RETENTION = timedelta(days=400)  # the policy's `retention`, unless it says
DISMISSED_RETENTION = timedelta(days=30)  # praise and spam: nobody needs them long
