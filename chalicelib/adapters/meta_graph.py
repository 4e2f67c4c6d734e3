"""Meta's Graph API, for what a webhook names without carrying it (the text of an
Instagram @mention, of a post that mentions the Page): GET one object's fields with the
Page access token (`ESCALATOR_META_PAGE_TOKEN`), at `ESCALATOR_META_GRAPH_URL`.

The token travels in the Authorization header, never in the URL, so no error message,
log line or trace can carry it. Errors say whether a retry may help (`GraphError.retry`):
Meta's outages, rate limits, timeouts and an expired token (once renewed) are worth the
inbox's retries; an object that is gone or out of the token's reach is not.
"""

from __future__ import annotations

from typing import Any

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v24.0"
TIMEOUT = (3.05, 5.0)  # seconds to connect, to read: one hung call, not a batch's 30 s
# Meta's codes for its rate limits (app, user, page, custom, and the application limit)
# and for unknown or temporary errors, which Meta says to retry unless `is_transient` says
# otherwise. https://developers.facebook.com/docs/graph-api/guides/error-handling
RATE_LIMITS = frozenset({4, 17, 32, 341, 613})
TEMPORARY = frozenset({1, 2})
EXPIRED_TOKEN = 190


class GraphError(RuntimeError):
    """The Graph API did not give the object: `retry` says whether trying again later
    may (an outage, a rate limit, an expired token to renew) or may not (it is gone)."""

    def __init__(self, message: str, retry: bool):
        super().__init__(message)
        self.retry = retry


class GraphApi:
    def __init__(
        self, session: Any, base_url: str, token: str, timeout: tuple[float, float] = TIMEOUT
    ):
        self._session = session  # a requests.Session
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout

    def get(self, object_id: str, fields: str) -> dict[str, Any]:
        """One object's fields (`id`, or a node and edge path such as an Instagram
        account's `mentioned_comment.comment_id(…){…}`); raises GraphError."""
        import requests

        try:
            response = self._session.get(
                f"{self._base_url}/{object_id}",
                params={"fields": fields},
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self._timeout,
            )
        except requests.Timeout:
            raise GraphError("the Graph API did not answer in time", retry=True) from None
        except requests.RequestException as failure:
            raise GraphError(
                f"the Graph API could not be reached: {type(failure).__name__}", retry=True
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.ok and isinstance(body, dict):
            return body
        raise _error(response.status_code, body)


def _error(status: int, body: Any) -> GraphError:
    """Meta's error body (`{"error": {"message", "code", "error_subcode", "is_transient"}}`)
    as a GraphError that says what happened and whether to retry."""
    problem = body.get("error") if isinstance(body, dict) else None
    if not isinstance(problem, dict):
        return GraphError(f"the Graph API answered {status}", retry=status >= 500 or status == 429)
    code, subcode = problem.get("code"), problem.get("error_subcode")
    said = str(problem.get("message", ""))[:200]
    where = f"the Graph API answered {status}, code {code}" + (
        f" (subcode {subcode})" if subcode else ""
    )
    if code == EXPIRED_TOKEN:
        return GraphError(f"{where}: renew ESCALATOR_META_PAGE_TOKEN ({said})", retry=True)
    if code in RATE_LIMITS:
        return GraphError(f"{where}: rate limited ({said})", retry=True)
    transient = problem.get("is_transient")
    if transient is None:
        transient = code in TEMPORARY or status >= 500
    return GraphError(f"{where}: {said}", retry=transient is True)
