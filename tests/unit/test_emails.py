from datetime import UTC, datetime, timedelta

from chalicelib.cases import Case
from chalicelib.emails import escalation_email
from chalicelib.policy import load_policy
from chalicelib.posts import Post
from chalicelib.triage import triage

OPENED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script> my refund never came & I am furious'


def render(text: str = HOSTILE, tier_number: int = 1):
    post = Post.model_validate(
        {
            "id": "77",
            "channel": "x",
            "text": text,
            "created_at": OPENED.isoformat(),
            "url": 'https://x.com/a/status/77?q="><b>',
            "author": {"id": "a", "handle": "@angry", "followers": 12345},
        }
    )
    verdict = triage(text)
    rule = load_policy().for_case("x", verdict.intent, verdict.priority)
    case = Case.open(post, verdict, rule, OPENED)
    for _ in range(tier_number):
        case = case.advanced()
    tier = case.tiers[tier_number - 1]
    return escalation_email(
        case,
        tier,
        OPENED + timedelta(minutes=61),
        "esc@example.com",
        "https://escalator.example/api/",
    )


def parts(message):
    return {p.get_content_type(): p.get_content() for p in message.walk() if not p.is_multipart()}


def test_hostile_post_text_is_escaped_in_html_and_verbatim_in_text():
    body = parts(render())
    assert "<script>" not in body["text/html"]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body["text/html"]
    assert '"><b>' not in body["text/html"]
    assert HOSTILE in body["text/plain"]


def test_the_email_says_what_who_where_how_long_which_tier_and_links():
    message = render()
    assert message["To"] == "care-agents@example.com"
    assert message["X-Escalator-Tier"] == "1"
    subject = message["Subject"]
    assert subject.startswith("[X complaint · high] tier 1/3 · 61 min unanswered · ")
    text = parts(message)["text/plain"]
    assert "@angry (12,345 followers) wrote on X" in text
    assert "Deadline missed: 60 min without a response" in text
    assert "Next: tier 2 (care-lead@example.com) in 60 min" in text
    assert "https://escalator.example/api/cases/x-" in text
    assert "https://x.com/a/status/77" in text


def test_later_tiers_say_who_was_told_before():
    text = parts(render(tier_number=3))["text/plain"]
    assert "This is the last tier." in text
    assert "Already told: tier 1 (care-agents@example.com); tier 2 (care-lead@example.com)." in text
