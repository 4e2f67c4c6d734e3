"""The composition root: builds the AWS clients, adapters and the service once per
Lambda container (or local process), from the environment, on first use."""

from __future__ import annotations

from functools import cache

import boto3

from chalicelib.emails import Mailer
from chalicelib.inbox import Inbox
from chalicelib.policy import load_policy
from chalicelib.service import Escalator
from chalicelib.settings import Settings
from chalicelib.store import CaseStore
from chalicelib.workflow import EscalationWorkflow


@cache
def settings() -> Settings:
    return Settings.from_env()


@cache
def inbox() -> Inbox:
    return Inbox(boto3.client("sqs"), settings().inbox_queue_url)


@cache
def escalator() -> Escalator:
    config = settings()
    return Escalator(
        store=CaseStore(boto3.client("dynamodb"), config.table),
        workflow=EscalationWorkflow(boto3.client("stepfunctions"), config.state_machine_arn),
        mailer=Mailer(boto3.client("ses")),
        policy=load_policy(config.policy_path),
        sender=config.sender,
        base_url=config.base_url,
        time_scale=config.time_scale,
    )
