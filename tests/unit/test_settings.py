import pytest
from moto import mock_aws

from chalicelib.settings import parameter


@pytest.fixture
def ssm(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("ESCALATOR_SSM_PREFIX", "/escalator/test")
    monkeypatch.delenv("ESCALATOR_ACTION_KEY", raising=False)
    monkeypatch.delenv("ESCALATOR_API_TOKEN", raising=False)
    with mock_aws():
        import boto3

        yield boto3.client("ssm")


def test_a_secret_comes_from_its_env_var_first(ssm, monkeypatch):
    monkeypatch.setenv("ESCALATOR_API_TOKEN", "from-env")
    assert parameter("ESCALATOR_API_TOKEN") == "from-env"


def test_a_secret_comes_from_its_ssm_parameter_when_no_env_var(ssm):
    ssm.put_parameter(Name="/escalator/test/action-key", Value="s3cret", Type="SecureString")
    assert parameter("ESCALATOR_ACTION_KEY") == "s3cret"


def test_a_secret_in_neither_place_is_off_not_an_error(ssm):
    assert parameter("ESCALATOR_API_TOKEN") is None
