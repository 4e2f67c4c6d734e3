"""The local stack: Escalator on an embedded AWS (moto), on loopback, no account needed.

What runs where, and how it maps to AWS:
- moto's server, in this process, stands in for DynamoDB, SQS, SES, Step Functions,
  Lambda, IAM and SSM; the app reaches it through AWS_ENDPOINT_URL, as boto3 would reach AWS.
- The table, queues, sender identity, state machine and the functions' environment come
  from infra/template.yaml and infra/escalation.asl.json, the files that deploy to AWS.
- Step Functions executions really run the ASL (Wait, Task, Choice, Retry); when a task
  invokes a Lambda function, moto calls the Chalice handler here, in-process.
- An inbox poller does what Lambda's SQS event source does: receive up to 10 messages,
  invoke the handler, delete what succeeded, leave failures for redelivery (and, after
  maxReceiveCount, the dead-letter queue). moto's own SQS-to-Lambda path invokes inside
  SendMessage and never redelivers, so it is not used.
- Scheduled functions are driven by this runtime (moto's EventBridge never fires them).
- The HTTP API is Chalice's local server; every email SES accepts is also written to the
  outbox folder as an .eml file.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import io
import json
import logging
import os
import re
import secrets
import socket
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.template import Resolver, load_state_machine_definition, load_template

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK_NAME = "escalator-local"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
EML = ".escalator.eml"  # the outbox files this runtime writes (and the demo may clear)
SQS_POLLERS = 4  # concurrent batches, as Lambda's SQS event source starts with 5


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass
class LocalStack:
    """The whole stack, started with `start()` and ended with `stop()` (or as a context)."""

    port: int = 8000
    time_scale: float = 60.0
    outbox: Path | None = None
    policy: Path | None = None
    host: str = "127.0.0.1"
    api_token: str | None = None
    generic_secret: str | None = None
    sender: str | None = None
    on_event: Callable[[dict[str, Any]], None] | None = None
    on_email: Callable[[Path], None] | None = None
    schedules: bool = True  # run the scheduled functions on their rates (tests drive them)

    base_url: str = field(init=False, default="")
    aws_endpoint: str = field(init=False, default="")
    env: dict[str, str] = field(init=False, default_factory=dict)
    _stopping: threading.Event = field(init=False, default_factory=threading.Event)
    _threads: list[threading.Thread] = field(init=False, default_factory=list)
    _moto: Any = field(init=False, default=None)
    _http: Any = field(init=False, default=None)
    _environ_before: dict[str, str | None] = field(init=False, default_factory=dict)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LocalStack:
        self._start_aws()
        template = load_template()
        self._create_resources(template)
        self._configure_environment(template)
        app_module = importlib.import_module("app")
        for warm in WARM_MODULES:  # what Lambda's provisioned concurrency would have loaded
            importlib.import_module(warm)
        functions = self._register_functions(app_module)
        self._create_state_machine(template, functions)
        self._start_inbox_poller(app_module)
        if self.schedules:
            self._start_schedules(app_module)
        self._start_http(app_module.app)
        if self.on_event:
            self._spawn("events", self._follow_events)
        return self

    def stop(self) -> None:
        """Stop timers first (executions would outlive the server), then the threads; the
        process gets its environment variables back."""
        self._stopping.set()
        sfn = self.client("stepfunctions")
        arn = self.env.get("ESCALATOR_STATE_MACHINE_ARN")
        pages = (
            sfn.get_paginator("list_executions").paginate(
                stateMachineArn=arn, statusFilter="RUNNING"
            )
            if arn
            else []
        )
        with contextlib.suppress(Exception):
            running = [e["executionArn"] for page in pages for e in page["executions"]]
            for execution in running:
                with contextlib.suppress(Exception):  # one that just ended
                    sfn.stop_execution(executionArn=execution)
        if self._http:
            self._http.shutdown()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._moto:
            self._moto.stop()
        self._restore_environment()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.aws_endpoint, region_name=REGION)

    # -- the embedded AWS ----------------------------------------------------------------

    def _start_aws(self) -> None:
        from moto.core.config import default_user_config
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines
        moto_port = _free_port(self.host)
        self.aws_endpoint = f"http://{self.host}:{moto_port}"
        self._set_environment(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ENDPOINT_URL": self.aws_endpoint,
                "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
                "MOTO_PORT": str(moto_port),  # Step Functions tasks call moto on this port
            }
        )
        # Must be set before the state machine is created: it lives in another backend.
        default_user_config["stepfunctions"]["execute_state_machine"] = True
        _remember_backends()
        self._moto = ThreadedMotoServer(ip_address=self.host, port=moto_port, verbose=False)
        self._moto.start()
        _serialize_dynamodb()
        _item_level_transactions()
        _partition_queries()
        _parse_definitions_once()
        _queues_at_scale()
        self._capture_emails()

    def _capture_emails(self) -> None:
        """Write every raw email SES accepts into the outbox folder as well."""
        from moto.ses.models import SESBackend

        original = getattr(SESBackend.send_raw_email, "__wrapped__", SESBackend.send_raw_email)
        stack = self

        def send_raw_email(
            backend: Any, source: str, destinations: list[str], raw_data: str
        ) -> Any:
            message = original(backend, source, destinations, raw_data)
            if stack.outbox is not None:
                stack.outbox.mkdir(parents=True, exist_ok=True)
                path = stack.outbox / f"{time.strftime('%Y%m%dT%H%M%S')}-{message.id[:12]}{EML}"
                path.write_text(raw_data, encoding="utf-8")
                if stack.on_email:
                    stack.on_email(path)
            return message

        send_raw_email.__wrapped__ = original  # type: ignore[attr-defined]
        SESBackend.send_raw_email = send_raw_email  # type: ignore[method-assign]

    def _create_resources(self, template: dict[str, Any]) -> None:
        """Create what the template describes that moto can run, in dependency order,
        recording each one's Ref and Arn for the intrinsics that refer to it."""
        parameters = {
            name: str(spec.get("Default", "")) for name, spec in template["Parameters"].items()
        }
        if self.sender:
            parameters["SenderAddress"] = self.sender
        refs: dict[str, str] = {
            **parameters,
            "AWS::StackName": STACK_NAME,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
        }
        attributes: dict[tuple[str, str], str] = {}
        resolve = Resolver(refs, attributes)
        creators = {
            "AWS::SQS::Queue": self._create_queue,
            "AWS::DynamoDB::Table": self._create_table,
            "AWS::SES::EmailIdentity": self._create_email_identity,
        }
        pending = {
            name: spec
            for name, spec in template["Resources"].items()
            if spec.get("Type") in creators
        }
        while pending:
            progressed = False
            for name, spec in list(pending.items()):
                try:
                    properties = resolve(spec.get("Properties", {}))
                except KeyError:
                    continue  # depends on a resource not created yet
                ref, arn = creators[spec["Type"]](name, properties)
                refs[name] = ref
                attributes[(name, "Arn")] = arn
                del pending[name]
                progressed = True
            if not progressed:
                raise RuntimeError(f"cannot resolve references of {sorted(pending)}")
        self._refs, self._attributes = refs, attributes

    def _create_queue(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, str]:
        sqs = self.client("sqs")
        name = properties.get("QueueName") or f"{STACK_NAME}-{logical_id}"
        attributes = {
            key: json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in properties.items()
            if key != "QueueName"
        }
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return url, arn

    def _create_table(self, logical_id: str, properties: dict[str, Any]) -> tuple[str, str]:
        dynamodb = self.client("dynamodb")
        name = properties.get("TableName") or f"{STACK_NAME}-{logical_id}"
        keys = (
            "AttributeDefinitions",
            "KeySchema",
            "GlobalSecondaryIndexes",
            "BillingMode",
            "StreamSpecification",
        )
        arguments = {key: properties[key] for key in keys if key in properties}
        if "StreamSpecification" in arguments:
            arguments["StreamSpecification"] = {
                "StreamEnabled": True,
                **arguments["StreamSpecification"],
            }
        table = dynamodb.create_table(TableName=name, **arguments)["TableDescription"]
        if ttl := properties.get("TimeToLiveSpecification"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        self._table_stream_arn = table.get("LatestStreamArn")
        return name, table["TableArn"]

    def _create_email_identity(
        self, logical_id: str, properties: dict[str, Any]
    ) -> tuple[str, str]:
        identity = properties["EmailIdentity"]
        self.client("ses").verify_email_identity(EmailAddress=identity)
        return identity, f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{identity}"

    def _configure_environment(self, template: dict[str, Any]) -> None:
        """The functions' environment: the template's Globals (resolved against the local
        resources), the `local` stage of .chalice/config.json, then this run's settings."""
        config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
        variables = dict(config.get("environment_variables", {}))
        variables.update(config["stages"].get("local", {}).get("environment_variables", {}))
        globals_ = template["Globals"]["Function"]["Environment"]["Variables"]
        variables.update(
            {
                name: str(Resolver(self._refs, self._attributes)(value))
                for name, value in globals_.items()
            }
        )
        self.base_url = f"http://{self.host}:{self.port}"
        variables.update(
            {
                "ESCALATOR_BASE_URL": self.base_url,
                "ESCALATOR_TIME_SCALE": repr(self.time_scale),
                "ESCALATOR_API_TOKEN": self.api_token
                or os.environ.get("ESCALATOR_API_TOKEN")
                or secrets.token_urlsafe(32),
                "ESCALATOR_GENERIC_SECRET": self.generic_secret
                or os.environ.get("ESCALATOR_GENERIC_SECRET")
                or secrets.token_urlsafe(32),
                "ESCALATOR_ACTION_KEY": os.environ.get("ESCALATOR_ACTION_KEY")
                or secrets.token_urlsafe(32),
            }
        )
        variables.pop("ESCALATOR_SSM_PREFIX", None)  # local secrets come from env vars
        if self.policy:
            variables["ESCALATOR_POLICY"] = str(Path(self.policy).resolve())
        self.env = variables
        self._set_environment(variables)

    def _set_environment(self, variables: dict[str, str]) -> None:
        """Set the functions' environment in this process (they run in it), remembering
        what each variable was so that `stop` gives the process its own back."""
        for name in variables:
            self._environ_before.setdefault(name, os.environ.get(name))
        os.environ.update(variables)

    def _restore_environment(self) -> None:
        for name, value in self._environ_before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._environ_before.clear()

    # -- functions ---------------------------------------------------------------------------

    def _register_functions(self, app_module: Any) -> dict[str, str]:
        """Create a moto Lambda function per Chalice function and route moto's invocations
        of it to the handler in this process. Returns Chalice function name → ARN."""
        from moto.awslambda.models import LambdaFunction

        app = app_module.app
        role = self._create_role("functions", "lambda.amazonaws.com")
        lambda_client = self.client("lambda")
        handlers: dict[str, Callable[..., Any]] = {}
        arns: dict[str, str] = {}
        for function in app.pure_lambda_functions:
            deployed_name = f"{app.app_name}-local-{function.name}"
            handlers[deployed_name] = getattr(app_module, function.handler_string.split(".")[-1])
            arns[function.name] = lambda_client.create_function(
                FunctionName=deployed_name,
                Runtime="python3.11",
                Role=role,
                Handler=function.handler_string,
                Code={"ZipFile": _placeholder_zip()},
                Timeout=60,
            )["FunctionArn"]

        def invoke_in_process(function: Any, event: Any = None) -> tuple[str, bool, str]:
            handler = handlers.get(function.function_name)
            if handler is None:
                failure = {"errorMessage": f"no local handler for {function.function_name}"}
                return json.dumps(failure), True, ""
            payload = event if isinstance(event, dict) else json.loads(event or "{}")
            try:
                result = handler(payload, LambdaContext(function.function_name))
            except Exception as error:  # the Lambda runtime reports, it does not crash
                failure = {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_exception(error),
                }
                return json.dumps(failure), True, ""
            return json.dumps(result), False, ""

        LambdaFunction._invoke_lambda = invoke_in_process  # type: ignore[method-assign]
        return arns

    def _create_state_machine(self, template: dict[str, Any], functions: dict[str, str]) -> None:
        spec = template["Resources"]["EscalationStateMachine"]["Properties"]
        function_arns = {(_logical_id(name), "Arn"): arn for name, arn in functions.items()}
        resolve = Resolver(self._refs, {**self._attributes, **function_arns})
        arn = self.client("stepfunctions").create_state_machine(
            name=resolve(spec["StateMachineName"]),
            definition=load_state_machine_definition(resolve(spec["DefinitionSubstitutions"])),
            roleArn=self._create_role("states", "states.amazonaws.com"),
            type=spec.get("StateMachineType", "STANDARD"),
        )["stateMachineArn"]
        if arn != self.env["ESCALATOR_STATE_MACHINE_ARN"]:
            raise RuntimeError(f"the template's state machine ARN and name disagree: {arn}")

    def _create_role(self, name: str, service: str) -> str:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
        return self.client("iam").create_role(
            RoleName=f"{STACK_NAME}-{name}", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]

    def _start_inbox_poller(self, app_module: Any) -> None:
        from chalice.app import SQSEventConfig

        for source in app_module.app.event_sources:
            if isinstance(source, SQSEventConfig):
                handler = getattr(app_module, source.handler_string.split(".")[-1])
                url = self.client("sqs").get_queue_url(QueueName=source.queue)["QueueUrl"]
                for poller in range(SQS_POLLERS):
                    name = f"sqs-{source.name}-{poller}"
                    self._spawn(name, self._poll_queue, url, handler, source)

    def _poll_queue(self, url: str, handler: Callable[..., Any], source: Any) -> None:
        sqs = self.client("sqs")
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        while not self._stopping.is_set():
            try:
                messages = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(source.batch_size, 10),
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception:
                if self._stopping.is_set():
                    return
                traceback.print_exc()
                time.sleep(1)
                continue
            if not messages:
                continue
            event = {"Records": [sqs_record(message, arn) for message in messages]}
            try:
                response = handler(event, LambdaContext(source.name)) or {}
            except Exception:
                traceback.print_exc()
                continue  # the whole batch becomes visible again after the timeout
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            done = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(messages)
                if m["MessageId"] not in failed
            ]
            if done:
                sqs.delete_message_batch(QueueUrl=url, Entries=done)

    def _start_schedules(self, app_module: Any) -> None:
        for name, seconds, handler in scheduled_functions(app_module):
            self._spawn(f"schedule-{name}", self._run_every, seconds, handler, name)

    def _run_every(self, seconds: float, handler: Callable[..., Any], name: str) -> None:
        while not self._stopping.wait(seconds):
            try:
                handler(scheduled_event(name), LambdaContext(name))
            except Exception:
                traceback.print_exc()

    def _start_http(self, app: Any) -> None:
        from chalice.config import Config
        from chalice.local import (
            ChaliceRequestHandler,
            CustomLocalChalice,
            LocalChalice,
            LocalDevServer,
        )

        class QuietRequestHandler(ChaliceRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """One line per case event is the terminal's job, not one per request."""

        config = Config.create(chalice_stage="local", app_name=app.app_name, lambda_timeout=30)
        # What chalice.local.create_local_server does first: a thread-local current_request,
        # since requests are served on several threads at once.
        if not isinstance(app, LocalChalice):
            CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
            app.__class__ = CustomLocalChalice
        self._http = LocalDevServer(
            app, config, self.host, self.port, handler_cls=QuietRequestHandler
        )
        thread = threading.Thread(target=self._http.server.serve_forever, name="http", daemon=True)
        thread.start()

    def _follow_events(self) -> None:
        """Tail the table's stream and report each audit event (as DynamoDB Streams would
        feed a Lambda in AWS)."""
        from boto3.dynamodb.types import TypeDeserializer

        streams = self.client("dynamodbstreams")
        deserialize = TypeDeserializer().deserialize
        stream = self._table_stream_arn
        shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0][
            "ShardId"
        ]
        position: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        while not self._stopping.wait(0.1):
            try:
                # A fresh iterator each time: moto replaces the shard object when it rolls
                # back a failed transaction, and old iterators keep reading the old one.
                iterator = streams.get_shard_iterator(StreamArn=stream, ShardId=shard, **position)
                records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
            except Exception:
                if self._stopping.is_set():
                    return
                traceback.print_exc()
                continue
            for record in records:
                position = {
                    "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                    "SequenceNumber": record["dynamodb"]["SequenceNumber"],
                }
                image = record["dynamodb"].get("NewImage")
                if (
                    record["eventName"] == "INSERT"
                    and image
                    and image["sk"]["S"].startswith("EVENT#")
                ):
                    try:
                        self.on_event({key: deserialize(value) for key, value in image.items()})
                    except Exception:
                        traceback.print_exc()

    def _spawn(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)


