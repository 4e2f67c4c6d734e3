"""The `escalator` command: run Escalator locally, try it, and check its policy."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from chalicelib.domain.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy
from chalicelib.domain.posts import CHANNEL_NAME

CHANNELS = [
    ("generic", "{base}/webhooks/generic", []),
    ("X", "{base}/webhooks/x", ["ESCALATOR_X_CONSUMER_SECRET"]),
    ("Meta", "{base}/webhooks/meta", ["ESCALATOR_META_APP_SECRET", "ESCALATOR_META_VERIFY_TOKEN"]),
    ("X poller", "mentions every minute", ["ESCALATOR_X_BEARER_TOKEN", "ESCALATOR_X_BRAND_IDS"]),
    (
        "Meta mentions",
        "Instagram @mentions and Page mentions read from the Graph API",
        ["ESCALATOR_META_PAGE_TOKEN"],
    ),
    (
        "X replies",
        "acknowledgements policies ask for",
        [
            "ESCALATOR_X_API_KEY",
            "ESCALATOR_X_CONSUMER_SECRET",
            "ESCALATOR_X_ACCESS_TOKEN",
            "ESCALATOR_X_ACCESS_TOKEN_SECRET",
        ],
    ),
]


@click.group()
def main() -> None:
    """Escalator: social-media complaints that nobody answers climb tiers of people by
    email, on a durable per-case timer, until someone responds."""


def _stack_options(default_scale: float):
    def decorate(command):
        for option in reversed(
            [
                click.option(
                    "--port", default=8000, show_default=True, help="HTTP port on 127.0.0.1."
                ),
                click.option(
                    "--time-scale",
                    default=default_scale,
                    show_default=True,
                    type=float,
                    help="Policy seconds per real second (60: one SLA minute per second).",
                ),
                click.option(
                    "--outbox",
                    default="outbox",
                    show_default=True,
                    type=click.Path(file_okay=False, path_type=Path),
                    help="Folder where every email sent is also written as .eml.",
                ),
                click.option(
                    "--policy",
                    "policy_path",
                    default=None,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path),
                    help="Escalation policy file (TOML). Default: the bundled one.",
                ),
            ]
        ):
            command = option(command)
        return command

    return decorate


def _start_stack(port: int, time_scale: float, outbox: Path, policy_path: Path | None):
    from infra.console import EventPrinter
    from infra.local import LocalStack

    if time_scale <= 0:
        raise click.BadParameter("must be positive", param_hint="--time-scale")
    if policy_path:
        _fail_on_policy_errors(policy_path)
    stack = LocalStack(
        port=port,
        time_scale=time_scale,
        outbox=outbox,
        policy=policy_path,
        on_event=EventPrinter(_load_case),
    )
    try:
        stack.start()
    except OSError as error:
        raise click.ClickException(
            f"cannot start the local stack on port {port}: {error}"
        ) from None
    click.echo(click.style("Escalator is running on the embedded local AWS", bold=True))
    click.echo(f"  API          {stack.base_url}")
    click.echo(f"  dashboard    {stack.base_url}/  (sign in with the API token)")
    click.echo(f"  local AWS    {stack.aws_endpoint}  (aws --endpoint-url ... works against it)")
    click.echo(f"  API token    {stack.env['ESCALATOR_API_TOKEN']}")
    click.echo(f"  webhook key  {stack.env['ESCALATOR_GENERIC_SECRET']}")
    click.echo(f"  outbox       {outbox.resolve()}")
    click.echo(f"  time scale   {time_scale:g}x (one policy hour = {3600 / time_scale:g} s)")
    for name, where, needs in CHANNELS:
        missing = [variable for variable in needs if not os.environ.get(variable)]
        state = "ready" if not missing else "off: set " + ", ".join(missing)
        click.echo(f"  {name:<12} {where.format(base=stack.base_url)}  ({state})")
    click.echo("")
    return stack


def _load_case(case_id: str):
    # Imported when the first event arrives: by then the stack has set the environment
    # the app's modules read when they load.
    from chalicelib import components

    return components.queries().case(case_id)


def _serve_until_interrupted(stack) -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("\nstopping")
    finally:
        stack.stop()


@main.command()
@_stack_options(default_scale=60.0)
def local(port: int, time_scale: float, outbox: Path, policy_path: Path | None) -> None:
    """Run the whole stack in the foreground on loopback; Ctrl-C stops it."""
    stack = _start_stack(port, time_scale, outbox, policy_path)
    click.echo("Ctrl-C stops it.")
    _serve_until_interrupted(stack)


@main.command()
@_stack_options(default_scale=1800.0)
@click.option("--once", is_flag=True, help="Exit when the demo is over instead of serving on.")
def demo(port: int, time_scale: float, outbox: Path, policy_path: Path | None, once: bool) -> None:
    """`local` plus a replay of the bundled sample feed: watch cases open, get answered or
    climb tiers, and emails land in the outbox."""
    from infra.demo import FeedPlayer, load_feed

    outbox.mkdir(parents=True, exist_ok=True)
    from infra.local import EML

    for old in outbox.glob(f"*{EML}"):  # an earlier demo's emails, none of the user's files
        old.unlink()
    stack = _start_stack(port, time_scale, outbox, policy_path)
    feed = load_feed()
    click.echo(
        f"Replaying {len(feed)} sample posts (X, Facebook, Instagram); a simulated agent "
        f"answers some of them.\n"
    )
    try:
        player = FeedPlayer(
            stack.base_url,
            stack.env["ESCALATOR_GENERIC_SECRET"],
            stack.env["ESCALATOR_API_TOKEN"],
            time_scale,
        )
        player.play(feed)
        _wait_for_timers(stack)
        _print_summary(stack, outbox, player.failures)
    except KeyboardInterrupt:
        stack.stop()
        return
    if once:
        stack.stop()
        if player.failures:
            sys.exit(1)
        return
    click.echo(f"\nThe stack keeps running at {stack.base_url}; Ctrl-C stops it.")
    _serve_until_interrupted(stack)


def _wait_for_timers(stack, poll_seconds: float = 0.5) -> None:
    """Until nothing is on its way: the inbox drained and no escalation timer running
    (every case answered or through its tiers), twice in a row, since a post still in
    the inbox may start a timer after the timers were listed."""
    sfn, sqs = stack.client("stepfunctions"), stack.client("sqs")
    arn, inbox = stack.env["ESCALATOR_STATE_MACHINE_ARN"], stack.env["ESCALATOR_INBOX_QUEUE_URL"]
    counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    quiet = 0
    while quiet < 2:
        time.sleep(poll_seconds)
        queued = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=counts)["Attributes"]
        running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
        quiet = 0 if running or any(int(n) for n in queued.values()) else quiet + 1


def _print_summary(stack, outbox: Path, failures: list[str]) -> None:
    from chalicelib import components
    from chalicelib.domain.case_clock import Status

    queries = components.queries()
    counts = {status: len(queries.cases_in(status, 1000)) for status in Status}
    from infra.local import EML

    emails = len(list(outbox.glob(f"*{EML}")))
    click.echo("")
    click.echo(
        click.style("Demo over", bold=True)
        + ": "
        + ", ".join(f"{count} {status}" for status, count in counts.items())
        + f"; {emails} escalation emails in {outbox}/"
    )
    for failure in failures:
        click.echo(click.style(f"  failed: {failure}", fg="red"))


@main.group()
def policy() -> None:
    """Escalation policy files."""


@policy.command("check")
@click.argument(
    "path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_POLICY_PATH
)
def policy_check(path: Path) -> None:
    """Validate a policy file: exit 0, or print every problem and exit 1. The listening
    query is measured with the brand ids in ESCALATOR_X_BRAND_IDS, if set; each topic
    pattern is timed on posts made to slow it down."""
    from chalicelib.adapters.x_api.listening import QueryTooLong, listening_query
    from chalicelib.channels import id_set

    policy = _fail_on_policy_errors(path)
    problems = policy.slow_patterns()
    if policy.listening is not None:
        try:
            listening_query(policy.listening, id_set(os.environ.get("ESCALATOR_X_BRAND_IDS")))
        except QueryTooLong as too_long:
            problems.append(str(too_long))
    if problems:
        for problem in problems:
            click.echo(f"{path}: {problem}", err=True)
        sys.exit(1)
    counts = [(len(policy.rules), "policy", "policies"), (len(policy.teams), "team", "teams")]
    counts.append((len(policy.topics), "topic", "topics"))
    summary = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n or one == "policy"]
    click.echo(f"{path}: ok, {', '.join(summary)}")


def _fail_on_policy_errors(path: Path):
    try:
        return load_policy(path)
    except PolicyError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        sys.exit(1)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The stack.")
@click.option("--json", "as_json", is_flag=True, help="End with the summary as one JSON line.")
@click.option("--token", envvar="ESCALATOR_API_TOKEN", help="[env ESCALATOR_API_TOKEN]")
@click.option("--secret", envvar="ESCALATOR_GENERIC_SECRET", help="[env ESCALATOR_GENERIC_SECRET]")
@click.option(
    "--settle",
    default=30.0,
    show_default=True,
    help="At most this many seconds for the stack to record the last posts.",
)
def replay(file: Path, url: str, as_json: bool, token: str, secret: str, settle: float) -> None:
    """Replay recorded conversations (Twitter corpus CSV or JSON lines of posts) through
    the running stack at its time scale, side by side, each starting now."""
    from infra.replay import Replayer, ReplayError

    if not token or not secret:
        raise click.UsageError(
            "set ESCALATOR_API_TOKEN and ESCALATOR_GENERIC_SECRET (the "
            "values `escalator local` prints), or pass --token and --secret"
        )
    try:
        Replayer(url.rstrip("/"), token, secret).run(file, as_json, settle, click.echo)
    except ReplayError as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_POLICY_PATH,
    help="The policy file whose topics to find. Default: the bundled one.",
)
def triage(policy_path: Path) -> None:
    """One post text per line on stdin; one JSON object per line on stdout."""
    from chalicelib.domain.triage import triage as classify

    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"  # stdout is the verdicts' alone
    taxonomy = _fail_on_policy_errors(policy_path).taxonomy
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        click.echo(json.dumps(classify(text, taxonomy=taxonomy).as_json(), ensure_ascii=False))


def _check_stage(stage: str) -> None:
    stages = json.loads((Path(__file__).parent.parent / ".chalice" / "config.json").read_text())
    if stage not in stages["stages"]:
        raise click.BadParameter(
            f"no stage {stage!r} in .chalice/config.json; try {', '.join(stages['stages'])}",
            param_hint="--stage",
        )


def _aws_errors(command):
    """AWS's refusals and a missing region or credentials, as one clear line each."""
    import functools

    @functools.wraps(command)
    def run(*args, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return command(*args, **kwargs)
        except (BotoCoreError, ClientError) as failure:
            raise click.ClickException(f"AWS: {failure}") from None

    return run


@main.command("package")
@click.option("--stage", default="dev", show_default=True, help="Chalice stage to package.")
@click.option(
    "--out",
    default="dist",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for deployment.zip and sam.yaml.",
)
def package_command(stage: str, out: Path) -> None:
    """Write the stage's deployable template (SAM) and code artifact."""
    from infra.package import PackageError, package

    _check_stage(stage)
    try:
        template = package(stage, out)
    except PackageError as failure:
        raise click.ClickException(str(failure)) from None
    click.echo(f"{template}\n{template.with_name('deployment.zip')}")


# The secrets Escalator makes up for itself, held to infra/secret_strength.py's rule; the
# others are what the platforms give.
OWN_SECRETS = ("ESCALATOR_API_TOKEN", "ESCALATOR_ACTION_KEY")


@main.group()
def secrets() -> None:
    """Secrets in AWS: SSM Parameter Store SecureStrings, read by the deployed stack."""


@secrets.command("set")
@click.argument("name")
@click.option("--stage", default="dev", show_default=True, help="The stage they are for.")
@click.option(
    "--generate",
    is_flag=True,
    help="api-token, action-key: make a random one, store it and print it once.",
)
@_aws_errors
def secrets_set(name: str, stage: str, generate: bool) -> None:
    """Store secret NAME (api-token or ESCALATOR_API_TOKEN, ...) without echoing it. The
    API token and the action key are refused under 256 bits of estimated entropy."""
    from secrets import token_urlsafe

    import boto3

    from chalicelib.settings import SECRETS, parameter_name
    from infra.package import stack_name
    from infra.secret_strength import HOW_TO_MAKE_ONE, weakness

    wanted = (
        name if name.startswith("ESCALATOR_") else "ESCALATOR_" + name.upper().replace("-", "_")
    )
    if wanted not in SECRETS:
        known = ", ".join(parameter_name(secret) for secret in SECRETS)
        raise click.BadParameter(f"no secret {name!r}; known: {known}", param_hint="NAME")
    own = wanted in OWN_SECRETS
    if generate and not own:
        own_names = " and ".join(parameter_name(secret) for secret in OWN_SECRETS)
        raise click.BadParameter(
            f"it makes only {own_names}, not {parameter_name(wanted)}", param_hint="--generate"
        )
    if generate:
        value = token_urlsafe(48)
    else:
        value = click.prompt(f"{parameter_name(wanted)}", hide_input=True, confirmation_prompt=True)
    if own and (problem := weakness(value)):
        raise click.ClickException(
            f"{parameter_name(wanted)} not stored: {problem}; {HOW_TO_MAKE_ONE}"
        )
    path = f"/escalator/{stack_name(stage)}/{parameter_name(wanted)}"
    stored = boto3.client("ssm").put_parameter(
        Name=path, Value=value, Type="SecureString", Overwrite=True
    )
    click.echo(f"stored {path} (version {stored['Version']})")
    if generate:
        click.echo(f"{parameter_name(wanted)} (shown this once): {value}")


@main.command()
@click.option(
    "--since", "since_text", default="7d", show_default=True, help="Period: 90m, 24h, 7d."
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV instead of a table.")
@click.option("--stage", default="dev", show_default=True, help="Its stack's table.")
@click.option("--table", "table_name", default=None, help="A table by name, instead of --stage.")
@click.option(
    "--by",
    type=click.Choice(["channel", "team", "topic"]),
    default="channel",
    show_default=True,
    help="One row per channel, per team or per topic.",
)
@_aws_errors
def report(
    since_text: str, as_json: bool, as_csv: bool, stage: str, table_name: str | None, by: str
) -> None:
    """How the cases of a period went, per channel, team or topic (AWS_ENDPOINT_URL works
    too)."""
    from datetime import UTC, datetime, timedelta

    import boto3

    from chalicelib.adapters.dynamodb.cases import CaseStore
    from chalicelib.domain.policy_values import parse_duration
    from infra import report as reports
    from infra.package import stack_name

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    try:
        since = timedelta(seconds=parse_duration(since_text))
        start = datetime.now(UTC) - since
    except (ValueError, OverflowError) as problem:
        raise click.BadParameter(str(problem), param_hint="--since") from None
    dynamodb = boto3.client("dynamodb")
    if table_name is None:
        table_name = _stack_output(stack_name(stage), "CasesTableName")
    try:
        cases = reports.cases_since(CaseStore(dynamodb, table_name), start)
    except reports.TooManyCases as too_many:
        raise click.ClickException(str(too_many)) from None
    rows = reports.rows(cases, by)
    if as_json:
        click.echo(reports.as_json(rows))
    elif as_csv:
        click.echo(reports.as_csv(rows), nl=False)
    else:
        click.echo(reports.as_table(rows, since_text, by))


def _stack_output(stack: str, key: str) -> str:
    import boto3
    from botocore.exceptions import ClientError

    try:
        described = boto3.client("cloudformation").describe_stacks(StackName=stack)
    except ClientError as error:
        raise click.ClickException(f"cannot read stack {stack}: {error}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    if key not in outputs:
        raise click.ClickException(f"stack {stack} has no output {key}")
    return outputs[key]


def _deployer():
    import boto3

    from infra.deploy import Deployer

    return Deployer(
        boto3.client("cloudformation"), boto3.client("s3"), boto3.client("ssm"), echo=click.echo
    )


@main.command()
@click.option("--stage", default="dev", show_default=True, help="Chalice stage to deploy.")
@click.option(
    "--bucket",
    envvar="ESCALATOR_DEPLOY_BUCKET",
    required=True,
    help="S3 bucket for the code and template (or ESCALATOR_DEPLOY_BUCKET).",
)
@click.option("--sender", default=None, help="The From address of emails (first deploy).")
@click.option("--sender-verified", is_flag=True, help="The sender is verified in SES already.")
@click.option("--alarm-email", default=None, help="Who the alarms email (SNS asks to confirm).")
@_aws_errors
def deploy(
    stage: str, bucket: str, sender: str | None, sender_verified: bool, alarm_email: str | None
) -> None:
    """Package the stage, and create or update its stack through a change set."""
    import tempfile

    from infra.deploy import DeployError, channel_urls
    from infra.package import PackageError, package

    _check_stage(stage)
    parameters = {"SenderAddress": sender} if sender else {}
    if sender_verified:
        parameters["VerifySender"] = "no"
    if alarm_email is not None:
        parameters["AlarmEmail"] = alarm_email
    with tempfile.TemporaryDirectory() as out:
        try:
            template = package(stage, Path(out))
            outputs = _deployer().deploy(stage, template, bucket, parameters)
        except (PackageError, DeployError) as failure:
            raise click.ClickException(str(failure)) from None
    for name, url in channel_urls(outputs).items():
        click.echo(f"  {name:<10} {url}")
    if outputs:
        click.echo("Set the secrets the stack reads with `escalator secrets set NAME`.")


@main.command()
@click.option("--stage", default="dev", show_default=True)
@click.option("--delete-table", is_flag=True, help="Delete the cases table too.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_aws_errors
def destroy(stage: str, delete_table: bool, yes: bool) -> None:
    """Delete the stage's stack; the table is retained unless --delete-table."""
    import boto3

    from infra.deploy import DeployError

    what = (
        "the stack, and the cases table with every case in it"
        if delete_table
        else "the stack (the cases table is kept)"
    )
    if not yes:
        click.confirm(f"Delete {what}?", abort=True)
    try:
        table = _deployer().destroy(stage, boto3.client("dynamodb") if delete_table else None)
    except DeployError as failure:
        raise click.ClickException(str(failure)) from None
    click.echo(f"deleted; table {table} too" if delete_table else f"deleted; table {table} kept")


@main.command()
@click.option("--stage", default="dev", show_default=True)
@_aws_errors
def status(stage: str) -> None:
    """The stage's stack, its URLs, and how many posts wait in its queues."""
    import boto3

    from infra.deploy import DeployError, channel_urls

    try:
        report = _deployer().status(stage, boto3.client("sqs"), boto3.client("dynamodb"))
    except DeployError as failure:
        raise click.ClickException(str(failure)) from None
    click.echo(f"{report['stack']}  {report['status']}")
    for name, url in channel_urls(report["outputs"]).items():
        click.echo(f"  {name:<12} {url}")
    for queue in ("inbox", "dead_letters"):
        if queue in report:
            click.echo(f"  {queue.replace('_', ' '):<12} {report[queue]} waiting")
    if "unreadable" in report:
        click.echo(
            f"  {'unreadable':<12} {report['unreadable']} events kept"
            + (f" (escalator unreadable --stage {stage})" if report["unreadable"] else "")
        )


@main.command()
@click.option("--stage", default="dev", show_default=True, help="Its stack's table.")
@click.option("--table", "table_name", default=None, help="A table by name, instead of --stage.")
@click.option("--delete", "delete_ids", multiple=True, help="Forget a kept event, dealt with.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@_aws_errors
def unreadable(stage: str, table_name: str | None, delete_ids: tuple[str, ...], limit: int) -> None:
    """Events of signed webhook deliveries that could not be read, kept whole (14 days):
    one JSON object per line, with its id, source, kind, problems and the event itself."""
    import boto3

    from chalicelib.adapters.dynamodb.unreadable import UnreadableEvents
    from infra.package import stack_name

    if table_name is None:
        table_name = _stack_output(stack_name(stage), "CasesTableName")
    kept = UnreadableEvents(boto3.client("dynamodb"), table_name)
    for event_id in delete_ids:
        if not kept.delete(event_id):
            raise click.ClickException(f"no unreadable event {event_id!r} in {table_name}")
        click.echo(f"deleted {event_id}", err=True)
    if delete_ids:
        return
    for event in kept.list(limit):
        record = {
            "id": event.id,
            "source": event.source,
            "kind": event.kind,
            "problems": event.problems,
            "received_at": event.received_at.isoformat(),
            "event": event.raw,
        }
        click.echo(json.dumps(record, ensure_ascii=False))


def _author(value: str) -> tuple[str, str]:
    """`--author CHANNEL:AUTHOR_ID` as (channel, author id)."""
    channel, _, author_id = value.partition(":")
    if not (channel and author_id) or not CHANNEL_NAME.fullmatch(channel):
        raise click.BadParameter(
            f"expected CHANNEL:AUTHOR_ID, e.g. x:44196397 or facebook:10001; got {value!r}",
            param_hint="--author",
        )
    return channel, author_id


def _personal_data(stage: str, table_name: str | None):
    import boto3

    from chalicelib.adapters.dynamodb.personal_data import PersonalData
    from infra.package import stack_name

    if table_name is None:
        table_name = _stack_output(stack_name(stage), "CasesTableName")
    return PersonalData(boto3.client("dynamodb"), table_name)


@main.command()
@click.option("--author", "author", required=True, help="CHANNEL:AUTHOR_ID, e.g. x:44196397.")
@click.option("--stage", default="dev", show_default=True, help="Its stack's table.")
@click.option("--table", "table_name", default=None, help="A table by name, instead of --stage.")
@_aws_errors
def export(author: str, stage: str, table_name: str | None) -> None:
    """Everything the table holds about one person (a data-protection request), as
    JSON: their cases with their trails, their words in other cases' trails, their
    thread and repeat-contact records, and unreadable events that name them."""
    from chalicelib.entrypoints.http import case_json

    channel, author_id = _author(author)
    found = _personal_data(stage, table_name).find(channel, author_id)
    document = {
        "author": f"{channel}:{author_id}",
        "cases": [case_json(case, events) for case, events in found.cases],
        "in_other_cases": [
            {key: line[key] for key in ("case_id", "at", "kind", "by", "detail")}
            for line in found.lines_elsewhere
        ],
        "conversations": [
            {"conversation": c["pk"].split("#", 2)[2], "case_id": c["case_id"]}
            for c in found.conversations
        ],
        "repeat_contact": found.contact
        and {key: found.contact.get(key) for key in ("post_id", "post_at", "previous_at")},
        "unreadable_events": [
            {"id": e.id, "received_at": e.received_at.isoformat(), "event": e.raw}
            for e in found.unreadable
        ],
    }
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


@main.command()
@click.option("--author", "author", required=True, help="CHANNEL:AUTHOR_ID, e.g. x:44196397.")
@click.option("--stage", default="dev", show_default=True, help="Its stack's table.")
@click.option("--table", "table_name", default=None, help="A table by name, instead of --stage.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_aws_errors
def erase(author: str, stage: str, table_name: str | None, yes: bool) -> None:
    """Erase one person's posts, handles and names (a data-protection request): their
    cases stay as anonymous records with their timings, for the reports."""
    channel, author_id = _author(author)
    data = _personal_data(stage, table_name)
    found = data.find(channel, author_id)
    if not (found.cases or found.lines_elsewhere or found.contact or found.unreadable):
        click.echo(f"nothing held about {channel}:{author_id}")
        return
    if not yes:
        click.confirm(
            f"Erase {channel}:{author_id}'s words from {len(found.cases)} cases and "
            f"{len(found.lines_elsewhere)} lines of other cases' trails?",
            abort=True,
        )
    done = data.erase(channel, author_id)
    click.echo(
        f"erased {channel}:{author_id}: {done.cases} cases kept as anonymous records, "
        f"{done.trail_lines} trail lines blanked, {done.conversations} thread records and "
        f"{done.contacts} repeat-contact records deleted, {done.unreadable_events} "
        "unreadable events deleted"
    )
