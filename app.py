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

import os
from functools import partial

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from chalice import Chalice, ConvertToMiddleware, Response

from chalicelib import components
from chalicelib.settings import parameter, secure_cookies
from chalicelib.telemetry import SERVICE

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


# -- ingest -------------------------------------------------------------------------------


@app.route("/webhooks/generic", methods=["POST"], content_types=["application/json"])
def generic_webhook() -> Response:
    from chalicelib.entrypoints.webhooks import receive_generic

    request = app.current_request
    return receive_generic(
        request.raw_body,
        request.headers,
        parameter("ESCALATOR_GENERIC_SECRET"),
        components.inbox(),
    )


@app.route("/webhooks/x", methods=["GET"])
def x_webhook_check() -> Response:
    from chalicelib.entrypoints.webhooks import x_crc

    params = app.current_request.query_params or {}
    return x_crc(params.get("crc_token"), parameter("ESCALATOR_X_CONSUMER_SECRET"))


@app.route("/webhooks/x", methods=["POST"], content_types=["application/json"])
def x_webhook() -> Response:
    from chalicelib.channels import id_set
    from chalicelib.entrypoints.webhooks import receive_x

    request = app.current_request
    return receive_x(
        request.raw_body,
        request.headers,
        parameter("ESCALATOR_X_CONSUMER_SECRET"),
        id_set(parameter("ESCALATOR_X_BRAND_IDS")),
        components.inbox(),
        components.unreadable_events,
    )


@app.route("/webhooks/meta", methods=["GET"])
def meta_webhook_check() -> Response:
    from chalicelib.entrypoints.webhooks import meta_verify

    return meta_verify(
        app.current_request.query_params or {}, parameter("ESCALATOR_META_VERIFY_TOKEN")
    )


@app.route("/webhooks/meta", methods=["POST"], content_types=["application/json"])
def meta_webhook() -> Response:
    from chalicelib.channels import id_set
    from chalicelib.entrypoints.webhooks import receive_meta

    request = app.current_request
    return receive_meta(
        request.raw_body,
        request.headers,
        parameter("ESCALATOR_META_APP_SECRET"),
        id_set(parameter("ESCALATOR_META_PAGE_IDS")),
        components.inbox(),
        components.unreadable_events,
    )


@app.on_sqs_message(queue=INBOX_QUEUE, batch_size=10)
def record_posts(event):
    from chalicelib.entrypoints.inbox_consumer import record_batch

    return record_batch(event.to_dict(), components.escalator(), components.intake_sources())


@app.schedule("rate(1 minute)")
def poll_x_mentions(event):
    from chalicelib.channels import as_json

    poller = components.mentions_poller()
    return [as_json(result) for result in poller.poll_all()] if poller else []


@app.schedule("rate(5 minutes)")
def listen_on_x(event):
    """Brand listening: posts that name the brand without writing to it (policy's
    `[listening]`), found by X's recent search."""
    from chalicelib.channels import as_json

    listener = components.brand_listener()
    return as_json(listener.listen()) if listener else {}


@app.schedule("rate(5 minutes)")
def send_incident_digests(event):
    """The storm incidents' digests: complaints that joined since their last email."""
    return components.escalator().send_incident_digests()


@app.schedule("rate(5 minutes)")
def reconcile_timers(event):
    """Open cases left without a running timer get one (see Escalator.reconcile_timers)."""
    return components.escalator().reconcile_timers()


# -- escalation timer ---------------------------------------------------------------------


@app.lambda_function(name="escalate")
def escalate(event, context):
    return components.escalator().escalate(event["case_id"], event.get("round", 0)).as_output()


# -- agent API ----------------------------------------------------------------------------


def _authorized() -> Response | None:
    from chalicelib.entrypoints.http import bearer_token_error

    return bearer_token_error(app.current_request.headers, parameter("ESCALATOR_API_TOKEN"))


@app.route("/status", methods=["GET"])
def status() -> Response:
    """What clients such as `escalator replay` need to know about this stack."""
    from chalicelib.entrypoints.http import json_response

    if denied := _authorized():
        return denied
    return json_response(200, {"time_scale": components.settings().time_scale})


@app.route("/cases", methods=["GET"])
def list_cases() -> Response:
    from chalicelib.domain.cases import Status
    from chalicelib.entrypoints.http import case_json, error, json_response

    if denied := _authorized():
        return denied
    params = app.current_request.query_params or {}
    if "post" in params:  # which case holds this post: `<channel>:<post id>`
        channel, _, post_id = params["post"].partition(":")
        if not (channel and post_id) or len(params["post"]) > 300:
            return error(400, f"post must look like x:1234567890; got {params['post']!r}")
        store = components.escalator().store
        found = store.case_holding(channel, post_id)
        cases = [store.get(found)] if found else []
        return json_response(200, {"cases": [case_json(case) for case in cases]})
    status = params.get("status", Status.OPEN)
    if status not in set(Status):
        return error(400, f"status must be one of {', '.join(Status)}; got {status!r}")
    limit = params.get("limit", "100")
    if not (limit.isascii() and limit.isdecimal()) or not 1 <= int(limit) <= 1000:
        return error(400, f"limit must be a whole number from 1 to 1000; got {limit!r}")
    cases = components.escalator().store.list(Status(status), int(limit))
    return json_response(200, {"cases": [case_json(case) for case in cases]})