def _remember_backends() -> None:
    """moto's server finds the service of every request anew, under a lock all requests
    share: it lists moto's package folder (a stat per service, over a hundred) and tries
    each service's URL patterns. The answer for a host never changes; it is kept here."""
    import functools

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    find = getattr(
        DomainDispatcherApplication.get_backend_for_host,
        "__wrapped__",
        DomainDispatcherApplication.get_backend_for_host,
    )

    @functools.lru_cache(maxsize=256)
    def backend_for(dispatcher: Any, host: str | None) -> Any:
        return find(dispatcher, host)

    def get_backend_for_host(dispatcher: Any, host: str | None) -> Any:
        return backend_for(dispatcher, host)

    get_backend_for_host.__wrapped__ = find  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


# The modules the handlers import on their first call, loaded when the stack starts: one
# process serves every function here, so the first requests would otherwise all wait on
# one import (a quarter of a second) and a replay's first posts would land late.
WARM_MODULES = (
    "chalicelib.entrypoints.webhooks",
    "chalicelib.entrypoints.inbox_consumer",
    "chalicelib.use_cases.escalator",
)
_DYNAMODB_LOCK = threading.Lock()


def _serialize_dynamodb() -> None:
    """moto's DynamoDB is not thread-safe (its writes mutate shared dicts while other
    requests read them); AWS's is. Serialise its calls: they never nest."""
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    for handler in (DynamoHandler, DynamoDBStreamsHandler):
        original = getattr(handler.call_action, "__wrapped__", handler.call_action)

        def call_action(self: Any, _original: Callable[[Any], Any] = original) -> Any:
            with _DYNAMODB_LOCK:
                return _original(self)

        call_action.__wrapped__ = original  # type: ignore[attr-defined]
        handler.call_action = call_action  # type: ignore[method-assign]


