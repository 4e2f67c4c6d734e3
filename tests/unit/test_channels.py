from chalicelib.channels import meta, x
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