@app.route("/cases/{case_id}", methods=["GET"])
def get_case(case_id: str) -> Response:
    from chalicelib.domain.errors import CaseNotFound
    from chalicelib.entrypoints.http import case_json, error, json_response

    if denied := _authorized():
        return denied
    try:
        case, events = components.escalator().store.history(case_id)
    except CaseNotFound as missing:
        return error(404, str(missing))
    return json_response(200, case_json(case, events))


@app.route(
    "/cases/{case_id}/{action}",
    methods=["POST"],
    content_types=["application/json"],
)
def act_on_case(case_id: str, action: str) -> Response:
    from chalicelib.domain.actions import Action
    from chalicelib.domain.errors import CaseConflict, CaseNotFound, UnknownTeam
    from chalicelib.entrypoints.http import (
        AgentAction,
        MoveAction,
        case_json,
        error,
        json_response,
        parse_action,
    )

    if denied := _authorized():
        return denied
    escalator = components.escalator()
    actions = {
        "respond": escalator.respond,
        "pause": escalator.pause,
        **{str(a): partial(escalator.take, action=a) for a in Action if a is not Action.MOVE},
        "move": escalator.move,
    }
    if action not in actions:
        return error(404, f"no action {action!r}; try {', '.join(actions)}")
    body = parse_action(
        app.current_request.raw_body, MoveAction if action == "move" else AgentAction
    )
    if not isinstance(body, AgentAction):
        return body
    try:
        case = actions[action](case_id, **body.model_dump())
    except CaseNotFound as missing:
        return error(404, str(missing))
    except CaseConflict as conflict:
        return error(409, str(conflict))
    except UnknownTeam as unknown:
        return error(400, str(unknown))
    return json_response(200, case_json(case))


# -- supervisors' pages -------------------------------------------------------------------


@app.route("/actions/{token}", methods=["GET"])
def confirm_email_action(token: str) -> Response:
    from chalicelib.entrypoints.pages import action_link

    return action_link(token, components.action_signer(), components.escalator(), False)


@app.route(
    "/actions/{token}",
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded", "application/json"],
)
def email_action(token: str) -> Response:
    from chalicelib.entrypoints.pages import action_link

    return action_link(token, components.action_signer(), components.escalator(), True)


@app.route("/", methods=["GET"])
def dashboard() -> Response:
    from chalicelib.entrypoints.pages import dashboard_page, sign_in_page, visitor

    request = app.current_request
    who = visitor(
        request.headers, parameter("ESCALATOR_API_TOKEN"), components.dashboard_sessions()
    )
    if who is None:
        return sign_in_page()
    fragment = (request.query_params or {}).get("fragment") == "1"
    return dashboard_page(components.escalator(), fragment, who.sign_out_token)


@app.route("/session", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def start_session() -> Response:
    from chalicelib.entrypoints.pages import sign_in

    return sign_in(
        app.current_request.raw_body,
        parameter("ESCALATOR_API_TOKEN"),
        components.dashboard_sessions(),
        secure=secure_cookies(),
    )


@app.route("/sign-out", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def end_session() -> Response:
    from chalicelib.entrypoints.pages import sign_out

    request = app.current_request
    return sign_out(
        request.raw_body,
        request.headers,
        parameter("ESCALATOR_API_TOKEN"),
        components.dashboard_sessions(),
        secure=secure_cookies(),
    )


@app.route("/incidents", methods=["GET"])
def list_incidents() -> Response:
    from chalicelib.domain.incidents import IncidentStatus
    from chalicelib.entrypoints.http import error, incident_json, json_response

    if denied := _authorized():
        return denied
    status = (app.current_request.query_params or {}).get("status", IncidentStatus.OPEN)
    if status not in set(IncidentStatus):
        return error(400, f"status must be one of {', '.join(IncidentStatus)}; got {status!r}")
    incidents = components.incidents().list(IncidentStatus(status))
    return json_response(200, {"incidents": [incident_json(i) for i in incidents]})


@app.route("/incidents/{incident_id}", methods=["GET"])
def get_incident(incident_id: str) -> Response:
    from chalicelib.domain.errors import IncidentNotFound
    from chalicelib.entrypoints.http import error, incident_json, json_response

    if denied := _authorized():
        return denied
    try:
        incident = components.incidents().get(incident_id)
    except IncidentNotFound as missing:
        return error(404, str(missing))
    return json_response(200, incident_json(incident))


@app.route("/incidents/{incident_id}/resolve", methods=["POST"], content_types=["application/json"])
def resolve_incident(incident_id: str) -> Response:
    from chalicelib.domain.errors import CaseConflict, IncidentNotFound
    from chalicelib.entrypoints.http import (
        IncidentResolution,
        error,
        incident_json,
        json_response,
        parse_action,
    )

    if denied := _authorized():
        return denied
    body = parse_action(app.current_request.raw_body, IncidentResolution)
    if not isinstance(body, IncidentResolution):
        return body
    try:
        incident = components.escalator().resolve_incident(incident_id, body.by, body.all)
    except IncidentNotFound as missing:
        return error(404, str(missing))
    except CaseConflict as conflict:
        return error(409, str(conflict))
    return json_response(200, incident_json(incident))
