import pytest

from chalicelib.domain.policy import load_policy
from chalicelib.domain.triage import MAX_TRIAGE_CHARACTERS, triage


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("@brand my flight was cancelled and nobody called me", "complaint"),
        ("@brand the app keeps crashing at checkout, useless", "complaint"),
        ("My order never arrived and nobody answers my emails", "complaint"),
        ("@brand how do I change my billing address?", "question"),
        ("Does the unlimited plan include roaming", "question"),
        ("@brand thank you so much, the engineer was brilliant", "praise"),
        ("FREE followers giveaway, DM me for the promo code", "spam"),
        ("@brand just moved house", "other"),
    ],
)
def test_intent(text, intent):
    assert triage(text).intent == intent


def test_scores_say_how_negative_and_how_much_a_complaint():
    angry = triage("@brand worst service ever, my order is late again and nobody cares")
    happy = triage("@brand thank you so much, the engineer was brilliant")
    assert -1 <= angry.sentiment < 0 < happy.sentiment <= 1
    assert angry.complaint_score >= 0.5 > happy.complaint_score
    assert angry.reasons[0] == f"complaint (score {angry.complaint_score:.2f})"


def test_praise_and_spam_open_no_workflow_and_the_rest_do():
    assert not triage("love it, thanks!").actionable
    assert not triage("crypto airdrop, click here").actionable
    assert triage("still waiting for my refund").actionable
    assert triage("what are your opening hours?").actionable


COMPLAINT = "@brand my parcel is two weeks late and nobody replies to my emails"


@pytest.mark.parametrize(
    ("text", "signals", "priority", "reason"),
    [
        (COMPLAINT, {}, "normal", "complaint (score"),
        ("@brand my account was hacked, fix it", {}, "urgent", "urgent terms: hacked"),
        ("@brand is there a safety recall on this heater?", {}, "urgent", "urgent terms: safety"),
        ("@brand charged twice this month, I want a refund", {}, "high", "at risk of churn"),
        (
            "@brand this is the worst, most useless broken app, I hate it, terrible",
            {},
            "high",
            "angry complaint (score",
        ),
        (COMPLAINT, {"followers": 50_000}, "high", "author reach: 50,000 followers"),
        (COMPLAINT, {"followers": 2_000_000}, "urgent", "author reach: 2,000,000 followers"),
        (COMPLAINT, {"engagement": 80}, "high", "engagement: 80 likes, reposts and replies"),
        (COMPLAINT, {"engagement": 5_000}, "urgent", "engagement: 5,000"),
        (COMPLAINT, {"repeat_contact": True}, "high", "repeat contact"),
        (COMPLAINT, {"followers": 50_000, "repeat_contact": True}, "urgent", "repeat contact"),
    ],
)
def test_priority_and_its_reasons(text, signals, priority, reason):
    verdict = triage(text, **signals)
    assert verdict.priority == priority, verdict.reasons
    assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons


def test_quiet_voices_and_small_engagement_change_nothing():
    plain = triage(COMPLAINT)
    assert triage(COMPLAINT, followers=10, engagement=3).priority == plain.priority == "normal"


def test_praise_and_spam_are_low_priority_whatever_the_reach():
    assert triage("@brand love it, thanks!", followers=5_000_000).priority == "low"
    assert triage("crypto airdrop, click here", engagement=10_000).priority == "low"


def test_a_long_post_is_triaged_on_its_first_characters_alone():
    taxonomy = load_policy().taxonomy
    opening = ("@brand just moved house, " * 100)[:MAX_TRIAGE_CHARACTERS]
    late = " my account was hacked and I want a refund, awful service?"
    post = (opening + late).ljust(10_000, ".")
    verdict = triage(post, taxonomy=taxonomy)
    assert verdict == triage(opening, taxonomy=taxonomy)
    assert (verdict.intent, verdict.priority, verdict.topic) == ("other", "normal", "other")
    read_in_time = triage(late + opening, taxonomy=taxonomy)  # the same words, in the prefix
    assert (read_in_time.priority, read_in_time.topic) == ("urgent", "account")