_QUERIED_PARTITION: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "queried_partition", default=None
)


def _partition_queries() -> None:
    """moto answers a Query on a table's key by sorting every item of the table, then
    keeping one partition's: each case history read cost more the longer the stack ran.
    DynamoDB reads just the partition; so does this (index queries are left as they are)."""
    import inspect

    from moto.dynamodb.models.table import Table

    query = getattr(Table.query, "__wrapped__", Table.query)
    all_items = getattr(Table.all_items, "__wrapped__", Table.all_items)
    signature = inspect.signature(query)

    def partition_query(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(self, *args, **kwargs).arguments
        if asked.get("index_name") or asked.get("hash_key") is None or not self.range_key_attr:
            return query(self, *args, **kwargs)
        scope = _QUERIED_PARTITION.set((self, asked["hash_key"]))
        try:
            return query(self, *args, **kwargs)
        finally:
            _QUERIED_PARTITION.reset(scope)

    def partition_items(self: Any) -> list[Any]:
        scope = _QUERIED_PARTITION.get()
        if scope is None or scope[0] is not self:
            return all_items(self)
        return sorted(self.items.get(scope[1], {}).values(), key=lambda item: item.range_key)

    partition_query.__wrapped__ = query  # type: ignore[attr-defined]
    partition_items.__wrapped__ = all_items  # type: ignore[attr-defined]
    Table.query = partition_query  # type: ignore[method-assign]
    Table.all_items = partition_items  # type: ignore[method-assign]


def _parse_definitions_once() -> None:
    """moto parses the state machine's ASL anew for every execution, with a pure-Python
    ANTLR parser: about a quarter of a second of one core per timer started, under the
    GIL, so a burst of cases queued behind their timers' starts. Step Functions parses a
    definition once; so does this, and each execution gets a copy of its own."""
    import copy
    import functools

    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    @functools.lru_cache(maxsize=16)
    def parsed(definition: str) -> Any:
        return AmazonStateLanguageParser.parse(definition)[0]

    def entrypoint(worker: Any) -> Any:
        definition = worker._evaluation_details.state_machine_details.definition
        return copy.deepcopy(parsed(definition))

    ExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign]


