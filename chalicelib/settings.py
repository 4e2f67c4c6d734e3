"""Settings from the environment, and secrets: env vars locally, SSM Parameter Store in AWS.

Names (set by .chalice/config.json and the deploy template, or by `escalator local`):
ESCALATOR_TABLE, ESCALATOR_INBOX_QUEUE_URL, ESCALATOR_STATE_MACHINE_ARN, ESCALATOR_SENDER,
ESCALATOR_TIME_SCALE, ESCALATOR_POLICY; ESCALATOR_BASE_URL, read by `base_url()`;
ESCALATOR_STAGE, the Chalice stage (each stage's in .chalice/config.json: dev, prod,
local), read by `secure_cookies()`: the dashboard's cookie is `Secure` on every stage but
`local` (plain HTTP on loopback), and on one that does not say;
ESCALATOR_TRACE_AWS_CALLS ("true": X-Ray subsegments per AWS call), read by app; and the
platforms' API base URLs, ESCALATOR_X_API_URL and ESCALATOR_META_GRAPH_URL (proxies,
pinned Graph API versions, sandboxes, stand-ins in tests), read where their clients are
made.

Secrets and channel ids, read by `parameter()` (SECRETS below): each from its env var,
or, when unset, from the SecureString parameter <ESCALATOR_SSM_PREFIX>/<parameter_name>
(api-token, ...), which `escalator secrets set` writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Here, not in policy (pydantic): settings are read at cold start, the policy on first use.
DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.toml")
SECRET_TTL_SECONDS = 300
LOCAL_STAGE = "local"  # `escalator local`'s stack: plain HTTP on loopback
SECRETS = (
    "ESCALATOR_API_TOKEN",
    "ESCALATOR_ACTION_KEY",  # signs email action links; keys what sessions keep of the token
    "ESCALATOR_GENERIC_SECRET",
    "ESCALATOR_X_CONSUMER_SECRET",
    "ESCALATOR_X_BRAND_IDS",
    "ESCALATOR_X_BEARER_TOKEN",
    "ESCALATOR_X_API_KEY",
    "ESCALATOR_X_ACCESS_TOKEN",
    "ESCALATOR_X_ACCESS_TOKEN_SECRET",
    "ESCALATOR_META_APP_SECRET",
    "ESCALATOR_META_VERIFY_TOKEN",
    "ESCALATOR_META_PAGE_IDS",
    "ESCALATOR_META_PAGE_TOKEN",  # reads what Instagram and Page mentions name (Graph API)
)


class MissingSetting(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    table: str
    inbox_queue_url: str
    state_machine_arn: str
    sender: str
    time_scale: float
    policy_path: Path

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            table=_required("ESCALATOR_TABLE"),
            inbox_queue_url=_required("ESCALATOR_INBOX_QUEUE_URL"),
            state_machine_arn=_required("ESCALATOR_STATE_MACHINE_ARN"),
            sender=_required("ESCALATOR_SENDER"),
            time_scale=_positive(
                "ESCALATOR_TIME_SCALE", os.environ.get("ESCALATOR_TIME_SCALE", "1")
            ),
            policy_path=Path(os.environ.get("ESCALATOR_POLICY") or DEFAULT_POLICY_PATH),
        )


def base_url() -> str:
    """Where email links and the dashboard point. In AWS `escalator deploy` stores it once
    the stack is up, after the first containers started: read each time (cached 5 min)."""
    return os.environ.get("ESCALATOR_BASE_URL") or parameter("ESCALATOR_BASE_URL") or ""


def secure_cookies() -> bool:
    """Whether cookies carry `Secure`: everywhere but the local stage."""
    return os.environ.get("ESCALATOR_STAGE") != LOCAL_STAGE


def parameter(name: str) -> str | None:
    """A secret or channel setting by its env var name (`ESCALATOR_API_TOKEN`); None if
    configured nowhere."""
    if value := os.environ.get(name):
        return value
    prefix = os.environ.get("ESCALATOR_SSM_PREFIX")
    if not prefix:
        return None
    from aws_lambda_powertools.utilities import (
        parameters,  # only in AWS: keeps local cold start light
    )

    try:
        value = parameters.get_parameter(
            f"{prefix.rstrip('/')}/{parameter_name(name)}",
            decrypt=True,
            max_age=SECRET_TTL_SECONDS,
        )
    except parameters.exceptions.GetParameterError as failure:
        if "ParameterNotFound" in str(failure):  # not configured: that setting is off
            return None
        raise
    return value or None


def parameter_name(name: str) -> str:
    """A setting's SSM parameter name under the stack's prefix: ESCALATOR_API_TOKEN →
    api-token."""
    return name.removeprefix("ESCALATOR_").lower().replace("_", "-")


def _positive(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0
    if not number > 0:
        raise MissingSetting(
            f"environment variable {name} must be a positive number, not {value!r}"
        )
    return number


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise MissingSetting(f"environment variable {name} is not set")
    return value
