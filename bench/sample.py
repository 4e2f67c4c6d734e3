"""The recorded posts the benches send: the Customer Support on Twitter sample, read from
the shared data folder (never copied into the repo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infra.replay import Conversation

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "twcs_sample.csv"


def customer_posts(conversations: list[Conversation]) -> list[dict[str, Any]]:
    """The customers' posts (generic webhook bodies), leaving out the brands' replies."""
    return [post for c in conversations for post in c.posts if not post.get("from_brand")]
