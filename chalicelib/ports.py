"""What the use cases need from the world, as Protocols: each says what is asked and what
comes back, in the domain's terms, and each has its adapter (chalicelib.adapters) and its
in-memory fake (tests/service/fakes.py).

| port | adapter | what it keeps or does |
|---|---|---|
| CaseRepository | adapters.dynamodb.cases.CaseStore | cases, their trails, posts seen, threads |
| IncidentRepository | adapters.dynamodb.incidents.IncidentStore | storms' counts and incidents |
| NoticeLedger | adapters.dynamodb.ledger (in both repositories) | one email per notice |
| Timers | adapters.step_functions.EscalationWorkflow | one timer per case and round |
| Mailer | adapters.ses.Mailer | sends a rendered email |
| Replier | adapters.x_api.replies.XReplier | posts the brand's reply on the platform |
| LinkSigner | adapters.signing.ActionSigner | signs and checks email action links |
| AuthorContacts | adapters.dynamodb.contacts.AuthorContacts | when an author last wrote |
| Queue | adapters.sqs.Inbox | posts on their way to the inbox consumer |
| Checkpoints | adapters.dynamodb.checkpoints.Checkpoints | where a poller left off |

Every method may also raise what its service raises when it is out of reach (a timeout):
the use cases leave those to the entrypoint's retry (SQS, Step Functions).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from chalicelib.domain.actions import Action, ActionToken
from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case, Event, Notice
from chalicelib.domain.incidents import Incident, IncidentStatus
from chalicelib.domain.posts import Post, PostNote, PostReference


class NoticeLedger(Protocol):
    """At most one email per (case, tier, repeat, person): a right claimed before the
    email goes, given back when the mail service refused it, confirmed once it went."""

    def claim_notification(self, case: Case, notice: Notice, now: datetime) -> bool:
        """True once per notice, while the case is as read; False when claimed before.
        Raises ConcurrentChange if the case changed since it was read."""
        ...

    def release_notification(self, case: Case, notice: Notice) -> None:
        """Give a claim back (the email surely went nowhere), so a retry can send."""
        ...

    def confirm_notification(
        self, case: Case, notice: Notice, message_id: str, event: Event
    ) -> None:
        """Mark the notice sent, and put `event` on the case's trail."""
        ...


class CaseRepository(NoticeLedger, Protocol):
    """Cases, their trails and the posts that joined them, each post once."""

    def create(self, case: Case, event: Event, thread: str | None = None) -> None:
        """Store a new case and its first event. Raises DuplicatePost if its post was
        seen before, ThreadTaken if another case took its conversation since `thread`
        (the closed case that held it) was read."""
        ...

    def attach(self, case_id: str, post: Post, event: Event) -> None:
        """A later post of the case's conversation, on its trail. DuplicatePost if seen."""
        ...

    def attach_note(self, case_id: str, note: PostNote, event: Event) -> None:
        """A platform's word about a post (edited, unsent), once. DuplicatePost if seen."""
        ...

    def record_acknowledgement(
        self, case_id: str, channel: str, reply_id: str, event: Event
    ) -> None:
        """Escalator's own automatic reply: known for what it is when delivered back."""
        ...

    def hold_early_reply(self, reply: Post) -> None:
        """Keep a brand reply that came before the post it answers."""
        ...

    def early_reply(self, channel: str, post_id: str) -> Post | None:
        """The brand reply held for this post, if one came first."""
        ...

    def case_holding(self, channel: str, post_id: str) -> str | None:
        """The id of the case a post joined, if any."""
        ...

    def thread_case(self, post: Post) -> str | None:
        """The id of the case holding the post's conversation, if any."""
        ...

    def update(
        self, before: Case, after: Case, *events: Event, link_nonce: str | None = None
    ) -> Case:
        """Store `after` (with its events) if the case is still as `before` was read; the
        stored case. Raises ConcurrentChange if it changed; with `link_nonce`, LinkUsed if
        that email link acted before (and writes nothing)."""
        ...

    def append_event(self, case_id: str, event: Event) -> None:
        """One more line on the case's trail, whatever its version."""
        ...

    def forget_post_text(self, case_id: str, post_id: str, replacement: str) -> int:
        """Replace a post's text on the trail (its author took it back); lines changed."""
        ...

    def link_used_at(self, case_id: str, link_nonce: str) -> datetime | None:
        """When an email action link acted, if it did."""
        ...

    def get(self, case_id: str) -> Case:
        """The case. Raises CaseNotFound."""
        ...

    def history(self, case_id: str) -> tuple[Case, list[Event]]:
        """The case and its trail, oldest first. Raises CaseNotFound."""
        ...

    def list(self, status: Status, limit: int = 100, oldest_first: bool = False) -> list[Case]:
        """Cases in a status, newest first unless `oldest_first`."""
        ...

    def opened_since(
        self, status: Status, since: datetime, limit: int = 1000
    ) -> builtins.list[Case]:
        """Cases in a status opened since a moment, newest first."""
        ...

    def each(self, status: Status) -> Iterator[Case]:
        """Every case in a status, page by page."""
        ...


