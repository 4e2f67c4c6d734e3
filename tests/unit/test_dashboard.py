from datetime import UTC, datetime, timedelta

from chalicelib.domain.cases import Case
from chalicelib.domain.policy import load_policy
from chalicelib.domain.posts import Post
from chalicelib.domain.triage import triage
from chalicelib.use_cases.dashboard import Dashboard

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def case(channel: str, opened_minutes_ago: int, answered_after: int | None = None, tier=0):
    post = Post.model_validate(
        {
            "id": f"{channel}-{opened_minutes_ago}",
            "channel": channel,
            "text": "@brand my order never arrived",
            "created_at": NOW.isoformat(),
            "author": {"id": "a", "handle": "@a"},
        }
    )
    verdict = triage(post.text)
    rule = load_policy().for_case(channel, verdict.intent, verdict.priority)
    opened = Case.open(post, verdict, rule, NOW - timedelta(minutes=opened_minutes_ago))
    for _ in range(tier):
        opened = opened.advanced()
    if answered_after is None:
        return opened
    return opened.responded(opened.opened_at + timedelta(minutes=answered_after), "agent")


def test_channel_figures_count_answers_rates_and_first_response_times():
    recent = [
        case("x", 100, answered_after=10),
        case("x", 90, answered_after=30),
        case("x", 80, answered_after=50, tier=1),
        case("x", 70, tier=1),
        case("facebook", 60),
    ]
    board = Dashboard.of([c for c in recent if c.is_open], recent, NOW, 1.0)

    x, facebook = board.channels[1], board.channels[0]
    assert (x.group, x.cases, x.answered, x.breached) == ("x", 4, 3, 2)
    assert x.response_rate == 0.75
    assert (x.median_seconds, x.p90_seconds) == (1800, 3000)
    assert (facebook.cases, facebook.answered, facebook.median_seconds) == (1, 0, None)
    assert [c.post.id for c in board.breached] == ["x-70", "x-80"]  # newest first


def test_the_queue_puts_the_soonest_escalation_first():
    later, sooner = case("x", 10), case("x", 50)
    board = Dashboard.of([later, sooner], [later, sooner], NOW, 1.0)
    assert [c.post.id for c in board.open] == ["x-50", "x-10"]
