"""`escalator demo`: the bundled sample feed, replayed through a running local stack.

Each line of infra/demo_feed.jsonl is `{"at": <policy time after the start>, "reply_after":
<policy time until a simulated agent responds, or null>, "post": <generic webhook body>}`.
Posts are signed and sent to POST /webhooks/generic as a real source would send them;
the simulated agent uses the agent API. Times are policy times, compressed by the
stack's time scale.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from chalicelib.channels.signatures import sign_generic
from chalicelib.domain.cases import case_id_for
from chalicelib.domain.policy_values import parse_duration

FEED_PATH = Path(__file__).with_name("demo_feed.jsonl")
AGENT = "demo-agent"


@dataclass(frozen=True)
class FeedItem:
    at_seconds: int
    reply_after_seconds: int | None
    post: dict[str, Any]

    @property
    def case_id(self) -> str:
        return case_id_for(self.post["channel"], self.post["id"])


def load_feed(path: Path = FEED_PATH) -> list[FeedItem]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            items.append(
                FeedItem(
                    at_seconds=parse_duration(entry["at"]) if entry["at"] != "0m" else 0,
                    reply_after_seconds=entry["reply_after"]
                    and parse_duration(entry["reply_after"]),
                    post=entry["post"],
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: line {number}: {error}") from None
    return items


class FeedPlayer:
    """Sends a feed's posts and the simulated agent's responses on schedule."""

    def __init__(self, base_url: str, generic_secret: str, api_token: str, time_scale: float):
        self._base_url = base_url.rstrip("/")
        self._secret = generic_secret
        self._time_scale = time_scale
        self._http = requests.Session()
        self._auth = {"Authorization": f"Bearer {api_token}"}
        self.failures: list[str] = []

    def play(self, feed: list[FeedItem]) -> None:
        """Runs the whole feed to its last scheduled action, then returns."""
        start = time.monotonic()
        actions: list[tuple[float, Any, FeedItem]] = []
        for item in feed:
            actions.append((item.at_seconds, self.send_post, item))
            if item.reply_after_seconds is not None:
                actions.append((item.at_seconds, self.respond, item))
        threads = []
        for at, action, item in sorted(actions, key=lambda entry: entry[0]):
            delay = start + at / self._time_scale - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            thread = threading.Thread(target=action, args=(item,), daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(timeout=30)

    def send_post(self, item: FeedItem) -> None:
        post = {**item.post, "created_at": datetime.now(UTC).isoformat()}
        body = json.dumps(post).encode()
        response = self._http.post(
            f"{self._base_url}/webhooks/generic",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Escalator-Signature": sign_generic(self._secret, body),
            },
            timeout=10,
        )
        if response.status_code != 202:
            self.failures.append(f"post {item.post['id']}: {response.status_code} {response.text}")

    def respond(self, item: FeedItem) -> None:
        """Answer `reply_after` (policy time) after the case opened, as an agent would."""
        case = self._wait_for_case(item.case_id)
        if case is None:
            self.failures.append(f"respond {item.case_id}: the case never opened")
            return
        opened = datetime.fromisoformat(case["opened_at"])
        due = opened.timestamp() + item.reply_after_seconds / self._time_scale
        time.sleep(max(0.0, due - time.time()))
        response = self._http.post(
            f"{self._base_url}/cases/{item.case_id}/respond",
            json={"by": AGENT},
            headers=self._auth,
            timeout=10,
        )
        if response.status_code not in (200, 409):
            self.failures.append(f"respond {item.case_id}: {response.status_code} {response.text}")

    def _wait_for_case(self, case_id: str, timeout: float = 30) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self._http.get(
                f"{self._base_url}/cases/{case_id}", headers=self._auth, timeout=10
            )
            if response.status_code == 200:
                return response.json()
            time.sleep(0.05)
        return None
