"""The README's policy example is a policy Escalator accepts, and does what it says."""

import re
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.policy import load_policy

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_full_policy_example_in_the_readme_is_valid(tmp_path):
    text = README.read_text(encoding="utf-8")
    example = text[text.index("A policy file is TOML. A full example") :]
    toml = re.search(r"```toml\n(.*?)```", example, re.DOTALL).group(1)
    path = tmp_path / "policy.toml"
    path.write_text(toml, encoding="utf-8")
    policy = load_policy(path)
    office = policy.calendar_for(policy.policy[1])
    friday_3pm = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # London is on UTC in November
    assert office.add(friday_3pm, 4 * 3600) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert policy.policy[0].repeat.times == 3
    assert policy.policy[0].tiers[2].quiet_hours.hours == "22:00-07:00"