def _queues_at_scale() -> None:
    """moto's SQS slowed down with its backlog, and could drop a message under load:
    - it works out all of a queue's attributes whenever it reads one, message counts
      included (each a pass over the queue's messages, reading the clock twice per
      message): once per message sent, for ContentBasedDeduplication, and once per
      message received, for MessageRetentionPeriod. Those two reads leave the counts out
      (at 0) here; and a pass over the messages reads the clock once.
    - DeleteMessage rebuilt the message list without the lock that sends append under: a
      message sent meanwhile could vanish. It takes that lock here.
    - Two ReceiveMessage calls at once could both take the same visible message (each
      checks, then marks it received): the pollers processed one post twice. Here each
      look at a queue is taken in turn, as SQS hands a message to one receiver, and a
      long poll looks again every 50 ms outside that turn."""
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import Queue, SQSBackend

    counts = {
        "approximate_number_of_messages",
        "approximate_number_of_messages_delayed",
        "approximate_number_of_messages_not_visible",
    }
    uncounted = threading.local()

    class Uncounted:
        """A queue, as far as its attributes go, with no messages to count."""

        def __init__(self, queue: Any):
            self.queue = queue

        def __getattr__(self, name: str) -> Any:
            return 0 if name in counts else getattr(self.queue, name)

    def original(name: str) -> Any:
        member = Queue.__dict__[name]
        found = member.fget if isinstance(member, property) else member
        return getattr(found, "__wrapped__", found)

    attributes, delete = original("attributes"), original("delete_message")

    def queue_attributes(queue: Any) -> dict[str, Any]:
        return attributes(Uncounted(queue) if getattr(uncounted, "on", False) else queue)

    def messages(queue: Any) -> list[Any]:
        now = unix_time_millis()
        return [m for m in queue._messages if m.visible_at < now and now >= m.delayed_until]

    def delete_message(queue: Any, receipt_handle: str) -> None:
        with queue._messages_lock:
            delete(queue, receipt_handle)

    def without_counts(method: Callable[..., Any]) -> Callable[..., Any]:
        method = getattr(method, "__wrapped__", method)

        def call(*args: Any, **kwargs: Any) -> Any:
            before, uncounted.on = getattr(uncounted, "on", False), True
            try:
                return method(*args, **kwargs)
            finally:
                uncounted.on = before

        call.__wrapped__ = method  # type: ignore[attr-defined]
        return call

    queue_attributes.__wrapped__ = attributes  # type: ignore[attr-defined]
    messages.__wrapped__ = original("messages")  # type: ignore[attr-defined]
    delete_message.__wrapped__ = delete  # type: ignore[attr-defined]
    Queue.attributes = property(queue_attributes)  # type: ignore[method-assign,assignment]
    Queue.messages = property(messages)  # type: ignore[method-assign,assignment]
    Queue.delete_message = delete_message  # type: ignore[method-assign]
    for name in ("send_message", "is_message_valid_based_on_retention_period"):
        setattr(SQSBackend, name, without_counts(getattr(SQSBackend, name)))

    receive = getattr(SQSBackend.receive_message, "__wrapped__", SQSBackend.receive_message)
    receiving: dict[str, threading.Lock] = {}

    def receive_message(
        backend: Any, queue_name: str, count: int, wait_seconds: int, *args: Any, **kwargs: Any
    ) -> Any:
        turn = receiving.setdefault(queue_name, threading.Lock())
        until = time.monotonic() + (wait_seconds or 0)
        while True:
            with turn:
                received = receive(backend, queue_name, count, 0, *args, **kwargs)
            if received or time.monotonic() >= until:
                return received
            time.sleep(0.05)

    receive_message.__wrapped__ = receive  # type: ignore[attr-defined]
    SQSBackend.receive_message = receive_message  # type: ignore[method-assign]


