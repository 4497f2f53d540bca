"""SQS-triggered functions, locally: the queue the template declares, and a poller standing in for
Lambda's event source mapping.

``consumers_from_template`` finds every ``AWS::Serverless::Function`` with an ``SQS``
event whose ``Queue`` is ``!GetAtt <Queue>.Arn``. The local server creates each such
queue in its moto server, hands the function's environment the queue URL under the
name the template gives it (``REVOCATION_QUEUE_URL: !Ref RevocationQueue``), and runs
one ``QueueWorker`` per consumer: receive (long poll), call the handler with the
event Lambda would send, delete what the handler did not report in
``batchItemFailures``. A failed message comes back after the visibility timeout, as
in AWS (the local queue has a short one, so retries are seen in seconds).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devserver.routes import handler_file

LOCAL_VISIBILITY_SECONDS = 5


@dataclass(frozen=True, slots=True)
class Consumer:
    """One SQS event of one function (duck-compatible with ``Route`` for loading the handler)."""

    function: str
    queue: str  # logical id of the AWS::SQS::Queue
    code_uri: str
    handler: str
    batch_size: int = 10
    timeout: int = 3
    memory_mb: int = 128

    def handler_file(self, project_root: Path) -> Path:
        return handler_file(project_root, self.code_uri, self.handler)

    @property
    def handler_function(self) -> str:
        return self.handler.rpartition(".")[2]


def consumers_from_template(template: dict[str, Any]) -> list[Consumer]:
    resources: dict[str, Any] = template.get("Resources") or {}
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    found = []
    for name, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        for event in (props.get("Events") or {}).values():
            if not isinstance(event, dict) or event.get("Type") != "SQS":
                continue
            event_props = event.get("Properties") or {}
            queue = (event_props.get("Queue") or {}).get("Fn::GetAtt")
            if isinstance(queue, str):
                queue = queue.split(".")
            if not isinstance(queue, list) or len(queue) != 2 or queue[1] != "Arn":
                raise ValueError(f"{name}: the local server needs Queue: !GetAtt <Queue>.Arn")
            found.append(
                Consumer(
                    function=name,
                    queue=str(queue[0]),
                    code_uri=str(props.get("CodeUri", globals_fn.get("CodeUri"))),
                    handler=str(props.get("Handler", globals_fn.get("Handler"))),
                    batch_size=int(event_props.get("BatchSize", 10)),
                    timeout=int(props.get("Timeout", globals_fn.get("Timeout", 3))),
                    memory_mb=int(props.get("MemorySize", globals_fn.get("MemorySize", 128))),
                )
            )
    return found


def queue_variables(template: dict[str, Any], urls: dict[str, str]) -> dict[str, str]:
    """Environment variables the template sets to ``!Ref <Queue>``, with the local queue URLs."""
    variables = ((template.get("Globals") or {}).get("Function") or {}).get("Environment") or {}
    found = {}
    for name, value in (variables.get("Variables") or {}).items():
        if isinstance(value, dict) and value.get("Ref") in urls:
            found[name] = urls[value["Ref"]]
    return found


def create_queue(sqs: Any, stack_name: str, logical_id: str) -> str:
    """The queue's URL (created if missing), with a short visibility timeout for quick local retries."""
    answer = sqs.create_queue(
        QueueName=f"{stack_name}-{logical_id}",
        Attributes={"VisibilityTimeout": str(LOCAL_VISIBILITY_SECONDS)},
    )
    return str(answer["QueueUrl"])


class QueueWorker:
    """Polls one queue and hands its messages to one handler, until stopped."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        consumer: Consumer,
        handler: Callable[[dict[str, Any], Any], Any],
        context: Callable[[], Any],
        on_error: Callable[[str, BaseException], None],
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._consumer = consumer
        self._handler = handler
        self._context = context
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"devserver-sqs-{consumer.function}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def poll_once(self, wait_seconds: int = 1) -> int:
        """Receive one batch and run the handler on it; returns how many messages were received."""
        answer = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=min(self._consumer.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
        )
        messages = answer.get("Messages") or []
        if not messages:
            return 0
        event = {"Records": [_record(message, self._queue_url) for message in messages]}
        result = self._handler(event, self._context())
        failed = {item.get("itemIdentifier") for item in (result or {}).get("batchItemFailures") or []}
        for message in messages:
            if message["MessageId"] not in failed:
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as exc:  # keep polling: a local run should survive a bad message
                self._on_error(self._consumer.function, exc)
                self._stop.wait(1.0)


def _record(message: dict[str, Any], queue_url: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes") or {},
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:local:000000000000:{queue_url.rsplit('/', 1)[-1]}",
        "awsRegion": "us-east-1",
        "receiveId": str(uuid.uuid4()),
    }
