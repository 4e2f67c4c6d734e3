"""In-memory fakes of the ports (chalicelib.ports), for the use cases' tests: each keeps
what its adapter keeps and refuses what its adapter refuses (a post seen before, a case
changed since it was read, a link used twice, a notice claimed twice), in the domain's
own errors, so that a use case behaves here as it does on DynamoDB, Step Functions and
SES. tests/e2e runs the same use cases against the real adapters on the local stack.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from chalicelib.domain.actions import Action, ActionToken
from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case, Event, Notice
from chalicelib.domain.errors import (
    CaseNotFound,
    ConcurrentChange,
    DuplicatePost,
    EmailRejected,
    IncidentNotFound,
    LinkUsed,
    ReplyFailed,
    ThreadTaken,
)
from chalicelib.domain.incidents import Incident, IncidentStatus
from chalicelib.domain.posts import Post, PostNote, PostReference


class FakeClock:
    """A clock that moves only when told (and when the escalate step sleeps)."""

    def __init__(self, now: datetime = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds=seconds)


@dataclass
class FakeCases:
    """CaseRepository: cases with their versions, trails, posts seen and threads."""

    cases: dict[str, Case] = field(default_factory=dict)
    trails: dict[str, list[Event]] = field(default_factory=dict)
    seen: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)
    threads: dict[tuple[str, str], str] = field(default_factory=dict)
    early: dict[tuple[str, str], Post] = field(default_factory=dict)
    links: dict[tuple[str, str], datetime] = field(default_factory=dict)
    notices: dict[tuple[str, int, Notice], str] = field(default_factory=dict)
    blind_threads: int = 0  # thread look-ups to miss, as a racing first post's read does

    # -- writes --------------------------------------------------------------------------

    def create(self, case: Case, event: Event, thread: str | None = None) -> None:
        self._not_seen(case.post.channel, case.post.id)
        if case.id in self.cases:  # its post's record expired, its case did not
            self.seen[(case.post.channel, case.post.id)] = (case.id, False)
            raise DuplicatePost(case.id)
        if case.post.conversation_id:
            conversation = (case.post.channel, case.post.conversation_id)
            holder = self.threads.get(conversation)
            if holder is not None and holder != thread:
                raise ThreadTaken(holder)
            self.threads[conversation] = case.id
        self.seen[(case.post.channel, case.post.id)] = (case.id, False)
        self.cases[case.id] = case
        self.trails[case.id] = [event]

    def attach(self, case_id: str, post: Post, event: Event) -> None:
        self._not_seen(post.channel, post.id)
        self.seen[(post.channel, post.id)] = (case_id, False)
        self.trails[case_id].append(event)

    def attach_note(self, case_id: str, note: PostNote, event: Event) -> None:
        said = hashlib.sha256((note.text or "").encode()).hexdigest()[:16]
        key = f"{note.post_id}#{note.change}#{said}"  # the same note again is a duplicate
        self._not_seen(note.channel, key)
        self.seen[(note.channel, key)] = (case_id, False)
        self.trails[case_id].append(event)

    def record_acknowledgement(
        self, case_id: str, channel: str, reply_id: str, event: Event
    ) -> None:
        self._not_seen(channel, reply_id)
        self.seen[(channel, reply_id)] = (case_id, True)
        self.trails[case_id].append(event)

    def _not_seen(self, channel: str, post_id: str) -> None:
        if (channel, post_id) in self.seen:
            case_id, acknowledgement = self.seen[(channel, post_id)]
            raise DuplicatePost(case_id, acknowledgement)

    def hold_early_reply(self, reply: Post) -> None:
        assert reply.in_reply_to is not None
        self.early[(reply.channel, reply.in_reply_to)] = reply

    def update(
        self, before: Case, after: Case, *events: Event, link_nonce: str | None = None
    ) -> Case:
        if link_nonce is not None and (before.id, link_nonce) in self.links:
            raise LinkUsed(before.id)
        if self.cases[before.id].version != before.version:
            raise ConcurrentChange(before.id)
        stored = replace(after, version=before.version + 1)
        self.cases[before.id] = stored
        self.trails[before.id].extend(events)
        if link_nonce is not None:
            self.links[(before.id, link_nonce)] = events[0].at
        return stored

    def append_event(self, case_id: str, event: Event) -> None:
        self.trails[case_id].append(event)

    def forget_post_text(self, case_id: str, post_id: str, replacement: str) -> int:
        changed = 0
        for number, event in enumerate(self.trails[case_id]):
            text = event.detail.get("text")
            if event.detail.get("post_id") == post_id and text not in (None, replacement):
                detail = {**event.detail, "text": replacement}
                self.trails[case_id][number] = replace(event, detail=detail)
                changed += 1
        return changed

    # -- the send-once ledger --------------------------------------------------------------

    def claim_notification(self, case: Case, notice: Notice, now: datetime) -> bool:
        if self.cases[case.id].version != case.version:
            raise ConcurrentChange(case.id)
        key = (case.id, case.opening, notice)
        if key in self.notices:
            return False
        self.notices[key] = "sending"
        return True

    def release_notification(self, case: Case, notice: Notice) -> None:
        key = (case.id, case.opening, notice)
        if self.notices.get(key) == "sending":
            del self.notices[key]

    def confirm_notification(
        self, case: Case, notice: Notice, message_id: str, event: Event
    ) -> None:
        self.notices[(case.id, case.opening, notice)] = f"sent {message_id}"
        self.trails[case.id].append(event)

    # -- reads ---------------------------------------------------------------------------

    def early_reply(self, channel: str, post_id: str) -> Post | None:
        return self.early.get((channel, post_id))

    def case_holding(self, channel: str, post_id: str) -> str | None:
        found = self.seen.get((channel, post_id))
        return found[0] if found else None

    def thread_case(self, post: Post) -> str | None:
        if self.blind_threads:
            self.blind_threads -= 1
            return None
        if post.conversation_id and (post.channel, post.conversation_id) in self.threads:
            return self.threads[(post.channel, post.conversation_id)]
        return self.case_holding(post.channel, post.in_reply_to) if post.in_reply_to else None

    def link_used_at(self, case_id: str, link_nonce: str) -> datetime | None:
        return self.links.get((case_id, link_nonce))

    def get(self, case_id: str) -> Case:
        if case_id not in self.cases:
            raise CaseNotFound(case_id)
        return self.cases[case_id]

    def history(self, case_id: str) -> tuple[Case, list[Event]]:
        return self.get(case_id), sorted(self.trails[case_id], key=lambda event: event.at)

    def list(self, status: Status, limit: int = 100, oldest_first: bool = False) -> list[Case]:
        found = sorted(
            (case for case in self.cases.values() if case.status is status),
            key=lambda case: case.opened_at,
            reverse=not oldest_first,
        )
        return found[:limit]

    def opened_since(self, status: Status, since: datetime, limit: int = 1000) -> list[Case]:
        return [case for case in self.list(status, limit) if case.opened_at >= since]

    def each(self, status: Status) -> Iterator[Case]:
        yield from self.list(status, len(self.cases))

    # -- what tests look at --------------------------------------------------------------

    def kinds(self, case_id: str) -> list[str]:
        """The case's trail, as its events' kinds, oldest first."""
        return [str(event.kind) for event in self.history(case_id)[1]]


@dataclass
class FakeIncidents:
    """IncidentRepository: terms' recent complaints, incidents and their emails."""

    terms: dict[str, list[tuple[datetime, str, str]]] = field(default_factory=dict)
    open_for: dict[str, str] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    notices: dict[str, str] = field(default_factory=dict)

    def record_complaint(
        self, term: str, case_id: str, author: str, at: datetime, window: float
    ) -> tuple[dict[str, str], str | None]:
        counted = self.terms.setdefault(term, [])
        if all(case != case_id for _, case, _ in counted):
            counted.append((at, case_id, author))
        recent = {
            case: by for when, case, by in counted if abs((at - when).total_seconds()) < window
        }
        return dict(sorted(recent.items())), self.open_for.get(term)

    def create(self, incident: Incident) -> bool:
        if incident.term in self.open_for:
            return False
        self.open_for[incident.term] = incident.id
        self.incidents[incident.id] = incident
        return True

    def open_incident_for(self, term: str) -> str | None:
        return self.open_for.get(term)

    def join(self, incident_id: str, case_id: str) -> Incident | None:
        incident = self.incidents[incident_id]
        if not incident.is_open:
            return None
        members = tuple(sorted({*incident.members, case_id}))
        self.incidents[incident_id] = replace(incident, members=members)
        return self.incidents[incident_id]

    def get(self, incident_id: str) -> Incident:
        if incident_id not in self.incidents:
            raise IncidentNotFound(incident_id)
        return self.incidents[incident_id]

    def list(self, status: IncidentStatus, limit: int = 100) -> list[Incident]:
        return [i for i in self.incidents.values() if i.status is status][:limit]

    def resolve(self, incident_id: str, at: datetime, by: str) -> Incident | None:
        incident = self.get(incident_id)
        if not incident.is_open:
            return None
        resolved = replace(incident, status=IncidentStatus.RESOLVED, resolved_at=at, resolved_by=by)
        self.incidents[incident_id] = resolved
        if self.open_for.get(incident.term) == incident_id:
            del self.open_for[incident.term]
        return resolved

    def claim_notification(self, incident_id: str, now: datetime) -> bool:
        if incident_id in self.notices:
            return False
        self.notices[incident_id] = "sending"
        return True

    def release_notification(self, incident_id: str) -> None:
        if self.notices.get(incident_id) == "sending":
            del self.notices[incident_id]

    def confirm_notification(
        self, incident_id: str, message_id: str, told: list[str], at: datetime
    ) -> None:
        self.notices[incident_id] = f"sent {message_id}"
        incident = self.incidents[incident_id]
        told_of = tuple(sorted({*incident.told, *told}))
        self.incidents[incident_id] = replace(incident, told=told_of, told_at=at)

    def claim_digest(self, incident: Incident, told: list[str], now: datetime) -> bool:
        stored = self.incidents[incident.id]
        if not stored.is_open or stored.told_at != incident.told_at:
            return False
        told_of = tuple(sorted({*stored.told, *told}))
        self.incidents[incident.id] = replace(stored, told=told_of, told_at=now)
        return True

    def release_digest(self, incident: Incident, told: list[str]) -> None:
        stored = self.incidents[incident.id]
        told_of = tuple(member for member in stored.told if member not in told)
        self.incidents[incident.id] = replace(stored, told=told_of, told_at=incident.told_at)


