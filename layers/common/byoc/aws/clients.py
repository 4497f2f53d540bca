"""boto3 clients, created on first use and cached per container.

Nothing is created at import time (SnapStart-safe, and a function that never
touches KMS never pays for a KMS client). Retries and timeouts are explicit:
standard retry mode (throttling and 5xx retried with jittered backoff), at most
``MAX_ATTEMPTS`` attempts, each bounded by ``CONNECT_TIMEOUT`` + ``READ_TIMEOUT``.
An attempt is not started once the invocation's deadline (``byoc.deadline``) leaves
less than one attempt's worth of time: the call then fails as
``ServiceUnavailable`` instead of outliving the function, so botocore's own retries
stay inside the invocation. Set ``AWS_ENDPOINT_URL`` to point every client at a
local endpoint (the dev server does, for moto).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from byoc import deadline
from byoc.errors import ServiceUnavailable

MAX_ATTEMPTS = 3
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 3.0
# DynamoDB and KMS answer in milliseconds; this is the floor an attempt needs, not its usual time.
MIN_ATTEMPT_SECONDS = 0.25

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
)


def refuse_past_deadline(**_: Any) -> None:
    """botocore ``before-send`` hook: no attempt (first or retry) once the invocation is out of time."""
    left = deadline.remaining()
    if left is not None and left < MIN_ATTEMPT_SECONDS:
        raise ServiceUnavailable("The service ran out of time for this request. Try again.")


@cache
def client(service: str) -> Any:
    """A cached low-level client for ``service`` ("dynamodb", "kms", "events", "sqs")."""
    made = boto3.client(service, config=_CONFIG)
    made.meta.events.register("before-send", refuse_past_deadline)
    return made
