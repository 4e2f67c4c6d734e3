"""`escalator report` on a known set of cases in a (moto) table."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from chalicelib.adapters.dynamodb.cases import CaseStore
from chalicelib.domain.cases import Case, Event
from chalicelib.domain.policy import load_policy
from chalicelib.domain.posts import Post
from chalicelib.domain.triage import triage
from infra import report as reports
from infra.cli import main
from tests.tables import create_cases_table

NOW = datetime.now(UTC).replace(microsecond=0)
COMPLAINT = "@brand my order never arrived and support never called back"


def make_case(
    post_id: str,
    channel: str,
    opened_hours_ago: float,
    answered_after_minutes: float | None = None,
    tiers_passed: int = 0,
    text: str = COMPLAINT,
) -> Case:
    post = Post.model_validate(
        {
            "id": post_id,
            "channel": channel,
            "text": text,
            "created_at": NOW.isoformat(),
            "author": {"id": "a", "handle": "@a"},
        }
    )
    verdict = triage(text)
    rule = load_policy().for_case(channel, verdict.intent, verdict.priority)
    case = Case.open(post, verdict, rule, NOW - timedelta(hours=opened_hours_ago))
    for _ in range(tiers_passed):
        case = case.advanced()
    if answered_after_minutes is not None:
        case = case.responded(case.opened_at + timedelta(minutes=answered_after_minutes), "agent")
    return case


KNOWN = [
    make_case("1", "x", 30, answered_after_minutes=30),
    make_case("2", "x", 20, answered_after_minutes=90, tiers_passed=1),
    make_case("3", "x", 10, tiers_passed=3),
    make_case("4", "facebook", 40, answered_after_minutes=300, tiers_passed=1),
    make_case("5", "x", 5, text="Shout out to @brand, the engineer was brilliant, thank you!"),
    make_case("6", "x", 8 * 24, answered_after_minutes=10),  # before the period
]


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        store = CaseStore(dynamodb, create_cases_table(dynamodb, "cases"))
        for case in KNOWN:
            store.create(case, Event(case.opened_at, "opened", "test"))
        yield "cases"


def test_the_report_gives_each_channels_figures_and_all_together(table):
    assert [c.intent for c in KNOWN[:4]] == ["complaint"] * 4
    assert KNOWN[4].status == "dismissed" and all(c.priority != "urgent" for c in KNOWN)

    result = CliRunner().invoke(main, ["report", "--table", table, "--json"])

    assert result.exit_code == 0, result.output
    rows = {row["channel"]: row for row in json.loads(result.stdout)}
    assert list(rows) == ["facebook", "x", "all"]
    assert rows["x"] == {
        "channel": "x",
        "cases": 3,
        "answered": 2,
        "waiting": 1,  # case 3: counted in the shares as not answered (yet)
        "response_rate": 0.6667,
        "within_sla": 0.3333,
        "same_day": 0.6667,
        "first_response_p50_seconds": 3600,
        "first_response_p90_seconds": 5400,
        "breached": 2,
        "escalations_by_tier": {"1": 2, "2": 1, "3": 1},
    }
    assert rows["facebook"]["within_sla"] == 0 and rows["facebook"]["same_day"] == 1
    assert rows["all"]["cases"] == 4 and rows["all"]["response_rate"] == 0.75
    assert rows["all"]["first_response_p50_seconds"] == 5400
    assert rows["all"]["escalations_by_tier"] == {"1": 3, "2": 1, "3": 1}


def test_the_report_as_csv_and_as_a_table(table):
    as_csv = CliRunner().invoke(main, ["report", "--table", table, "--csv", "--since", "2d"])
    lines = as_csv.stdout.splitlines()
    assert lines[0].split(",")[-3:] == ["tier_1", "tier_2", "tier_3"]
    assert lines[2].startswith("x,3,2,1,0.6667,0.3333,0.6667,3600") and lines[2].endswith(",2,1,1")

    as_table = CliRunner().invoke(main, ["report", "--table", table, "--since", "12h"])
    assert "Cases opened in the last 12h, per channel:" in as_table.output
    assert "x               1        1        0%" in as_table.output  # only case 3 is that recent


def test_a_period_with_more_cases_than_a_report_reads_is_refused_not_cut(table, monkeypatch):
    monkeypatch.setattr("infra.report.MAX_CASES", 1)
    result = CliRunner().invoke(main, ["report", "--table", table])
    assert result.exit_code == 1
    assert "more than 1 responded cases: report a shorter period" in result.output


def test_a_bad_period_names_the_option(table):
    result = CliRunner().invoke(main, ["report", "--table", table, "--since", "a week"])
    assert result.exit_code == 2 and "--since" in result.output and "a week" in result.output


def test_the_report_per_team_and_per_topic(table):
    billing = [replace(case, team="billing", topic="billing") for case in KNOWN[:2]]
    rows = {row["team"]: row for row in reports.rows([*billing, *KNOWN[2:5]], by="team")}
    assert list(rows) == ["billing", "care", "all"]
    assert (rows["billing"]["cases"], rows["billing"]["answered"]) == (2, 2)
    assert (rows["care"]["cases"], rows["care"]["waiting"]) == (3, 1)
    topics = reports.rows([*billing, *KNOWN[2:5]], by="topic")
    assert [(row["topic"], row["cases"]) for row in topics] == [
        ("billing", 2),
        ("other", 3),
        ("all", 5),
    ]

    as_table = CliRunner().invoke(main, ["report", "--table", table, "--by", "team"])
    assert as_table.exit_code == 0, as_table.output
    assert "Cases opened in the last 7d, per team:" in as_table.stdout
    assert as_table.stdout.splitlines()[2].startswith("care ")  # the stored cases' one team
    refused = CliRunner().invoke(main, ["report", "--table", table, "--by", "colour"])
    assert refused.exit_code == 2 and "'colour' is not one of 'channel', 'team', 'topic'" in (
        refused.output
    )
