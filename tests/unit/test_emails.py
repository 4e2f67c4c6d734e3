from datetime import UTC, datetime, timedelta

from chalicelib.adapters.signing import ActionSigner
from chalicelib.domain.actions import Action
from chalicelib.domain.case_clock import Tier
from chalicelib.domain.cases import Case, Event
from chalicelib.domain.policy import load_policy
from chalicelib.domain.posts import Post
from chalicelib.domain.triage import triage
from chalicelib.messages.emails import escalation_emails, timeline

OPENED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> my refund never came & I am furious'
SIGNER = ActionSigner("test-key", clock=lambda: OPENED)
BASE = "https://escalator.example/api"


def open_case(text: str = HOSTILE, handle: str = "@angry") -> Case:
    post = Post.model_validate(
        {
            "id": "77",
            "channel": "x",
            "text": text,
            "created_at": OPENED.isoformat(),
            "url": 'https://x.com/a/status/77?q="><b>',
            "author": {"id": "a", "handle": handle, "followers": 12345},
        }
    )
    verdict = triage(text)
    rule = load_policy().for_case("x", verdict.intent, verdict.priority)
    return Case.open(post, verdict, rule, OPENED)


def render(case: Case | None = None, tier_number: int = 1, events: list[Event] = ()):
    case = case or open_case()
    for _ in range(tier_number):
        case = case.advanced()
    tier = case.tiers[tier_number - 1]
    now = OPENED + timedelta(minutes=61 if tier_number == 1 else 60 * tier_number + 1)
    return escalation_emails(
        case, tier, 0, list(events), now, "esc@example.com", BASE + "/", SIGNER
    )


def parts(message):
    return {p.get_content_type(): p.get_content() for p in message.walk() if not p.is_multipart()}


def test_hostile_post_text_is_escaped_in_html_and_verbatim_in_text():
    case = open_case(handle='@"><img src=x onerror=alert(1)>')
    body = parts(render(case)[0])
    assert "<script>" not in body["text/html"]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body["text/html"]
    assert '"><b>' not in body["text/html"]
    assert "<img" not in body["text/html"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in body["text/html"]
    assert HOSTILE in body["text/plain"]


def test_the_subject_triages_from_the_inbox():
    subject = render()[0]["Subject"]
    assert subject.startswith('[X · high complaint] Tier 1/3 · 61 min waiting · "<script>')


def test_the_email_says_what_who_where_how_long_which_tier_and_links():
    message = render()[0]
    assert message["To"] == "care-agents@example.com"
    assert message["X-Escalator-Tier"] == "1"
    text = parts(message)["text/plain"]
    assert "@angry (12,345 followers) wrote on X" in text
    assert "Deadline missed: 60 min without a response" in text
    assert "Next: tier 2 (care-lead@example.com) in 59 min" in text
    assert f"{BASE}/cases/x-" in text
    assert "https://x.com/a/status/77" in text
    assert "Suggested first reply:\n    Hi @angry, we're sorry about this" in text


def test_later_tiers_say_who_was_told_before_and_offer_no_escalation_past_the_last():
    message = render(tier_number=3)[0]
    text = parts(message)["text/plain"]
    assert "This is the last tier." in text
    assert "Already told: tier 1 (care-agents@example.com); tier 2 (care-lead@example.com)." in text
    assert "Escalate now:" not in text
    assert "Resolve:" in text


def test_each_recipient_gets_an_email_whose_links_are_signed_for_them():
    case = open_case()
    tiers = (Tier(1, 3600, ("ana@example.com", "bo@example.com")), *case.tiers[1:])
    case = Case(**{**case.__dict__, "tiers": tiers})
    messages = render(case)
    assert [m["To"] for m in messages] == ["ana@example.com", "bo@example.com"]
    for message, other in zip(messages, ["bo@example.com", "ana@example.com"], strict=True):
        text = parts(message)["text/plain"]
        assert f"Also told now: {other}." in text
        links = [line.split()[-1] for line in text.splitlines() if f"{BASE}/actions/" in line]
        grants = [SIGNER.verify(link.rsplit("/", 1)[1]) for link in links]
        assert [g.action for g in grants] == [a for a in Action if a is not Action.MOVE]
        assert {(g.case_id, g.tier, g.opening, g.recipient) for g in grants} == {
            (case.id, 1, 0, message["To"])
        }
        html = parts(message)["text/html"]
        assert all(f'href="{link}"' in html for link in links)


def test_the_timeline_reads_in_policy_time_and_names_people():
    case = open_case()
    events = [
        Event(OPENED, "opened", "triage", {"intent": "complaint"}),
        Event(OPENED, "timer started", "escalator", {}),
        Event(OPENED + timedelta(minutes=60), "notified", "timer", {"tier": 1}),
        Event(OPENED + timedelta(minutes=75), "acknowledged", "ana@example.com", {"tier": 1}),
        Event(
            OPENED + timedelta(minutes=80),
            "moved",
            "ana@example.com",
            {"tier": 1, "from_team": "care", "to_team": "billing"},
        ),
    ]
    assert timeline(case, events) == [
        {"at": "+0:00", "what": "opened", "by": ""},
        {"at": "+1:00", "what": "tier 1 emailed", "by": ""},
        {"at": "+1:15", "what": "acknowledged at tier 1", "by": "ana@example.com"},
        {"at": "+1:20", "what": "moved to team billing at tier 1", "by": "ana@example.com"},
    ]
    text = parts(render(case, events=events)[0])["text/plain"]
    assert "+1:15  acknowledged at tier 1 — ana@example.com" in text


def test_without_a_signing_key_the_email_has_no_action_links():
    case = open_case().advanced()
    message = escalation_emails(case, case.tiers[0], 0, [], OPENED, "esc@example.com", BASE, None)[
        0
    ]
    assert "/actions/" not in parts(message)["text/plain"]
    assert "/actions/" not in parts(message)["text/html"]
