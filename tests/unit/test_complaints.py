"""The complaint model: the shipped file is what training makes, and its pure-Python
scoring is scikit-learn's arithmetic."""

import json

import numpy as np
import pytest

from chalicelib.complaints import DEFAULT_MODEL_PATH, ComplaintModel, default_model
from chalicelib.sentiment import sentiment_scores
from training.complaints import DEFAULT_DATA, _check_export, fit, load_labelled


def test_the_shipped_model_is_what_training_makes_from_the_data():
    shipped = json.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    assert fit(*load_labelled(DEFAULT_DATA)) == shipped


def test_pure_python_scores_equal_scikit_learns_and_a_stray_is_caught():
    texts, labels, addressed = load_labelled(DEFAULT_DATA)
    model = ComplaintModel(fit(texts[::4], labels[::4], addressed[::4]))  # checks itself
    sample = texts[1::40]
    sentiment = [sentiment_scores(text) for text in sample]
    truth = np.array([model.score(t, s) for t, s in zip(sample, sentiment, strict=True)])
    to_brand = np.ones(len(sample), dtype=bool)
    _check_export(model, sample, sentiment, to_brand, truth)  # agrees with itself
    with pytest.raises(AssertionError, match="exported model scores"):
        _check_export(model, sample, sentiment, to_brand, truth + 1e-3)


def test_scores_are_probabilities_and_the_threshold_splits_them():
    model = default_model()
    angry = "@brand my order never arrived and nobody answers my emails"
    happy = "@brand thank you, the engineer was brilliant"
    assert model.score(angry, sentiment_scores(angry)) >= model.threshold
    assert 0 <= model.score(happy, sentiment_scores(happy)) < model.threshold
