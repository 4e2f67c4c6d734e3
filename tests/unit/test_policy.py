import json
from pathlib import Path

import pytest

from chalicelib.domain.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy
from chalicelib.domain.policy_values import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45s", 45), ("90m", 5400), ("2h", 7200), ("1h30m", 5400), ("1d", 86400), ("1d2h", 93600)],
)
def test_durations_read_as_people_write_them(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0m", "2 hours", "-5m", "5", "1.5h", "h", 60, None])
def test_anything_else_is_not_a_duration(text):
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"), [(3600, "60 min"), (5400, "90 min"), (7200, "2 h"), (9000, "2 h 30 min")]
)
def test_durations_format_for_people(seconds, text):
    assert format_duration(seconds) == text


def test_the_default_policy_is_the_documented_one():
    policy = load_policy(DEFAULT_POLICY_PATH)

    def tiers(channel: str, intent: str) -> list[int]:
        return [tier.after for tier in policy.for_case(channel, intent, "normal").tiers]

    assert tiers("x", "complaint") == [3600, 7200, 14400]
    assert tiers("facebook", "complaint") == [4 * 3600, 8 * 3600, 24 * 3600]
    assert tiers("instagram", "complaint") == [4 * 3600, 8 * 3600, 24 * 3600]
    assert tiers("x", "question")[0] > tiers("x", "complaint")[0]
    assert tiers("facebook", "question")[0] > tiers("facebook", "complaint")[0]
    assert tiers("x", "praise") == tiers("facebook", "spam") == []
    assert policy.for_case("telegram", "complaint", "normal").name == "default"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert all(problem.startswith(f"{path}: ") for problem in raised.value.problems)
    return [problem.removeprefix(f"{path}: ") for problem in raised.value.problems]


def test_every_problem_is_reported_with_its_key(tmp_path):
    path = write(
        tmp_path,
        """
[[policy]]
name = "x"
match = { channel = ["X"], intent = ["moan"] }
tiers = [ { after = "2 hours", notify = ["nobody"] }, { after = "1h", notify = [] } ]
colour = "red"

[[policy]]
name = "default"
""",
    )
    found = problems(path)
    assert (
        "policy[0] ('x').match.channel[0]: expected a lowercase channel name like 'x' or "
        "'facebook' (a-z, 0-9, - and _, at most 20), got 'X'" in found
    )
    assert any(p.startswith("policy[0] ('x').match.intent[0]: expected one of") for p in found)
    assert any(p.startswith("policy[0] ('x').tiers[0].after: expected a duration") for p in found)
    assert "policy[0] ('x').tiers[0].notify[0]: expected an email address, got 'nobody'" in found
    assert any(p.startswith("policy[0] ('x').tiers[1].notify:") for p in found)
    assert "policy[0] ('x').colour: unknown key" in found


def test_tiers_must_come_later_and_later(tmp_path):
    path = write(
        tmp_path,
        """
[[policy]]
name = "default"
tiers = [
  { after = "2h", notify = ["a@example.com"] },
  { after = "1h", notify = ["b@example.com"] },
]
""",
    )
    assert any("must be later than the one before" in p for p in problems(path))


def test_a_catch_all_must_close_the_file(tmp_path):
    path = write(
        tmp_path,
        """
[[policy]]
name = "only-x"
match = { channel = ["x"] }
""",
    )
    assert any("the last policy must have no `match`" in p for p in problems(path))


def test_a_catch_all_before_others_would_hide_them(tmp_path):
    path = write(
        tmp_path,
        """
[[policy]]
name = "everything"

[[policy]]
name = "never"
""",
    )
    assert any("could never apply" in p for p in problems(path))


def test_names_are_unique(tmp_path):
    path = write(
        tmp_path,
        """
[[policy]]
name = "a"
match = { channel = ["x"] }

[[policy]]
name = "a"
""",
    )
    assert any("repeated: a" in p for p in problems(path))


def test_a_required_key_that_is_missing_is_named(tmp_path):
    path = write(
        tmp_path,
        """
[[policy]]
tiers = [ { notify = ["a@example.com"] } ]
""",
    )
    found = problems(path)
    assert "policy[0].name: required key is missing" in found
    assert "policy[0].tiers[0].after: required key is missing" in found


