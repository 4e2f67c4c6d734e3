"""A post's way into a case: a brand post answers its thread's case; a customer post
joins its thread's case while that case is in hand, reopens it soon after its
resolution, or is triaged and opens a case of its own (whose timer starts, unless it
joins a storm). Every step is safe to repeat: a redelivered post changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger

from chalicelib import telemetry
from chalicelib.domain.case_clock import Status
from chalicelib.domain.cases import Case, Event, EventKind
from chalicelib.domain.errors import CaseConflict, DuplicatePost, ReplyFailed, ThreadTaken
from chalicelib.domain.posts import Post, PostNote, person_of
from chalicelib.domain.retention import DEDUPE_RETENTION
from chalicelib.domain.triage import triage
from chalicelib.use_cases import agent_actions, changes, storms, timers
from chalicelib.use_cases.changes import Change

if TYPE_CHECKING:
    from chalicelib.ports import Replier
    from chalicelib.use_cases.context import Context

logger = Logger(service=telemetry.SERVICE, child=True)
TAKEN_BACK = "(deleted by its author)"  # a post's text once its author unsent or deleted it
MAX_THREAD_RACES = 3  # first posts of one thread racing each other, before SQS's retry
OVERHEARD_INTENTS = frozenset({"complaint", "question"})  # worth a case when not sent to us
REPEAT_CONTACT = timedelta(days=1)  # policy time between an author's posts


def receive(ctx: Context, post: Post, tries: int = 0) -> Case | None:
    """Where a post goes: a brand post answers its thread's case; a customer post
    joins its thread's case while that case is in hand, or opens a new one. A post
    listening overheard never reopens or resumes a case: it was not written to us.
    A post older than the dedupe records last (a replay, a retry a month late) is
    late: counted, and nothing more. `tries`: how often the post lost its thread to
    another case's first post, and came back here (bounded: see open_case)."""
    now = post.received_at or ctx.clock()
    if now - post.created_at_utc > DEDUPE_RETENTION:
        logger.info("late post left alone", extra={"post_id": post.id, "channel": post.channel})
        telemetry.post_late(post.channel)
        return None
    thread = ctx.cases.thread_case(post)
    if post.from_brand:
        return _brand_replied(ctx, post, thread)
    if thread is not None:
        case = ctx.cases.get(thread)
        if case.takes_follow_ups:
            return _follow_up(ctx, case, post)
        reopens = case.may_reopen(post.received_at or ctx.clock(), ctx.policy.reopen_within)
        if reopens and post.addressed_to_us:
            return _reopen(ctx, case, post)
    return open_case(ctx, post, thread, tries)


def note(ctx: Context, note: PostNote) -> Case | None:
    """A platform's word about a post it delivered before (edited, unsent, deleted):
    a line on the trail of the case holding the post, once however often it comes;
    never a follow-up, so it resumes, reopens and answers nothing. A post its author
    unsent or deleted is no longer kept: its text goes from the case and the trail
    (X's and Meta's terms ask it, and it was theirs to take back). Returns that case,
    or None when no case holds the post (one never recorded: it is let go)."""
    case_id = ctx.cases.case_holding(note.channel, note.post_id)
    if case_id is None:
        logger.info(
            "note about a post no case holds",
            extra={"channel": note.channel, "post_id": note.post_id, "change": note.change},
        )
        telemetry.event_ignored(note.channel, f"{note.change} post not held")
        return None
    case = ctx.cases.get(case_id)
    by = case.post.author.handle if note.by == case.post.author.id else (note.by or "")
    detail = {"post_id": note.post_id}
    if note.text is not None:
        detail["text"] = note.text[:280]
    author = f"{note.channel}:{note.by}" if note.by else None
    event = Event(note.at, EventKind(f"post {note.change}"), by or "the platform", detail, author)
    try:
        ctx.cases.attach_note(case.id, note, event)
    except DuplicatePost:
        logger.info("duplicate note", extra={"case_id": case.id, "post_id": note.post_id})
    if note.change in ("unsent", "deleted"):
        ctx.cases.forget_post_text(case.id, note.post_id, TAKEN_BACK)

        def take_back(case: Case) -> Change | None:
            if case.post.id != note.post_id or case.post.text == TAKEN_BACK:
                return None
            return case.post_taken_back(TAKEN_BACK), []

        case = changes.settle(ctx, ctx.cases.get(case.id), take_back)[1]
    return case


