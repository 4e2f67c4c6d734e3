"""The stack's metrics, in CloudWatch's embedded metric format (EMF) through Powertools.

Each is written once, where the fact it counts becomes true (a case recorded, a
deadline missed), as its own EMF line: dimensions differ from one case to the next
within a batch, so one set per invocation would not do. Every metric also carries the
`service` dimension alone: the total the alarms watch.
POWERTOOLS_METRICS_DISABLED silences them all (the local stack does)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

NAMESPACE = "Escalator"  # infra/template.yaml's alarms read these two
SERVICE = "escalator"  # the metrics' service dimension, and the loggers' name

logger = Logger(service=SERVICE, child=True)


def case_opened(channel: str, intent: str) -> None:
    """A post became a case (praise and spam too: they are recorded, closed)."""
    _emit("CasesOpened", MetricUnit.Count, 1, channel=channel, intent=intent)


def duplicate_post(channel: str) -> None:
    """A post seen before (a redelivery, another subscription): no second case."""
    _emit("DuplicatePosts", MetricUnit.Count, 1, channel=channel)


def post_late(channel: str) -> None:
    """A post older than the dedupe records last (30 days): a late retry or a replayed
    delivery. It opens, joins and answers nothing."""
    _emit("LatePosts", MetricUnit.Count, 1, channel=channel)


def post_overheard(channel: str, intent: str) -> None:
    """A post listening found that is neither a complaint nor a question: no case."""
    _emit("OverheardPostsLeft", MetricUnit.Count, 1, channel=channel, intent=intent)


def escalated(channel: str, tier: int) -> None:
    """A case moved up to the tier (its first deadline, or an urgent case's start)."""
    _emit("Escalations", MetricUnit.Count, 1, channel=channel, tier=str(tier))


def sla_breached(channel: str) -> None:
    """A case's first deadline passed unanswered: once per opening."""
    _emit("SlaBreaches", MetricUnit.Count, 1, channel=channel)


def first_response(channel: str, seconds: float) -> None:
    """A case got its first response, after this many seconds of policy time."""
    _emit("FirstResponseSeconds", MetricUnit.Seconds, seconds, channel=channel)


def timer_restarted(reason: str) -> None:
    """The reconciler found an open case with no running timer (a start lost, an
    execution failed, aborted or gone) and started one."""
    _emit("TimersRestarted", MetricUnit.Count, 1, reason=reason)


def webhook_rejected(source: str, reason: str) -> None:
    """A webhook delivery was refused (signature, malformed, too large, not configured)."""
    _emit("WebhookRejections", MetricUnit.Count, 1, source=source, reason=reason)


def event_ignored(source: str, kind: str, count: int = 1) -> None:
    """A webhook delivered events of a kind Escalator does not act on (likes, read
    receipts, typing indicators): answered 200, nothing queued."""
    _emit("IgnoredEvents", MetricUnit.Count, count, source=source, kind=kind)


def event_unreadable(source: str, reason: str) -> None:
    """A signed delivery held an event that could not be read: it is kept whole in the
    table for an engineer (`escalator unreadable`), and the rest of the delivery goes on."""
    _emit("UnreadableEvents", MetricUnit.Count, 1, source=source, reason=reason)


def topics_timed_out(topics: tuple[str, ...]) -> None:
    """Topics' patterns ran out of time on a post (chalicelib.domain.topics.TIME_LIMIT):
    the post was triaged as not about them. Logged with each topic's name, never the
    post's text, and counted per topic."""
    from chalicelib.domain.topics import TIME_LIMIT  # only now: the webhooks load no regex

    for topic in topics:
        logger.warning(
            "a topic's pattern ran out of time on a post: taken as not about it",
            extra={"topic": topic, "time_limit": TIME_LIMIT},
        )
        _emit("TopicTimeouts", MetricUnit.Count, 1, topic=topic)


def _emit(name: str, unit: MetricUnit, value: float, **dimensions: str) -> None:
    emf = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=SERVICE)
    emf.add_metric(name=name, unit=unit, value=value)
    for dimension, given in dimensions.items():
        emf.add_dimension(name=dimension, value=given)
    emf.add_dimensions(service=SERVICE)  # the total, across the dimensions above
    emf.flush_metrics()
