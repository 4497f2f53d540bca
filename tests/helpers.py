"""Test helpers: HTTP API v2 events, a Lambda context, and loading a function's app module."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent


def http_event(
    method: str,
    path: str,
    *,
    route: str | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: Any = None,
    claims: dict[str, Any] | None = None,
    path_params: dict[str, str] | None = None,
    cookies: list[str] | None = None,
    domain: str = "api.example.com",
    stage: str = "$default",
    raw_body: str | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as API Gateway builds it."""
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    joined: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json", **{k.lower(): v for k, v in (headers or {}).items()}},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": domain,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "pytest",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route or f"{method} {path}",
            "stage": stage,
            "timeEpoch": 0,
        },
        "isBase64Encoded": base64_body,
    }
    if joined:
        event["queryStringParameters"] = joined
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if path_params:
        event["pathParameters"] = path_params
    if cookies:
        event["cookies"] = cookies
    if text is not None:
        event["body"] = base64.b64encode(text.encode()).decode() if base64_body else text
    return event


class FakeLambdaContext:
    function_name = "test-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 15000


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py under a unique module name (every handler is app.py)."""
    module_name = f"functions_{name}_app"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def load_script(name: str) -> ModuleType:
    """Import scripts/<name>.py (the doc generators) as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"]) if response.get("body") else None


@contextmanager
def aws_calls() -> Iterator[list[str]]:
    """Every DynamoDB, KMS, EventBridge and SQS call of the byoc clients meanwhile, as "service:Operation"."""
    from byoc.aws import clients as byoc_aws

    calls: list[str] = []

    def hook(model: Any, **_: Any) -> None:
        calls.append(f"{model.service_model.service_name}:{model.name}")

    clients = [byoc_aws.client(name) for name in ("dynamodb", "kms", "events", "sqs")]
    for client in clients:
        client.meta.events.register("before-call.*.*", hook)
    try:
        yield calls
    finally:
        for client in clients:
            client.meta.events.unregister("before-call.*.*", hook)
