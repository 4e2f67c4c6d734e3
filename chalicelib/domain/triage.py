"""Triage: what a post wants (intent), how it feels (sentiment) and how pressing it is.

The complaint score comes from a trained model (`chalicelib.domain.complaints`, measured by
`bench/triage.py`); sentiment from VADER; the rest are rules a supervisor can read back
in the email's reasons: every step up in priority names its cause.

Triage reads the first MAX_TRIAGE_CHARACTERS of a post and nothing past them, so that a
long post (a DM or a comment, up to 10,000 characters) takes no longer to triage than
that prefix, whatever the policy's topic patterns are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from chalicelib.domain.complaints import default_model
from chalicelib.domain.sentiment import sentiment_scores
from chalicelib.domain.topics import OTHER, Taxonomy, TopicMatch

Intent = Literal["complaint", "question", "praise", "spam", "other"]
Priority = Literal["low", "normal", "high", "urgent"]
PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")
ACTIONABLE_INTENTS = frozenset({"complaint", "question", "other"})

HIGH_REACH_FOLLOWERS = 10_000
VERY_HIGH_REACH_FOLLOWERS = 100_000
HIGH_ENGAGEMENT = 50  # likes, reposts, replies and quotes together
VIRAL_ENGAGEMENT = 500
VERY_NEGATIVE = -0.5  # VADER compound
CONFIDENT_COMPLAINT = 0.9
PRAISE_SENTIMENT = 0.4
MAX_TRIAGE_CHARACTERS = 2000  # what triage reads of a post: sentiment, model, topic, rules


def _terms(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


SPAM = _terms(
    r"giveaway",
    r"free followers",
    r"crypto",
    r"bitcoin",
    r"airdrop",
    r"dm (?:me|us) for",
    r"promo code",
    r"click (?:here|the link)",
    r"earn \$?\d+",
    r"onlyfans",
)
PRAISE = _terms(
    r"thanks?",
    r"thank you",
    r"love",
    r"loving",
    r"great",
    r"awesome",
    r"amazing",
    r"brilliant",
    r"excellent",
    r"fantastic",
    r"best",
    r"well done",
    r"kudos",
    r"shout ?out",
    r"appreciate",
)
QUESTION_START = re.compile(
    r"^\s*(?:@\w+\s+)*(?:how|what|when|where|why|who|which|can|could|is|are|do|does|did|will|"
    r"would|should|any)\b",
    re.IGNORECASE,
)
URGENT = _terms(
    r"hacked",
    r"fraud(?:ulent)?",
    r"stolen",
    r"safety",
    r"unsafe",
    r"danger(?:ous)?",
    r"injur(?:y|ed|ies)",
    r"lawyers?",
    r"legal",
    r"sue",
    r"lawsuit",
    r"outage",
    r"emergency",
    r"data breach",
    r"identity theft",
)
CHURN = _terms(
    r"cancel(?:l?ing)?(?: my)?",
    r"refund",
    r"charged twice",
    r"double charged",
    r"chargeback",
    r"switching to",
    r"never (?:again|buying|flying|ordering)",
    r"close my account",
)


@dataclass(frozen=True)
class Triage:
    intent: Intent
    priority: Priority
    reasons: list[str] = field(default_factory=list)
    sentiment: float = 0.0  # VADER compound, -1..1
    complaint_score: float = 0.0  # 0..1
    topic: str = OTHER  # from the policy's taxonomy (chalicelib.domain.topics)
    timed_out_topics: tuple[str, ...] = ()  # topics whose pattern ran out of time on it

    @property
    def actionable(self) -> bool:
        """Praise and spam open no workflow: nobody needs to be chased for them."""
        return self.intent in ACTIONABLE_INTENTS

    def as_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "sentiment": self.sentiment,
            "complaint_score": self.complaint_score,
            "priority": self.priority,
            "topic": self.topic,
            "reasons": self.reasons,
        }


def _found(pattern: re.Pattern[str], text: str) -> list[str]:
    return sorted({match.group(0).lower() for match in pattern.finditer(text)})


def triage(
    text: str,
    followers: int | None = None,
    engagement: int | None = None,
    repeat_contact: bool = False,
    taxonomy: Taxonomy | None = None,
) -> Triage:
    """Classify one post by its first MAX_TRIAGE_CHARACTERS. `followers` and `engagement`
    (likes, reposts, replies, quotes) come from the channel when it gives them;
    `repeat_contact` says the author posted another case within the last day; `taxonomy`
    finds its topic (the policy's)."""
    text = text[:MAX_TRIAGE_CHARACTERS]
    about = (taxonomy or Taxonomy()).classify(text)
    return replace(
        _judged(text, followers, engagement, repeat_contact, about),
        timed_out_topics=about.timed_out,
    )


def _judged(
    text: str,
    followers: int | None,
    engagement: int | None,
    repeat_contact: bool,
    about: TopicMatch,
) -> Triage:
    """The verdict on `text`, whose topic is `about`."""
    scores = sentiment_scores(text)
    sentiment = round(scores.compound, 4)
    model = default_model()
    score = model.score(text, scores)
    complaint_score = round(score, 4)
    if spam := _found(SPAM, text):
        reason = "looks like promotion: " + ", ".join(spam)
        return Triage("spam", "low", [reason], sentiment, complaint_score, about.topic)
    reasons: list[str] = []
    if score >= model.threshold:
        intent: Intent = "complaint"
        reasons.append(f"complaint (score {complaint_score:.2f})")
    elif "?" in text or QUESTION_START.search(text):
        intent = "question"
        reasons.append("asks a question")
    elif sentiment >= PRAISE_SENTIMENT and (praise := _found(PRAISE, text)):
        reason = f"praise (sentiment {sentiment:+.2f}): " + ", ".join(praise[:5])
        return Triage("praise", "low", [reason], sentiment, complaint_score, about.topic)
    else:
        intent = "other"
    if about.reason:  # the terms that route it to a team
        reasons.append(about.reason)
    level = PRIORITIES.index("normal")

    def raise_by(steps: int, reason: str) -> None:
        nonlocal level
        level = min(level + steps, len(PRIORITIES) - 1)
        reasons.append(reason)

    if urgent := _found(URGENT, text):
        raise_by(len(PRIORITIES), "urgent terms: " + ", ".join(urgent))
    if churn := _found(CHURN, text):
        raise_by(1, "at risk of churn: " + ", ".join(churn))
    if complaint_score >= CONFIDENT_COMPLAINT and sentiment <= VERY_NEGATIVE:
        raise_by(1, f"angry complaint (score {complaint_score:.2f}, sentiment {sentiment:+.2f})")
    if followers is not None and followers >= HIGH_REACH_FOLLOWERS:
        steps = 2 if followers >= VERY_HIGH_REACH_FOLLOWERS else 1
        raise_by(steps, f"author reach: {followers:,} followers")
    if engagement is not None and engagement >= HIGH_ENGAGEMENT:
        steps = 2 if engagement >= VIRAL_ENGAGEMENT else 1
        raise_by(steps, f"engagement: {engagement:,} likes, reposts and replies")
    if repeat_contact:
        raise_by(1, "repeat contact: another post from this author in the last 24 h")
    return Triage(intent, PRIORITIES[level], reasons, sentiment, complaint_score, about.topic)
