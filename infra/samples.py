"""The sample escalation email under docs/: what a supervisor gets, rendered from the
real templates for a made-up case, as HTML, text and PNG screenshots (headless
chromium, desktop and phone widths). `make docs` writes them; a test checks that the
HTML and text match the templates."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from itertools import count
from pathlib import Path

from chalicelib.adapters.signing import ActionSigner
from chalicelib.domain.cases import Case, Event, EventKind
from chalicelib.domain.policy import load_policy
from chalicelib.domain.posts import Post
from chalicelib.domain.triage import triage
from chalicelib.messages.emails import escalation_emails

OPENED = datetime(2026, 11, 23, 8, 12, tzinfo=UTC)
SENT = OPENED + timedelta(hours=2, minutes=3)
BASE_URL = "https://escalator.example.com/api"
SCREENS = {"escalation-email.png": 720, "escalation-email-phone.png": 390}


def sample_email() -> EmailMessage:
    """Tier 2's email about an X complaint that nobody answered for two hours."""
    post = Post.model_validate(
        {
            "id": "1861234567890123456",
            "channel": "x",
            "text": "@AcmeAir flight AC 212 cancelled at the gate, no rebooking, no hotel, "
            "and your app just says 'try again later'. 3 hours on hold.",
            "created_at": OPENED.isoformat(),
            "url": "https://x.com/jordan_k/status/1861234567890123456",
            "author": {"id": "4411", "handle": "@jordan_k", "followers": 18250},
        }
    )
    verdict = triage(post.text, post.author.followers)
    policy = load_policy()
    case = Case.open(post, verdict, policy.for_case("x", verdict.intent, verdict.priority), OPENED)
    case = case.advanced().acknowledged(OPENED + timedelta(minutes=80), "sam@example.com")
    case = case.advanced()
    assert case.priority == "high", "the sample shows a high-priority case at tier 2"
    events = [
        Event(OPENED, EventKind.OPENED, "triage", {}),
        Event(OPENED + timedelta(hours=1), EventKind.ESCALATED, "timer", {"tier": 1}),
        Event(OPENED + timedelta(hours=1), EventKind.NOTIFIED, "timer", {"tier": 1}),
        Event(
            OPENED + timedelta(minutes=80), EventKind.ACKNOWLEDGED, "sam@example.com", {"tier": 1}
        ),
        Event(OPENED + timedelta(hours=2, minutes=3), EventKind.ESCALATED, "timer", {"tier": 2}),
    ]
    nonces = count()
    signer = ActionSigner("sample-key", clock=lambda: SENT, nonce=lambda: f"{next(nonces):016x}")
    tier = case.tiers[1]
    return escalation_emails(
        case, tier, 0, events, SENT, "escalator@example.com", BASE_URL, signer
    )[0]


def sample_parts() -> dict[str, str]:
    message = sample_email()
    return {
        "escalation-email.html": message.get_body(("html",)).get_content(),
        "escalation-email.txt": f"Subject: {message['Subject']}\nTo: {message['To']}\n\n"
        + message.get_body(("plain",)).get_content(),
    }


def write_samples(folder: Path) -> list[Path]:
    from infra.browser import chromium

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sample_parts().items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    with chromium() as browser:
        for name, width in SCREENS.items():
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto((folder / "escalation-email.html").resolve().as_uri())
            page.screenshot(path=str(folder / name), full_page=True)
            page.close()
            written.append(folder / name)
    return written


if __name__ == "__main__":
    for path in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