def _follow_up(ctx: Context, case: Case, post: Post) -> Case:
    """The customer wrote again in the thread: on the trail, and if the case was
    waiting on them, its clock resumes with the time that was left."""
    event = Event(
        ctx.clock(),
        EventKind.FOLLOW_UP,
        post.author.handle,
        {"post_id": post.id, "text": post.text[:280]},
        person_of(post),
    )
    try:
        ctx.cases.attach(case.id, post, event)
    except DuplicatePost as duplicate:
        logger.info("duplicate follow-up", extra={"case_id": case.id, "post_id": post.id})
        telemetry.duplicate_post(post.channel)
        _written_to_us(ctx, duplicate.case_id, post)
    if early := ctx.cases.early_reply(post.channel, post.id):  # it overtook this post
        _brand_replied(ctx, early, case.id)
        case = ctx.cases.get(case.id)
    if case.paused_at is None or not case.is_open or not post.addressed_to_us:
        return _carry_on(ctx, case) if case.is_open else case  # a timer a crash lost

    def resume(case: Case) -> Change | None:
        if case.paused_at is None or not case.is_open:
            return None
        now = max(post.received_at or ctx.clock(), case.paused_at)  # they wrote then
        resumed = Event(now, EventKind.RESUMED, post.author.handle, {}, person_of(post))
        return case.resumed(now), [resumed]

    return _carry_on(ctx, changes.settle(ctx, case, resume)[1])


def _reopen(ctx: Context, case: Case, post: Post) -> Case:
    """A customer post soon after the resolution: the case opens again, with a fresh
    clock and a new timer."""
    now = post.received_at or ctx.clock()
    person = person_of(post)
    detail = {"post_id": post.id, "text": post.text[:280]}
    event = Event(now, EventKind.REOPENED, post.author.handle, detail, person)
    try:
        ctx.cases.attach(
            case.id,
            post,
            Event(now, EventKind.FOLLOW_UP, post.author.handle, {"post_id": post.id}, person),
        )
    except DuplicatePost:
        logger.info("duplicate post", extra={"case_id": case.id, "post_id": post.id})
        telemetry.duplicate_post(post.channel)
        if post.id == case.post.id:  # the post that opened it, again: no reopening
            return _written_to_us(ctx, case.id, post)

    def reopen(case: Case) -> Change | None:
        if case.status is not Status.RESOLVED:
            return None  # reopened already (a redelivery), or changed otherwise
        return case.reopened(now), [event]

    reopened = changes.settle(ctx, case, reopen)[1]
    return _carry_on(ctx, reopened)


def _brand_replied(ctx: Context, post: Post, case_id: str | None) -> Case | None:
    """The brand answered on the platform: the first such answer ends the escalation.
    A reply can overtake the post it answers in the queue: it is then held for the
    case that post will open (and looked for once more, in case it opened meanwhile)."""
    if case_id is None and post.in_reply_to:
        ctx.cases.hold_early_reply(post)
        case_id = ctx.cases.thread_case(post)
    if case_id is None:
        logger.info("brand post outside any case", extra={"post_id": post.id})
        return None
    by = f"{post.author.handle} on {post.channel}"
    event = Event(
        ctx.clock(),
        EventKind.BRAND_REPLY,
        by,
        {
            "post_id": post.id,
            "text": post.text[:280],
            "private": post.private,
        },
    )
    try:
        ctx.cases.attach(case_id, post, event)
    except DuplicatePost as seen:
        if seen.acknowledgement:  # our own automatic reply, delivered back to us
            return ctx.cases.get(case_id)
        # otherwise a redelivery: make sure it answered
    try:
        return agent_actions.respond(ctx, case_id, by, post.text, at=post.received_at)
    except CaseConflict:  # answered before: this reply is on the trail, that is all
        return ctx.cases.get(case_id)


def _written_to_us(ctx: Context, case_id: str, post: Post) -> Case:
    """A post seen before, again: if listening found it first and now it comes
    written to the brand (a mention), its case is no longer overheard."""

    def addressed(case: Case) -> Change | None:
        if case.post.id != post.id or case.post.addressed_to_us or not post.addressed_to_us:
            return None
        detail = {"post_id": post.id, "found_by": case.post.found_by}
        return case.addressed(post), [
            Event(ctx.clock(), EventKind.ADDRESSED_TO_US, "escalator", detail)
        ]

    return changes.settle(ctx, ctx.cases.get(case_id), addressed)[1]


