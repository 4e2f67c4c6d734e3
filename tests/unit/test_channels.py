import copy
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.x_api.listening import QueryTooLong, listening_query
from chalicelib.channels import meta, x
from chalicelib.domain.policy_sections import Listening
from tests.payloads import META, X_ACCOUNT, X_ACTIVITY, X_DIRECT_MESSAGE
from tests.platform_payloads import stream_delivery


def test_x_posts_carry_their_engagement_for_triage_and_none_when_x_gives_none():
    (tweet,) = x.parse(X_ACCOUNT, frozenset()).posts  # Zammad's: counts, all 0
    assert tweet.engagement == 0
    (message,) = x.parse(X_DIRECT_MESSAGE, frozenset()).posts
    assert message.engagement is None  # a DM has none
    (mention,) = x.parse(X_ACTIVITY, frozenset()).posts  # X's sample: counts, all 0
    assert mention.engagement == 0
    uncounted = copy.deepcopy(X_ACTIVITY)
    del uncounted["data"]["payload"]["public_metrics"]
    assert x.parse(uncounted, frozenset()).posts[0].engagement is None
    counted = copy.deepcopy(X_ACTIVITY)
    counted["data"]["payload"]["public_metrics"] = {
        "like_count": 40,
        "retweet_count": 12,
        "reply_count": 5,
        "quote_count": 1,
    }
    (mention,) = x.parse(counted, frozenset()).posts
    assert mention.engagement == 40 + 12 + 5 + 1


def test_posts_know_the_brand_account_they_are_addressed_to():
    for payload in (X_ACCOUNT, X_DIRECT_MESSAGE):
        (post,) = x.parse(payload, frozenset()).posts
        assert post.brand == payload["for_user_id"]
    (mention,) = x.parse(X_ACTIVITY, frozenset()).posts
    assert mention.brand == X_ACTIVITY["data"]["filter"]["user_id"]
    (comment,) = meta.parse(META, frozenset()).posts
    assert comment.brand == META["entry"][0]["id"]


# -- X: languages, filtered-stream deliveries, the listening query ---------------------------

BRANDS = frozenset({"9"})


def with_lang(lang) -> tuple[dict, dict]:
    activity = {**X_ACTIVITY, "data": {**X_ACTIVITY["data"]}}
    activity["data"]["payload"] = {**X_ACTIVITY["data"]["payload"], "lang": lang}
    tweet = {**X_ACCOUNT["tweet_create_events"][0], "lang": lang}
    return activity, {"for_user_id": "9", "tweet_create_events": [tweet]}


@pytest.mark.parametrize(
    ("lang", "language"),
    [
        ("en", "en"),
        ("pt-BR", "pt-BR"),
        ("zh-tw", "zh-tw"),
        ("und", None),  # undetermined
        ("zxx", None),  # media or links only
        ("art", None),  # emoji only
        ("qme", None),  # X's q... codes: mentions only, hashtags only, ...
        ("qam", None),
        ("qht", None),
        ("qu", "qu"),  # Quechua: a language that starts with q
        ("EN", None),  # not what Post takes: no language, never a refused delivery
        ("e", None),
        ("x" * 40, None),
        (7, None),
        (None, None),
    ],
)
def test_xs_lang_is_the_posts_language_unless_it_names_none(lang, language):
    activity, account = with_lang(lang)
    (mention,) = x.parse(activity, BRANDS).posts
    (tweet,) = x.parse(account, BRANDS).posts
    assert mention.language == tweet.language == language


def stream(post: dict, rules: list | None = None) -> dict:
    """Built from X's documented filtered-stream webhook body (`stream_delivery`): post
    3 by @dana (4 followers), matching rule 71 (or `rules`)."""
    dana = {"id": "5", "username": "dana", "public_metrics": {"followers_count": 4}}
    delivery = stream_delivery({"id": "3", **post}, {"id": "71", "tag": "northwind"}, dana)
    if rules is not None:
        delivery["matching_rules"] = rules
    return delivery


def test_a_filtered_stream_post_is_found_by_its_rule():
    (post,) = x.parse(stream({"text": "Northwind lost my bag", "lang": "en"}), BRANDS).posts
    assert (post.id, post.found_by, post.addressed_to_us) == ("3", "rule: northwind", False)
    assert (post.author.handle, post.author.followers, post.language) == ("@dana", 4, "en")
    assert post.brand is None and not post.from_brand
    untagged = stream({"text": "Northwind lost my bag"}, [{"id": 71}, {"id": "72", "tag": "b"}])
    assert x.parse(untagged, BRANDS).posts[0].found_by == "rule: 71"


