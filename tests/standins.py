"""Stand-ins for the platforms' APIs: a real HTTP server on loopback that answers what a
test tells it to, so the official clients (tweepy, requests for the Graph API) run their
own code over real HTTP, pointed here by the base-URL settings."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class Answer:
    status: int
    body: Any
    delay: float = 0.0  # seconds before answering: longer than a client's timeout is one


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class StandIn:
    """Answers GET requests by the longest registered path prefix (and, among those, one
    whose `when` the query string holds); each has a queue of answers, the last of which
    repeats. Every request is recorded."""

    host: str = "127.0.0.1"
    answers: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}"

    def answer(self, prefix: str, *answers: Answer, when: str = "") -> None:
        """Answer requests whose path starts with `prefix` (and whose query string holds
        `when`) with these, in turn."""
        with self._lock:
            self.answers[(prefix, when)] = list(answers)

    def seen(self, prefix: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def _next(self, path: str, query: str) -> Answer:
        with self._lock:
            matches = [
                (prefix, when)
                for prefix, when in self.answers
                if path.startswith(prefix) and when in query
            ]
            if not matches:
                return Answer(404, {"error": {"message": f"no stand-in for {path}", "code": 803}})
            queue = self.answers[max(matches, key=lambda key: (len(key[0]), len(key[1])))]
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def start(self) -> StandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with stand_in._lock:
                    stand_in.requests.append(Request(url.path, query, dict(self.headers)))
                answer = stand_in._next(url.path, unquote(url.query))
                time.sleep(answer.delay)
                body = json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read `requests`."""

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
