from datetime import UTC, datetime, timedelta

from chalicelib.domain.cases import Case
from chalicelib.domain.policy import load_policy
from chalicelib.domain.posts import Post
from chalicelib.domain.triage import triage
from infra.console import EventPrinter

OPENED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def make_case() -> Case:
    post = Post.model_validate(
        {
            "id": "1",
            "channel": "facebook",
            "text": "my router is broken, nobody helps",
            "created_at": OPENED.isoformat(),
            "author": {"id": "a", "handle": "Mia"},
        }
    )
    verdict = triage(post.text)
    return Case.open(
        post,
        verdict,
        load_policy().for_case("facebook", verdict.intent, verdict.priority),
        OPENED,
        time_scale=1800,
    )


def test_one_readable_line_per_event_in_policy_time():
    case = make_case()
    lines: list[str] = []
    printer = EventPrinter(lambda case_id: case, echo=lines.append)
    at = OPENED + timedelta(seconds=8)  # 4 policy hours at 1800x
    printer(
        {
            "case_id": case.id,
            "kind": "opened",
            "at": OPENED.isoformat(),
            "by": "triage",
            "detail": {"status": "open"},
        }
    )
    printer({"case_id": case.id, "kind": "timer started", "at": OPENED.isoformat(), "by": "x"})
    printer(
        {
            "case_id": case.id,
            "kind": "notified",
            "at": at.isoformat(),
            "by": "timer",
            "detail": {"tier": 1, "to": ["care-agents@example.com"]},
        }
    )
    printer(
        {
            "case_id": case.id,
            "kind": "responded",
            "at": at.isoformat(),
            "by": "sam",
            "detail": {"tier": 1},
        }
    )

    assert len(lines) == 3
    assert "+ 0:00" in lines[0] and "opened" in lines[0]
    assert (
        'Facebook complaint about other · normal · 3 tiers for care · Mia: "my router is broken'
        in lines[0]
    )
    assert "+ 4:00" in lines[1] and "tier 1" in lines[1]
    assert "emailed care-agents@example.com" in lines[1]
    assert "by sam, after tier 1" in lines[2]


def test_a_case_joining_an_incident_says_what_the_storm_is_about():
    case = make_case()
    lines: list[str] = []
    EventPrinter(lambda case_id: case, echo=lines.append)(
        {
            "case_id": case.id,
            "kind": "joined incident",
            "at": OPENED.isoformat(),
            "by": "storm",
            "detail": {"incident_id": "incident-0123456789abcdef0123", "term": "outage"},
        }
    )
    assert len(lines) == 1
    assert "incident" in lines[0]
    assert 'storm about "outage": incident-0123456789abcdef0123' in lines[0]


def test_a_move_says_from_which_team_to_which_and_who():
    case = make_case()
    lines: list[str] = []
    EventPrinter(lambda case_id: case, echo=lines.append)(
        {
            "case_id": case.id,
            "kind": "moved",
            "at": OPENED.isoformat(),
            "by": "maria",
            "detail": {"from_team": "care", "to_team": "billing", "tier": 0},
        }
    )
    assert len(lines) == 1 and "moved" in lines[0]
    assert "from care to billing, by maria" in lines[0]
