"""Shared fixtures: moto-backed DynamoDB and KMS, settings from the environment, and caches reset."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from byoc import container, settings
from tests.helpers import FakeLambdaContext
from tests.support.api import Api, ProviderMock, install_provider_mock

FRONTEND = "https://app.example.com"
TABLE = "byoc-test"


@dataclass
class AwsEnv:
    table_name: str
    key_id: str
    dynamodb: Any
    kms: Any
    events: Any
    bus_name: str
    sqs: Any = None
    queue_url: str = ""

    def queued(self) -> list[dict[str, Any]]:
        """The revocation queue's messages, received (and so hidden) for inspection."""
        answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return answer.get("Messages") or []


def reset_caches() -> None:
    container.reset_container_state()


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def base_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "FRONTEND_URL": FRONTEND,
        "PUBLIC_API_URL": "",
        "ORG_CLAIM": "org_id",
        "ADMIN_CLAIM": "org_role=admin",
        "BROWSER_BINDING": "false",
        "ALLOW_LOCAL_HTTP": "false",
        "POWERTOOLS_SERVICE_NAME": "byoc",
        "POWERTOOLS_METRICS_NAMESPACE": "Byoc",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "BYOC_LOCAL", "AWS_SAM_LOCAL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    reset_caches()


@pytest.fixture
def configure(base_env: None, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Change settings (environment variables) over the test defaults of ``base_env``."""

    def apply(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings.get_settings.cache_clear()

    return apply


@pytest.fixture
def aws_env(base_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEnv]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        kms = boto3.client("kms", region_name="us-east-1")
        events = boto3.client("events", region_name="us-east-1")
        from devserver.resources import create_resources
        from devserver.template import load_template
        from tests.helpers import ROOT

        table_name, key_id = create_resources(load_template(ROOT / "template.yaml"), dynamodb, kms, TABLE)
        bus = events.create_event_bus(Name="byoc-test-bus")["EventBusArn"].split("/")[-1]
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(
            QueueName="byoc-test-revocations", Attributes={"VisibilityTimeout": "0"}
        )["QueueUrl"]
        monkeypatch.setenv("REVOCATION_QUEUE_URL", queue_url)
        monkeypatch.setenv("TABLE_NAME", table_name)
        monkeypatch.setenv("KMS_KEY_ID", key_id)
        monkeypatch.setenv("EVENT_BUS_NAME", bus)
        reset_caches()
        yield AwsEnv(table_name, key_id, dynamodb, kms, events, bus, sqs, queue_url)
        reset_caches()


@pytest.fixture
def provider_mock(monkeypatch: pytest.MonkeyPatch) -> ProviderMock:
    return install_provider_mock(monkeypatch)


@pytest.fixture
def api(aws_env: AwsEnv, provider_mock: ProviderMock) -> Api:
    """The real handlers in process: moto for DynamoDB, KMS and EventBridge, providers mocked."""
    return Api()
