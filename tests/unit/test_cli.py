import json

from click.testing import CliRunner

from infra.cli import main


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
    assert set(verdicts[0]) == {"intent", "sentiment", "complaint_score", "priority", "reasons"}
    assert verdicts[0]["complaint_score"] >= 0.5 and verdicts[0]["sentiment"] < 0
