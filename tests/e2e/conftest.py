"""Fixtures for the end-to-end tests: one local stack for all of them, stopped
once the last has run (its pollers would outlive unit tests that reset moto; see stack.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from chalicelib.domain.policy import DEFAULT_POLICY_PATH
from infra.local import LocalStack
from tests.e2e.stack import (
    API_TOKEN,
    CHANNEL_SETTINGS,
    GENERIC_SECRET,
    GRAPH_VERSION,
    QUIET_SINCE,
    TIME_SCALE,
    Api,
    free_port,
    quiet_hours,
)
from tests.standins import StandIn

# The default policy, with a few of the tests' own before its catch-all (the routing-*
# ones send each topic to a team of its own), and storms small and quick enough to raise
# in a test (1 s of wall time at TIME_SCALE 3600).
TEST_POLICIES = """
[[policy]]
name = "claim-window"
match = { channel = ["claim"] }
claim_window = "3h"
tiers = [
  { after = "1h", notify = ["claim-1@example.com"] },
  { after = "2h", notify = ["claim-2@example.com"] },
]

[[policy]]
name = "email-actions"
match = { channel = ["actions"] }
claim_window = "3h"
tiers = [
  { after = "1h", notify = ["act-1@example.com"] },
  { after = "5h", notify = ["act-2a@example.com", "act-2b@example.com"] },
  { after = "10h", notify = ["act-3@example.com"] },
]

[[policy]]
name = "dashboard"
match = { channel = ["dashboard"] }
tiers = [ { after = "100h", notify = ["dash@example.com"] } ]

[[policy]]
name = "repeat"
match = { channel = ["repeat"] }
repeat = { every = "1h", times = 2 }
tiers = [ { after = "1h", notify = ["repeat@example.com"] } ]

[[policy]]
name = "quiet"
match = { channel = ["quiet"] }

[[policy.tiers]]
after = "1h"
notify = ["night-owls@example.com"]
quiet_hours = { timezone = "UTC", hours = "QUIET" }

[[policy]]
name = "routing-billing"
match = { channel = ["routing"], topic = ["billing"] }
team = "billing"
tiers = [ { after = "1h" }, { after = "3h" } ]

[[policy]]
name = "routing-delivery"
match = { channel = ["routing"], topic = ["delivery"] }
team = "delivery"
tiers = [ { after = "1h" }, { after = "3h" } ]

[[policy]]
name = "routing-digital"
match = { channel = ["routing"], topic = ["technical", "account"] }
team = "digital"
tiers = [ { after = "1h" }, { after = "3h" } ]

[[policy]]
name = "routing-product"
match = { channel = ["routing"], topic = ["product"] }
team = "product"
tiers = [ { after = "1h" }, { after = "3h" } ]

[[policy]]
name = "routing-rest"
match = { channel = ["routing"] }
tiers = [ { after = "1h" }, { after = "3h" } ]

[[policy]]
name = "office-hours"
match = { channel = ["office"] }
calendar = "lunchtime"
tiers = [ { after = "1h", notify = ["office@example.com"] } ]

"""
TEST_SECTIONS = """
[calendars.lunchtime]
timezone = "UTC"
[calendars.lunchtime.hours]
mon = "12:00-13:00"
tue = "12:00-13:00"
wed = "12:00-13:00"
thu = "12:00-13:00"
fri = "12:00-13:00"
sat = "12:00-13:00"
sun = "12:00-13:00"

[teams.billing]
members = [["billing-1@example.com"], ["billing-2@example.com"]]

[teams.delivery]
members = [["delivery-1@example.com"], ["delivery-2@example.com"]]

[teams.digital]
members = [["digital-1@example.com", "digital-1b@example.com"], ["digital-2@example.com"]]

[teams.product]
members = [["product@example.com"]]

[storms]
threshold = 4
window = "1h"
notify = ["crisis-team@example.com"]
"""


def with_test_policies(default: str, start: datetime) -> str:
    catch_all = default.index('[[policy]]\nname = "default"')
    storms = default.index("[storms]")
    tests = TEST_POLICIES.replace("QUIET", quiet_hours(start))
    return default[:catch_all] + tests + default[catch_all:storms] + TEST_SECTIONS


@pytest.fixture(scope="package")
def platform_apis():
    """One stand-in for the platforms' APIs (X's under /2/, the Graph API under
    GRAPH_VERSION), where the e2e stack sends the clients it builds."""
    stand_in = StandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory, platform_apis: StandIn):
    with pytest.MonkeyPatch.context() as env:
        for name, value in CHANNEL_SETTINGS.items():
            env.setenv(name, value)
        env.setenv("ESCALATOR_X_API_URL", platform_apis.url)
        env.setenv("ESCALATOR_META_GRAPH_URL", platform_apis.url + GRAPH_VERSION)
        yield from _stack(tmp_path_factory)


def _stack(tmp_path_factory: pytest.TempPathFactory):
    policy = tmp_path_factory.mktemp("policy") / "policy.toml"
    default = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    QUIET_SINCE.append(datetime.now(UTC))
    policy.write_text(with_test_policies(default, QUIET_SINCE[0]), encoding="utf-8")
    local = LocalStack(
        policy=policy,
        port=free_port(),
        time_scale=TIME_SCALE,
        outbox=tmp_path_factory.mktemp("outbox"),
        api_token=API_TOKEN,
        generic_secret=GENERIC_SECRET,
        schedules=False,  # the tests run the poller and the reconciler themselves
    )
    local.start()
    yield local
    local.stop()


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(stack)


@pytest.fixture
def metrics(monkeypatch, capsys):
    """The EMF documents the stack prints from now on, as a function to read them."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    printed: list[dict] = []

    def read() -> list[dict]:
        for line in capsys.readouterr().out.splitlines():
            if line.startswith('{"_aws"'):
                printed.append(json.loads(line))
        return printed

    return read
