"""Fixtures for the end-to-end tests: one local stack for the session (see stack.py)."""

from __future__ import annotations

import pytest

from chalicelib.policy import DEFAULT_POLICY_PATH
from infra.local import LocalStack
from tests.e2e.stack import API_TOKEN, CHANNEL_SETTINGS, GENERIC_SECRET, TIME_SCALE, Api, free_port

# The default policy, with storms small and quick enough to raise in a test (1 s of wall
# time at TIME_SCALE 3600).
STORMS = """[storms]
threshold = 4
window = "1h"
notify = ["crisis-team@example.com"]
"""


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as env:
        for name, value in CHANNEL_SETTINGS.items():
            env.setenv(name, value)
        yield from _stack(tmp_path_factory)


def _stack(tmp_path_factory: pytest.TempPathFactory):
    policy = tmp_path_factory.mktemp("policy") / "policy.toml"
    default = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    policy.write_text(default[: default.index("[storms]")] + STORMS, encoding="utf-8")
    local = LocalStack(
        policy=policy,
        port=free_port(),
        time_scale=TIME_SCALE,
        outbox=tmp_path_factory.mktemp("outbox"),
        api_token=API_TOKEN,
        generic_secret=GENERIC_SECRET,
    )
    local.start()
    yield local
    local.stop()


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(stack)
