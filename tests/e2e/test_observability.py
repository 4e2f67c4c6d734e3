"""What the running stack tells its operators: a metric (CloudWatch EMF, printed by the
handlers as in Lambda) for each fact it counts, and structured logs that carry the case
id, without posts' text or secrets. The local stack silences metrics; these tests turn
them on."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from chalicelib.telemetry import SERVICE
from tests.e2e.stack import API_TOKEN, GENERIC_SECRET, case_of, find, make_post, wait_for

CHANNEL = "telemetry"  # the default policy: tier 1 after 4 h of policy time
TEXT = "@brand my parcel Zorblax-7 never arrived and the tracking page is broken"


@pytest.fixture
def info_logs():
    """Every line the app and chalicelib log at INFO and above, as Powertools formats
    them (the local stack logs warnings only)."""
    import app

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    keep = Keep()
    keep.setFormatter(app.logger.registered_formatter)
    loggers = [  # the app's and its children (not placeholders: they would come between)
        logger
        for name, logger in logging.root.manager.loggerDict.items()
        if name.startswith(SERVICE) and isinstance(logger, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.INFO)
    logging.getLogger(SERVICE).addHandler(keep)
    yield lines
    logging.getLogger(SERVICE).removeHandler(keep)
    for logger, level in levels:
        logger.setLevel(level)


def test_a_case_is_counted_as_it_opens_breaches_escalates_and_is_answered(api, metrics):
    post = make_post(TEXT, channel=CHANNEL)
    case_id = case_of(post)
    api.send(post)
    api.wait_for_case(case_id, 15, lambda c: any(e["kind"] == "notified" for e in c["events"]))
    assert api.agent("POST", f"/cases/{case_id}/respond", json={"by": "maria"}).status_code == 200

    documents = wait_for(
        lambda: find(metrics(), "FirstResponseSeconds", channel=CHANNEL) and metrics(),
        5,
        "the first response's metric",
    )
    opened = find(documents, "CasesOpened", channel=CHANNEL, intent="complaint")
    assert len(opened) == 1
    definition = opened[0]["_aws"]["CloudWatchMetrics"][0]
    assert definition["Namespace"] == "Escalator"
    assert definition["Dimensions"] == [["channel", "intent", "service"], ["service"]]
    assert definition["Metrics"] == [{"Name": "CasesOpened", "Unit": "Count"}]
    assert opened[0]["service"] == "escalator"
    assert len(find(documents, "Escalations", channel=CHANNEL, tier="1")) == 1
    assert len(find(documents, "SlaBreaches", channel=CHANNEL)) == 1
    (answered,) = find(documents, "FirstResponseSeconds", channel=CHANNEL)
    (seconds,) = answered["FirstResponseSeconds"]
    assert seconds >= 4 * 3600  # in policy time: after the 4 h tier


def test_refused_webhooks_are_counted_by_reason(api, metrics):
    assert api.send(make_post(TEXT, channel=CHANNEL) | {"id": ""}).status_code == 400
    assert api.post_body(b'{"id": "1"}', signature="sha256=00").status_code == 401

    documents = metrics()

    assert find(documents, "WebhookRejections", source="generic", reason="malformed")
    assert find(documents, "WebhookRejections", source="generic", reason="signature")


def test_a_redelivered_post_is_counted_as_a_duplicate(api, metrics):
    post = make_post(TEXT.replace("parcel", "order"), channel=CHANNEL)
    api.send(post)
    api.wait_for_case(case_of(post))
    api.send(post)

    wait_for(lambda: find(metrics(), "DuplicatePosts", channel=CHANNEL), 5, "the duplicate")


def test_logs_carry_the_case_id_and_neither_the_post_nor_secrets(api, info_logs):
    post = make_post(TEXT.replace("parcel", "letter"), channel=CHANNEL)
    case_id = case_of(post)
    api.send(post)
    api.wait_for_case(case_id, 15, lambda c: any(e["kind"] == "notified" for e in c["events"]))

    entries = [json.loads(line) for line in info_logs]
    about_it = [e for e in entries if case_id in (e.get("case_id"), e.get("correlation_id"))]
    assert {e["message"] for e in about_it} >= {"case recorded", "tier notified"}
    assert all(e["level"] in {"INFO", "WARNING", "ERROR"} for e in entries)
    everything = "\n".join(info_logs)
    assert "Zorblax" not in everything and "tracking page" not in everything
    for secret in (API_TOKEN, GENERIC_SECRET):
        assert secret not in everything


def test_no_log_line_holds_a_posts_text_when_it_cannot_be_read(api, info_logs):
    """Validation errors included: an event a platform signed that cannot be read (kept,
    its text in the table only), and a queued message the consumer cannot read (pydantic
    would quote its input)."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from chalicelib import components
    from chalicelib.entrypoints.inbox_consumer import record_batch
    from infra.local import sqs_record
    from tests.e2e.stack import PAGE_ID
    from tests.platform_payloads import messenger

    delivery = messenger(f"m_{uuid.uuid4().hex}", uuid.uuid4().hex, PAGE_ID, TEXT)
    del delivery["entry"][0]["messaging"][0]["sender"]
    assert api.send_meta(delivery).json()["unreadable"] == 1
    broken = {**make_post(TEXT, channel="Not A Channel!"), "engagement": -1}
    message = {
        "MessageId": "m-1",
        "ReceiptHandle": "r",
        "Body": json.dumps(broken),
        "MD5OfBody": "",
    }
    event = {"Records": [sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:inbox")]}
    with pytest.raises(BatchProcessingError) as failed:  # the whole batch: SQS retries it
        record_batch(event, components.escalator(), components.intake_sources())
    assert "Zorblax" not in str(failed.value)

    everything = "\n".join(info_logs)
    assert "post not recorded" in everything and "unreadable event kept" in everything
    assert "Zorblax" not in everything and "tracking page" not in everything
