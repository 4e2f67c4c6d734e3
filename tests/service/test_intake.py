"""A post's way in (chalicelib.use_cases.intake): one case per post, its thread, the
brand's replies, reopening, listening, late posts and the acknowledgement."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.actions import Action
from chalicelib.domain.case_clock import Status
from chalicelib.domain.posts import PostNote
from chalicelib.domain.topics import Taxonomy, compile_topic
from chalicelib.domain.triage import triage
from tests.service.conftest import COMPLAINT, PRAISE, QUESTION, URGENT


def test_the_texts_read_as_the_tests_need():
    verdicts = [triage(text) for text in (COMPLAINT, URGENT, QUESTION, PRAISE)]
    assert [(v.intent, v.priority) for v in verdicts] == [
        ("complaint", "high"),
        ("complaint", "urgent"),
        ("question", "normal"),
        ("praise", "low"),
    ]


def test_a_complaint_opens_a_case_under_its_rule_with_its_timer_running(world):
    case = world.escalator.receive(world.post())
    assert (case.status, case.policy_name, case.team) == (Status.OPEN, "x-complaints", "care")
    assert case.next_deadline == world.clock.now + timedelta(hours=1)
    assert world.timers.running() == {case.execution_arn}
    assert world.cases.kinds(case.id) == ["opened", "auto-replied", "timer started"]


def test_a_post_delivered_again_is_one_case_with_one_timer_and_one_acknowledgement(world):
    post = world.post()
    first = world.escalator.receive(post)
    again = world.escalator.receive(post)
    assert again.id == first.id and len(world.cases.cases) == 1
    assert len(world.timers.states) == 1 and len(world.replier.replies) == 1


def test_praise_is_recorded_and_dismissed_with_no_timer(world):
    case = world.escalator.receive(world.post(PRAISE))
    assert case.status is Status.DISMISSED and case.execution_arn is None
    assert world.timers.states == {}


def test_a_follow_up_joins_its_threads_case(world):
    first = world.post(conversation_id="thread-1")
    case = world.escalator.receive(first)
    later = world.escalator.receive(world.post("@brand hello??", conversation_id="thread-1"))
    assert later.id == case.id and len(world.cases.cases) == 1
    assert world.cases.kinds(case.id)[-1] == "follow-up"


def test_the_brands_reply_answers_the_case_and_stops_its_timer(world):
    post = world.post()
    case = world.escalator.receive(post)
    world.at(minutes=20)
    answered = world.escalator.receive(world.brand_reply(post))
    assert answered.status is Status.RESPONDED
    assert answered.first_response_at == world.clock.now
    assert world.timers.state(case.execution_arn) == "ABORTED"


def test_a_reply_that_overtakes_its_post_answers_the_case_the_post_opens(world):
    post = world.post()
    world.escalator.receive(world.brand_reply(post))  # first in the queue
    case = world.escalator.receive(post)
    assert case.status is Status.RESPONDED
    assert world.timers.running() == set()


def test_our_own_acknowledgement_delivered_back_is_not_a_response(world):
    post = world.post()
    case = world.escalator.receive(post)
    (reply_to, _), reply_id = world.replier.replies[0], "reply-1"
    echo = world.brand_reply(post).model_copy(update={"id": reply_id})
    assert reply_to == post.id
    assert world.escalator.receive(echo).status is Status.OPEN
    assert world.cases.get(case.id).first_response_at is None


def test_an_acknowledgement_x_refuses_leaves_the_case_escalating(world):
    world.replier.down = True
    case = world.escalator.receive(world.post())
    assert case.is_open and case.execution_arn
    assert "auto-replied" not in world.cases.kinds(case.id)


def test_a_customer_post_soon_after_the_resolution_reopens_the_case_with_a_fresh_clock(world):
    post = world.post(conversation_id="thread-2")
    case = world.escalator.receive(post)
    world.escalator.do_action(case.id, Action.RESOLVE, "agent@example.com")
    world.at(hours=5)
    reopened = world.escalator.receive(
        world.post("@brand it broke again", conversation_id="thread-2")
    )
    assert (reopened.id, reopened.status, reopened.opening) == (case.id, Status.OPEN, 1)
    assert reopened.next_deadline > world.clock.now
    assert world.timers.running() == {reopened.execution_arn} != {case.execution_arn}


def test_a_post_long_after_the_resolution_opens_a_case_of_its_own(world):
    case = world.escalator.receive(world.post(conversation_id="thread-3"))
    world.escalator.do_action(case.id, Action.RESOLVE, "agent@example.com")
    world.at(days=3)
    later = world.escalator.receive(world.post(QUESTION, conversation_id="thread-3"))
    assert later.id != case.id and later.is_open


def test_an_overheard_question_opens_a_case_and_overheard_praise_does_not(world):
    overheard = {"found_by": "brand name"}
    assert world.escalator.receive(world.post(QUESTION, **overheard)).is_open
    assert world.escalator.receive(world.post(PRAISE, **overheard)) is None
    assert len(world.cases.cases) == 1


def test_a_post_older_than_the_dedupe_window_is_late_and_opens_nothing(world):
    late = world.post().model_copy(update={"created_at": world.clock.now - timedelta(days=31)})
    assert world.escalator.receive(late) is None
    assert world.cases.cases == {}


def test_a_second_post_from_the_same_author_within_a_day_is_repeat_contact(world):
    world.escalator.receive(world.post(QUESTION))
    world.at(hours=3)
    again = world.escalator.receive(world.post(QUESTION))
    assert again.priority == "high"
    assert any("repeat contact" in reason for reason in again.reasons)


def test_two_first_posts_of_one_thread_at_once_make_one_case(world):
    winner = world.escalator.receive(world.post(conversation_id="thread-4"))
    world.cases.blind_threads = 1  # the racer read no case for the thread, then lost it
    joined = world.escalator.receive(world.post(QUESTION, conversation_id="thread-4"))
    assert joined.id == winner.id and len(world.cases.cases) == 1
    assert world.cases.kinds(winner.id)[-1] == "follow-up"


def test_an_unsent_post_takes_its_text_from_the_case_and_its_trail(world):
    post = world.post(conversation_id="thread-5")
    case = world.escalator.receive(post)
    note = PostNote(channel="x", post_id=post.id, change="unsent", at=world.clock.now, by="42")
    noted = world.escalator.note(note)
    assert noted.post.text == "(deleted by its author)"
    texts = [e.detail.get("text") for e in world.cases.history(case.id)[1]]
    assert COMPLAINT not in texts and world.cases.kinds(case.id)[-1] == "post unsent"
    assert world.escalator.note(note).id == case.id  # again: one line only
    assert world.cases.kinds(case.id).count("post unsent") == 1


def test_a_note_about_a_post_no_case_holds_is_let_go(world):
    note = PostNote(channel="x", post_id="never-seen", change="edited", at=world.clock.now)
    assert world.escalator.note(note) is None and world.cases.cases == {}


def test_a_timer_that_could_not_start_is_started_by_the_reconciler(world):
    world.timers.fail_starts = 1
    with pytest.raises(ConnectionError):  # SQS tries the post again; the reconciler is the net
        world.escalator.receive(world.post())
    (case,) = world.cases.cases.values()
    assert case.execution_arn is None
    world.at(minutes=3)
    assert world.escalator.reconcile_timers() == [case.id]
    assert world.timers.running() == {world.cases.get(case.id).execution_arn}


def test_a_topic_that_runs_out_of_time_is_counted_and_the_post_still_opens_its_case(
    world, monkeypatch, capsys
):
    # a pattern the policy check refuses (nested repeats), put straight into the taxonomy
    slow = Taxonomy((("billing", compile_topic([], [r"(?:\w+\s?)+refund"])),))
    monkeypatch.setattr(type(world.escalator.policy), "taxonomy", property(lambda _: slow))
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    text = ("@brand my parcel " + "a " * 950 + "refunda").ljust(2000, "a")  # backtracks
    case = world.escalator.receive(world.post(text))
    assert case.is_open and case.topic == "other"  # triaged on, as not about billing
    counted = [line for line in capsys.readouterr().out.splitlines() if "TopicTimeouts" in line]
    assert len(counted) == 1 and '"topic":"billing"' in counted[0]
