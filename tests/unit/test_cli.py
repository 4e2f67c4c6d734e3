import json

import pytest
from click.testing import CliRunner

from chalicelib.domain.policy import DEFAULT_POLICY_PATH
from infra.cli import main

SHIPPED_BILLING_PATTERNS = "patterns = ['refund(?:s|ed|ing)?', 'charg(?:e|es|ed|ing)', "


def test_policy_check_accepts_the_default_policy():
    result = CliRunner().invoke(main, ["policy", "check"])
    assert result.exit_code == 0
    assert "ok, 6 policies" in result.output


def test_policy_check_prints_every_problem_and_fails(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[[policy]]\nname = "a"\ntiers = [ { after = "soon", notify = ["x"] } ]\n')
    result = CliRunner().invoke(main, ["policy", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}: policy[0] ('a').tiers[0].after: expected a duration" in result.output
    assert f"{path}: policy[0] ('a').tiers[0].notify[0]: expected an email address" in result.output


def test_triage_reads_lines_and_writes_json_lines():
    result = CliRunner().invoke(main, ["triage"], input="my bill is wrong, refund me\n\nthanks!\n")
    assert result.exit_code == 0
    verdicts = [json.loads(line) for line in result.output.splitlines()]
    assert [v["intent"] for v in verdicts] == ["complaint", "praise"]
    keys = {"intent", "sentiment", "complaint_score", "priority", "topic", "reasons"}
    assert set(verdicts[0]) == keys
    assert verdicts[0]["topic"] == "billing"  # the bundled policy's taxonomy
    assert "topic billing: bill, refund" in verdicts[0]["reasons"]
    assert verdicts[0]["complaint_score"] >= 0.5 and verdicts[0]["sentiment"] < 0


def test_policy_check_refuses_a_policy_that_routes_to_a_team_that_does_not_exist(tmp_path):
    path = tmp_path / "teams.toml"
    path.write_text(
        '[[policy]]\nname = "billing"\nmatch = { intent = ["complaint"] }\nteam = "billing"\n'
        'tiers = [ { after = "1h" } ]\n\n[[policy]]\nname = "default"\nteam = "care"\n'
        'tiers = [ { after = "4h" } ]\n\n[teams.care]\nmembers = [["care@example.com"]]\n'
    )
    result = CliRunner().invoke(main, ["policy", "check", str(path)])
    assert result.exit_code == 1
    assert result.output == f"{path}: policy[0] ('billing').team: no team 'billing' (teams: care)\n"
    fixed = path.read_text().replace('team = "billing"', 'team = "care"')
    path.write_text(fixed)
    result = CliRunner().invoke(main, ["policy", "check", str(path)])
    assert (result.exit_code, result.output) == (0, f"{path}: ok, 2 policies, 1 team\n")


def test_policy_check_refuses_listening_terms_that_make_too_long_a_search(tmp_path, monkeypatch):
    monkeypatch.setenv("ESCALATOR_X_BRAND_IDS", "900001")
    path = tmp_path / "listening.toml"
    terms = ", ".join(f'"Acme product {n}"' for n in range(30))
    path.write_text(
        f'[listening]\nterms = [{terms}]\n\n[[policy]]\nname = "default"\n'
        'tiers = [ { after = "4h", notify = ["care@example.com"] } ]\n'
    )
    result = CliRunner().invoke(main, ["policy", "check", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: [listening]: the X search query for these terms")
    path.write_text(path.read_text().replace(terms, '"Acme Air"'))
    assert CliRunner().invoke(main, ["policy", "check", str(path)]).exit_code == 0


def with_billing_pattern(tmp_path, pattern: str):
    """The bundled policy, its billing topic's first pattern replaced by `pattern`."""
    shipped = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert SHIPPED_BILLING_PATTERNS in shipped
    path = tmp_path / "topics.toml"
    path.write_text(
        shipped.replace(SHIPPED_BILLING_PATTERNS, f"patterns = ['{pattern}', "), encoding="utf-8"
    )
    return path


@pytest.mark.parametrize("pattern", [r"(?:\w+\s?)+refund", "(a+)+", "(a*)*", "(x{2,}y?)*"])
def test_policy_check_refuses_a_topic_pattern_with_a_repeat_inside_a_repeat(tmp_path, pattern):
    path = with_billing_pattern(tmp_path, pattern)
    result = CliRunner().invoke(main, ["policy", "check", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"{path}: topics.billing.patterns[0]: a repeat inside a repeat (like `(a+)+`) can take "
        f"minutes to fail on a post; write it without one, got {pattern!r}\n"
    )


def test_policy_check_refuses_a_topic_pattern_too_slow_on_a_post_made_against_it(tmp_path):
    pattern = r"\w*\s*\w*\s*\w*\s*refund"  # no repeat in a repeat: cubic on 'a a a ...refunda'
    path = with_billing_pattern(tmp_path, pattern)
    result = CliRunner().invoke(main, ["policy", "check", str(path)])
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    assert line.startswith(f"{path}: topics.billing.patterns[0]: takes more than 50 ms on a ")
    assert line.endswith(f"write it so it backtracks less, got {pattern!r}")
    fast = with_billing_pattern(tmp_path, r"\w*refund")
    assert CliRunner().invoke(main, ["policy", "check", str(fast)]).exit_code == 0


def test_triage_writes_only_verdicts_when_a_topic_runs_out_of_time(tmp_path, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")  # restored after the test
    monkeypatch.setattr("chalicelib.domain.topics.TIME_LIMIT", 0.001)
    path = with_billing_pattern(tmp_path, r"\w*\s*\w*\s*\w*\s*refund")  # loads; check refuses
    post = "a " * 900 + "refunda"
    result = CliRunner().invoke(main, ["triage", "--policy", str(path)], input=post + "\n")
    assert result.exit_code == 0
    (verdict,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert verdict["topic"] == "other"
