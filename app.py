"""Escalator's Chalice app: routes and event handlers only; each hands over at once to
chalicelib (components builds what they need, once per container).

Cold start: every Lambda function imports this module, so it imports only what every
invocation needs (Chalice, Powertools' Logger, boto3 through components; Tracer and the
X-Ray SDK only where a stage traces AWS calls).
Each handler imports what it hands over to in its first lines, and each components
factory what it builds: a webhook never loads triage, the service, emails or Jinja2,
nor the escalate step the channels' models. New handlers do the same;
tests/unit/test_cold_start.py checks it and bench/cold_start.py measures it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from chalice.app import (
    Chalice,
    CloudWatchEvent,
    ConvertToMiddleware,
    Request,
    Response,
    SQSEvent,
)

from chalicelib import components
from chalicelib.entrypoints import guards
from chalicelib.settings import parameter, secure_cookies
from chalicelib.telemetry import SERVICE

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

INBOX_QUEUE = "escalator-inbox"

app = Chalice(app_name="escalator", configure_logs=False)  # Powertools logs, once
logger = Logger(service=SERVICE)  # chalicelib's modules log through its children
if os.environ.get("ESCALATOR_TRACE_AWS_CALLS", "").lower() in ("1", "true", "yes"):
    # X-Ray subsegments for each AWS call (no responses: they hold posts). The X-Ray SDK
    # adds about a sixth to every cold start, so it is a stage's choice; Lambda's and
    # Step Functions' own tracing (each invocation, each step) is on regardless.
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=SERVICE, patch_modules=("botocore",))
    app.register_middleware(
        ConvertToMiddleware(tracer.capture_lambda_handler(capture_response=False))
    )
# Structured logs with the Lambda context; the correlation id is the API request's id,
# or the case's for the timer's step (the inbox consumer sets it per post).
app.register_middleware(
    ConvertToMiddleware(
        logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    ),
    "http",
)
app.register_middleware(
    ConvertToMiddleware(logger.inject_lambda_context(correlation_id_path="case_id")),
    "pure_lambda",
)
for event_type in ("sqs", "scheduled"):  # a warm container forgets the last batch's case
    app.register_middleware(
        ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)), event_type
    )


def request() -> Request:
    """The request a route is answering (Chalice sets it for each)."""
    current = app.current_request
    if current is None:
        raise RuntimeError("no request: only a route answers one")
    return current


def body() -> bytes:
    """The request's raw body, as the webhooks' signatures are computed over it."""
    raw = request().raw_body
    return raw if isinstance(raw, bytes) else raw.encode()


def headers() -> Mapping[str, str]:
    """The request's headers (their names in any case)."""
    return request().headers


def query() -> dict[str, str]:
    """The request's query parameters (the last of each name)."""
    return dict(request().query_params or {})


# -- ingest -------------------------------------------------------------------------------


@app.route("/webhooks/generic", methods=["POST"], content_types=["application/json"])
def generic_webhook() -> Response:
    from chalicelib.entrypoints.webhooks import receive_generic

    return receive_generic(
        body(),
        headers(),
        parameter("ESCALATOR_GENERIC_SECRET"),
        components.inbox(),
    )


@app.route("/webhooks/x", methods=["GET"])
def x_webhook_check() -> Response:
    from chalicelib.entrypoints.webhooks import x_crc

    params = query()
    return x_crc(params.get("crc_token"), parameter("ESCALATOR_X_CONSUMER_SECRET"))


@app.route("/webhooks/x", methods=["POST"], content_types=["application/json"])
def x_webhook() -> Response:
    from chalicelib.channels import id_set
    from chalicelib.entrypoints.webhooks import receive_x

    return receive_x(
        body(),
        headers(),
        parameter("ESCALATOR_X_CONSUMER_SECRET"),
        id_set(parameter("ESCALATOR_X_BRAND_IDS")),
        components.inbox(),
        components.unreadable_events,
    )


@app.route("/webhooks/meta", methods=["GET"])
def meta_webhook_check() -> Response:
    from chalicelib.entrypoints.webhooks import meta_verify

    return meta_verify(query(), parameter("ESCALATOR_META_VERIFY_TOKEN"))


@app.route("/webhooks/meta", methods=["POST"], content_types=["application/json"])
def meta_webhook() -> Response:
    from chalicelib.channels import id_set
    from chalicelib.entrypoints.webhooks import receive_meta

    return receive_meta(
        body(),
        headers(),
        parameter("ESCALATOR_META_APP_SECRET"),
        id_set(parameter("ESCALATOR_META_PAGE_IDS")),
        components.inbox(),
        components.unreadable_events,
    )


@app.on_sqs_message(queue=INBOX_QUEUE, batch_size=10)
def record_posts(event: SQSEvent) -> PartialItemFailureResponse:
    from chalicelib.entrypoints.inbox_consumer import record_batch

    return record_batch(event.to_dict(), components.escalator(), components.intake_sources())


@app.schedule("rate(1 minute)")
def poll_x_mentions(event: CloudWatchEvent) -> list[dict[str, Any]]:
    from chalicelib.channels import as_json

    poller = components.mentions_poller()
    return [as_json(result) for result in poller.poll_all()] if poller else []