def open_case(ctx: Context, post: Post, thread: str | None = None, tries: int = 0) -> Case | None:
    """Triage a post and record it as a case; start its timer if it needs one.
    Safe to repeat: a post seen before returns its case, restarting a timer that a
    crash kept from starting. `thread`: the closed case that held its conversation.
    A post listening overheard opens a case only if it is a complaint or a question."""
    now = post.received_at or ctx.clock()
    verdict = triage(
        post.text,
        post.author.followers,
        post.engagement,
        post.addressed_to_us and _repeat_contact(ctx, post, now),  # overheard: no contact
        ctx.policy.taxonomy,
    )
    telemetry.topics_timed_out(verdict.timed_out_topics)
    if not post.addressed_to_us and verdict.intent not in OVERHEARD_INTENTS:
        logger.info(
            "overheard post left alone",
            extra={"post_id": post.id, "intent": verdict.intent, "found_by": post.found_by},
        )
        telemetry.post_overheard(post.channel, verdict.intent)
        return None
    rule = ctx.policy.for_case(
        post.channel, verdict.intent, verdict.priority, post.brand, verdict.topic, post.language
    )
    calendar = ctx.policy.calendar_for(rule)
    case = Case.open(post, verdict, rule, now, ctx.time_scale, calendar)
    opened = Event(
        now,
        EventKind.OPENED,
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
        ctx.cases.create(case, opened, thread)
    except ThreadTaken:  # another first post of the thread won: this one joins it
        if tries >= MAX_THREAD_RACES:
            raise  # the thread keeps changing hands: SQS tries the post again later
        return receive(ctx, post, tries + 1)
    except DuplicatePost as duplicate:
        logger.info("duplicate post", extra={"case_id": duplicate.case_id, "post_id": post.id})
        telemetry.duplicate_post(post.channel)
        case = _written_to_us(ctx, duplicate.case_id, post)
        return _carry_on(ctx, case, retry=True)  # finish what a crash cut short
    telemetry.case_opened(post.channel, case.intent)
    if early := ctx.cases.early_reply(post.channel, post.id):
        return _brand_replied(ctx, early, case.id)  # it came before the post it answers
    if (
        rule.acknowledge
        and post.channel == "x"
        and not post.private
        and post.author.known  # {handle} must name someone
        and (replier := ctx.replier())
    ):
        _acknowledge(ctx, case, rule.acknowledge, replier)
    logger.info(
        "case recorded",
        extra={
            "case_id": case.id,
            "channel": post.channel,
            "intent": case.intent,
            "status": str(case.status),
        },
    )
    return _carry_on(ctx, case)


def _carry_on(ctx: Context, case: Case, retry: bool = False) -> Case:
    """A recorded case's next steps: a complaint may join a storm's incident (whose
    first email goes out if it has not; later joiners are in its digest); otherwise
    an open case's timer starts. An urgent complaint never joins a storm: it
    escalates on its own, whatever else is going on. Each step is safe to repeat."""
    joins = case.intent == "complaint" and case.priority != "urgent"
    if case.is_open and joins and not case.incident_id:
        case = storms.join_storm(ctx, case, retry) or case
    if case.incident_id:
        storms.notify_incident(ctx, storms.incidents_of(ctx).get(case.incident_id))
        return case
    if case.is_open and case.execution_arn is None:
        return timers.start_timer(ctx, case)
    return case


def _repeat_contact(ctx: Context, post: Post, now: datetime) -> bool:
    if ctx.contacts is None or post.author.id is None:
        return False
    before = ctx.contacts.previous_post_at(post.channel, post.author.id, post.id, now)
    return before is not None and abs(now - before) * ctx.time_scale <= REPEAT_CONTACT


def _acknowledge(ctx: Context, case: Case, template: str, replier: Replier) -> None:
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
        ctx.clock(), EventKind.AUTO_REPLIED, "escalator", {"post_id": reply_id, "text": text}
    )
    ctx.cases.record_acknowledgement(case.id, case.post.channel, reply_id, event)
