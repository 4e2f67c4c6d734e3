"""The service layer: the use cases, in the order a case lives them.

Each takes the adapters it was built with and the domain does the deciding; nothing
here knows about HTTP, SQS records or Step Functions payloads.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from aws_lambda_powertools import Logger

from chalicelib import telemetry
from chalicelib.adapters.dynamodb.cases import DEDUPE_RETENTION, AuthorContacts, CaseStore
from chalicelib.adapters.dynamodb.incidents import IncidentStore
from chalicelib.adapters.ses import Mailer
from chalicelib.adapters.signing import ActionSigner
from chalicelib.adapters.step_functions import EscalationWorkflow
from chalicelib.adapters.x_api.replies import XReplier
from chalicelib.domain.actions import Action, ActionToken
from chalicelib.domain.cases import Case, Event, Notice, Status, whole_seconds_until
from chalicelib.domain.errors import (
    CaseConflict,
    CaseNotFound,
    ConcurrentChange,
    DuplicatePost,
    EmailRejected,
    LinkUsed,
    ReplyFailed,
    ThreadTaken,
    UnknownTeam,
)
from chalicelib.domain.figures import first_response_seconds
from chalicelib.domain.incidents import Incident, IncidentStatus, storm_terms
from chalicelib.domain.policy import Policy, format_duration
from chalicelib.domain.posts import Post, PostNote
from chalicelib.domain.times import iso, utc_now
from chalicelib.domain.triage import triage
from chalicelib.messages.emails import escalation_emails, incident_email

logger = Logger(service=telemetry.SERVICE, child=True)
MAX_ATTEMPTS = 5
TAKEN_BACK = "(deleted by its author)"  # a post's text once its author unsent or deleted it
MAX_THREAD_RACES = 3  # first posts of one thread racing each other, before SQS's retry
EARLY_WAKE = timedelta(seconds=1)  # the timer's whole-second rounding (see cases.py)
OVERHEARD_INTENTS = frozenset({"complaint", "question"})  # worth a case when not sent to us
REPEAT_CONTACT = timedelta(days=1)  # policy time between an author's posts
SNOOZE_SECONDS = 30 * 60  # policy time a snooze adds
START_GRACE = timedelta(minutes=2)  # wall time a new case's timer may take to start
Change = tuple[Case, list[Event]]  # a case as it should become, and the events saying why


def _person(case: Case) -> str:
    """Who wrote a case's post, as a storm counts people: its channel and author id
    (each case on its own when the author is unknown)."""
    return _person_of(case.post) or f"case:{case.id}"


def _person_of(post: Post) -> str | None:
    """`channel:author id`: whose words a trail line holds (to find and erase them)."""
    return f"{post.channel}:{post.author.id}" if post.author.known else None


@dataclass(frozen=True)
class EscalationStep:
    """What the state machine does next: wait this long and run again, or stop."""

    case_id: str
    wait_seconds: int
    done: bool
    timer_round: int = 0

    def as_output(self) -> dict:
        return {
            "case_id": self.case_id,
            "round": self.timer_round,
            "wait_seconds": self.wait_seconds,
            "done": self.done,
        }


@dataclass
class Escalator:
    store: CaseStore
    workflow: EscalationWorkflow
    mailer: Mailer
    policy: Policy
    sender: str
    base_url: Callable[[], str]  # read per email: set in AWS after the first deploy
    time_scale: float = 1.0
    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep
    # Built on first use, by the one function that uses each: the brand's X user tokens
    # (acknowledgements: the inbox consumer) and the action key (links: the timer's step)
    # are read by no other (each function reads only the secrets it uses).
    replier: Callable[[], XReplier | None] = lambda: None  # acknowledgements on X
    contacts: AuthorContacts | None = None  # spots repeat contact, if given
    incidents: IncidentStore | None = None  # groups storms, if given and the policy says
    links: Callable[[], ActionSigner | None] = lambda: None  # signs emails' action links

    def receive(self, post: Post, tries: int = 0) -> Case | None:
        """Where a post goes: a brand post answers its thread's case; a customer post
        joins its thread's case while that case is in hand, or opens a new one. A post
        listening overheard never reopens or resumes a case: it was not written to us.
        A post older than the dedupe records last (a replay, a retry a month late) is
        late: counted, and nothing more. `tries`: how often the post lost its thread to
        another case's first post, and came back here (bounded: see open_case)."""
        now = post.received_at or self.clock()
        if now - post.created_at_utc > DEDUPE_RETENTION:
            logger.info("late post left alone", extra={"post_id": post.id, "channel": post.channel})
            telemetry.post_late(post.channel)
            return None
        thread = self.store.thread_case(post)
        if post.from_brand:
            return self._brand_replied(post, thread)
        if thread is not None:
            case = self.store.get(thread)
            if case.takes_follow_ups:
                return self._follow_up(case, post)
            reopens = case.may_reopen(post.received_at or self.clock(), self.policy.reopen_within)
            if reopens and post.addressed_to_us:
                return self._reopen(case, post)
        return self.open_case(post, thread, tries)

    def note(self, note: PostNote) -> Case | None:
        """A platform's word about a post it delivered before (edited, unsent, deleted):
        a line on the trail of the case holding the post, once however often it comes;
        never a follow-up, so it resumes, reopens and answers nothing. A post its author
        unsent or deleted is no longer kept: its text goes from the case and the trail
        (X's and Meta's terms ask it, and it was theirs to take back). Returns that case,
        or None when no case holds the post (one never recorded: it is let go)."""
        case_id = self.store.case_holding(note.channel, note.post_id)
        if case_id is None:
            logger.info(
                "note about a post no case holds",
                extra={"channel": note.channel, "post_id": note.post_id, "change": note.change},
            )
            telemetry.event_ignored(note.channel, f"{note.change} post not held")
            return None
        case = self.store.get(case_id)
        by = case.post.author.handle if note.by == case.post.author.id else (note.by or "")
        detail = {"post_id": note.post_id}
        if note.text is not None:
            detail["text"] = note.text[:280]
        author = f"{note.channel}:{note.by}" if note.by else None
        event = Event(note.at, f"post {note.change}", by or "the platform", detail, author)
        try:
            self.store.attach_note(case.id, note, event)
        except DuplicatePost:
            logger.info("duplicate note", extra={"case_id": case.id, "post_id": note.post_id})
        if note.change in ("unsent", "deleted"):
            self.store.forget_post_text(case.id, note.post_id, TAKEN_BACK)

            def take_back(case: Case) -> Change | None:
                if case.post.id != note.post_id or case.post.text == TAKEN_BACK:
                    return None
                return case.post_taken_back(TAKEN_BACK), []

            case = self._settle(self.store.get(case.id), take_back)[1]
        return case

    def _follow_up(self, case: Case, post: Post) -> Case:
        """The customer wrote again in the thread: on the trail, and if the case was
        waiting on them, its clock resumes with the time that was left."""
        event = Event(
            self.clock(),
            "follow-up",
            post.author.handle,
            {"post_id": post.id, "text": post.text[:280]},
            _person_of(post),
        )
        try:
            self.store.attach(case.id, post, event)
        except DuplicatePost as duplicate:
            logger.info("duplicate follow-up", extra={"case_id": case.id, "post_id": post.id})
            telemetry.duplicate_post(post.channel)
            self._written_to_us(duplicate.case_id, post)
        if early := self.store.early_reply(post.channel, post.id):  # it overtook this post
            self._brand_replied(early, case.id)
            case = self.store.get(case.id)
        if case.paused_at is None or not case.is_open or not post.addressed_to_us:
            return self._carry_on(case) if case.is_open else case  # a timer a crash lost

        def resume(case: Case) -> Change | None:
            if case.paused_at is None or not case.is_open:
                return None
            now = max(post.received_at or self.clock(), case.paused_at)  # they wrote then
            resumed = Event(now, "resumed", post.author.handle, {}, _person_of(post))
            return case.resumed(now), [resumed]

        return self._carry_on(self._settle(case, resume)[1])

    def _reopen(self, case: Case, post: Post) -> Case:
        """A customer post soon after the resolution: the case opens again, with a fresh
        clock and a new timer."""
        now = post.received_at or self.clock()
        person = _person_of(post)
        detail = {"post_id": post.id, "text": post.text[:280]}
        event = Event(now, "reopened", post.author.handle, detail, person)
        try:
            self.store.attach(
                case.id,
                post,
                Event(now, "follow-up", post.author.handle, {"post_id": post.id}, person),
            )
        except DuplicatePost:
            logger.info("duplicate post", extra={"case_id": case.id, "post_id": post.id})
            telemetry.duplicate_post(post.channel)
            if post.id == case.post.id:  # the post that opened it, again: no reopening
                return self._written_to_us(case.id, post)

        def reopen(case: Case) -> Change | None:
            if case.status is not Status.RESOLVED:
                return None  # reopened already (a redelivery), or changed otherwise
            return case.reopened(now), [event]

        reopened = self._settle(case, reopen)[1]
        return self._carry_on(reopened)

    def _brand_replied(self, post: Post, case_id: str | None) -> Case | None:
        """The brand answered on the platform: the first such answer ends the escalation.
        A reply can overtake the post it answers in the queue: it is then held for the
        case that post will open (and looked for once more, in case it opened meanwhile)."""
        if case_id is None and post.in_reply_to:
            self.store.hold_early_reply(post)
            case_id = self.store.thread_case(post)
        if case_id is None:
            logger.info("brand post outside any case", extra={"post_id": post.id})
            return None
        by = f"{post.author.handle} on {post.channel}"
        event = Event(
            self.clock(),
            "brand reply",
            by,
            {
                "post_id": post.id,
                "text": post.text[:280],
                "private": post.private,
            },
        )
        try:
            self.store.attach(case_id, post, event)
        except DuplicatePost as seen:
            if seen.acknowledgement:  # our own automatic reply, delivered back to us
                return self.store.get(case_id)
            # otherwise a redelivery: make sure it answered
        try:
            return self.respond(case_id, by, post.text, at=post.received_at)
        except CaseConflict:  # answered before: this reply is on the trail, that is all
            return self.store.get(case_id)

    def _written_to_us(self, case_id: str, post: Post) -> Case:
        """A post seen before, again: if listening found it first and now it comes
        written to the brand (a mention), its case is no longer overheard."""

        def addressed(case: Case) -> Change | None:
            if case.post.id != post.id or case.post.addressed_to_us or not post.addressed_to_us:
                return None
            detail = {"post_id": post.id, "found_by": case.post.found_by}
            return case.addressed(post), [
                Event(self.clock(), "addressed to us", "escalator", detail)
            ]

        return self._settle(self.store.get(case_id), addressed)[1]

    def open_case(self, post: Post, thread: str | None = None, tries: int = 0) -> Case | None:
        """Triage a post and record it as a case; start its timer if it needs one.
        Safe to repeat: a post seen before returns its case, restarting a timer that a
        crash kept from starting. `thread`: the closed case that held its conversation.
        A post listening overheard opens a case only if it is a complaint or a question."""
        now = post.received_at or self.clock()
        verdict = triage(
            post.text,
            post.author.followers,
            post.engagement,
            post.addressed_to_us and self._repeat_contact(post, now),  # overheard: no contact
            self.policy.taxonomy,
        )
        telemetry.topics_timed_out(verdict.timed_out_topics)
        if not post.addressed_to_us and verdict.intent not in OVERHEARD_INTENTS:
            logger.info(
                "overheard post left alone",
                extra={"post_id": post.id, "intent": verdict.intent, "found_by": post.found_by},
            )
            telemetry.post_overheard(post.channel, verdict.intent)
            return None
        rule = self.policy.for_case(
            post.channel, verdict.intent, verdict.priority, post.brand, verdict.topic, post.language
        )
        calendar = self.policy.calendar_for(rule)
        case = Case.open(post, verdict, rule, now, self.time_scale, calendar)
        opened = Event(
            now,
            "opened",
            "triage",
            {
                "intent": case.intent,
                "priority": case.priority,
                "policy": rule.name,
                "team": rule.team,
                "topic": case.topic,
                "status": str(case.status),
                "starts_at_tier": case.tier + 1 if case.tier else None,
                "calendar": rule.calendar,
            },
        )
        try:
            self.store.create(case, opened, thread)
        except ThreadTaken:  # another first post of the thread won: this one joins it
            if tries >= MAX_THREAD_RACES:
                raise  # the thread keeps changing hands: SQS tries the post again later
            return self.receive(post, tries + 1)
        except DuplicatePost as duplicate:
            logger.info("duplicate post", extra={"case_id": duplicate.case_id, "post_id": post.id})
            telemetry.duplicate_post(post.channel)
            case = self._written_to_us(duplicate.case_id, post)
            return self._carry_on(case, retry=True)  # finish what a crash cut short
        telemetry.case_opened(post.channel, case.intent)
        if early := self.store.early_reply(post.channel, post.id):
            return self._brand_replied(early, case.id)  # it came before the post it answers
        if (
            rule.acknowledge
            and post.channel == "x"
            and not post.private
            and post.author.known  # {handle} must name someone
            and (replier := self.replier())
        ):
            self._acknowledge(case, rule.acknowledge, replier)
        logger.info(
            "case recorded",
            extra={
                "case_id": case.id,
                "channel": post.channel,
                "intent": case.intent,
                "status": str(case.status),
            },
        )
        return self._carry_on(case)

    def _carry_on(self, case: Case, retry: bool = False) -> Case:
        """A recorded case's next steps: a complaint may join a storm's incident (whose
        first email goes out if it has not; later joiners are in its digest); otherwise
        an open case's timer starts. An urgent complaint never joins a storm: it
        escalates on its own, whatever else is going on. Each step is safe to repeat."""
        joins = case.intent == "complaint" and case.priority != "urgent"
        if case.is_open and joins and not case.incident_id:
            case = self._join_storm(case, retry) or case
        if case.incident_id:
            self._notify_incident(self.incidents.get(case.incident_id))
            return case
        if case.is_open and case.execution_arn is None:
            return self._start_timer(case)
        return case

    def _repeat_contact(self, post: Post, now: datetime) -> bool:
        if self.contacts is None or not post.author.known:
            return False
        before = self.contacts.previous_post_at(post.channel, post.author.id, post.id, now)
        return before is not None and abs(now - before) * self.time_scale <= REPEAT_CONTACT

    def _join_storm(self, case: Case, retry: bool) -> Case | None:
        """Count the complaint under each of its terms; when as many people as the storm
        threshold have used one, the case joins that term's incident (opening it if need
        be) and stops escalating by itself. Returns the case as joined, or None."""
        storms = self.policy.storms
        if storms is None or self.incidents is None:
            return None
        window = storms.window / self.time_scale
        for term in storm_terms(case.post.text):
            members, incident_id = self.incidents.record_complaint(
                term, case.id, _person(case), case.opened_at, window
            )
            if incident_id is None and len(set(members.values())) >= storms.threshold:
                incident = self._open_incident(term, case, members, storms.threshold)
                if incident is not None:
                    return self._link_all(case, incident)
                incident_id = self.incidents.open_incident_for(term)
            incident = incident_id and self.incidents.join(incident_id, case.id)
            if incident:
                return self._link_all(case, incident) if retry else self._link(case, incident)
        return None

    def _open_incident(
        self, term: str, case: Case, members: dict[str, str], threshold: int
    ) -> Incident | None:
        """Open an incident for the term with the complaints still in hand and in no other
        incident (`members`: case → author); None if their authors are too few, or
        someone else opened one first."""
        others = [self.store.get(member) for member in members if member != case.id]
        grouped = [case.id, *(c.id for c in others if c.is_open and not c.incident_id)]
        if len({members.get(member, member) for member in grouped}) < threshold:
            return None
        incident = Incident.open(term, self.clock(), grouped)
        return incident if self.incidents.create(incident) else None

    def _link_all(self, case: Case, incident: Incident) -> Case:
        """Link the case to its incident, and every member not linked yet: on a retry,
        this may be the opener, stopped half-way the first time."""
        for member in incident.members:
            if member != case.id:
                self._link(self.store.get(member), incident)
        return self._link(case, incident)

    def _link(self, case: Case, incident: Incident) -> Case:
        """Make the case part of the incident: its own escalation ends there."""

        def join(case: Case) -> Change | None:
            if case.incident_id or not case.is_open:
                return None
            event = Event(
                self.clock(),
                "joined incident",
                "storm",
                {"incident_id": incident.id, "term": incident.term},
            )
            return case.joined(incident.id), [event]

        before, joined = self._settle(case, join)
        if joined is not before and before.execution_arn:
            self._stop_timer(case.id, before.execution_arn, "joined an incident")
        return joined

    def _notify_incident(self, incident: Incident) -> None:
        """The crisis tier's one email about the incident: the first member to get here
        sends it, the others find it claimed."""
        now = self.clock()
        if self.policy.storms is None:  # storms switched off since: nobody to tell
            return
        if not self.incidents.claim_notification(incident.id, now):
            return
        cases = [self.store.get(member) for member in incident.members]
        message = incident_email(
            incident,
            cases,
            self.policy.storms.notify,
            format_duration(self.policy.storms.window),
            now,
            self.sender,
            self.base_url(),
        )
        try:
            message_id = self.mailer.send(message)
        except EmailRejected:
            self.incidents.release_notification(incident.id)
            raise
        self.incidents.confirm_notification(incident.id, message_id, list(incident.members), now)
        logger.info("incident notified", extra={"incident_id": incident.id, "term": incident.term})

    def send_incident_digests(self) -> list[str]:
        """Tell each open incident's recipients of the complaints that joined it since
        its last email: one digest at most per storm window, once that window is over
        (so a stream of joiners makes one email, not one each). Returns the incidents
        that sent one."""
        storms = self.policy.storms
        if storms is None or self.incidents is None:
            return []
        sent = []
        now = self.clock()
        window = timedelta(seconds=storms.window / self.time_scale)
        for incident in self.incidents.list(IncidentStatus.OPEN):
            joined = list(incident.untold)
            if not joined or incident.told_at is None or now < incident.told_at + window:
                continue  # nothing new, its notice not out yet, or within its window
            if not self.incidents.claim_digest(incident, joined, now):
                continue  # another run took it, or it was resolved meanwhile
            message = incident_email(
                incident,
                [self.store.get(member) for member in joined],
                storms.notify,
                format_duration(storms.window),
                now,
                self.sender,
                self.base_url(),
                digest=True,
            )
            try:
                self.mailer.send(message)
            except EmailRejected:
                self.incidents.release_digest(incident, joined)
                logger.exception("incident digest refused", extra={"incident_id": incident.id})
                continue
            logger.info("incident digest sent", extra={"incident_id": incident.id})
            sent.append(incident.id)
        return sent

    def _acknowledge(self, case: Case, template: str, replier: XReplier) -> None:
        """Send the policy's public acknowledgement; it is not a response, so the case's
        clock runs on. Sent once: a redelivered post never gets here."""
        text = template.format(handle=case.post.author.handle)
        try:
            reply_id = replier.reply(case.post.id, text)
        except ReplyFailed as failure:
            logger.warning(
                "acknowledgement not sent", extra={"case_id": case.id, "error": str(failure)}
            )
            return
        event = Event(
            self.clock(), "auto-replied", "escalator", {"post_id": reply_id, "text": text}
        )
        self.store.record_acknowledgement(case.id, case.post.channel, reply_id, event)

    def _start_timer(self, case: Case) -> Case:
        """Start the case's timer for its round: at once when an email is owed."""
        wait = 0 if case.unsent else case.seconds_until_next_deadline(self.clock()) or 0
        arn = self.workflow.start(case.timer_name, case.id, case.timer_round, wait)

        def record_start(stored: Case) -> Change | None:
            if stored.timer_round != case.timer_round:
                return None  # a later round started meanwhile: this timer's first step ends
            if not stored.is_open or stored.execution_arn or stored.incident_id:
                return None  # answered or grouped meanwhile: the timer's first step ends
            deadline = stored.next_deadline
            started = Event(
                self.clock(),
                "timer started",
                "escalator",
                {
                    "first_deadline": iso(deadline) if deadline else None,
                },
            )
            return stored.started(arn), [started]

        stored = self._settle(case, record_start)[1]
        if stored.incident_id and stored.execution_arn != arn:
            self._stop_timer(stored.id, arn, "joined an incident")
        return stored

    def _settle(
        self,
        case: Case,
        decide: Callable[[Case], Change | None],
        link_nonce: str | None = None,
    ) -> tuple[Case, Case]:
        """Store what `decide` makes of the case as read; if someone changed the case
        meanwhile, read it again and decide again. Returns the case as the decision
        read it, and as stored (the same when there was nothing to do). `link_nonce`:
        the email link making the change, which may make it only once (LinkUsed)."""
        for _ in range(MAX_ATTEMPTS):
            decision = decide(case)
            if decision is None:
                return case, case
            changed, events = decision
            try:
                return case, self.store.update(case, changed, *events, link_nonce=link_nonce)
            except ConcurrentChange:
                case = self.store.get(case.id)
        raise ConcurrentChange(case.id)

    def escalate(self, case_id: str, timer_round: int = 0) -> EscalationStep:
        """The timer's step: if the case is still unanswered at its deadline, move it
        up a tier (or repeat the last) and email once; then say how long to wait."""
        try:
            case = self.store.get(case_id)
        except CaseNotFound:
            logger.warning("timer for a case that does not exist", extra={"case_id": case_id})
            return EscalationStep(case_id, 0, done=True, timer_round=timer_round)
        if not case.is_open or case.incident_id or case.timer_round != timer_round:
            # answered, the incident's now, or a timer of a round that is over
            return EscalationStep(case_id, 0, done=True, timer_round=timer_round)
        now = self._wait_out_early_wake(case)
        if case.is_due(now):
            tier = case.next_tier
            detail = (
                {"tier": tier.number, "deadline": iso(case.deadline(tier))}
                if tier
                else {"tier": len(case.tiers), "repeat": case.repeats_due + 1}
            )
            breached_before = case.breached
            try:
                case = self.store.update(
                    case, case.advanced(), Event(now, "escalated", "timer", detail)
                )
            except ConcurrentChange:  # re-decide on fresh state
                return EscalationStep(case_id, 0, done=False, timer_round=timer_round)
            if tier is not None:
                telemetry.escalated(case.post.channel, tier.number)
            if case.breached and not breached_before:  # its first deadline, missed
                telemetry.sla_breached(case.post.channel)
        wake = case.next_deadline
        if (owed := case.unsent) is not None:
            held = case.quiet_until(owed[0], now)
            if held is None:
                case = self._notify(case, now)
                wake = now if case.unsent else case.next_deadline  # more owed: at once
            elif wake is None or held < wake:
                # The email waits out its recipients' quiet hours; rounded up, as the
                # escalate step does not wait out an early wake for it.
                wait = math.ceil(max(0.0, (held - self.clock()).total_seconds()))
                return EscalationStep(case_id, wait, done=False, timer_round=timer_round)
        if wake is None:
            return EscalationStep(case_id, 0, done=True, timer_round=timer_round)
        wait = whole_seconds_until(wake, self.clock())
        return EscalationStep(case_id, wait, done=False, timer_round=timer_round)

    def _wait_out_early_wake(self, case: Case) -> datetime:
        now = self.clock()
        deadline = case.next_deadline
        if deadline is not None and now < deadline <= now + EARLY_WAKE:
            self.sleep((deadline - now).total_seconds())
            now = self.clock()
        return now

    def _notify(self, case: Case, now: datetime) -> Case:
        """Send the emails the case owes (a tier's, or a repeat of the last), one per
        person, each at most once whatever the retries; never once the case has changed
        (been answered) since it was read."""
        tier, repeat = case.unsent
        events = self.store.history(case.id)[1]  # read, and rendered, before any claim
        messages = escalation_emails(
            case,
            tier,
            repeat,
            events,
            now,
            self.sender,
            self.base_url(),
            self.links(),
            list(self.policy.teams),
        )
        refused = []
        for message in messages:
            notice = Notice(tier.number, repeat, message["To"])
            try:
                claimed = self.store.claim_notification(case, notice, now)
            except ConcurrentChange:
                case = self.store.get(case.id)
                if not case.is_open or case.incident_id or case.unsent != (tier, repeat):
                    return case
                return self._notify(case, now)
            if claimed and (refusal := self._send(case, notice, message, now)):
                refused.append((notice, refusal))
        if refused and len(refused) == len(messages):
            raise refused[0][1]  # nobody reached: the state machine retries the tier
        for notice, refusal in refused:  # the others were told: escalation carries on
            logger.error(
                "email refused",
                extra={"case_id": case.id, "to": notice.recipient, "error": str(refusal)},
            )
            detail = {"tier": notice.tier, "to": [notice.recipient], "error": str(refusal)[:500]}
            self.store.append_event(case.id, Event(now, "email refused", "timer", detail))
        # A response may land meanwhile: the emails went out all the same, so record it.
        return self._settle(
            case,
            lambda case: None if case.unsent != (tier, repeat) else (case.sent(tier, repeat), []),
        )[1]

    def _send(
        self, case: Case, notice: Notice, message: EmailMessage, now: datetime
    ) -> EmailRejected | None:
        """Send one claimed email and put it on the trail; when SES refused it, give the
        claim back (it surely went nowhere) and return the refusal. Any other failure
        (a timeout) keeps the claim: at most once, even if the email may be lost."""
        try:
            message_id = self.mailer.send(message)
        except EmailRejected as refusal:
            self.store.release_notification(case, notice)
            return refusal
        detail = {"tier": notice.tier, "to": [notice.recipient], "message_id": message_id}
        if notice.repeat:
            detail["repeat"] = notice.repeat
        sent = Event(now, "notified", "timer", detail)
        self.store.confirm_notification(case, notice, message_id, sent)
        logger.info("tier notified", extra={"case_id": case.id, "tier": notice.tier})
        return None

    def respond(
        self, case_id: str, by: str, text: str | None = None, at: datetime | None = None
    ) -> Case:
        """Record the first response: the escalation ends. `at`: when it was given, if
        earlier than now: a platform reply is timed by its arrival, not by when the queue
        got to it (an escalation may have gone out in between; the trail shows both)."""
        case = self._change(
            case_id,
            by,
            "responded",
            lambda case, now: case.responded(
                max(min(at, now), case.opened_at) if at else now, by, text
            ),
        )
        if (seconds := first_response_seconds(case)) is not None:
            telemetry.first_response(case.post.channel, seconds)
        return case

    def take(
        self,
        case_id: str,
        action: Action,
        by: str,
        link: ActionToken | None = None,
        team: str | None = None,
    ) -> Case:
        """A supervisor's action on a case, from the agent API or an email `link`; `team`:
        where a move hands it (an email link names its own)."""
        kind, change = self._decision(action, by, link, team)
        return self._change(case_id, by, kind, change, link)

    def act(self, link: ActionToken) -> Case:
        """What an email's action link asks, done once, in the recipient's name. A link
        that acted before raises LinkUsed, after making sure the timer it restarted
        runs (its start may have failed after the change was stored)."""
        try:
            if self.store.link_used_at(link.case_id, link.nonce):
                raise LinkUsed(link.case_id)
            return self.take(link.case_id, link.action, link.recipient, link)
        except LinkUsed:
            self._ensure_timer(self.store.get(link.case_id))
            raise

    def preview(self, link: ActionToken) -> Case:
        """The case an email link is about, if the link may act on it now: raises what
        `act` would (LinkUsed, CaseConflict), and changes nothing."""
        case = self.store.get(link.case_id)
        if self.store.link_used_at(case.id, link.nonce):
            raise LinkUsed(case.id)
        self._decision(link.action, link.recipient, link)[1](case, self.clock())
        return case

    def _decision(
        self, action: Action, by: str, link: ActionToken | None, team: str | None = None
    ) -> tuple[str, Callable[[Case, datetime], Case]]:
        """The audit event's kind, and the domain change. An email link acts only on
        the opening it was sent for, while its recipient is still one of the people the
        case's tiers email (a move takes the case from the old team's hands); snooze and
        escalate only while the case is still at the link's tier (an older email's people
        cannot push a later tier around)."""
        match action:
            case Action.ACKNOWLEDGE:
                kind, change = "acknowledged", lambda case, now: case.acknowledged(now, by)
            case Action.CLAIM:
                kind, change = "claimed", lambda case, now: case.claimed(now, by)
            case Action.SNOOZE:
                kind, change = "snoozed", lambda case, now: case.snoozed(SNOOZE_SECONDS)
            case Action.ESCALATE:
                kind, change = "escalated", lambda case, now: case.escalated_now()
            case Action.RESOLVE:
                kind, change = "resolved", lambda case, now: case.resolved(now, by)
            case Action.MOVE:
                kind, change = "moved", self._move_to((link and link.team) or team)
        if link is None:
            return kind, change

        def linked(case: Case, now: datetime) -> Case:
            if case.opening != link.opening:
                raise CaseConflict(case.id, "the email is about another opening of this case")
            if link.recipient not in case.people:
                raise CaseConflict(
                    case.id,
                    f"{link.recipient} is no longer among the people this case's tiers email "
                    f"(it is with {case.team or 'another team'} now)",
                )
            if action in (Action.SNOOZE, Action.ESCALATE) and case.tier != link.tier:
                raise CaseConflict(case.id, f"case is at tier {case.tier} now, not {link.tier}")
            return change(case, now)

        return kind, linked

    def move(self, case_id: str, team: str, by: str) -> Case:
        """Hand a case to another team (see `Action.MOVE`), from the agent API."""
        return self.take(case_id, Action.MOVE, by, team=team)

    def _move_to(self, team: str | None) -> Callable[[Case, datetime], Case]:
        """A move to `team` (see `Case.moved`); UnknownTeam for a team the policy does
        not have."""
        if team not in self.policy.teams:
            raise UnknownTeam(team, sorted(self.policy.teams))
        spec = self.policy.teams[team]
        quiet = spec.quiet_hours.quiet_hours() if spec.quiet_hours else None
        return lambda case, now: case.moved(
            team, [spec.members_for(tier.number) for tier in case.tiers], quiet
        )

    def pause(self, case_id: str, by: str) -> Case:
        """Waiting on the customer: the clock stops until they write again."""
        return self._change(case_id, by, "paused", lambda case, now: case.paused(now))

    def _change(
        self,
        case_id: str,
        by: str,
        kind: str,
        change: Callable[[Case, datetime], Case],
        link: ActionToken | None = None,
    ) -> Case:
        """Make a person's change to the case, and bring its timer in line: stopped when
        the change ends it or restarts it (a new round), started when it restarts."""

        def decide(case: Case) -> Change:
            now = self.clock()  # after the read: later than any escalation the read saw
            waited = case.policy_time_since_opened(now).total_seconds()
            detail = {"waited_seconds": round(waited), "tier": case.tier}
            changed = change(case, now)
            if changed.held_until and changed.held_until != case.held_until:
                detail["until"] = iso(changed.held_until)
            if changed.tier != case.tier:
                detail["to_tier"] = changed.tier
            if changed.team != case.team:
                detail.update(from_team=case.team, to_team=changed.team)
            if link is not None:
                detail["via"] = f"email link (tier {link.tier})"
            return changed, [Event(now, kind, by, detail)]

        before, changed = self._settle(
            self.store.get(case_id), decide, link.nonce if link else None
        )
        timer_ends = not changed.is_open or changed.execution_arn != before.execution_arn
        if before.is_open and before.execution_arn and timer_ends:
            self._stop_timer(case_id, before.execution_arn, f"{kind} by {by}")
        return self._ensure_timer(changed)

    def _ensure_timer(self, case: Case) -> Case:
        """Start the timer of a case that should have one running and has none (a new
        round, or a start that failed)."""
        if case.is_open and not (case.paused_at or case.incident_id or case.execution_arn):
            return self._start_timer(case)
        return case

    def reconcile_timers(self, grace: timedelta = START_GRACE) -> list[str]:
        """The safety net under the timers: every open case that should be escalating
        (`Case.needs_timer`) and has no running execution gets one: a start a crash lost
        is made again (under the same name, so never twice), and a timer that ended early
        (failed, aborted, timed out, gone) is replaced by a new round's. Paused cases and
        an incident's are left alone, and so are cases opened less than `grace` ago (the
        consumer may be starting their timer). One case that fails is logged and left to
        the next run; the others go on. Returns the ids of the cases given a timer."""
        restarted = []
        running = self.workflow.running()  # listed once: a describe per case would not scale
        settled_before = self.clock() - grace
        for case in self.store.each(Status.OPEN):
            if not case.needs_timer or case.execution_arn in running:
                continue
            if case.execution_arn is None and case.opened_at > settled_before:
                continue
            try:
                reason = self._reconcile(case)
            except Exception:
                logger.exception("timer not restarted", extra={"case_id": case.id})
                continue
            if reason is not None:
                logger.warning("timer restarted", extra={"case_id": case.id, "reason": reason})
                telemetry.timer_restarted(reason)
                restarted.append(case.id)
        return restarted

    def _reconcile(self, case: Case) -> str | None:
        """Give a case without a running timer its timer; returns why it had none, or
        None if it turned out to have one after all."""
        if case.execution_arn is None:
            reason, stored = "never started", self._start_timer(case)
        elif (state := self.workflow.state(case.execution_arn)) != "RUNNING":
            reason, stored = state.lower(), self._rearm(case, state)
        else:
            return None  # started after the listing
        return reason if stored.execution_arn not in (None, case.execution_arn) else None

    def _rearm(self, case: Case, state: str) -> Case:
        """Replace a case's ended timer with a new round's, unless the case moved on
        meanwhile (answered, or another timer took over)."""
        ended = case.execution_arn

        def rearm(case: Case) -> Change | None:
            if case.execution_arn != ended or not case.needs_timer:
                return None
            event = Event(self.clock(), "timer restarted", "reconciler", {"was": state})
            return case.rearmed(), [event]

        return self._ensure_timer(self._settle(case, rearm)[1])

    def _stop_timer(self, case_id: str, execution_arn: str, cause: str) -> None:
        try:
            self.workflow.stop(execution_arn, cause)
        except Exception:  # the timer's next step re-reads the case and ends
            logger.exception("could not stop the timer", extra={"case_id": case_id})

    def resolve_incident(self, incident_id: str, by: str, everyone: bool = False) -> Incident:
        """Close an incident and resolve its cases still in hand that its emails told its
        recipients of (or all of them, `everyone`); the others leave it and escalate on
        their own again (a complaint that joined unseen may be another problem)."""
        resolved = self.incidents.resolve(incident_id, self.clock(), by)
        if resolved is None:
            self.incidents.get(incident_id)  # IncidentNotFound if there is none
            raise CaseConflict(incident_id, "incident is already resolved")
        for case_id in resolved.members:
            try:
                if everyone or case_id in resolved.told:
                    self.take(case_id, Action.RESOLVE, by)
                else:
                    self._leave_incident(case_id, resolved, by)
            except (CaseConflict, CaseNotFound):
                continue  # resolved already, or gone
        return resolved

    def _leave_incident(self, case_id: str, incident: Incident, by: str) -> Case:
        """The incident was resolved without this case, which nobody was told of: it
        escalates on its own again, in a new timer round, on its own clock."""

        def leave(case: Case) -> Change | None:
            if case.incident_id != incident.id or not case.is_open:
                return None
            detail = {"incident_id": incident.id}
            return case.left_incident(), [Event(self.clock(), "left incident", by, detail)]

        return self._ensure_timer(self._settle(self.store.get(case_id), leave)[1])
