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