def _item_level_transactions() -> None:
    """moto's TransactWriteItems deep-copies every table it touches to roll back on
    failure: a cost that grows with the table, so the local stack slowed down the longer
    it ran (and a rollback replaced the table, stream and all). This does what DynamoDB
    does instead: check every condition first, write only if all hold, and undo the
    writes of the items touched if one of them fails to apply. Atomic because every
    DynamoDB call holds the lock `_serialize_dynamodb` installs."""
    import copy

    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import DynamoDBBackend

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        targets: set[tuple[str, str]] = set()
        errors: list[tuple[Any, Any, Any]] = []
        plan = []
        for entry in transact_items:
            if len(entry) > 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(entry.items()))
            original = None
            try:
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                table = backend.get_table(table_name)
                if op_type == "Put":
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                else:
                    key = op["Key"]
                target = (str(table_name), str(dict(sorted(key.items()))))
                if target in targets:
                    raise MultipleTransactionsException()
                targets.add(target)
                current = backend.get_item(table_name, key)
                if op.get("ConditionExpression") is not None:
                    condition = get_filter_expression(
                        op["ConditionExpression"],
                        op.get("ExpressionAttributeNames"),
                        op.get("ExpressionAttributeValues"),
                    )
                    if not condition.expr(current):
                        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                            original = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original)
                plan.append((op_type, op, table_name, key, current))
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                raise
            except ConditionalCheckFailed as failed:
                errors.append(("ConditionalCheckFailed", str(failed.message), original))
            except Exception as error:
                errors.append((type(error).__name__, str(error), original))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        applied: list[tuple[str, dict[str, Any], Any]] = []
        try:
            for op_type, op, table_name, key, current in plan:
                before = copy.deepcopy(current)
                if op_type == "Put":
                    backend.put_item(table_name, op["Item"])
                elif op_type == "Delete":
                    backend.delete_item(table_name, key)
                elif op_type == "Update":
                    backend.update_item(
                        table_name,
                        key,
                        update_expression=op["UpdateExpression"],
                        expression_attribute_names=op.get("ExpressionAttributeNames"),
                        expression_attribute_values=op.get("ExpressionAttributeValues"),
                    )
                else:
                    continue
                applied.append((table_name, key, before))
        except Exception:
            for table_name, key, before in reversed(applied):
                if before is None:
                    backend.delete_item(table_name, key)
                else:
                    backend.put_item(table_name, before.to_json()["Attributes"])
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """An SQS message in the shape Lambda's SQS event source delivers it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def scheduled_functions(app_module: Any) -> list[tuple[str, float, Callable[..., Any]]]:
    """The app's scheduled functions as (name, seconds between runs, handler)."""
    from chalice.app import ScheduledEventConfig

    return [
        (
            source.name,
            _rate_seconds(_expression(source.schedule_expression)),
            getattr(app_module, source.handler_string.split(".")[-1]),
        )
        for source in app_module.app.event_sources
        if isinstance(source, ScheduledEventConfig)
    ]


def scheduled_event(rule: str) -> dict[str, Any]:
    """The event EventBridge delivers when a schedule fires."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{STACK_NAME}-{rule}"],
        "detail": {},
    }


def _expression(schedule: Any) -> str:
    return schedule if isinstance(schedule, str) else schedule.to_string()


def _rate_seconds(expression: str) -> float:
    found = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression)
    if not found:
        raise ValueError(f"the local stack drives rate() schedules only, not {expression!r}")
    unit = {"minute": 60, "hour": 3600, "day": 86400}[found.group(2).rstrip("s")]
    return int(found.group(1)) * unit


def _logical_id(function_name: str) -> str:
    """Chalice's CloudFormation name for a function: `escalate` → `Escalate`."""
    return "".join(part.capitalize() for part in re.split(r"[-_]", function_name))


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _placeholder_zip() -> bytes:
    """moto wants code for a function; the real handler runs in this process."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# runs in the local stack's process\n")
    return buffer.getvalue()
