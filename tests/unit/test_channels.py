import pytest

from chalicelib.channels import meta, x
from chalicelib.channels.x_listener import QueryTooLong, listening_query
from chalicelib.policy import Listening
from chalicelib.posts import InvalidPost
from tests.payloads import META, X_ACCOUNT, X_ACTIVITY


def test_x_posts_carry_their_engagement_for_triage():
    tweet, direct_message = x.parse(X_ACCOUNT, frozenset()).posts
    assert tweet.engagement == 3 + 1 + 0
    assert direct_message.engagement is None  # a DM has none
    (mention,) = x.parse(X_ACTIVITY, frozenset()).posts
    assert mention.engagement == 40 + 12 + 5 + 1


def test_a_post_without_counts_has_no_engagement_rather_than_zero():
    payload = {**X_ACTIVITY, "data": {**X_ACTIVITY["data"]}}
    payload["data"]["payload"] = {
        k: v for k, v in X_ACTIVITY["data"]["payload"].items() if k != "public_metrics"
    }
    (mention,) = x.parse(payload, frozenset()).posts
    assert mention.engagement is None


def test_posts_know_the_brand_account_they_are_addressed_to():
    for post in x.parse(X_ACCOUNT, frozenset()).posts:
        assert post.brand == X_ACCOUNT["for_user_id"]
    (mention,) = x.parse(X_ACTIVITY, frozenset()).posts
    assert mention.brand == X_ACTIVITY["data"]["filter"]["user_id"]
    posts = meta.parse(META, frozenset()).posts
    assert posts and {post.brand for post in posts} == {META["entry"][0]["id"]}


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
    return {
        "data": {"id": "3", "author_id": "5", "created_at": "2026-11-23T09:00:00.000Z", **post},
        "includes": {
            "users": [{"id": "5", "username": "dana", "public_metrics": {"followers_count": 4}}]
        },
        "matching_rules": rules if rules is not None else [{"id": "71", "tag": "northwind"}],
    }


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
    assert (delivery.posts, delivery.ignored) == ([], ["repost 3"])


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
        (lambda d: d["data"].update(created_at="soon"), "data.created_at:"),
    ],
)
def test_a_misshapen_stream_delivery_is_invalid_naming_the_field(change, problem):
    delivery = stream({"text": "bag"})
    change(delivery)
    with pytest.raises(InvalidPost) as refused:
        x.parse(delivery, BRANDS)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


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
