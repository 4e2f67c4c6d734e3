"""The README's policy example is a policy Escalator accepts, and does what it says."""

import re
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.domain.policy import load_policy
from chalicelib.domain.triage import triage

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_full_policy_example_in_the_readme_is_valid(tmp_path):
    text = README.read_text(encoding="utf-8")
    example = text[text.index("A policy file is TOML. A full example") :]
    toml = re.search(r"```toml\n(.*?)```", example, re.DOTALL).group(1)
    path = tmp_path / "policy.toml"
    path.write_text(toml, encoding="utf-8")
    policy = load_policy(path)
    office = policy.calendar_for(
        next(r for r in policy.rules if r.name == "facebook-business-hours")
    )
    friday_3pm = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # London is on UTC in November
    assert office.add(friday_3pm, 4 * 3600) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    x_complaints = policy.for_case("x", "complaint", "normal")
    assert x_complaints.repeat.times == 3
    assert [tier.notify for tier in x_complaints.tiers] == [
        ["care-agents@example.com"],
        ["duty-manager@example.com"],
        ["head-of-care@example.com"],
    ]
    assert x_complaints.tiers[2].quiet_hours.hours == "22:00-07:00"
    assert policy.listening.hashtags == ["#acmefail"]


def test_the_readme_example_routes_each_topic_and_language_as_it_says(tmp_path):
    text = README.read_text(encoding="utf-8")
    example = text[text.index("A policy file is TOML. A full example") :]
    path = tmp_path / "policy.toml"
    path.write_text(re.search(r"```toml\n(.*?)```", example, re.DOTALL).group(1), "utf-8")
    policy = load_policy(path)

    def routed(text: str, channel: str = "x", language: str | None = None):
        verdict = triage(text, taxonomy=policy.taxonomy)
        rule = policy.for_case(
            channel, verdict.intent, verdict.priority, None, verdict.topic, language
        )
        return rule.name, rule.team, rule.tiers[0].notify

    assert routed("you charged me twice and the invoice is wrong", "facebook") == (
        "billing",
        "billing",
        ["billing-desk@example.com"],
    )
    assert policy.for_case("x", "question", "normal", topic="billing").calendar == "uk-office"
    assert routed("I am locked out and my password reset never comes, awful") == (
        "account-security",
        "trust-safety",
        ["trust-oncall@example.com"],
    )
    assert routed("¿dónde está mi pedido?", "facebook", "es") == (
        "spanish",
        "care-es",
        ["atencion@example.com"],
    )
    assert routed("what time is check-in?", "telegram") == (
        "default",
        "care",
        ["care-agents@example.com"],
    )
