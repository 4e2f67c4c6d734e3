"""HTTP glue for the routes: JSON errors, the bearer token, and the JSON shape of cases.

Every client mistake becomes a 4xx with `{"error": ..., "problems"?: [...]}`; nothing a
client sends reaches a 500.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from chalice.app import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from chalicelib.domain.posts import clean_line, describe_error
from chalicelib.domain.times import iso

if TYPE_CHECKING:  # annotations only (cold start: the webhooks use this module too)
    from chalicelib.domain.cases import Case, Event
    from chalicelib.domain.incidents import Incident
    from chalicelib.use_cases.escalator import Escalator
    from chalicelib.use_cases.queries import Queries

MAX_BODY_BYTES = 256 * 1024


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body=body,
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error(
    status: int,
    message: str,
    problems: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A client's mistake, answered `{"error": message, "problems"?: [...]}`."""
    body: dict[str, Any] = {"error": message}
    if problems:
        body["problems"] = problems
    return json_response(status, body, headers)


class BadRequest(ValueError):
    """The client's request cannot be done as sent: its 4xx answer (400 unless `status`
    says), with the problems found, if any (chalicelib.entrypoints.guards answers it)."""

    def __init__(self, message: str, problems: list[str] | None = None, status: int = 400):
        super().__init__(message)
        self.problems = problems
        self.status = status


def bearer_token_error(headers: Mapping[str, str], expected: str | None) -> Response | None:
    """None if the request carries the API token, else the 401 (or 503) to return."""
    if not expected:
        return error(503, "the agent API token is not configured (ESCALATOR_API_TOKEN)")
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(errors="replace"), expected.encode()
    ):
        return error(
            401,
            "missing or wrong API token: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return None


def case_json(case: Case, events: list[Event] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": case.id,
        "status": str(case.status),
        "channel": case.post.channel,
        "intent": case.intent,
        "priority": case.priority,
        "reasons": list(case.reasons),
        "sentiment": case.sentiment,
        "complaint_score": case.complaint_score,
        "incident_id": case.incident_id,
        "policy": case.policy_name,
        "topic": case.topic,
        "team": case.team,
        "addressed_to_us": case.post.addressed_to_us,
        "tier": case.tier,
        "tiers": len(case.tiers),
        "opened_at": iso(case.opened_at),
        "next_deadline": case.next_deadline and iso(case.next_deadline),
        "first_deadline": iso(case.deadline(case.tiers[0])) if case.tiers else None,
        "first_response_at": case.first_response_at and iso(case.first_response_at),
        "first_response_by": case.first_response_by,
        "first_response_text": case.first_response_text,
        "resolved_at": case.resolved_at and iso(case.resolved_at),
        "resolved_by": case.resolved_by,
        "acknowledged_by": case.acknowledged_by,
        "held_until": case.held_until and iso(case.held_until),
        "owner": case.owner,
        "paused_at": case.paused_at and iso(case.paused_at),
        "post": case.post.model_dump(mode="json"),
    }
    if events is not None:
        body["events"] = [
            {"at": iso(e.at), "kind": e.kind, "by": e.by, "detail": e.detail} for e in events
        ]
    return body


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "status": str(incident.status),
        "term": incident.term,
        "opened_at": iso(incident.opened_at),
        "members": list(incident.members),
        "resolved_at": incident.resolved_at and iso(incident.resolved_at),
        "resolved_by": incident.resolved_by,
        "told": list(incident.told),
        "told_at": incident.told_at and iso(incident.told_at),
    }


class AgentAction(BaseModel):
    """The optional body of POST /cases/{id}/respond|resolve and /incidents/{id}/resolve."""

    model_config = ConfigDict(extra="forbid")

    by: Annotated[str, Field(min_length=1, max_length=128), BeforeValidator(clean_line)] = (
        "agent"  # on the trail and in emails: one clean line
    )


class IncidentResolution(AgentAction):
    """The body of POST /incidents/{id}/resolve: `all` resolves every member, not only
    those its emails named."""

    all: bool = False


class MoveAction(AgentAction):
    """The body of POST /cases/{id}/move: the team to hand the case to."""

    team: str = Field(min_length=1, max_length=64)


Action = TypeVar("Action", bound=AgentAction)


def parse_action(body: bytes | None, model: type[Action]) -> Action:
    """The action's body as `model`. Raises BadRequest (413 when it is too large)."""
    if not body or not body.strip():
        body = b"{}"
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"body is larger than {MAX_BODY_BYTES} bytes", status=413)
    try:
        return model.model_validate_json(body)
    except ValidationError as invalid:
        problems = [describe_error(e) for e in invalid.errors()]
        raise BadRequest("the body is not a valid action", problems) from None


Status = TypeVar("Status", bound=StrEnum)


def wanted_status(kind: type[Status], given: str) -> Status:
    """A status a client asked for by name. Raises BadRequest naming the ones there are."""
    if given not in set(kind):
        raise BadRequest(f"status must be one of {', '.join(kind)}; got {given!r}")
    return kind(given)


def wanted_cases(queries: Queries, params: Mapping[str, str]) -> list[Case]:
    """The cases GET /cases asks for: the one holding `post` (`<channel>:<post id>`),
    or up to `limit` (1 to 1000, 100 unless said) in `status` (open unless said).
    Raises BadRequest for a parameter it cannot use."""
    from chalicelib.domain.case_clock import Status

    if "post" in params:
        channel, _, post_id = params["post"].partition(":")
        if not (channel and post_id) or len(params["post"]) > 300:
            raise BadRequest(f"post must look like x:1234567890; got {params['post']!r}")
        found = queries.case_of_post(channel, post_id)
        return [found] if found else []
    status = wanted_status(Status, params.get("status", Status.OPEN))
    limit = params.get("limit", "100")
    if not (limit.isascii() and limit.isdecimal()) or not 1 <= int(limit) <= 1000:
        raise BadRequest(f"limit must be a whole number from 1 to 1000; got {limit!r}")
    return queries.cases_in(status, int(limit))


def case_action(escalator: Escalator, case_id: str, action: str, body: bytes | None) -> Case:
    """Do what POST /cases/{case_id}/{action} asks, in the name the body gives (`by`).
    Raises BadRequest for an action there is not (404) or a body that is not one, and
    the use case's errors (CaseNotFound, CaseConflict, UnknownTeam)."""
    from chalicelib.domain.actions import Action

    if action == "respond":
        return escalator.respond(case_id, parse_action(body, AgentAction).by)
    if action == "pause":
        return escalator.pause(case_id, parse_action(body, AgentAction).by)
    if action == Action.MOVE:
        move = parse_action(body, MoveAction)
        return escalator.move(case_id, move.team, move.by)
    if action in set(Action):
        return escalator.do_action(case_id, Action(action), parse_action(body, AgentAction).by)
    known = ", ".join(["respond", "pause", *Action])
    raise BadRequest(f"no action {action!r}; try {known}", status=404)
