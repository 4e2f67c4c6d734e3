"""What every agent API route does before and after its own work, written once: the
bearer token checked first, and the domain's errors and a client's bad request turned
into their JSON answers (Chalice's middleware never sees a route's exceptions, so this
is a decorator). Light at import: app.py applies it when every function starts."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ParamSpec

if TYPE_CHECKING:
    from chalice.app import Response

Params = ParamSpec("Params")


def agent_api(
    headers: Callable[[], Mapping[str, str]], api_token: Callable[[], str | None]
) -> Callable[[Callable[Params, Response]], Callable[Params, Response]]:
    """A decorator for the agent API's routes: 401 (or 503, no token configured) unless
    the request's `headers` carry `api_token()`; then the route, whose BadRequest is its
    4xx (with its problems), CaseNotFound and IncidentNotFound a 404, UnknownTeam a 400
    and CaseConflict a 409, each with `{"error": ...}`."""

    def guard(route: Callable[Params, Response]) -> Callable[Params, Response]:
        @functools.wraps(route)
        def guarded(*args: Params.args, **kwargs: Params.kwargs) -> Response:
            from chalicelib.domain import errors
            from chalicelib.entrypoints.http import BadRequest, bearer_token_error, error

            if denied := bearer_token_error(headers(), api_token()):
                return denied
            try:
                return route(*args, **kwargs)
            except BadRequest as bad:
                return error(bad.status, str(bad), bad.problems)
            except (errors.CaseNotFound, errors.IncidentNotFound, errors.UnknownTeam) as unknown:
                return error(400 if isinstance(unknown, errors.UnknownTeam) else 404, str(unknown))
            except errors.CaseConflict as conflict:
                return error(409, str(conflict))

        return guarded

    return guard
