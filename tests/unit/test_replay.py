from pathlib import Path

import pytest

from infra.replay import CaseOutcome, ReplayError, read_conversations, summary, tagged

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "twcs_sample.csv"
HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"


def test_the_twitter_sample_reads_as_reply_chains_with_a_customer_opening_each():
    conversations = read_conversations(SAMPLE)
    assert len(conversations) == 27
    assert sum(len(c.posts) for c in conversations) == 93
    for conversation in conversations:
        times = [post["created_at"] for post in conversation.posts]
        assert times == sorted(times)
        assert not conversation.opener["from_brand"]
        assert len({post["conversation_id"] for post in conversation.posts}) == 1


def test_tagging_keeps_the_threads_together():
    conversation = tagged(read_conversations(SAMPLE), "t1")[2]
    ids = {post["id"] for post in conversation.posts}
    assert all(post["id"].endswith(".t1") for post in conversation.posts)
    replies = [p["in_reply_to"] for p in conversation.posts if p.get("in_reply_to") in ids]
    assert replies and all(r.endswith(".t1") for r in replies)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("tweet_id,text\n1,hi\n", "line 1: missing columns author_id, inbound"),
        (HEADER + "1,a,True,yesterday,hi,,\n", "line 2: created_at: expected a time like"),
        (HEADER + "1,a,yes,Wed Oct 11 06:55:44 +0000 2017,hi,,\n", "line 2: inbound: expected"),
        ('{"id": "1"}\n', "line 1: "),
        ("{not json\n", "line 1: "),
    ],
)
def test_a_bad_file_is_refused_naming_the_line_and_the_key(tmp_path, content, problem):
    path = tmp_path / "posts.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReplayError, match=problem) as raised:
        read_conversations(path)
    assert str(raised.value).startswith(f"{path}: ")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ReplayError, match="cannot read the file"):
        read_conversations(tmp_path / "nope.csv")


def test_the_summary_counts_verdicts_and_escalations_by_tier():
    outcomes = [
        CaseOutcome("a", "responded", "p", 600, 0, 3600),  # within
        CaseOutcome("b", "responded", "p", 7200, 2, 3600),  # breached
        CaseOutcome("c", "open", "p", None, 1, 3600),  # breached, unanswered
        CaseOutcome("d", "open", "p", None, 0, 3600),  # pending
        CaseOutcome("e", "dismissed", "no-workflow", 60, 0, None),
    ]
    totals = summary(outcomes, 60.0)
    assert totals["cases"] == 5 and totals["responded"] == 3
    assert totals["response_rate"] == 0.6
    assert totals["median_first_response_seconds"] == 600
    assert (totals["within_sla"], totals["breached"], totals["pending"]) == (1, 2, 1)
    assert totals["no_workflow"] == 1
    assert totals["escalations_by_tier"] == {"1": 2, "2": 1}
