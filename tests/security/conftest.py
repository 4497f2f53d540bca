"""Security fixtures: the in-process API of the integration tests, settings switches, and captured logs."""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from byoc.observability import logger
from tests.conftest import AwsEnv

FRONTEND = "https://app.example.com"
ZENDESK = {"client_id": "zd-client-1234", "client_secret": "zd-secret-VERY-SECRET", "subdomain": "acme"}


def connection_items(aws_env: AwsEnv, org: str | None = None) -> list[dict[str, Any]]:
    """Every connection record in the table (of one org, when given)."""
    items = aws_env.dynamodb.scan(TableName=aws_env.table_name)["Items"]
    records = [item for item in items if item["sk"]["S"].startswith("CONN#")]
    return [item for item in records if org is None or item["pk"]["S"] == f"ORG#{org}"]


def state_items(aws_env: AwsEnv) -> list[dict[str, Any]]:
    items = aws_env.dynamodb.scan(TableName=aws_env.table_name)["Items"]
    return [item for item in items if item["pk"]["S"].startswith("STATE#")]


@pytest.fixture
def atomic_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's DynamoDB writes atomic, as DynamoDB's are per item.

    moto evaluates a condition and then writes without a lock, so two threads can both
    win one conditional delete. One lock around moto's backend write methods stands for
    DynamoDB's per-item atomicity. Nothing of ours is locked: with an unconditional delete
    the losers crash on an empty answer, and a read-then-delete lets several callers through
    (both checked by hand against the concurrency test in test_state.py, which then fails).
    """
    lock = threading.Lock()
    for name in ("delete_item", "put_item", "update_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Let threads interleave between almost any two bytecodes, so a check-then-act race shows up."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


class LogCapture:
    """Every line the Powertools logger writes (its JSON formatter), plus every other logger's records."""

    def __init__(self, stream: io.StringIO, caplog: pytest.LogCaptureFixture):
        self._stream = stream
        self._caplog = caplog

    def text(self) -> str:
        others = "\n".join(
            f"{record.name} {record.getMessage()} {record.__dict__}" for record in self._caplog.records
        )
        return self._stream.getvalue() + "\n" + others


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[LogCapture]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    caplog.set_level(logging.INFO)
    try:
        yield LogCapture(stream, caplog)
    finally:
        logger.removeHandler(handler)


__all__ = ["FRONTEND", "ZENDESK", "connection_items", "state_items"]
