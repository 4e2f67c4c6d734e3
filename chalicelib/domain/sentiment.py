"""Sentiment of a post with VADER, a lexicon and rules made for social-media text.

The analyser loads its lexicon once per process, on first use, not at import: the webhook
Lambda never pays for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class SentimentScores:
    """VADER's proportions of negative, neutral and positive text, and its compound (-1..1)."""

    negative: float
    neutral: float
    positive: float
    compound: float

    def as_features(self) -> tuple[float, float, float, float]:
        return (self.negative, self.neutral, self.positive, self.compound)


@cache
def _analyser() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_scores(text: str) -> SentimentScores:
    scores = _analyser().polarity_scores(text)
    return SentimentScores(scores["neg"], scores["neu"], scores["pos"], scores["compound"])
