"""First-pass triage: what a post wants (intent) and how pressing it is (priority).

A deliberately small keyword model; the measured classifier replaces it (issue 4) behind
the same `triage()` signature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Intent = Literal["complaint", "question", "praise", "spam", "other"]
Priority = Literal["low", "normal", "high", "urgent"]
ACTIONABLE_INTENTS = frozenset({"complaint", "question", "other"})


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
COMPLAINT = _terms(
    r"worst",
    r"terrible",
    r"awful",
    r"horrible",
    r"useless",
    r"ridiculous",
    r"unacceptable",
    r"disappointed",
    r"disappointing",
    r"angry",
    r"furious",
    r"broken",
    r"broke",
    r"still waiting",
    r"waiting for",
    r"not working",
    r"doesn'?t work",
    r"does not work",
    r"won'?t",
    r"can'?t",
    r"cannot",
    r"never",
    r"no one",
    r"nobody",
    r"delayed?",
    r"cancell?ed",
    r"lost",
    r"missing",
    r"late",
    r"overcharged",
    r"charged twice",
    r"double charged",
    r"refund",
    r"crash(?:es|ed|ing)?",
    r"outage",
    r"down",
    r"error",
    r"fail(?:s|ed|ing)?",
    r"rude",
    r"hold for",
    r"on hold",
    r"wtf",
    r"fix",
    r"again",
    r"hacked",
    r"fraud",
    r"scam(?:med)?",
    r"stuck",
    r"wrong",
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
    r"fraud",
    r"stolen",
    r"safety",
    r"unsafe",
    r"injur(?:y|ed)",
    r"lawyer",
    r"legal",
    r"sue",
    r"lawsuit",
    r"outage",
    r"emergency",
    r"data breach",
)
HIGH = _terms(
    r"cancel(?:l?ing)? my", r"refund", r"charged twice", r"double charged", r"switching to"
)
HIGH_REACH_FOLLOWERS = 10_000


@dataclass(frozen=True)
class Triage:
    intent: Intent
    priority: Priority
    reasons: list[str] = field(default_factory=list)

    @property
    def actionable(self) -> bool:
        """Praise and spam open no workflow: nobody needs to be chased for them."""
        return self.intent in ACTIONABLE_INTENTS


def triage(text: str, followers: int | None = None) -> Triage:
    """Classify one post's text; `followers` raises the priority of loud voices."""
    reasons: list[str] = []
    complaint_terms = sorted({m.group(0).lower() for m in COMPLAINT.finditer(text)})
    praise_terms = sorted({m.group(0).lower() for m in PRAISE.finditer(text)})
    if SPAM.search(text):
        return Triage("spam", "low", ["looks like promotion or spam"])
    if complaint_terms:
        intent: Intent = "complaint"
        reasons.append("complaint terms: " + ", ".join(complaint_terms[:5]))
    elif "?" in text or QUESTION_START.search(text):
        intent = "question"
        reasons.append("asks a question")
    elif praise_terms:
        return Triage("praise", "low", ["praise: " + ", ".join(praise_terms[:5])])
    else:
        intent = "other"
    priority: Priority = "normal"
    if urgent := sorted({m.group(0).lower() for m in URGENT.finditer(text)}):
        priority = "urgent"
        reasons.append("urgent terms: " + ", ".join(urgent))
    elif high := sorted({m.group(0).lower() for m in HIGH.finditer(text)}):
        priority = "high"
        reasons.append("at risk of churn: " + ", ".join(high))
    if followers is not None and followers >= HIGH_REACH_FOLLOWERS:
        reasons.append(f"author reach: {followers:,} followers")
        if priority == "normal":
            priority = "high"
    return Triage(intent, priority, reasons)