def test_broken_toml_and_missing_files_are_clear(tmp_path):
    assert problems(write(tmp_path, "[[policy]\nname="))[0].startswith("not valid TOML:")
    assert problems(tmp_path / "nope.toml") == ["cannot read the file (No such file or directory)"]


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("Hi {name}", "only {handle} may be filled in, not {name}"),
        ("Hi {handle:>99999}", "only {handle} may be filled in"),
        ("Hi {handle.__class__}", "only {handle} may be filled in"),
        ("x" * 281, "expected a reply of 1 to 280 characters"),
        ("Hi {", "Single '{' encountered"),
    ],
)
def test_an_acknowledgement_template_fills_in_the_handle_only(tmp_path, template, problem):
    path = write(tmp_path, f'[[policy]]\nname = "default"\nacknowledge = {json.dumps(template)}\n')
    assert any(
        p.startswith("policy[0] ('default').acknowledge: ") and problem in p for p in problems(path)
    ), problems(path)


def test_policies_match_on_priority_too(tmp_path):
    path = write(
        tmp_path,
        """
[[policy]]
name = "urgent"
match = { priority = ["urgent"] }
tiers = [ { after = "15m", notify = ["lead@example.com"] } ]

[[policy]]
name = "default"
tiers = [ { after = "4h", notify = ["a@example.com"] } ]
""",
    )
    policy = load_policy(path)
    assert policy.for_case("x", "complaint", "urgent").name == "urgent"
    assert policy.for_case("x", "complaint", "high").name == "default"


def test_urgent_cases_can_only_start_at_a_tier_that_exists(tmp_path):
    path = write(
        tmp_path,
        """
[[policy]]
name = "default"
urgent_starts_at = 3
tiers = [
  { after = "1h", notify = ["a@example.com"] },
  { after = "2h", notify = ["b@example.com"] },
]
""",
    )
    assert problems(path) == [
        "policy[0] ('default'): urgent_starts_at: there is no tier 3 (this policy has 2)"
    ]


def test_storms_are_checked_like_the_rest(tmp_path):
    path = write(
        tmp_path,
        """
[[policy]]
name = "default"

[storms]
threshold = 1
window = "soon"
notify = []
""",
    )
    found = problems(path)
    assert any(p.startswith("storms.threshold:") for p in found)
    assert any(p.startswith("storms.window: expected a duration") for p in found)
    assert any(p.startswith("storms.notify:") for p in found)


def test_the_default_policy_groups_storms_and_starts_urgent_complaints_at_tier_two():
    policy = load_policy()
    assert policy.storms is not None and policy.storms.threshold >= 2
    assert policy.for_case("x", "complaint", "urgent").urgent_starts_at == 2


OFFICE_POLICY = """
[calendars.office]
timezone = "Europe/London"
hours = { mon = "09:00-17:30", tue = ["09:00-12:00", "13:00-17:30"], fri = "09:00-16:00" }
holidays = [2026-12-25]

[[policy]]
name = "default"
calendar = "office"
tiers = [ { after = "1h", notify = ["a@example.com"] } ]
"""


def test_a_policy_can_count_in_a_calendar_s_opening_hours(tmp_path):
    policy = load_policy(write(tmp_path, OFFICE_POLICY))
    calendar = policy.calendar_for(policy.rules[0])
    assert calendar.timezone == "Europe/London"
    assert [len(day) for day in calendar.hours] == [1, 2, 0, 0, 1, 0, 0]
    assert policy.calendar_for(policy.rules[0].model_copy(update={"calendar": None})) is None


def test_calendars_are_checked_and_referenced_ones_must_exist(tmp_path):
    path = write(
        tmp_path,
        """
[calendars.office]
timezone = "Mars/Olympus"
hours = { mon = "17:00-09:00", funday = "09:00-10:00" }

[calendars.closed]
timezone = "UTC"
hours = {}

[[policy]]
name = "default"
calendar = "shop"
""",
    )
    found = problems(path)
    assert any(p.startswith("calendars.office.timezone: expected an IANA time zone") for p in found)
    assert any(p.startswith("calendars.office.hours.mon") and "close after" in p for p in found)
    assert any(p.startswith("calendars.office.hours.funday") for p in found)
    assert any("at least one weekday" in p for p in found)
    path = write(tmp_path, OFFICE_POLICY.replace('calendar = "office"', 'calendar = "shop"'))
    assert problems(path) == [
        "policy[0] ('default').calendar: no calendar 'shop' (calendars: office)"
    ]


