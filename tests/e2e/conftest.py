"""Fixtures for the end-to-end tests: one local stack for the session (see stack.py)."""

from __future__ import annotations

import pytest

from infra.local import LocalStack
from tests.e2e.stack import API_TOKEN, CHANNEL_SETTINGS, GENERIC_SECRET, TIME_SCALE, Api, free_port


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as env:
        for name, value in CHANNEL_SETTINGS.items():
            env.setenv(name, value)
        yield from _stack(tmp_path_factory)


def _stack(tmp_path_factory: pytest.TempPathFactory):
    local = LocalStack(
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
