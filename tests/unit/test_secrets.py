"""`escalator secrets set` (SSM on moto): it stores SecureStrings without echoing them,
refuses an API token or action key under 256 bits of estimated entropy, and makes one
with --generate; the platforms' secrets are taken as their platform gives them."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from infra.cli import main
from infra.secret_strength import bits_per_character, estimated_bits, weakness

STRONG = "Vq8-" + secrets.token_urlsafe(40)  # every class: 58 characters, 380 bits


@pytest.fixture
def ssm(monkeypatch) -> Iterator[object]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield boto3.client("ssm")


def stored(ssm, name: str, stage: str = "dev") -> str | None:
    try:
        found = ssm.get_parameter(Name=f"/escalator/escalator-{stage}/{name}", WithDecryption=True)
    except ssm.exceptions.ParameterNotFound:
        return None
    assert found["Parameter"]["Type"] == "SecureString"
    return found["Parameter"]["Value"]


def set_secret(*args: str, value: str | None = None):
    typed = None if value is None else f"{value}\n{value}\n"
    return CliRunner().invoke(main, ["secrets", "set", *args], input=typed)


# -- the estimate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "bits"),
    [
        ("", 0),
        ("abcd", 4 * 4.700),  # lower case: a pool of 26
        ("aB3!", 4 * 6.570),  # all four classes: 26 + 26 + 10 + 33 = 95
        ("0123456789", 10 * 3.322),
        ("Zürich", 6 * 6.409),  # a letter outside ASCII counts with the symbols: 26+26+33
    ],
)
def test_the_estimate_is_length_times_log2_of_the_classes_pool(value, bits):
    assert estimated_bits(value) == pytest.approx(bits, abs=0.01)


def test_a_repetitive_value_spreads_little_entropy_over_its_characters():
    assert bits_per_character("a" * 64) == 0
    assert bits_per_character("ab" * 32) == 1
    assert bits_per_character(string.ascii_letters[:16] * 4) == 4


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("s3cret", "about 31 bits of entropy, and 256 are needed"),
        ("correct-horse-battery-staple", "about 165 bits of entropy"),
        (secrets.token_urlsafe(24), "bits of entropy, and 256 are needed"),  # 192 random bits
        ("Aa1!" * 40, "it repeats itself: 2.0 bits per character, and 3 are needed"),
        ("x" * 300, "it repeats itself: 0.0 bits per character"),
    ],
)
def test_weak_values_are_told_why(value, why):
    assert why in weakness(value)


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(48),  # what --generate makes
        lambda: secrets.token_hex(32),  # `openssl rand -hex 32`
        lambda: secrets.token_urlsafe(32) + "=",  # like `openssl rand -base64 32`
    ],
)
def test_32_random_bytes_written_out_pass(make):
    for _ in range(200):
        value = make()
        assert weakness(value) is None, value


# -- the command -------------------------------------------------------------------------


def test_a_secret_is_stored_as_a_secure_string_under_the_stack_without_echoing_it(ssm):
    result = set_secret("api-token", "--stage", "prod", value=STRONG)

    assert result.exit_code == 0, result.output
    assert stored(ssm, "api-token", "prod") == STRONG
    assert STRONG not in result.output
    assert "stored /escalator/escalator-prod/api-token (version 1)" in result.output


@pytest.mark.parametrize("name", ["api-token", "action-key", "ESCALATOR_ACTION_KEY"])
@pytest.mark.parametrize("weak", ["s3cret", "Aa1!" * 40, secrets.token_urlsafe(24)])
def test_a_weak_api_token_or_action_key_is_refused_and_nothing_stored(ssm, name, weak):
    result = set_secret(name, value=weak)

    assert result.exit_code == 1
    assert "not stored: it " in result.output
    assert "--generate, or store what `openssl rand -base64 32` prints" in result.output
    assert weak not in result.output
    assert stored(ssm, "api-token") is None and stored(ssm, "action-key") is None


@pytest.mark.parametrize("name", ["api-token", "action-key"])
def test_generate_stores_a_strong_value_and_prints_it_once(ssm, name):
    result = set_secret(name, "--generate", "--stage", "prod")

    assert result.exit_code == 0, result.output
    value = stored(ssm, name, "prod")
    assert estimated_bits(value) >= 256 and weakness(value) is None
    assert result.output.count(value) == 1
    assert f"{name} (shown this once): {value}" in result.output
    assert set_secret(name, "--generate", "--stage", "prod").exit_code == 0
    assert stored(ssm, name, "prod") != value  # a new one each time


def test_the_platforms_secrets_are_taken_as_given_and_not_generated(ssm):
    assert set_secret("x-brand-ids", value="900001").exit_code == 0
    assert stored(ssm, "x-brand-ids") == "900001"
    assert set_secret("generic-secret", value="their-secret").exit_code == 0

    result = set_secret("meta-app-secret", "--generate")
    assert result.exit_code == 2
    assert "it makes only api-token and action-key, not meta-app-secret" in result.output
    assert stored(ssm, "meta-app-secret") is None


def test_a_name_it_does_not_know_is_refused():
    result = set_secret("password", value="x")
    assert result.exit_code == 2
    assert "no secret 'password'; known: api-token, action-key" in result.output
