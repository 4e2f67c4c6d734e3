"""The topic taxonomy: word boundaries, case and accents, patterns, and which topic wins;
and patterns that could hang triage: refused at load, or given up on at run time."""

import json
import logging
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib import telemetry
from chalicelib.domain import topics
from chalicelib.domain.policy import load_policy
from chalicelib.domain.policy_sections import TopicSpec
from chalicelib.domain.topics import (
    OTHER,
    Taxonomy,
    compile_topic,
    nested_repeat,
    topic_pattern,
    without_accents,
)
from chalicelib.domain.triage import triage

TAXONOMY = Taxonomy.of(
    {
        "billing": (["refund", "charged twice", "£"], [r"invoices?", r"rembours\w*"]),
        "delivery": (["parcel", "late"], []),
        "technical": (["app"], []),
    }
)
SHIPPED = load_policy().taxonomy


@pytest.mark.parametrize(
    ("text", "topic", "terms"),
    [
        ("I want a REFUND", "billing", ("refund",)),
        ("Charged\n  twice for one order", "billing", ("charged twice",)),
        ("two invoices and no refund", "billing", ("invoices", "refund")),
        ("Remboursé? Jamais.", "billing", ("rembourse",)),  # accents and case ignored
        ("the parcel is late", "delivery", ("late", "parcel")),
        ("the App froze", "technical", ("app",)),
        ("£", "billing", ("£",)),  # a term that is all symbol still needs its boundaries
    ],
)
def test_terms_and_patterns_match_whole_words_ignoring_case_and_accents(text, topic, terms):
    found = TAXONOMY.classify(text)
    assert (found.topic, found.terms) == (topic, terms)
    assert found.reason == f"topic {topic}: {', '.join(terms)}"


@pytest.mark.parametrize(
    "text", ["I am so happy", "chocolate parcels", "refunded", "latest news", "£5", "apps"]
)
def test_a_term_inside_another_word_is_not_a_match(text):
    assert TAXONOMY.classify(text).topic == OTHER
    assert TAXONOMY.classify(text).reason is None


def test_the_topic_with_the_most_distinct_matches_wins_and_ties_go_to_the_first_listed():
    assert TAXONOMY.classify("the app lost my parcel and it is late").topic == "delivery"
    assert TAXONOMY.classify("refund my parcel").topic == "billing"  # one each: listed first
    assert TAXONOMY.classify("refund refund refund, parcel late").topic == "delivery"


def test_no_taxonomy_means_every_post_is_about_other():
    assert Taxonomy().classify("refund my parcel").topic == OTHER


@given(st.text(alphabet="refundREFUNDéèêëÉ ", max_size=30))
def test_accents_and_case_never_change_the_topic(text):
    assert TAXONOMY.classify(text) == TAXONOMY.classify(without_accents(text).lower())


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("I was charged twice and want my money back", "billing"),
        ("my parcel never arrived and tracking shows nothing", "delivery"),
        ("our flight was delayed and we missed the connection", "delivery"),
        ("the app crashes every time since the update", "technical"),
        ("someone hacked my account and changed the password", "account"),
        ("the screen is cracked and the battery is faulty", "product"),
        ("what are your opening times", "other"),
    ],
)
def test_the_shipped_taxonomy_knows_the_usual_subjects(text, topic):
    assert SHIPPED.classify(text).topic == topic


def test_triage_gives_the_topic_and_names_its_terms_among_the_reasons():
    verdict = triage("I was charged twice, refund me now", taxonomy=SHIPPED)
    assert verdict.topic == "billing"
    assert "topic billing: charged twice, refund" in verdict.reasons
    praise = triage("thanks for the quick refund, brilliant", taxonomy=SHIPPED)
    assert (praise.intent, praise.topic) == ("praise", "billing")


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+",
        r"(?:\w+\s?)+refund",
        r"(a*)*",
        r"(x{2,}y?)*",
        r"(?:a|(?:b|c+))*",
        "(a\uff0b)\uff0b",  # full-width pluses: + once accents are taken out, as triage does
    ],
)
def test_a_repeat_inside_a_repeat_is_nested(pattern):
    assert nested_repeat(pattern)


@pytest.mark.parametrize(
    "pattern",
    [r"a+b+", r"(?:ab)+", r"(a?)+", r"(?:\w+)?", r"refund(?:s|ed)?", r"[$£€]\s?\d+", r"a{2}"],
)
def test_repeats_side_by_side_or_at_most_once_are_not_nested(pattern):
    assert not nested_repeat(pattern)


