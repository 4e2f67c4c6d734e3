"""The topic taxonomy: word boundaries, case and accents, patterns, and which topic wins."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.policy import load_policy
from chalicelib.topics import OTHER, Taxonomy, without_accents
from chalicelib.triage import triage

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
