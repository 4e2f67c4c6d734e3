"""Is this post a complaint? A trained model scored in pure Python (no numpy in the Lambda).

`training/complaints.py` fits the model offline and writes `models/complaints.json`; this
module reproduces its arithmetic (to the 7 significant digits the file keeps): two
logistic regressions over character n-grams and words, whose probabilities a small
gradient-boosted tree ensemble weighs together with VADER's sentiment, the post's shape
and whether it is addressed to the brand.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from chalicelib.domain.sentiment import SentimentScores

DEFAULT_MODEL_PATH = Path(__file__).with_name("models") / "complaints.json"

_HANDLE = re.compile(r"@\w+")
_WORD = re.compile(r"[@\w][\w']*")
_LINK = re.compile(r"https?://\S+")
_DIGIT = re.compile(r"\d")


def normalise_words(text: str) -> str:
    """Links, handles and digits made generic, so words generalise across brands."""
    text = _LINK.sub(" http ", text)
    text = _HANDLE.sub("@u", text)
    return _DIGIT.sub("0", text).lower()


def shape_features(text: str, addressed: bool) -> tuple[float, ...]:
    """Asks, links, length, exclamations, shouting; and addressed to the brand or not."""
    return (
        float("?" in text),
        float("http" in text),
        len(text) / 140,
        float(text.count("!")),
        sum(c.isupper() for c in text) / max(1, len(text)),
        float(addressed),
    )


def _character_ngrams(text: str) -> list[str]:
    """1- to 5-grams within space-padded words (scikit-learn's `char_wb`)."""
    grams: list[str] = []
    for word in normalise_words(text).split():
        padded = f" {word} "
        length = len(padded)
        for n in range(1, 6):
            if length <= n:  # a short word counts once, whole
                grams.append(padded)
                break
            grams.extend([padded[start : start + n] for start in range(length - n + 1)])
    return grams


def _word_ngrams(text: str) -> Iterable[str]:
    tokens = _WORD.findall(normalise_words(text))
    yield from tokens
    yield from (f"{a} {b}" for a, b in pairwise(tokens))


_TERMS = {"chars": _character_ngrams, "words": _word_ngrams}


def _sigmoid(value: float) -> float:
    return 1 / (1 + math.exp(-value))


class _TextModel:
    """Logistic regression over TF-IDF terms (sublinear, L2-normalised)."""

    def __init__(self, spec: dict[str, Any]):
        self.terms = _TERMS[spec["name"]]
        self.intercept = spec["intercept"]
        self.weights = spec["weights"]

    def probability(self, text: str) -> float:
        dot = square = 0.0
        for term, count in Counter(self.terms(text)).items():
            if (known := self.weights.get(term)) is not None:
                idf, weight = known
                value = (1 + math.log(count)) * idf
                dot += value * weight
                square += value * value
        return _sigmoid(self.intercept + (dot / math.sqrt(square) if square else 0.0))


class ComplaintModel:
    """Scores a post 0..1; at or above `threshold` it is taken for a complaint."""

    def __init__(self, spec: dict[str, Any]):
        self.threshold: float = spec["threshold"]
        self._text_models = [_TextModel(model) for model in spec["text_models"]]
        self._baseline: float = spec["ensemble"]["baseline"]
        self._trees = [
            (t["feature"], t["threshold"], t["left"], t["right"], t["value"])
            for t in spec["ensemble"]["trees"]
        ]

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL_PATH) -> ComplaintModel:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def features(self, text: str, sentiment: SentimentScores, addressed: bool) -> list[float]:
        return [
            *(model.probability(text) for model in self._text_models),
            *sentiment.as_features(),
            *shape_features(text, addressed),
        ]

    def score(self, text: str, sentiment: SentimentScores, addressed: bool = True) -> float:
        """`addressed`: the post is to the brand (always so for posts Escalator receives)."""
        features = self.features(text, sentiment, addressed)
        raw = self._baseline
        for feature, threshold, left, right, value in self._trees:
            node = 0
            while feature[node] >= 0:
                node = left[node] if features[feature[node]] <= threshold[node] else right[node]
            raw += value[node]
        return _sigmoid(raw)


@cache
def default_model() -> ComplaintModel:
    """The shipped model, read on first use (not at import: cold starts stay short)."""
    return ComplaintModel.load()