SLOW = r"(?:\w+\s?)+refund"  # refused at load: here the taxonomy is built directly
ADVERSARIAL = ("my parcel " + "a " * 950 + "refunda").ljust(10_000, "a")  # ~0.4 s for SLOW


@pytest.fixture
def metrics(monkeypatch, capsys):
    """The EMF documents printed from now on, as a function to read them."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")

    def read() -> list[dict]:
        lines = capsys.readouterr().out.splitlines()
        return [json.loads(line) for line in lines if line.startswith('{"_aws"')]

    return read


def test_a_topic_whose_pattern_runs_out_of_time_is_not_matched_and_is_named(monkeypatch):
    monkeypatch.setattr(topics, "TIME_LIMIT", 0.001)  # far less than the pattern takes
    taxonomy = Taxonomy(
        (("billing", compile_topic([], [SLOW])), ("delivery", compile_topic(["parcel"], [])))
    )
    verdict = triage(ADVERSARIAL, taxonomy=taxonomy)
    alone = Taxonomy(taxonomy.topics[:1]).classify(ADVERSARIAL)
    assert (verdict.topic, alone.topic) == ("delivery", OTHER)  # the post is triaged on
    assert "topic delivery: parcel" in verdict.reasons
    assert verdict.timed_out_topics == alone.timed_out == ("billing",)


def test_topics_that_ran_out_of_time_are_logged_by_name_and_counted(metrics, caplog):
    with caplog.at_level(logging.WARNING):
        telemetry.topics_timed_out(("billing", "delivery"))
    counted = [m for m in metrics() if "TopicTimeouts" in m]
    assert [(m["topic"], m["TopicTimeouts"]) for m in counted] == [
        ("billing", [1.0]),
        ("delivery", [1.0]),
    ]
    logged = [r for r in caplog.records if r.name.startswith("escalator")]
    assert [(r.levelno, r.topic) for r in logged] == [
        (logging.WARNING, "billing"),
        (logging.WARNING, "delivery"),
    ]


def test_without_a_time_limit_in_the_way_the_same_pattern_matches():
    taxonomy = Taxonomy((("billing", compile_topic([], [SLOW])),))
    assert taxonomy.classify("I want a refund").topic == "billing"


def test_other_threads_at_work_never_cost_a_post_its_topic():
    """The time limit is the pattern's own: it once counted the waits for the GIL that
    regex lets go of while matching, and with the local stack's threads busy ordinary
    posts timed out and lost their topic (a few in a hundred)."""
    import threading

    taxonomy = load_policy().taxonomy
    post = "@brand I was charged twice and the app keeps crashing, where is my refund?"
    alone = taxonomy.classify(post)
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            sum(range(1000))

    others = [threading.Thread(target=busy) for _ in range(8)]
    for thread in others:
        thread.start()
    try:
        busy_verdicts = {taxonomy.classify(post) for _ in range(300)}
    finally:
        stop.set()
        for thread in others:
            thread.join()
    assert busy_verdicts == {alone} and alone.topic == "billing" and not alone.timed_out


def _pattern_parts() -> st.SearchStrategy[str]:
    """Small regular expressions: letters, classes, groups, alternation and repeats."""
    atoms = st.sampled_from(["a", "b", "é", "ab", r"\w", r"\d", r"\s", "[ab]", ".", "-"])
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map("".join),
            st.tuples(inner, inner).map("|".join).map("(?:{})".format),
            st.tuples(inner, st.sampled_from(["?", "*", "+", "{1,2}", "*?"])).map(
                lambda part: f"(?:{part[0]}){part[1]}"
            ),
        ),
        max_leaves=6,
    )


@given(_pattern_parts(), st.text(alphabet="abAé É1-_.", max_size=24))
def test_patterns_the_policy_accepts_match_as_pythons_re_matched_them(pattern, text):
    try:
        TopicSpec(patterns=[pattern])
    except ValidationError:
        assume(False)  # refused (nested repeats, patterns that match nothing)
    folded = without_accents(text)
    before = re.compile(topic_pattern([], [pattern]), re.IGNORECASE)
    now = compile_topic([], [pattern])
    assert [m.span() for m in now.finditer(folded)] == [m.span() for m in before.finditer(folded)]
