"""The complaint model: the shipped file is what training makes, and its pure-Python
scoring is scikit-learn's arithmetic, on posts it was not trained on too."""

import json

import numpy as np
import pytest

from chalicelib.domain.complaints import DEFAULT_MODEL_PATH, ComplaintModel, default_model
from chalicelib.domain.sentiment import sentiment_scores
from training.complaints import DEFAULT_DATA, check_export, fit, fit_with_reference, load_labelled


def same_model(made: object, shipped: object) -> bool:
    """The same structure, numbers equal but for the last bits of a float (BLAS kernels
    differ from one processor to the next)."""
    if isinstance(made, float) or isinstance(shipped, float):
        return made == pytest.approx(shipped, rel=1e-9, abs=1e-12)
    if isinstance(made, dict) and isinstance(shipped, dict):
        return made.keys() == shipped.keys() and all(same_model(made[k], shipped[k]) for k in made)
    if isinstance(made, list) and isinstance(shipped, list):
        return len(made) == len(shipped) and all(map(same_model, made, shipped))
    return made == shipped


def test_the_shipped_model_is_what_training_makes_from_the_data():
    shipped = json.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    made = fit(*load_labelled(DEFAULT_DATA))
    assert same_model(made, shipped)
    assert not same_model({**made, "format": 2}, shipped)


def test_pure_python_scores_equal_scikit_learns_on_unseen_posts():
    texts, labels, addressed = load_labelled(DEFAULT_DATA)
    spec, reference = fit_with_reference(texts[::4], labels[::4], addressed[::4])
    unseen = [texts[i] for i in range(1, len(texts), 9)] + ["", "   ", "a", "@x https://t.co/y 42"]
    to_brand = np.array([i % 2 == 0 for i in range(len(unseen))])
    model = ComplaintModel(spec)
    expected = reference(unseen, to_brand)
    check_export(model, unseen, to_brand, expected)  # within 1e-6 everywhere
    with pytest.raises(AssertionError, match="exported model scores"):
        check_export(model, unseen, to_brand, expected + 1e-3)


def test_scores_are_probabilities_and_the_threshold_splits_them():
    model = default_model()
    angry = "@brand my order never arrived and nobody answers my emails"
    happy = "@brand thank you, the engineer was brilliant"
    assert model.score(angry, sentiment_scores(angry)) >= model.threshold
    assert 0 <= model.score(happy, sentiment_scores(happy)) < model.threshold