@pytest.mark.parametrize(
    "written_to",
    [
        {"entities": {"mentions": [{"start": 0, "end": 5, "username": "help", "id": "9"}]}},
        {"in_reply_to_user_id": "9", "referenced_tweets": [{"type": "replied_to", "id": "1"}]},
    ],
)
def test_a_stream_post_that_mentions_or_replies_to_a_brand_is_addressed_to_it(written_to):
    (post,) = x.parse(stream({"text": "@help my bag", **written_to}), BRANDS).posts
    assert post.addressed_to_us and post.found_by is None
    assert post.brand == "9"


def test_a_stream_post_by_the_brand_is_the_brand_and_a_repost_is_ignored():
    (own,) = x.parse(stream({"text": "we are on it", "author_id": "9"}), BRANDS).posts
    assert own.from_brand and own.found_by is None
    repost = stream({"text": "RT bag", "referenced_tweets": [{"type": "retweeted", "id": "1"}]})
    delivery = x.parse(repost, BRANDS)
    assert (delivery.posts, delivery.ignored) == ([], ["repost"])


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d.update(matching_rules=[]), "matching_rules: List should have at least 1"),
        (lambda d: d.update(matching_rules="rule"), "matching_rules: Input should be a valid list"),
        (lambda d: d["matching_rules"][0].pop("id"), "matching_rules.0.id: required field"),
        (lambda d: d["matching_rules"][0].update(tag="t" * 201), "matching_rules.0.tag:"),
        (lambda d: d["data"].pop("text"), "data.text: required field is missing"),
        (lambda d: d["data"].update(entities={"mentions": "9"}), "data.entities.mentions:"),
        (lambda d: d.pop("data"), "data: required field is missing"),
    ],
)
def test_a_misshapen_stream_delivery_is_kept_whole_naming_the_field(change, problem):
    payload = stream({"text": "bag"})
    change(payload)
    delivery = x.parse(payload, BRANDS)
    (kept,) = delivery.unreadable
    assert (delivery.posts, kept.kind, kept.raw) == ([], "stream post", payload)
    assert any(p.startswith(problem) for p in kept.problems), kept.problems


@pytest.mark.parametrize("when", ["soon", "99999999999999999999", "Fri Dec 31 23:59:59 -2359 9999"])
def test_a_time_no_calendar_holds_is_the_moment_of_receipt_never_a_refusal(when):
    before = datetime.now(UTC)
    (post,) = x.parse(stream({"text": "bag", "created_at": when}), BRANDS).posts
    assert before <= post.created_at <= datetime.now(UTC)


def test_the_listening_query_ors_the_terms_and_leaves_out_reposts_and_the_brand():
    listening = Listening(terms=["Northwind Air", "northwindair", "OR"], hashtags=["#nwfail"])
    assert listening_query(listening, {"9", "8"}) == (
        '("Northwind Air" OR northwindair OR "OR" OR #nwfail) -is:retweet '
        "-from:8 -from:9 -to:8 -to:9"
    )


def test_terms_too_many_for_xs_query_limit_are_refused_when_the_listener_is_built():
    listening = Listening(terms=[f"northwind{n:02}" * 9 for n in range(5)])
    with pytest.raises(QueryTooLong, match="at most 512"):
        listening_query(listening, {"900001"})


# -- one event at a time: what cannot be read is kept, the rest goes on ------------------------


def test_an_entry_whose_events_are_not_a_list_is_kept_whole_and_nothing_of_it_is_taken():
    good, bad = copy.deepcopy(META["entry"][0]), copy.deepcopy(META["entry"][0])
    bad["messaging"] = 5  # its changes are fine, but the entry is not Meta's shape
    delivery = meta.parse({"object": "page", "entry": [bad, good]}, frozenset())
    assert len(delivery.posts) == 1  # the good entry's comment, once
    (kept,) = delivery.unreadable
    assert (kept.kind, kept.raw, kept.problems) == (
        "facebook entry",
        bad,
        ["messaging: expected a list of events"],
    )


def test_one_unreadable_tweet_among_good_ones_is_kept_and_the_others_taken():
    tweet = X_ACCOUNT["tweet_create_events"][0]
    broken = {key: value for key, value in tweet.items() if key != "id_str"}
    delivery = x.parse({**X_ACCOUNT, "tweet_create_events": [broken, tweet]}, frozenset())
    assert [post.id for post in delivery.posts] == [tweet["id_str"]]
    (kept,) = delivery.unreadable
    assert (kept.kind, kept.raw, kept.problems) == (
        "tweet",
        broken,
        ["id_str: required field is missing"],
    )


def test_a_platforms_name_for_an_ignored_kind_is_one_short_line():
    event = copy.deepcopy(X_ACTIVITY)
    event["data"]["event_type"] = "odd.\n" + "x" * 500
    (kind,) = x.parse(event, frozenset()).ignored
    assert kind == ("odd." + "x" * 500)[:100]
