"""Replaying a recorded request in a child interpreter: AWS answers from Stubber, providers from httpx.

Used by the CPU benchmark (``bench.cpu``) and the memory probe (``bench.probe``).
Nothing here is imported before the function's ``app`` module has been.
"""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

from bench.recording import Call, Recording

TOKEN_ANSWER = {
    "access_token": "at-123",
    "refresh_token": "rt-456",
    "token_type": "Bearer",
    "expires_in": 3600,
}


def load(path: str | Path) -> Recording:
    with open(path, "rb") as stream:
        recording = pickle.load(stream)  # nosec B301: written by this bench run a moment ago
    assert isinstance(recording, Recording)
    return recording


def provider_answer(request: Any) -> Any:
    """Every provider endpoint: revocation says 200, anything else answers a token response."""
    import httpx

    if request.url.path.endswith(("revoke", "revocation")):
        return httpx.Response(200)
    return httpx.Response(200, content=json.dumps(TOKEN_ANSWER).encode(), headers=_JSON)


_JSON = {"content-type": "application/json"}


def install_provider_mock() -> None:
    """``container.outbound()`` answers from memory, through our own OutboundClient (its checks run)."""
    import httpx

    from byoc import container
    from byoc.outbound import OutboundClient

    client = OutboundClient(transport=httpx.MockTransport(provider_answer))
    container.outbound = lambda: client  # type: ignore[assignment]


def handler_clients(services: list[str]) -> dict[str, Any]:
    """The byoc package's own cached clients (the handler uses exactly these)."""
    from byoc.aws import clients as aws

    return {name: aws.client(name) for name in services}


def bare_clients(services: list[str]) -> dict[str, Any]:
    import boto3

    return {name: boto3.client(name) for name in services}


class Stubs:
    """One activated Stubber per client; answers are queued in the order they were recorded."""

    def __init__(self, clients: dict[str, Any]) -> None:
        from botocore.stub import Stubber

        self.clients = clients
        self.stubbers = {name: Stubber(client) for name, client in clients.items()}
        for stubber in self.stubbers.values():
            stubber.activate()

    def queue(self, calls: list[Call]) -> None:
        from botocore import xform_name

        for call in calls:
            self.stubbers[call.service].add_response(xform_name(call.operation), copy.deepcopy(call.response))

    def drained(self) -> None:
        """Every queued answer was asked for: the handler made exactly the recorded calls."""
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()

    def call_bare(self, calls: list[Call]) -> None:
        """The recorded calls, made directly on the clients (the floor of the CPU ratio)."""
        from botocore import xform_name

        for call in calls:
            getattr(self.clients[call.service], xform_name(call.operation))(**call.params)


def events_for(recording: Recording, count: int) -> list[dict[str, Any]]:
    """``count`` events; with ``vary_org`` each carries another org (another encryption context)."""
    if not recording.vary_org:
        return [recording.event] * count
    events = []
    for number in range(count):
        event = copy.deepcopy(recording.event)
        event["requestContext"]["authorizer"]["jwt"]["claims"]["org_id"] = f"org-bench-{number}"
        events.append(event)
    return events


class Context:
    """What the handlers read of a Lambda context."""

    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 15000


def context() -> Any:
    return Context()


def check(recording: Recording, answer: Any) -> None:
    """The replayed request succeeded as the recorded one did."""
    status = answer.get("statusCode") if isinstance(answer, dict) else None
    if not isinstance(answer, dict) or (status is not None and status >= 400) or "error" in answer:
        raise RuntimeError(f"{recording.scenario}: the replayed request failed: {answer!r:.300}")


def forget_data_keys() -> None:
    from byoc.aws import crypto

    crypto.DATA_KEY_CACHE.clear()
