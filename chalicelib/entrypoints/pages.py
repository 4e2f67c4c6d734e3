"""The HTML pages: an email action link's confirmation and result, and the dashboard
with its sign-in and sign-out. Every failure is a 4xx page that says what went wrong."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Response

from chalicelib.adapters.dynamodb.sessions import SESSION_LIFETIME, DashboardSessions
from chalicelib.adapters.signing import ActionSigner
from chalicelib.domain.actions import ActionToken
from chalicelib.domain.cases import Case
from chalicelib.domain.errors import (
    CaseConflict,
    CaseNotFound,
    ExpiredToken,
    InvalidToken,
    LinkUsed,
    UnknownTeam,
)
from chalicelib.domain.policy_values import format_duration
from chalicelib.domain.times import iso
from chalicelib.entrypoints.http import bearer_token_error
from chalicelib.messages.emails import channel_name, excerpt
from chalicelib.messages.rendering import render
from chalicelib.use_cases.escalator import Escalator
from chalicelib.use_cases.queries import Queries

SESSION_COOKIE = "escalator_session"
MAX_FORM_BYTES = 4096
NOT_CONFIGURED = "The dashboard needs ESCALATOR_API_TOKEN and ESCALATOR_ACTION_KEY."
LINK_ADVICE = "Ask for a fresh email, or use the agent API."
SIGN_OUT_ADVICE = "Use the Sign out button on the dashboard."
# No scripts on the action pages; the dashboard's one inline script carries a nonce.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"


def html(status: int, body: str, script_nonce: str | None = None) -> Response:
    policy = PAGE_POLICY + (
        f"; script-src 'nonce-{script_nonce}'; connect-src 'self'" if script_nonce else ""
    )
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Security-Policy": policy,
            "Referrer-Policy": "no-referrer",  # the link's token must not leak onwards
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "X-Robots-Tag": "noindex",
        },
    )


# -- email action links --------------------------------------------------------------------


def action_link(
    token: str,
    signer: ActionSigner | None,
    escalator: Escalator,
    queries: Queries,
    confirmed: bool,
) -> Response:
    """GET /actions/{token}: what the link would do, and a button to do it; changes
    nothing, as mail scanners open links. POST (`confirmed`): do it, once, in the
    recipient's name."""
    grant = _grant(token, signer)
    if isinstance(grant, Response):
        return grant
    try:
        case = escalator.follow_link(grant) if confirmed else escalator.preview_link(grant)
    except (CaseNotFound, CaseConflict, LinkUsed, UnknownTeam) as refusal:
        return _refused(refusal, grant, queries)
    state = "done" if confirmed else "confirm"
    return _action_page(200, state, grant, case, queries.clock())


def _grant(token: str, signer: ActionSigner | None) -> ActionToken | Response:
    if signer is None:
        return _problem(503, "Links are switched off", "ESCALATOR_ACTION_KEY is not set.")
    try:
        return signer.verify(token)
    except InvalidToken as invalid:
        return _problem(403, "This link is not valid", f"{str(invalid).capitalize()}.")
    except ExpiredToken as expired:
        return _problem(410, "This link has expired", f"{str(expired).capitalize()}.")


def _refused(refusal: Exception, grant: ActionToken, queries: Queries) -> Response:
    if isinstance(refusal, CaseNotFound):
        return _problem(404, "No such case", "The case this link is about does not exist.")
    case, now = queries.case(grant.case_id), queries.clock()
    if isinstance(refusal, LinkUsed):
        used = queries.link_used_at(grant.case_id, grant.nonce)
        return _action_page(410, "used", grant, case, now, used_at=used)
    return _action_page(409, "conflict", grant, case, now, reason=str(refusal))


def _problem(status: int, title: str, detail: str, advice: str = LINK_ADVICE) -> Response:
    return html(
        status,
        render("action.html.j2", state="problem", title=title, detail=detail, advice=advice),
    )


def _action_page(
    status: int,
    state: str,
    grant: ActionToken,
    case: Case,
    now: datetime,
    **extra: Any,
) -> Response:
    following = case.next_deadline
    body = render(
        "action.html.j2",
        state=state,
        title=f"{grant.label} · case {case.id}",
        grant=grant,
        case=case,
        channel=channel_name(case.post.channel),
        text=excerpt(case.post.text, 280),
        waited=format_duration(case.policy_time_since_opened(now).total_seconds()),
        next_in=following
        and format_duration(max(0.0, case.policy_span(now, following).total_seconds())),
        **{"used_at": None, "reason": None, **extra},
    )
    return html(status, body)


# -- dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Visitor:
    """Someone the dashboard shows the queue to: a person signed in, with the token their
    page's sign-out form carries, or an agent's script with the API token as a bearer
    token (`sign_out_token` None: no session to end)."""

    sign_out_token: str | None


