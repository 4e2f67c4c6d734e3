"""Train the complaint detector and export it as a JSON file the Lambda scores in pure Python.

The model is a small stack, fitted with scikit-learn offline:

- two logistic regressions over the post's text: character n-grams (1-5, within words)
  and word uni- and bigrams, with handles, links and digits made generic so that nothing
  is learnt about the particular brands in the data;
- a gradient-boosted tree ensemble that weighs their probabilities together with VADER's
  sentiment scores, a few shape features and whether the post is addressed to a brand
  (see `chalicelib.domain.complaints`). In the data set that is what the `domain` column says
  (random tweets and replies are not); in Escalator it is always so.

The base models' probabilities for the ensemble's training come from an inner 5-fold
cross-validation, so the ensemble learns how far to trust each on posts it has not seen.
Everything is seeded: the same data gives the same file.

    python -m training.complaints [--data ../shared/data/complaints-data.csv]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from chalicelib.domain.complaints import (
    DEFAULT_MODEL_PATH,
    ComplaintModel,
    normalise_words,
    shape_features,
)
from chalicelib.domain.sentiment import sentiment_scores

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "complaints-data.csv"
SEED = 0
SIGNIFICANT_DIGITS = 7


RANDOM_DOMAINS = ("random_reply", "random_tweet")


def load_labelled(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """`tweet_id,text,label,domain` rows (no header) → texts, 0/1 labels, and whether
    each post is addressed to a brand."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    return (
        [row[1] for row in rows],
        np.array([int(row[2]) for row in rows]),
        np.array([row[3] not in RANDOM_DOMAINS for row in rows]),
    )


def _text_models() -> list[tuple[str, TfidfVectorizer, float]]:
    """(name, vectoriser, C) for each base model; the order is the ensemble's input order."""
    return [
        (
            "chars",
            TfidfVectorizer(
                preprocessor=normalise_words,
                analyzer="char_wb",
                ngram_range=(1, 5),
                min_df=2,
                sublinear_tf=True,
                dtype=np.float64,
            ),
            10.0,
        ),
        (
            "words",
            TfidfVectorizer(
                preprocessor=normalise_words,
                token_pattern=r"[@\w][\w']*",
                ngram_range=(1, 2),
                min_df=2,
                sublinear_tf=True,
                dtype=np.float64,
            ),
            10.0,
        ),
    ]


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def _export_text_model(name: str, vectoriser: TfidfVectorizer, regression: LogisticRegression):
    """Each term's [idf, coefficient]."""
    coefficients, idf = regression.coef_[0], vectoriser.idf_
    weights = {
        term: [_round(idf[i]), _round(coefficients[i])]
        for term, i in sorted(vectoriser.vocabulary_.items())
    }
    return {"name": name, "intercept": _round(regression.intercept_[0]), "weights": weights}


def _export_trees(ensemble: HistGradientBoostingClassifier) -> dict:
    """Each tree as parallel lists: feature, threshold, left, right, value (leaf: -1)."""
    trees = []
    for (predictor,) in ensemble._predictors:
        nodes = predictor.nodes
        trees.append(
            {
                "feature": [int(n["feature_idx"]) if not n["is_leaf"] else -1 for n in nodes],
                "threshold": [float(n["num_threshold"]) for n in nodes],
                "left": [int(n["left"]) for n in nodes],
                "right": [int(n["right"]) for n in nodes],
                "value": [_round(n["value"]) for n in nodes],
            }
        )
    return {"baseline": float(ensemble._baseline_prediction[0][0]), "trees": trees}


Reference = Callable[[Sequence[str], np.ndarray], np.ndarray]
"""scikit-learn's own complaint probabilities for posts (and their addressed flags)."""


def fit(
    texts: Sequence[str], labels: np.ndarray, addressed: np.ndarray, threshold: float = 0.5
) -> dict:
    """Fit the stack on labelled posts; returns the JSON-ready model.

    Raises AssertionError if the exported model, scored in pure Python, strays from
    scikit-learn's own probabilities on the training posts.
    """
    model, reference = fit_with_reference(texts, labels, addressed, threshold)
    check_export(ComplaintModel(model), texts, addressed, reference(texts, addressed))
    return model


def fit_with_reference(
    texts: Sequence[str], labels: np.ndarray, addressed: np.ndarray, threshold: float = 0.5
) -> tuple[dict, Reference]:
    """The JSON-ready model, and scikit-learn's scorer for it: what the export must match."""
    texts = list(texts)
    inner = StratifiedKFold(5, shuffle=True, random_state=SEED)
    held_out_columns, fitted, exported = [], [], []
    for name, vectoriser, c in _text_models():
        matrix = vectoriser.fit_transform(texts)
        regression = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        # The ensemble learns from probabilities for posts whose labels the regression
        # did not see, as it will meet them in use.
        held_out = cross_val_predict(regression, matrix, labels, cv=inner, method="predict_proba")
        held_out_columns.append(held_out[:, 1])
        fitted.append((vectoriser, regression.fit(matrix, labels)))
        exported.append(_export_text_model(name, vectoriser, regression))
    ensemble = HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_depth=3, min_samples_leaf=20, random_state=SEED
    ).fit(np.column_stack([*held_out_columns, _other_features(texts, addressed)]), labels)
    model = {
        "format": 1,
        "threshold": threshold,
        "text_models": exported,
        "ensemble": _export_trees(ensemble),
    }

    def reference(posts: Sequence[str], to_brand: np.ndarray) -> np.ndarray:
        posts = list(posts)
        columns = [r.predict_proba(v.transform(posts))[:, 1] for v, r in fitted]
        features = np.column_stack([*columns, _other_features(posts, to_brand)])
        return ensemble.predict_proba(features)[:, 1]

    return model, reference


def _other_features(texts: Sequence[str], addressed: np.ndarray) -> np.ndarray:
    return np.array(
        [
            [*sentiment_scores(text).as_features(), *shape_features(text, bool(to_brand))]
            for text, to_brand in zip(texts, addressed, strict=True)
        ],
        dtype=np.float64,
    )


def check_export(
    model: ComplaintModel, texts: Sequence[str], addressed: np.ndarray, expected: np.ndarray
) -> None:
    """The pure-Python scorer must agree with scikit-learn (up to the stored rounding)."""
    scores = np.array(
        [
            model.score(text, sentiment_scores(text), bool(to_brand))
            for text, to_brand in zip(texts, addressed, strict=True)
        ]
    )
    worst = int(np.argmax(np.abs(scores - expected)))
    assert abs(scores[worst] - expected[worst]) < 1e-6, (
        f"exported model scores {scores[worst]:.6f}, scikit-learn {expected[worst]:.6f} "
        f"for {texts[worst]!r}"
    )


def cross_validate(
    texts: Sequence[str],
    labels: np.ndarray,
    addressed: np.ndarray,
    folds: int = 10,
    seed: int = SEED,
) -> np.ndarray:
    """Stratified k-fold: each fold's exported model scores its held-out posts in pure Python.

    Returns the held-out complaint scores, in the order of `texts`.
    """
    scores = np.zeros(len(texts))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(texts, labels):
        model = ComplaintModel(fit([texts[i] for i in train], labels[train], addressed[train]))
        for i in test:
            scores[i] = model.score(texts[i], sentiment_scores(texts[i]), bool(addressed[i]))
    return scores


def write(model: dict, path: Path) -> None:
    path.write_text(json.dumps(model, separators=(",", ":"), ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    arguments = parser.parse_args(argv)
    write(fit(*load_labelled(arguments.data)), arguments.out)
    print(f"wrote {arguments.out} ({arguments.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
