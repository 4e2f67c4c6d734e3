"""How good and how fast is complaint detection? Measured on the ACL 2019 complaints data.

    .venv/bin/python bench/triage.py [--data ../shared/data/complaints-data.csv]

Stratified 10-fold cross-validation: each fold's model is trained by
`training/complaints.py` (scikit-learn) on nine tenths, exported, and scores the held-out
tenth in pure Python, exactly as the Lambda would. Prints macro-F1 and the complaint
class's precision, recall and F1 over all posts, and over the posts addressed to a brand
alone (the part that is hard: the rest are random tweets), then the time `triage()`
takes per post (VADER, the model and the rules) and the model alone, p50 and p99.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.metrics import f1_score, precision_recall_fscore_support

from bench.output import note, percentiles, section, table
from chalicelib.domain.complaints import DEFAULT_MODEL_PATH, default_model
from chalicelib.domain.policy import load_policy
from chalicelib.domain.sentiment import sentiment_scores
from chalicelib.domain.triage import triage
from training.complaints import DEFAULT_DATA, cross_validate, load_labelled

PAPER_MACRO_F1 = 0.79  # Preoţiuc-Pietro et al. (ACL 2019), best model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=10)
    arguments = parser.parse_args()
    texts, labels, addressed = load_labelled(arguments.data)
    section(
        "Complaint detection and triage time",
        __file__,
        f"""The ACL 2019 complaints data ({len(texts):,} tweets, {labels.sum():,}
        complaints), stratified {arguments.folds}-fold cross-validation; each fold's
        model trained on the other folds, exported and scored in pure Python as in the
        Lambda. Then the time per post, in-process (`time.perf_counter`), of the
        complaint model alone and of the whole `triage()`.""",
    )
    started = time.perf_counter()
    predicted = (cross_validate(texts, labels, addressed, arguments.folds) >= 0.5).astype(int)
    elapsed = time.perf_counter() - started
    rows = []
    for name, subset in (("all", slice(None)), ("addressed to a brand", addressed)):
        truth, guess = labels[subset], predicted[subset]
        precision, recall, f1, _ = precision_recall_fscore_support(
            truth, guess, average="binary", zero_division=0
        )
        macro = f1_score(truth, guess, average="macro")
        rows.append(
            [f"{name} ({len(truth):,})", *(f"{v:.3f}" for v in (macro, precision, recall, f1))]
        )
    rows.append(["paper, best model (all)", f"{PAPER_MACRO_F1:.2f}", "", "", ""])
    table(["posts", "macro-F1", "complaint precision", "complaint recall", "complaint F1"], rows)

    model = default_model()
    sentiment = [sentiment_scores(text) for text in texts]  # loads VADER's lexicon
    taxonomy = load_policy().taxonomy  # the bundled policy's topics, as the service uses
    triage(texts[0], taxonomy=taxonomy)
    rows = []
    for name, work in (
        ("complaint model", lambda i: model.score(texts[i], sentiment[i])),
        ("triage() (VADER, model, rules, topics)", lambda i: triage(texts[i], taxonomy=taxonomy)),
    ):
        gc.collect()  # the cross-validation's garbage is not the scorer's
        timings = []
        for i in range(len(texts)):
            start = time.perf_counter()
            work(i)
            timings.append((time.perf_counter() - start) * 1000)
        rows.append([name, *(f"{ms:.3f} ms" for ms in percentiles(timings, 50, 99))])
    print()
    table([f"per post ({len(texts):,} posts)", "p50", "p99"], rows)
    note(
        f"""The cross-validation took {elapsed:.0f} s. `triage()` is the whole verdict:
        VADER, the complaint model, the priority rules and the topic (the bundled
        policy's taxonomy). The model file is
        {DEFAULT_MODEL_PATH.stat().st_size / 1e6:.1f} MB, read on first use."""
    )


if __name__ == "__main__":
    main()