def visitor(
    headers: Mapping[str, str], api_token: str | None, sessions: DashboardSessions | None
) -> Visitor | None:
    """Who asks for the dashboard, if they may see it: the API token as a bearer token, or
    a cookie naming a live session; None for anyone else."""
    if not api_token:
        return None
    scheme = (headers.get("authorization") or "").partition(" ")[0]
    if scheme.lower() == "bearer":
        return Visitor(None) if bearer_token_error(headers, api_token) is None else None
    session_id = _cookie(headers, SESSION_COOKIE)
    if sessions is None or session_id is None or not sessions.live(session_id, api_token):
        return None
    return Visitor(sessions.sign_out_token(session_id))


def sign_in_page(status: int = 401, problem: str | None = None) -> Response:
    return html(status, render("sign_in.html.j2", problem=problem))


def session_cookie(session_id: str, secure: bool) -> str:
    """The Set-Cookie naming a session: its id and nothing else, for 12 hours, never to
    scripts nor other sites' requests, and `Secure` outside the local stage. An empty id
    clears the cookie."""
    lifetime = int(SESSION_LIFETIME.total_seconds()) if session_id else 0
    return (
        f"{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Strict; "
        f"Max-Age={lifetime}" + ("; Secure" if secure else "")
    )


def sign_in(
    body: bytes | None, api_token: str | None, sessions: DashboardSessions | None, secure: bool
) -> Response:
    """POST /session: the API token, typed once, starts a 12-hour session."""
    if not api_token or sessions is None:
        return sign_in_page(503, NOT_CONFIGURED)
    if body is not None and len(body) > MAX_FORM_BYTES:
        return sign_in_page(413, "That form is too large.")
    given = _form_field(body, "token").strip()
    if not hmac.compare_digest(given.encode(errors="replace"), api_token.encode()):
        return sign_in_page(401, "That is not the API token.")
    cookie = session_cookie(sessions.start(api_token), secure)
    return Response(body="", status_code=303, headers={"Location": "./", "Set-Cookie": cookie})


def sign_out(
    body: bytes | None,
    headers: Mapping[str, str],
    api_token: str | None,
    sessions: DashboardSessions | None,
    secure: bool,
) -> Response:
    """POST /sign-out: ends the session the cookie names, and the cookie, then back to
    the sign-in page. Only the dashboard's own button ends a live session: its form
    carries the session's sign-out token (and SameSite=Strict keeps the cookie from other
    sites' forms). With no session to end, nothing is wrong: the same answer, and a
    cookie naming none is cleared."""
    if not api_token or sessions is None:
        return sign_in_page(503, NOT_CONFIGURED)
    if body is not None and len(body) > MAX_FORM_BYTES:
        return _problem(
            413, "That form is too large", "A sign-out form has one field.", SIGN_OUT_ADVICE
        )
    session_id = _cookie(headers, SESSION_COOKIE)
    if session_id is None:
        return Response(body="", status_code=303, headers={"Location": "./"})
    given = _form_field(body, "sign_out_token").encode(errors="replace")
    if hmac.compare_digest(given, sessions.sign_out_token(session_id).encode()):
        sessions.end(session_id)
    elif sessions.live(session_id, api_token):
        return _problem(
            403,
            "You are still signed in",
            "This sign-out did not come from the dashboard's page.",
            SIGN_OUT_ADVICE,
        )
    cleared = session_cookie("", secure)
    return Response(body="", status_code=303, headers={"Location": "./", "Set-Cookie": cleared})


def dashboard_page(queries: Queries, fragment: bool, sign_out_token: str | None) -> Response:
    """GET /: the queue, with a sign-out button for a session (`sign_out_token`);
    `fragment` is the part the page's script refreshes."""
    board = queries.dashboard()
    nonce = secrets.token_urlsafe(12)
    body = render(
        "dashboard_board.html.j2" if fragment else "dashboard.html.j2",
        board=board,
        nonce=nonce,
        iso=iso,
        clock=_clock,
        excerpt=excerpt,
        duration=lambda seconds: "—" if seconds is None else format_duration(seconds),
        channel_name=channel_name,
        sign_out_token=sign_out_token,
    )
    return html(200, body, script_nonce=nonce)


def _clock(wall: timedelta, time_scale: float) -> str:
    """A wall-clock span as policy time, h:mm:ss (what the page's script keeps ticking)."""
    seconds = max(0, int(wall.total_seconds() * time_scale))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _form_field(body: bytes | None, name: str) -> str:
    """A posted form's field, "" if absent."""
    form = parse_qs((body or b"").decode(errors="replace"))
    return (form.get(name) or [""])[0]


def _cookie(headers: Mapping[str, str], name: str) -> str | None:
    try:
        jar = SimpleCookie(headers.get("cookie") or "")
    except CookieError:
        return None
    return jar[name].value if name in jar else None
