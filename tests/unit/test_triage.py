import pytest

from chalicelib.triage import triage


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("@brand my flight was cancelled and nobody called me", "complaint"),
        ("@brand the app keeps crashing at checkout, useless", "complaint"),
        ("@brand how do I change my billing address?", "question"),
        ("Does the unlimited plan include roaming", "question"),
        ("@brand thank you so much, the engineer was brilliant", "praise"),
        ("FREE followers giveaway, DM me for the promo code", "spam"),
        ("@brand just moved house", "other"),
    ],
)
def test_intent(text, intent):
    assert triage(text).intent == intent


def test_praise_and_spam_open_no_workflow_and_the_rest_do():
    assert not triage("love it, thanks!").actionable
    assert not triage("crypto airdrop, click here").actionable
    assert triage("still waiting for my refund").actionable
    assert triage("what are your opening hours?").actionable


@pytest.mark.parametrize(
    ("text", "followers", "priority", "reason"),
    [
        ("my account was hacked, fix it", None, "urgent", "urgent terms: hacked"),
        ("charged twice this month, want a refund", None, "high", "at risk of churn"),
        ("the app does not work", 50_000, "high", "author reach: 50,000 followers"),
        ("the app does not work", 10, "normal", "complaint terms"),
    ],
)
def test_priority_and_its_reasons(text, followers, priority, reason):
    verdict = triage(text, followers)
    assert verdict.priority == priority
    assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons
