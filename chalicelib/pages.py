"""The HTML pages: an email action link's confirmation and result, and the dashboard
with its sign-in. Every failure is a 4xx page that says what went wrong."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from chalice import Response

from chalicelib.actions import (
    SESSION_LIFETIME_SECONDS,
    ActionSigner,
    ActionToken,
    ExpiredToken,
    InvalidToken,
)
from chalicelib.api import bearer_token_error
from chalicelib.cases import Case, CaseConflict, CaseNotFound, UnknownTeam
from chalicelib.dashboard import Dashboard
from chalicelib.emails import channel_name, excerpt
from chalicelib.policy import format_duration
from chalicelib.rendering import render
from chalicelib.service import Escalator
from chalicelib.store import LinkUsed, iso

SESSION_COOKIE = "escalator_session"
MAX_FORM_BYTES = 4096
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
    token: str, signer: ActionSigner | None, escalator: Escalator, confirmed: bool
) -> Response:
    """GET /actions/{token}: what the link would do, and a button to do it; changes
    nothing, as mail scanners open links. POST (`confirmed`): do it, once, in the
    recipient's name."""
    grant = _grant(token, signer)
    if isinstance(grant, Response):
        return grant
    try:
        case = escalator.act(grant) if confirmed else escalator.preview(grant)
    except (CaseNotFound, CaseConflict, LinkUsed, UnknownTeam) as refusal:
        return _refused(refusal, grant, escalator)
    return _action_page(200, "done" if confirmed else "confirm", grant, case, escalator)


def _grant(token: str, signer: ActionSigner | None) -> ActionToken | Response:
    if signer is None:
        return _problem(503, "Links are switched off", "ESCALATOR_ACTION_KEY is not set.")
    try:
        return signer.verify(token)
    except InvalidToken as invalid:
        return _problem(403, "This link is not valid", f"{str(invalid).capitalize()}.")
    except ExpiredToken as expired:
        return _problem(410, "This link has expired", f"{str(expired).capitalize()}.")


def _refused(refusal: Exception, grant: ActionToken, escalator: Escalator) -> Response:
    if isinstance(refusal, CaseNotFound):
        return _problem(404, "No such case", "The case this link is about does not exist.")
    case = escalator.store.get(grant.case_id)
    if isinstance(refusal, LinkUsed):
        used = escalator.store.link_used_at(grant.case_id, grant.nonce)
        return _action_page(410, "used", grant, case, escalator, used_at=used)
    return _action_page(409, "conflict", grant, case, escalator, reason=str(refusal))


def _problem(status: int, title: str, detail: str) -> Response:
    return html(status, render("action.html.j2", state="problem", title=title, detail=detail))


def _action_page(
    status: int,
    state: str,
    grant: ActionToken,
    case: Case,
    escalator: Escalator,
    **extra: Any,
) -> Response:
    now = escalator.clock()
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


def signed_in(headers: dict[str, str], api_token: str | None, signer: ActionSigner | None) -> bool:
    """The API token as a bearer token, or a session cookie signed with the action key."""
    scheme = (headers.get("authorization") or "").partition(" ")[0]
    if api_token and scheme.lower() == "bearer":
        return bearer_token_error(headers, api_token) is None
    return bool(api_token and signer) and signer.valid_session(
        _cookie(headers, SESSION_COOKIE), api_token
    )


def sign_in_page(status: int = 401, problem: str | None = None) -> Response:
    return html(status, render("sign_in.html.j2", problem=problem))


def sign_in(
    body: bytes | None, api_token: str | None, signer: ActionSigner | None, secure: bool
) -> Response:
    """POST /session: the API token, typed once, becomes a 12-hour session cookie."""
    if not api_token or signer is None:
        return sign_in_page(
            503, "The dashboard needs ESCALATOR_API_TOKEN and ESCALATOR_ACTION_KEY."
        )
    if body is not None and len(body) > MAX_FORM_BYTES:
        return sign_in_page(413, "That form is too large.")
    form = parse_qs((body or b"").decode(errors="replace"))
    given = (form.get("token") or [""])[0].strip()
    if not hmac.compare_digest(given.encode(errors="replace"), api_token.encode()):
        return sign_in_page(401, "That is not the API token.")
    cookie = (
        f"{SESSION_COOKIE}={signer.session(api_token)}; Path=/; HttpOnly; SameSite=Strict; "
        f"Max-Age={SESSION_LIFETIME_SECONDS}" + ("; Secure" if secure else "")
    )
    return Response(body="", status_code=303, headers={"Location": "./", "Set-Cookie": cookie})


def dashboard_page(escalator: Escalator, fragment: bool) -> Response:
    """GET /: the queue; `fragment` is the part the page's script refreshes."""
    now = escalator.clock()
    board = Dashboard.build(escalator.store, now, escalator.time_scale)
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
    )
    return html(200, body, script_nonce=nonce)


def _clock(wall: timedelta, time_scale: float) -> str:
    """A wall-clock span as policy time, h:mm:ss (what the page's script keeps ticking)."""
    seconds = max(0, int(wall.total_seconds() * time_scale))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _cookie(headers: dict[str, str], name: str) -> str | None:
    try:
        jar = SimpleCookie(headers.get("cookie") or "")
    except CookieError:
        return None
    return jar[name].value if name in jar else None