@dataclass
class FakeTimers:
    """Timers: one per name, started once; ended when stopped or when a test says."""

    states: dict[str, str] = field(default_factory=dict)  # execution arn → state
    inputs: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    fail_starts: int = 0  # starts to refuse, as a Step Functions outage would

    def start(self, name: str, case_id: str, timer_round: int, wait_seconds: int) -> str:
        if self.fail_starts:
            self.fail_starts -= 1
            raise ConnectionError("Step Functions is out of reach")
        arn = f"arn:aws:states:us-east-1:123456789012:execution:escalation:{name}"
        if arn not in self.states:
            self.states[arn] = "RUNNING"
            self.inputs[arn] = (case_id, timer_round, wait_seconds)
        return arn

    def running(self) -> set[str]:
        return {arn for arn, state in self.states.items() if state == "RUNNING"}

    def state(self, execution_arn: str) -> str:
        return self.states.get(execution_arn, "MISSING")

    def stop(self, execution_arn: str, reason: str) -> None:
        if self.states.get(execution_arn) == "RUNNING":
            self.states[execution_arn] = "ABORTED"


@dataclass
class FakeMailer:
    """Mailer: keeps what it sent; refuses the addresses it is told to (as SES would)."""

    sent: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def send(self, message: EmailMessage) -> str:
        if message["To"] in self.refuse:
            raise EmailRejected(f"Email address is not verified: {message['To']}")
        self.sent.append(message)
        return f"message-{len(self.sent)}"

    def to(self, recipient: str) -> list[EmailMessage]:
        """The emails sent to one address, oldest first."""
        return [message for message in self.sent if message["To"] == recipient]