def test_claims_repeats_quiet_hours_and_reopening_are_checked(tmp_path):
    path = write(
        tmp_path,
        """
reopen_within = "soon"

[[policy]]
name = "default"
claim_window = "0m"
repeat = { every = "2h", times = 0 }
tiers = [
  { after = "1h", notify = ["a@example.com"], quiet_hours = { timezone = "UTC", hours = "22:00" } },
  { after = "2h", notify = ["b@example.com"], quiet_hours = { timezone = "Mars", hours = "1-2" } },
]
""",
    )
    found = problems(path)
    assert any(p.startswith("reopen_within: expected a duration") for p in found)
    assert any(
        p.startswith("policy[0] ('default').claim_window: expected a duration") for p in found
    )
    assert any(p.startswith("policy[0] ('default').repeat.times:") for p in found)
    assert any(
        p.startswith("policy[0] ('default').tiers[0].quiet_hours.hours: expected quiet hours")
        for p in found
    )
    assert any(".tiers[1].quiet_hours.timezone: expected an IANA time zone" in p for p in found)


def test_policies_can_match_the_brand_a_post_is_addressed_to(tmp_path):
    policy = load_policy(
        write(
            tmp_path,
            """
[[policy]]
name = "vip-brand"
match = { brand = ["1234", "acme-shop"] }
tiers = [ { after = "15m", notify = ["vip@example.com"] } ]

[[policy]]
name = "default"
tiers = [ { after = "4h", notify = ["a@example.com"] } ]
""",
        )
    )
    assert policy.for_case("x", "complaint", "normal", "1234").name == "vip-brand"
    assert policy.for_case("generic", "question", "low", "acme-shop").name == "vip-brand"
    assert policy.for_case("x", "complaint", "normal", "999").name == "default"
    assert policy.for_case("x", "complaint", "normal").name == "default"


def test_a_calendar_day_s_intervals_must_be_in_order_without_overlap(tmp_path):
    path = write(
        tmp_path,
        """
[calendars.office]
timezone = "UTC"
hours = { mon = ["13:00-17:00", "09:00-12:00"], tue = ["09:00-12:00", "11:00-13:00"] }

[[policy]]
name = "default"
""",
    )
    found = problems(path)
    assert any("hours.mon: intervals must be in order and not overlap" in p for p in found)
    assert any("hours.tue: intervals must be in order and not overlap" in p for p in found)


TEAMS = """
default_team = "care"

[[policy]]
name = "billing"
match = { topic = ["billing"] }
team = "billing"
tiers = [ { after = "1h" }, { after = "2h" }, { after = "4h", notify = ["cfo@example.com"] } ]

[[policy]]
name = "french"
match = { language = ["fr"] }
tiers = [ { after = "2h" } ]

[[policy]]
name = "default"
tiers = [ { after = "4h" }, { after = "8h" } ]

[teams.care]
members = [["agents@example.com"], ["lead@example.com"]]

[teams.billing]
members = [["billing@example.com", "billing-2@example.com"], ["billing-lead@example.com"]]
calendar = "office"
quiet_hours = { timezone = "Europe/London", hours = "22:00-07:00" }

[calendars.office]
timezone = "Europe/London"
hours = { mon = "09:00-17:00" }

[topics.billing]
terms = ["refund"]
"""


def test_a_policy_routes_by_topic_to_its_team_whose_members_each_tier_emails(tmp_path):
    policy = load_policy(write(tmp_path, TEAMS))
    rule = policy.for_case("x", "complaint", "normal", topic="billing")
    assert (rule.name, rule.team, rule.calendar) == ("billing", "billing", "office")
    assert [tier.notify for tier in rule.tiers] == [
        ["billing@example.com", "billing-2@example.com"],
        ["billing-lead@example.com"],
        ["cfo@example.com"],  # a tier's own `notify` stands instead of the team's
    ]
    quiet = [tier.quiet_hours and tier.quiet_hours.hours for tier in rule.tiers]
    assert quiet == ["22:00-07:00", "22:00-07:00", None]  # the team's hours, for its people


