"""The composition root: builds the AWS clients, adapters and the service once per
Lambda container (or local process), from the environment, on first use.

Cold start: app imports this module in every function, so each factory imports what it
builds in its own body (as app's handlers do): a function loads only the parts it uses.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools import Logger

from chalicelib.settings import Settings, base_url, parameter
from chalicelib.telemetry import SERVICE

if TYPE_CHECKING:
    from chalicelib.adapters.dynamodb.incidents import IncidentStore
    from chalicelib.adapters.dynamodb.sessions import DashboardSessions
    from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
    from chalicelib.adapters.meta_graph import GraphApi
    from chalicelib.adapters.signing import ActionSigner
    from chalicelib.adapters.sqs import Inbox
    from chalicelib.adapters.x_api.listening import BrandListener
    from chalicelib.adapters.x_api.lookup import XPostLookup
    from chalicelib.adapters.x_api.mentions import MentionsPoller
    from chalicelib.adapters.x_api.replies import XReplier
    from chalicelib.entrypoints.inbox_consumer import Sources
    from chalicelib.use_cases.escalator import Escalator
    from chalicelib.use_cases.queries import Queries


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def inbox() -> Inbox:
    from chalicelib.adapters.sqs import Inbox

    return Inbox(boto3.client("sqs"), settings().inbox_queue_url)


@cache
def unreadable_events() -> UnreadableEvents:
    """Where webhooks keep the events they could not read (built on the first one)."""
    from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents

    return UnreadableEvents(boto3.client("dynamodb"), settings().table)


@cache
def mentions_poller() -> MentionsPoller | None:
    """The X mentions poller, or None (said once) when it has no credentials."""
    from chalicelib.adapters.dynamodb.checkpoints import Checkpoints
    from chalicelib.adapters.x_api.mentions import MentionsPoller
    from chalicelib.channels import id_set
    from chalicelib.domain.times import utc_now

    token, brands = parameter("ESCALATOR_X_BEARER_TOKEN"), parameter("ESCALATOR_X_BRAND_IDS")
    if not (token and brands):
        Logger(service=SERVICE, child=True).info(
            "X mentions poller is off: set ESCALATOR_X_BEARER_TOKEN and ESCALATOR_X_BRAND_IDS"
        )
        return None
    from chalicelib.adapters.x_api.client import x_client

    return MentionsPoller(
        client=x_client(bearer_token=token),
        checkpoints=Checkpoints(boto3.client("dynamodb"), settings().table),
        inbox=inbox(),
        brand_ids=id_set(brands),
        clock=utc_now,
    )


@cache
def brand_listener() -> BrandListener | None:
    """X brand listening, or None (said once) without credentials or the policy's
    `[listening]`; raises QueryTooLong when its terms make too long a search."""
    from chalicelib.adapters.dynamodb.checkpoints import Checkpoints
    from chalicelib.adapters.x_api.listening import BrandListener
    from chalicelib.channels import id_set
    from chalicelib.domain.policy import load_policy
    from chalicelib.domain.times import utc_now

    token, brands = (
        parameter("ESCALATOR_X_BEARER_TOKEN"),
        id_set(parameter("ESCALATOR_X_BRAND_IDS")),
    )
    listening = load_policy(settings().policy_path).listening if token and brands else None
    if not (token and listening):
        Logger(service=SERVICE, child=True).info(
            "X brand listening is off: set ESCALATOR_X_BEARER_TOKEN and ESCALATOR_X_BRAND_IDS, "
            "and [listening] in the policy"
        )
        return None
    from chalicelib.adapters.x_api.client import x_client

    return BrandListener(
        client=x_client(bearer_token=token),
        checkpoints=Checkpoints(boto3.client("dynamodb"), settings().table),
        inbox=inbox(),
        brand_ids=brands,
        listening=listening,
        clock=utc_now,
    )


@cache
def escalator() -> Escalator:
    from datetime import timedelta

    from chalicelib.adapters.dynamodb.cases import CaseStore
    from chalicelib.adapters.dynamodb.contacts import AuthorContacts
    from chalicelib.adapters.ses import Mailer
    from chalicelib.adapters.step_functions import EscalationWorkflow
    from chalicelib.domain.policy import load_policy
    from chalicelib.use_cases.escalator import Escalator

    config = settings()
    dynamodb = boto3.client("dynamodb")
    policy = load_policy(config.policy_path)
    return Escalator(
        cases=CaseStore(dynamodb, config.table, timedelta(seconds=policy.retention)),
        timers=EscalationWorkflow(boto3.client("stepfunctions"), config.state_machine_arn),
        mailer=Mailer(boto3.client("ses")),
        policy=policy,
        sender=config.sender,
        base_url=base_url,
        time_scale=config.time_scale,
        replier=x_replier,
        contacts=AuthorContacts(dynamodb, config.table),
        incidents=incidents(),
        link_signer=action_signer,
    )


@cache
def intake_sources() -> Sources:
    """What the inbox consumer reads besides the queue, each client built on first use."""
    from chalicelib.entrypoints.inbox_consumer import Sources

    return Sources(x_post_lookup, graph_api, unreadable_events)


@cache
def x_post_lookup() -> XPostLookup | None:
    """Completes X posts delivered without their author (a filtered-stream post with
    X's default fields), when the poller's bearer token is set."""
    from chalicelib.adapters.x_api.client import x_client
    from chalicelib.adapters.x_api.lookup import XPostLookup
    from chalicelib.channels import id_set

    token = parameter("ESCALATOR_X_BEARER_TOKEN")
    if not token:
        return None
    return XPostLookup(x_client(bearer_token=token), id_set(parameter("ESCALATOR_X_BRAND_IDS")))


@cache
def graph_api() -> GraphApi | None:
    """Meta's Graph API with the Page access token, when it is set: it fetches what
    Instagram mentions and Page mentions name without carrying."""
    import os

    import requests

    from chalicelib.adapters.meta_graph import DEFAULT_GRAPH_URL, GraphApi

    token = parameter("ESCALATOR_META_PAGE_TOKEN")
    if not token:
        return None
    base = os.environ.get("ESCALATOR_META_GRAPH_URL") or DEFAULT_GRAPH_URL
    return GraphApi(requests.Session(), base, token)


def action_signer() -> ActionSigner | None:
    """Signs and checks email action links, when a key is set."""
    from chalicelib.adapters.signing import ActionSigner

    key = parameter("ESCALATOR_ACTION_KEY")
    return ActionSigner(key) if key else None


def dashboard_sessions() -> DashboardSessions | None:
    """Dashboard sign-ins, kept in the table, when the action key is set (it keys what a
    session keeps of the API token); read each time, as the key may be replaced."""
    key = parameter("ESCALATOR_ACTION_KEY")
    return _sessions_keyed_with(key) if key else None


@cache
def _sessions_keyed_with(key: str) -> DashboardSessions:
    from chalicelib.adapters.dynamodb.sessions import DashboardSessions

    return DashboardSessions(boto3.client("dynamodb"), settings().table, key)


@cache
def queries() -> Queries:
    """Reads only: the repositories, without the policy or any mail, timer or X client."""
    from chalicelib.adapters.dynamodb.cases import CaseStore
    from chalicelib.use_cases.queries import Queries

    config = settings()
    cases = CaseStore(boto3.client("dynamodb"), config.table)
    return Queries(cases, incidents(), config.time_scale)


@cache
def incidents() -> IncidentStore:
    from chalicelib.adapters.dynamodb.incidents import IncidentStore

    return IncidentStore(boto3.client("dynamodb"), settings().table)


@cache
def x_replier() -> XReplier | None:
    """Replies as the brand's X account, when its user tokens are configured."""
    from chalicelib.adapters.x_api.replies import XReplier

    names = (
        "ESCALATOR_X_API_KEY",
        "ESCALATOR_X_CONSUMER_SECRET",
        "ESCALATOR_X_ACCESS_TOKEN",
        "ESCALATOR_X_ACCESS_TOKEN_SECRET",
    )
    key, secret, token, token_secret = (parameter(name) for name in names)
    if not (key and secret and token and token_secret):
        return None
    from chalicelib.adapters.x_api.client import x_client

    return XReplier(
        x_client(
            consumer_key=key,
            consumer_secret=secret,
            access_token=token,
            access_token_secret=token_secret,
        )
    )