class IncidentRepository(Protocol):
    """Storms' counts per term, their incidents, and each incident's emails (once)."""

    def record_complaint(
        self, term: str, case_id: str, author: str, at: datetime, window: float
    ) -> tuple[dict[str, str], str | None]:
        """Count a complaint under a term; the cases using it within `window` seconds
        (case → author, this one included), and the term's open incident's id."""
        ...

    def create(self, incident: Incident) -> bool:
        """Open an incident; False if its term has an open one already."""
        ...

    def open_incident_for(self, term: str) -> str | None:
        """The id of the term's open incident, if any."""
        ...

    def join(self, incident_id: str, case_id: str) -> Incident | None:
        """Add a member; the incident, or None if it is no longer open."""
        ...

    def get(self, incident_id: str) -> Incident:
        """The incident. Raises IncidentNotFound."""
        ...

    def list(self, status: IncidentStatus, limit: int = 100) -> list[Incident]:
        """Incidents in a status, newest first."""
        ...

    def resolve(self, incident_id: str, at: datetime, by: str) -> Incident | None:
        """Resolve an open incident; None if it was not open."""
        ...

    def claim_notification(self, incident_id: str, now: datetime) -> bool:
        """The one right to send the incident's first email; False if taken before."""
        ...

    def release_notification(self, incident_id: str) -> None:
        """Give that right back after the mail service refused the email."""
        ...

    def confirm_notification(
        self, incident_id: str, message_id: str, told: builtins.list[str], at: datetime
    ) -> None:
        """Mark the first email sent, naming the members it told of."""
        ...

    def claim_digest(self, incident: Incident, told: builtins.list[str], now: datetime) -> bool:
        """The right to send the digest naming `told`; True once, while the incident is
        open and its last email is the one read."""
        ...

    def release_digest(self, incident: Incident, told: builtins.list[str]) -> None:
        """Give a digest's right back after the mail service refused it."""
        ...


class Timers(Protocol):
    """One durable timer per case and round, named so that it is never started twice."""

    def start(self, name: str, case_id: str, timer_round: int, wait_seconds: int) -> str:
        """Start (or find, if started before under `name`) a timer; its id (ARN)."""
        ...

    def running(self) -> set[str]:
        """The ids of every timer running now."""
        ...

    def state(self, execution_arn: str) -> str:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or MISSING when there is none."""
        ...

    def stop(self, execution_arn: str, reason: str) -> None:
        """Stop a timer (one that ended already stays as it is)."""
        ...


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> str:
        """The mail service's message id. Raises EmailRejected when it refused the
        message; any other failure leaves it unknown whether the email went out."""
        ...


class Replier(Protocol):
    def reply(self, in_reply_to: str, text: str) -> str:
        """Post `text` in reply to post `in_reply_to` as the brand; the new post's id.
        Raises ReplyFailed when the platform did not take it."""
        ...


class LinkSigner(Protocol):
    def token(
        self,
        case_id: str,
        opening: int,
        tier: int,
        action: Action,
        recipient: str,
        team: str | None = None,
    ) -> str:
        """A signed, expiring token granting `recipient` one `action` on the case."""
        ...

    def verify(self, token: str) -> ActionToken:
        """The token's grant. Raises InvalidToken or ExpiredToken."""
        ...


class AuthorContacts(Protocol):
    def previous_post_at(
        self, channel: str, author_id: str, post_id: str, at: datetime
    ) -> datetime | None:
        """Note this post as its author's latest; when their post before it came."""
        ...


class Queue(Protocol):
    def put(self, messages: Sequence[Post | PostNote | PostReference]) -> None:
        """Queue posts (and notes, references) for the inbox consumer, all or none."""
        ...


class Checkpoints(Protocol):
    def get(self, name: str) -> dict[str, Any]:
        """A poller's saved place (empty when it has none)."""
        ...

    def put(self, name: str, state: dict[str, Any]) -> None:
        """Save a poller's place."""
        ...
