"""One valid sample of each webhook payload family, for property tests and benchmarks."""

GENERIC = {
    "id": "1",
    "channel": "x",
    "text": "my order is late",
    "created_at": "2026-11-23T09:00:00Z",
    "url": "https://x.com/a/status/1",
    "author": {"id": "a", "handle": "@a", "followers": 3},
}
X_ACCOUNT = {
    "for_user_id": "9",
    "tweet_create_events": [
        {
            "id_str": "1",
            "created_at": "Sat Nov 28 05:30:03 +0000 2020",
            "text": "refund me",
            "truncated": True,
            "extended_tweet": {"full_text": "refund me now"},
            "in_reply_to_status_id_str": None,
            "favorite_count": 3,
            "retweet_count": 1,
            "reply_count": 0,
            "user": {"id_str": "5", "screen_name": "dana", "followers_count": 10},
        }
    ],
    "direct_message_events": [
        {
            "type": "message_create",
            "id": "7",
            "created_timestamp": "1700000000000",
            "message_create": {
                "sender_id": "5",
                "target": {"recipient_id": "9"},
                "message_data": {"text": "hi"},
            },
        }
    ],
    "users": {"5": {"id_str": "5", "screen_name": "dana", "followers_count": 10}},
}
X_ACTIVITY = {
    "data": {
        "event_type": "post.mention.create",
        "filter": {"user_id": "9"},
        "payload": {
            "id": "2",
            "text": "broken app",
            "author_id": "5",
            "created_at": "2026-11-23T09:00:00.000Z",
            "conversation_id": "2",
            "referenced_tweets": [{"type": "replied_to", "id": "1"}],
            "public_metrics": {
                "like_count": 40,
                "retweet_count": 12,
                "reply_count": 5,
                "quote_count": 1,
            },
        },
        "includes": {
            "users": [{"id": "5", "username": "dana", "public_metrics": {"followers_count": 4}}]
        },
    }
}
X_STREAM = {
    "data": {
        "id": "3",
        "text": "Northwind lost my bag",
        "author_id": "5",
        "created_at": "2026-11-23T09:00:00.000Z",
        "lang": "en",
        "entities": {"mentions": [{"start": 0, "end": 4, "username": "kim", "id": "6"}]},
        "referenced_tweets": [{"type": "replied_to", "id": "2"}],
        "in_reply_to_user_id": "6",
    },
    "includes": {"users": [{"id": "5", "username": "dana"}]},
    "matching_rules": [{"id": "71", "tag": "northwind"}],
}
META = {
    "object": "page",
    "entry": [
        {
            "id": "77",
            "time": 1700000000,
            "changes": [
                {
                    "field": "feed",
                    "value": {
                        "item": "comment",
                        "verb": "add",
                        "from": {"id": "1", "name": "R"},
                        "message": "bad",
                        "post_id": "77_1",
                        "comment_id": "77_2",
                        "parent_id": "77_1",
                        "created_time": 1700000000,
                    },
                }
            ],
            "messaging": [
                {
                    "sender": {"id": "1"},
                    "recipient": {"id": "77"},
                    "timestamp": 1700000000000,
                    "message": {"mid": "m1", "text": "help"},
                }
            ],
        }
    ],
}
INSTAGRAM = {
    "object": "instagram",
    "entry": [
        {
            "id": "88",
            "time": 1700000000,
            "field": "comments",
            "value": {
                "id": "c1",
                "from": {"id": "3", "username": "k"},
                "text": "missing parcel",
                "parent_id": None,
            },
        }
    ],
}