@app.schedule("rate(5 minutes)")
def listen_on_x(event: CloudWatchEvent) -> dict[str, Any]:
    """Brand listening: posts that name the brand without writing to it (policy's
    `[listening]`), found by X's recent search."""
    from chalicelib.channels import as_json

    listener = components.brand_listener()
    return as_json(listener.listen()) if listener else {}


@app.schedule("rate(5 minutes)")
def send_incident_digests(event: CloudWatchEvent) -> list[str]:
    """The storm incidents' digests: complaints that joined since their last email."""
    return components.escalator().send_incident_digests()


@app.schedule("rate(5 minutes)")
def reconcile_timers(event: CloudWatchEvent) -> list[str]:
    """Open cases left without a running timer get one (see Escalator.reconcile_timers)."""
    return components.escalator().reconcile_timers()


# -- escalation timer ---------------------------------------------------------------------


@app.lambda_function(name="escalate")
def escalate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return components.escalator().escalate(event["case_id"], event.get("round", 0)).as_output()


# -- agent API ----------------------------------------------------------------------------

agent_api = guards.agent_api(headers, partial(parameter, "ESCALATOR_API_TOKEN"))


@app.route("/status", methods=["GET"])
@agent_api
def status() -> Response:
    """What clients such as `escalator replay` need to know about this stack."""
    from chalicelib.entrypoints.http import json_response

    return json_response(200, {"time_scale": components.settings().time_scale})


@app.route("/cases", methods=["GET"])
@agent_api
def list_cases() -> Response:
    from chalicelib.entrypoints.http import case_json, json_response, wanted_cases

    params = query()
    cases = wanted_cases(components.queries(), params)
    return json_response(200, {"cases": [case_json(case) for case in cases]})


@app.route("/cases/{case_id}", methods=["GET"])
@agent_api
def get_case(case_id: str) -> Response:
    from chalicelib.entrypoints.http import case_json, json_response

    return json_response(200, case_json(*components.queries().history(case_id)))


@app.route("/cases/{case_id}/{action}", methods=["POST"], content_types=["application/json"])
@agent_api
def act_on_case(case_id: str, action: str) -> Response:
    from chalicelib.entrypoints.http import case_action, case_json, json_response

    case = case_action(components.escalator(), case_id, action, body())
    return json_response(200, case_json(case))


# -- supervisors' pages -------------------------------------------------------------------


@app.route("/actions/{token}", methods=["GET"])
def confirm_email_action(token: str) -> Response:
    from chalicelib.entrypoints.pages import action_link

    return action_link(
        token, components.action_signer(), components.escalator(), components.queries(), False
    )


@app.route(
    "/actions/{token}",
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded", "application/json"],
)
def email_action(token: str) -> Response:
    from chalicelib.entrypoints.pages import action_link

    return action_link(
        token, components.action_signer(), components.escalator(), components.queries(), True
    )


@app.route("/", methods=["GET"])
def dashboard() -> Response:
    from chalicelib.entrypoints.pages import dashboard_page, sign_in_page, visitor

    who = visitor(headers(), parameter("ESCALATOR_API_TOKEN"), components.dashboard_sessions())
    if who is None:
        return sign_in_page()
    fragment = query().get("fragment") == "1"
    return dashboard_page(components.queries(), fragment, who.sign_out_token)


@app.route("/session", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def start_session() -> Response:
    from chalicelib.entrypoints.pages import sign_in

    return sign_in(
        body(),
        parameter("ESCALATOR_API_TOKEN"),
        components.dashboard_sessions(),
        secure=secure_cookies(),
    )


@app.route("/sign-out", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def end_session() -> Response:
    from chalicelib.entrypoints.pages import sign_out

    return sign_out(
        body(),
        headers(),
        parameter("ESCALATOR_API_TOKEN"),
        components.dashboard_sessions(),
        secure=secure_cookies(),
    )


@app.route("/incidents", methods=["GET"])
@agent_api
def list_incidents() -> Response:
    from chalicelib.domain.incidents import IncidentStatus
    from chalicelib.entrypoints.http import incident_json, json_response, wanted_status

    params = query()
    status = wanted_status(IncidentStatus, params.get("status", IncidentStatus.OPEN))
    incidents = components.queries().incidents_in(status)
    return json_response(200, {"incidents": [incident_json(i) for i in incidents]})


@app.route("/incidents/{incident_id}", methods=["GET"])
@agent_api
def get_incident(incident_id: str) -> Response:
    from chalicelib.entrypoints.http import incident_json, json_response

    return json_response(200, incident_json(components.queries().incident(incident_id)))


@app.route("/incidents/{incident_id}/resolve", methods=["POST"], content_types=["application/json"])
@agent_api
def resolve_incident(incident_id: str) -> Response:
    from chalicelib.entrypoints.http import (
        IncidentResolution,
        incident_json,
        json_response,
        parse_action,
    )

    resolution = parse_action(body(), IncidentResolution)
    incident = components.escalator().resolve_incident(incident_id, resolution.by, resolution.all)
    return json_response(200, incident_json(incident))