@dataclass
class FakeReplier:
    """Replier: keeps the replies it posted; refuses all while `down`."""

    replies: list[tuple[str, str]] = field(default_factory=list)
    down: bool = False

    def reply(self, in_reply_to: str, text: str) -> str:
        if self.down:
            raise ReplyFailed("429 Too Many Requests")
        self.replies.append((in_reply_to, text))
        return f"reply-{len(self.replies)}"


@dataclass
class FakeContacts:
    """AuthorContacts: each author's latest post."""

    latest: dict[tuple[str, str], tuple[str, datetime, datetime | None]] = field(
        default_factory=dict
    )

    def previous_post_at(
        self, channel: str, author_id: str, post_id: str, at: datetime
    ) -> datetime | None:
        before = self.latest.get((channel, author_id))
        if before is not None and before[0] == post_id:
            return before[2]  # the same post again: the same answer
        previous = before[1] if before else None
        self.latest[(channel, author_id)] = (post_id, at, previous)
        return previous


@dataclass
class FakeSigner:
    """LinkSigner: tokens that are the grant itself, numbered (nothing to forge here)."""

    grants: dict[str, ActionToken] = field(default_factory=dict)

    def token(
        self,
        case_id: str,
        opening: int,
        tier: int,
        action: Action,
        recipient: str,
        team: str | None = None,
    ) -> str:
        nonce = f"nonce-{len(self.grants) + 1}"
        grant = ActionToken(case_id, opening, tier, action, recipient, nonce, team)
        self.grants[nonce] = grant
        return nonce

    def verify(self, token: str) -> ActionToken:
        return self.grants[token]

    def grant(self, recipient: str, action: Action) -> ActionToken:
        """The latest link that lets `recipient` do `action`."""
        return next(
            grant
            for grant in reversed(self.grants.values())
            if grant.recipient == recipient and grant.action is action
        )


@dataclass
class FakeQueue:
    """Queue: what was put, in order."""

    messages: list[Post | PostNote | PostReference] = field(default_factory=list)

    def put(self, messages: Sequence[Post | PostNote | PostReference]) -> None:
        self.messages.extend(messages)