def test_a_policy_without_a_team_has_the_default_team_and_the_last_list_carries_on(tmp_path):
    policy = load_policy(write(tmp_path, TEAMS))
    rule = policy.for_case("x", "question", "normal", topic="other")
    assert (rule.name, rule.team) == ("default", "care")
    assert [tier.notify for tier in rule.tiers] == [["agents@example.com"], ["lead@example.com"]]
    assert policy.teams["care"].members_for(3) == ["lead@example.com"]  # the last list on


@pytest.mark.parametrize(
    ("language", "policy"),
    [
        ("fr", "french"),
        ("fr-CA", "french"),
        ("FR", "french"),
        ("fr-Latn-CA", "french"),
        ("fro", "default"),  # Old French is not French
        ("en", "default"),
        (None, "default"),
    ],
)
def test_a_language_code_fits_its_regional_variants(tmp_path, language, policy):
    rules = load_policy(write(tmp_path, TEAMS))
    assert rules.for_case("x", "question", "normal", language=language).name == policy


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ('team = "billing"', 'team = "finance"'),
            "policy[0] ('billing').team: no team 'finance' (teams: billing, care)",
        ),
        (
            ('default_team = "care"', 'default_team = "support"'),
            "default_team: no team 'support' (teams: billing, care)",
        ),
        (
            ('calendar = "office"', 'calendar = "shop"'),
            "teams.billing.calendar: no calendar 'shop' (calendars: office)",
        ),
        (
            ('topic = ["billing"]', 'topic = ["payments"]'),
            "policy[0] ('billing').match.topic: no topic 'payments' (topics: billing, other)",
        ),
        (
            ('default_team = "care"', ""),
            "policy[2] ('default').tiers[0].notify: nobody to email; give `notify`, or a team "
            "(the policy's `team`, or the file's `default_team`)",
        ),
        (
            ('members = [["agents@example.com"], ["lead@example.com"]]', "members = []"),
            "teams.care.members: List should have at least 1 item after validation, not 0",
        ),
        (('terms = ["refund"]', 'patterns = ["(unclosed"]'), "topics.billing.patterns[0]: not a"),
    ],
)
def test_references_between_policies_teams_calendars_and_topics_are_checked(
    tmp_path, change, problem
):
    assert change[0] in TEAMS
    found = problems(write(tmp_path, TEAMS.replace(*change)))
    assert any(p.startswith(problem) for p in found), found


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            ('language = ["fr"]', 'language = ["French"]'),
            "policy[1] ('french').match.language[0]: expected a language code like 'en' or "
            "'pt-BR' (BCP 47), got 'French'",
        ),
        (
            ("[teams.billing]", "[teams.Billing]"),
            "teams.Billing.[key]: expected a lowercase name like 'billing'",
        ),
        (('terms = ["refund"]', "terms = []"), "topics.billing: a topic needs `terms` or"),
        (
            ('terms = ["refund"]', "patterns = ['\\d*']"),
            "topics.billing: patterns: a pattern must not match nothing at all",
        ),
        (
            ('terms = ["refund"]', "terms = ['refund']\npatterns = ['(?i)money']"),
            "topics.billing: the topic's terms and patterns do not combine",
        ),
        (
            ('terms = ["refund"]', "patterns = ['(?P<n>a)', '(?P<n>b)']"),
            "topics.billing: the topic's terms and patterns do not combine",
        ),
        (("[topics.billing]", "[topics.other]"), "topics.other: is what a post no topic fits"),
        (
            ('terms = ["refund"]', "patterns = ['money', '(?:\\w+\\s?)+refund']"),
            "topics.billing.patterns[1]: a repeat inside a repeat (like `(a+)+`) can take "
            "minutes to fail on a post; write it without one, got '(?:\\\\w+\\\\s?)+refund'",
        ),
    ],
)
def test_names_languages_and_topics_are_checked_where_they_are_written(tmp_path, change, problem):
    assert change[0] in TEAMS
    found = problems(write(tmp_path, TEAMS.replace(*change)))
    assert any(p.startswith(problem) for p in found), found
