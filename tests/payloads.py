"""One valid sample of each webhook payload family, for property tests and benchmarks:
the generic webhook's own format, and the platforms' own payloads (tests/fixtures/, each
as its SOURCES.md says it was published or recorded)."""

from tests.platform_payloads import load

GENERIC = {
    "id": "1",
    "channel": "x",
    "text": "my order is late",
    "created_at": "2026-11-23T09:00:00Z",
    "url": "https://x.com/a/status/1",
    "author": {"id": "a", "handle": "@a", "followers": 3},
}
X_ACCOUNT = load("x", "aaa_tweet_create_mention.json")  # a mention, recorded by Zammad
X_DIRECT_MESSAGE = load("x", "aaa_dm_received.json")  # a DM, recorded by Zammad
X_ACTIVITY = load("x", "xaa_post_mention_create.json")  # X's documented post.mention.create
X_ACTIVITY_DM = load("x", "xaa_dm_received.json")  # X's documented dm.received
X_STREAM = load("x", "fs_webhook_post_expansions_author_id.json")  # X's filtered-stream webhook
META = load("meta", "page_feed_comment_add_visitor.json")  # a Page comment, from Bottender
MESSENGER = load("meta", "messenger_message_text_recorded.json")  # a message, from fbmq
INSTAGRAM = load("meta", "instagram_comments_reply_dashboard_sample.json")  # Meta's sample
INSTAGRAM_MENTION = load("meta", "instagram_mentions_comment_docs.json")  # Meta's documented
