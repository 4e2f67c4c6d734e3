"""Channel adapters: each verifies its platform's webhook and turns the payload into
normalised posts (chalicelib.posts.Post), marking the brand's own posts as such."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib.posts import Post


class PlatformModel(BaseModel):
    """A part of a platform's payload: fields we do not read are ignored (platforms add
    them freely), and numeric ids are read as strings."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


@dataclass
class Delivery:
    """What one webhook delivery carried: posts to queue, and what was skipped and why."""

    posts: list[Post] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def id_set(value: str | None) -> frozenset[str]:
    """`"123, 456"` → {"123", "456"}: account ids configured as one comma-separated value."""
    return frozenset(part.strip() for part in (value or "").split(",") if part.strip())


def as_json(result: Any) -> dict[str, Any]:
    """A poller's result (a dataclass) as its scheduled function returns it: Lambda
    cannot marshal a datetime."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(result).items()
    }
