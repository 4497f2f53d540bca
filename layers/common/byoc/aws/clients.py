"""boto3 clients, created on first use and cached per container.

Nothing is created at import time (SnapStart-safe, and a function that never
touches KMS never pays for a KMS client). boto3's standard retry mode handles
throttling with backoff; timeouts stay well under API Gateway's 30 seconds.
Set ``AWS_ENDPOINT_URL`` to point every client at a local endpoint (the dev
server does, for moto).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
)


@cache
def client(service: str) -> Any:
    """A cached low-level client for ``service`` ("dynamodb", "kms", "events")."""
    return boto3.client(service, config=_CONFIG)
