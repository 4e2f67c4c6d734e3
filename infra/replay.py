"""Replay recorded conversations through a running stack, and say how the SLA fared.

Two formats: the Customer Support on Twitter CSV (`tweet_id,author_id,inbound,
created_at,text,response_tweet_id,in_response_to_tweet_id`) and generic webhook JSON,
one post per line. Posts are grouped into conversations (by reply chain, or by
`conversation_id`); every conversation is shifted to start now and they play side by
side, each post sent at its original offset divided by the stack's time scale.
"""

from __future__ import annotations

import csv
import json
import secrets
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chalicelib.channels.signatures import sign_generic
from chalicelib.domain.posts import InvalidPost, parse_post

TWCS_COLUMNS = [
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
]
TWCS_TIME = "%a %b %d %H:%M:%S %z %Y"


class ReplayError(ValueError):
    """A file that cannot be replayed; the message names the file, the line and the key."""


@dataclass
class Conversation:
    """Posts (generic webhook bodies) in time order; the first customer post opens the case."""

    posts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def started(self) -> datetime:
        return min(_when(post) for post in self.posts)

    @property
    def opener(self) -> dict[str, Any] | None:
        return next((p for p in self.posts if not p.get("from_brand")), None)


def _when(post: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(post["created_at"])


def read_conversations(path: Path) -> list[Conversation]:
    """Conversations from a CSV (the Twitter corpus) or a JSON-lines file of posts."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReplayError(f"{path}: cannot read the file ({error.strerror})") from None
    first = text.lstrip().split("\n", 1)[0]
    posts = _twcs_posts(path, text) if first.startswith("tweet_id,") else _json_posts(path, text)
    return _group(posts)


def _twcs_posts(path: Path, text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in TWCS_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ReplayError(f"{path}: line 1: missing columns {', '.join(missing)}")
    posts = []
    for line, row in enumerate(reader, start=2):
        try:
            created = datetime.strptime(row["created_at"], TWCS_TIME)
        except (TypeError, ValueError):
            raise ReplayError(
                f"{path}: line {line}: created_at: expected a time like "
                f"'Wed Oct 11 06:55:44 +0000 2017', got {row['created_at']!r}"
            ) from None
        if row["inbound"] not in ("True", "False"):
            raise ReplayError(
                f"{path}: line {line}: inbound: expected True or False, got {row['inbound']!r}"
            )
        author = row["author_id"]
        posts.append(
            {
                "id": row["tweet_id"],
                "channel": "x",
                "text": row["text"] or "(no text)",
                "created_at": created.isoformat(),
                "in_reply_to": row["in_response_to_tweet_id"] or None,
                "author": {"id": author, "handle": f"@{author}"},
                "from_brand": row["inbound"] == "False",
            }
        )
    return posts


def _json_posts(path: Path, text: str) -> list[dict[str, Any]]:
    posts = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            post = parse_post(raw)
        except InvalidPost as invalid:
            raise ReplayError(f"{path}: line {line}: {'; '.join(invalid.problems)}") from None
        posts.append(post.model_dump(mode="json", exclude_none=True))
    return posts


def _group(posts: list[dict[str, Any]]) -> list[Conversation]:
    """By `conversation_id` if the post has one, else by reply chain to its first post
    in the file."""
    by_id = {(p["channel"], p["id"]): p for p in posts}

    def root(post: dict[str, Any]) -> tuple[str, str]:
        if post.get("conversation_id"):
            return post["channel"], f"conversation:{post['conversation_id']}"
        seen = set()
        while (parent := by_id.get((post["channel"], post.get("in_reply_to")))) and id(
            parent
        ) not in seen:
            seen.add(id(post))
            post = parent
        return post["channel"], post["id"]

    conversations: dict[tuple[str, str], Conversation] = {}
    for post in sorted(posts, key=_when):
        key = root(post)
        conversation = conversations.setdefault(key, Conversation())
        if not post.get("conversation_id"):
            post = {**post, "conversation_id": key[1]}
        conversation.posts.append(post)
    return [c for c in conversations.values() if c.opener is not None]


def tagged(conversations: list[Conversation], tag: str) -> list[Conversation]:
    """The same conversations with every id suffixed, so that one file can be replayed
    into the same stack again (the stack would take the posts for redeliveries)."""

    def retag(post: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "in_reply_to", "conversation_id")
        return {**post, **{k: f"{post[k]}.{tag}" for k in keys if post.get(k)}}

    return [Conversation([retag(p) for p in c.posts]) for c in conversations]


def play(
    conversations: list[Conversation],
    time_scale: float,
    deliver: Callable[[dict[str, Any]], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    workers: int = 16,
) -> None:
    """Play the conversations side by side, each shifted to start now: every post at its
    offset divided by the time scale, stamped with the moment it is sent. Sends overlap,
    so a slow answer never delays the next post; the first failure is raised at the end."""
    sends = sorted(
        (
            ((_when(post) - conversation.started).total_seconds() / time_scale, index, post)
            for conversation in conversations
            for index, post in enumerate(conversation.posts)
        ),
        key=lambda send: send[:2],
    )
    started = clock()
    with ThreadPoolExecutor(workers) as pool:
        pending = []
        for offset, _, post in sends:
            if (wait := started + offset - clock()) > 0:
                sleep(wait)
            stamped = {**post, "created_at": datetime.now(UTC).isoformat()}
            pending.append(pool.submit(deliver, stamped))
        for sent in pending:
            sent.result()


def duration(conversations: list[Conversation], time_scale: float) -> float:
    """Real seconds the replay takes: its longest conversation, compressed."""
    spans = [(_when(c.posts[-1]) - c.started).total_seconds() for c in conversations]
    return max(spans, default=0) / time_scale


@dataclass(frozen=True)
class CaseOutcome:
    case_id: str
    status: str
    policy: str
    first_response_seconds: float | None  # policy time
    tiers_reached: int
    first_deadline_seconds: float | None  # policy time; None: no workflow

    @property
    def verdict(self) -> str:
        if self.first_deadline_seconds is None:
            return "no workflow"
        if self.first_response_seconds is not None:
            on_time = self.first_response_seconds <= self.first_deadline_seconds
            return "within SLA" if on_time else "breached"
        return "breached" if self.tiers_reached else "pending"

    def line(self) -> str:
        response = (
            f"first response {_minutes(self.first_response_seconds)}"
            if self.first_response_seconds is not None
            else "no response"
        )
        return (
            f"{self.case_id:<32} {self.policy:<16} {response:<28} "
            f"tiers reached {self.tiers_reached}  {self.verdict}"
        )


def _minutes(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


def outcome(case: dict[str, Any], time_scale: float) -> CaseOutcome:
    opened = datetime.fromisoformat(case["opened_at"])

    def policy_seconds(key: str) -> float | None:
        moment = case.get(key)
        if not moment:
            return None
        # Never negative: a later post of the conversation may have opened the case.
        return max(0.0, (datetime.fromisoformat(moment) - opened).total_seconds() * time_scale)

    return CaseOutcome(
        case_id=case["id"],
        status=case["status"],
        policy=case["policy"],
        first_response_seconds=policy_seconds("first_response_at"),
        tiers_reached=case["tier"],
        first_deadline_seconds=policy_seconds("first_deadline"),
    )


def summary(outcomes: list[CaseOutcome], time_scale: float) -> dict[str, Any]:
    responded = [o.first_response_seconds for o in outcomes if o.first_response_seconds is not None]
    by_tier: dict[str, int] = {}
    for o in outcomes:
        for tier in range(1, o.tiers_reached + 1):
            by_tier[str(tier)] = by_tier.get(str(tier), 0) + 1
    return {
        "cases": len(outcomes),
        "responded": len(responded),
        "response_rate": round(len(responded) / len(outcomes), 4) if outcomes else 0.0,
        "median_first_response_seconds": round(statistics.median(responded)) if responded else None,
        "within_sla": sum(o.verdict == "within SLA" for o in outcomes),
        "breached": sum(o.verdict == "breached" for o in outcomes),
        "pending": sum(o.verdict == "pending" for o in outcomes),
        "no_workflow": sum(o.verdict == "no workflow" for o in outcomes),
        "escalations_by_tier": by_tier,
        "time_scale": time_scale,
        "timer_precision_seconds": time_scale,
    }


class Replayer:
    """Talks to a running stack: its status, the generic webhook, the agent API."""

    def __init__(self, url: str, token: str, secret: str, session: Any = None):
        import requests

        self._url = url
        self._token = token
        self._secret = secret
        self._http = session or requests.Session()

    def run(self, path: Path, as_json: bool, settle: float, echo: Callable[[str], None]) -> dict:
        time_scale = float(self._get("/status")["time_scale"])
        conversations = tagged(read_conversations(path), secrets.token_hex(3))
        posts = sum(len(c.posts) for c in conversations)
        echo(
            f"replaying {len(conversations)} conversations ({posts} posts) from {path} at "
            f"{time_scale:g}x: about {duration(conversations, time_scale):.0f} s"
        )
        play(conversations, time_scale, self._deliver)
        self._wait_until_recorded(conversations, settle)
        outcomes = [outcome(self._case(c.opener), time_scale) for c in conversations]
        for result in outcomes:
            echo(result.line())
        totals = summary(outcomes, time_scale)
        median = totals["median_first_response_seconds"]
        echo(
            f"{totals['cases']} cases, {totals['responded']} responded "
            f"({totals['response_rate']:.0%}), median first response "
            f"{_minutes(median) if median is not None else '-'}, {totals['within_sla']} within "
            f"SLA, {totals['breached']} breached, {totals['pending']} pending, escalations by "
            f"tier {totals['escalations_by_tier'] or '{}'}"
        )
        echo(
            f"note: the timers wait whole seconds, so at {time_scale:g}x they are exact to "
            f"{time_scale:g} s of SLA time (posts are sent to within a few ms)"
        )
        if as_json:
            echo(json.dumps(totals))
        return totals

    def _deliver(self, post: dict[str, Any]) -> None:
        body = json.dumps(post).encode()
        response = self._request(
            "POST",
            "/webhooks/generic",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Escalator-Signature": sign_generic(self._secret, body),
            },
        )
        if response.status_code != 202:
            raise ReplayError(
                f"the stack refused post {post['id']}: {response.status_code} {response.text}"
            )

    def _holding(self, post: dict[str, Any]) -> dict[str, Any] | None:
        """The case the stack recorded the post in, if it has yet."""
        found = self._get("/cases", params={"post": f"{post['channel']}:{post['id']}"})
        return found["cases"][0] if found["cases"] else None

    def _wait_until_recorded(self, conversations: list[Conversation], timeout: float) -> None:
        """Until the stack has recorded every post from each conversation's opener on
        (brand posts before it belong to no case), or `timeout` seconds."""
        waiting = [
            post
            for conversation in conversations
            for post in conversation.posts[conversation.posts.index(conversation.opener) :]
        ]
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            if self._holding(waiting[-1]):
                waiting.pop()
            else:
                time.sleep(0.1)

    def _case(self, opener: dict[str, Any], timeout: float = 10) -> dict[str, Any]:
        """The case holding a conversation's first customer post (usually the case it
        opened; a later post of the conversation may have got there first)."""
        deadline = time.monotonic() + timeout
        while True:
            if case := self._holding(opener):
                return case
            if time.monotonic() > deadline:
                raise ReplayError(f"post {opener['id']} never became part of a case")
            time.sleep(0.2)

    def _get(self, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._request("GET", path, headers=self._auth, **kwargs)
        if response.status_code != 200:
            raise ReplayError(f"{self._url}{path}: {response.status_code} {response.text}")
        return response.json()

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import requests

        try:
            return self._http.request(method, f"{self._url}{path}", timeout=10, **kwargs)
        except requests.RequestException as error:
            raise ReplayError(f"cannot reach the stack at {self._url}: {error}") from None
