"""AWS faults: every failure a DynamoDB, KMS or EventBridge call can give, injected with a botocore hook.

Retryable faults answer 503 ``service_unavailable`` with ``Retry-After``; permanent ones
500 ``misconfigured`` naming the resource; never a stack trace, never a half-written
record. The callback answers 503 while the state is intact and redirects once it is
spent. The IAM-invoked functions answer ``{"error": {...}}`` and never raise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from byoc.aws import clients
from tests.helpers import body_of, http_event, load_function
from tests.integration.test_events_metrics import delete, emitted
from tests.support.api import location_query
from tests.support.tokens import GITLAB

RETRYABLE = [
    ("dynamodb", "ProvisionedThroughputExceededException"),
    ("dynamodb", "ThrottlingException"),
    ("dynamodb", "InternalServerError"),
    ("dynamodb", "TransactionConflictException"),
    ("kms", "ThrottlingException"),
    ("kms", "KMSInternalException"),
]
PERMANENT = [
    ("dynamodb", "AccessDeniedException", "table"),
    ("dynamodb", "ResourceNotFoundException", "table"),
    ("kms", "DisabledException", "key"),
    ("kms", "AccessDeniedException", "key"),
]
NO_ANSWER = [
    ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
    ConnectTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
    EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
]


@contextmanager
def failing(service: str, code: str | Exception, operation: str = "*") -> Iterator[list[str]]:
    """Every ``operation`` call of ``service`` (``*``: all) fails with ``code``; yields the calls seen."""
    seen: list[str] = []

    def hook(model: Any, **_: Any) -> None:
        if operation not in ("*", model.name):
            return
        seen.append(model.name)
        if isinstance(code, Exception):
            raise code
        raise ClientError({"Error": {"Code": code, "Message": "injected"}}, model.name)

    events = clients.client(service).meta.events
    events.register_first(f"before-call.{service}", hook)
    try:
        yield seen
    finally:
        events.unregister(f"before-call.{service}", hook)


def error_of(response: dict[str, Any]) -> dict[str, Any]:
    return body_of(response)["error"]


def assert_retryable(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 503, response["body"]
    assert response["headers"]["Retry-After"] == "1"
    assert error_of(response)["code"] == "service_unavailable"


def assert_no_trace(response: dict[str, Any]) -> None:
    text = json.dumps(response)
    assert "Traceback" not in text and "injected" not in text and "botocore" not in text


def table_items(aws_env: Any) -> list[dict[str, Any]]:
    return aws_env.dynamodb.scan(TableName=aws_env.table_name)["Items"]


def routes(api: Any) -> dict[str, Any]:
    return {
        "list": lambda: api.list(),
        "save": lambda: api.save("gitlab", GITLAB),
        "start": lambda: api.start("gitlab"),
        "disconnect": lambda: delete(api, "gitlab"),
        "drop tokens": lambda: delete(api, "gitlab", tokens_only=True),
    }


ROUTES = ["list", "save", "start", "disconnect", "drop tokens"]


# HTTP routes -------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("service", "code"), RETRYABLE)
def test_a_retryable_fault_answers_503_with_retry_after(api, aws_env, route, service, code):
    assert location_query(_connected(api))["status"] == ["active"]
    before = table_items(aws_env)
    with failing(service, code) as seen:
        response = routes(api)[route]()
    if not seen:  # this route makes no call to this service (list never calls KMS)
        assert response["statusCode"] < 500
        return
    if route in ("disconnect", "drop tokens") and service == "kms":
        # The record went first; its tokens could not be opened to revoke now, so they are queued.
        assert response["statusCode"] == 204
        return
    assert_retryable(response)
    assert_no_trace(response)
    assert table_items(aws_env) == before or service == "kms"  # a KMS fault comes before any write


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(("service", "code", "kind"), PERMANENT)
def test_a_permanent_fault_answers_500_misconfigured_naming_the_resource(
    api, aws_env, route, service, code, kind
):
    _connected(api)
    with failing(service, code) as seen:
        response = routes(api)[route]()
    if not seen or (route in ("disconnect", "drop tokens") and service == "kms"):
        return
    assert response["statusCode"] == 500
    error = error_of(response)
    assert error["code"] == "misconfigured"
    assert error["details"]["resource"] == kind and kind in error["message"]
    assert_no_trace(response)


@pytest.mark.parametrize("fault", NO_ANSWER, ids=lambda e: type(e).__name__)
def test_no_answer_from_dynamodb_is_retryable(api, fault):
    with failing("dynamodb", fault):
        response = api.list()
    assert_retryable(response)


def test_a_failed_write_at_save_leaves_no_record(api, aws_env):
    with failing("dynamodb", "InternalServerError", "PutItem"):
        assert_retryable(api.save("gitlab", GITLAB))
    assert table_items(aws_env) == []
    assert api.integration("gitlab") is None  # never configured


def test_a_failed_kms_call_at_save_leaves_the_previous_record(api, aws_env):
    api.save("gitlab", GITLAB)
    before = table_items(aws_env)
    with failing("kms", "KMSInternalException"):
        assert_retryable(api.save("gitlab", {**GITLAB, "client_secret": "another-secret-value"}))
    assert table_items(aws_env) == before


# Callback ----------------------------------------------------------------------------


def _connected(api: Any) -> dict[str, Any]:
    api.save("gitlab", GITLAB)
    return api.connect("gitlab")


def test_a_fault_before_the_state_is_spent_answers_503_and_the_same_url_works_again(api):
    api.save("gitlab", GITLAB)
    _, query = api.authorize("gitlab")
    url = urlencode({"code": "the-code", "state": query["state"][0]})
    with failing("dynamodb", "ThrottlingException", "DeleteItem"):
        response = api.callback("gitlab", url)
    assert_retryable(response)
    assert response["headers"]["Content-Type"] == "application/json"
    assert location_query(api.callback("gitlab", url))["status"] == ["active"]


@pytest.mark.parametrize(
    ("service", "operation"),
    [("dynamodb", "GetItem"), ("kms", "Decrypt"), ("dynamodb", "PutItem")],
)
def test_a_fault_after_the_state_is_spent_redirects_with_service_unavailable(api, service, operation):
    api.save("gitlab", GITLAB)
    _, query = api.authorize("gitlab")
    from byoc.aws.crypto import DATA_KEY_CACHE  # cached from the save: forget it so Decrypt is called

    DATA_KEY_CACHE.clear()
    with failing(
        service, "InternalServerError" if service == "dynamodb" else "KMSInternalException", operation
    ):
        response = api.callback("gitlab", urlencode({"code": "the-code", "state": query["state"][0]}))
    assert response["statusCode"] == 302
    location = location_query(response)
    assert location["status"] == ["error"]
    assert location["error"] in (["service_unavailable"], ["storage_failed"])
    entry = api.integration("gitlab")
    assert entry["status"] == "error"  # recorded best effort once the fault is over
    assert entry["status_reason"] in ("service_unavailable", "storage_failed")


def test_a_permanent_fault_after_the_state_is_spent_redirects_with_misconfigured(api):
    api.save("gitlab", GITLAB)
    _, query = api.authorize("gitlab")
    from byoc.aws.crypto import DATA_KEY_CACHE

    DATA_KEY_CACHE.clear()
    with failing("kms", "DisabledException", "Decrypt"):
        response = api.callback("gitlab", urlencode({"code": "the-code", "state": query["state"][0]}))
    assert location_query(response)["error"] == ["misconfigured"]


def test_a_failing_event_bus_never_fails_a_route(api):
    with failing("events", "InternalException"):
        assert api.save("gitlab", GITLAB)["statusCode"] == 200
        assert location_query(api.connect("gitlab"))["status"] == ["active"]


# IAM-invoked functions -----------------------------------------------------------------


def invoke(name: str, event: Any, context: Any) -> Any:
    return load_function(name).lambda_handler(event, context)


@pytest.mark.parametrize(("service", "code"), RETRYABLE)
def test_get_token_answers_a_retryable_error_and_counts_it(api, service, code, capsys):
    _connected(api)
    from byoc.aws.crypto import DATA_KEY_CACHE

    DATA_KEY_CACHE.clear()
    capsys.readouterr()
    with failing(service, code):
        answer = invoke("get_token", {"org_id": "org-1", "provider": "gitlab"}, api.context)
    assert answer == {
        "error": {
            "code": "service_unavailable",
            "message": answer["error"]["message"],
            "retryable": True,
        }
    }
    [record] = emitted(capsys, "InvokeErrors")
    assert record["error_code"] == "service_unavailable"


@pytest.mark.parametrize(("service", "code", "kind"), PERMANENT)
def test_get_token_answers_misconfigured_and_never_raises(api, service, code, kind):
    _connected(api)
    from byoc.aws.crypto import DATA_KEY_CACHE

    DATA_KEY_CACHE.clear()
    with failing(service, code):
        answer = invoke("get_token", {"org_id": "org-1", "provider": "gitlab"}, api.context)
    assert answer["error"]["code"] == "misconfigured" and answer["error"]["retryable"] is False
    assert kind in answer["error"]["message"]


def test_get_token_answers_internal_error_for_a_bug_and_never_raises(api, monkeypatch, capsys):
    _connected(api)
    from byoc import container

    def broken() -> Any:
        raise KeyError("a bug that names secret-detail")

    monkeypatch.setattr(container, "token_service", broken)
    capsys.readouterr()
    answer = invoke("get_token", {"org_id": "org-1", "provider": "gitlab"}, api.context)
    assert answer == {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side.",
            "retryable": False,
        }
    }
    [record] = emitted(capsys, "InvokeErrors")
    assert record["error_code"] == "internal_error"


def test_a_documented_refusal_is_not_counted_as_an_error(api, capsys):
    capsys.readouterr()
    answer = invoke("get_token", {"org_id": "org-1", "provider": "gitlab"}, api.context)
    assert answer["error"]["code"] == "integration_not_configured"
    assert answer["error"]["retryable"] is False
    assert emitted(capsys, "InvokeErrors") == []


@pytest.mark.parametrize(
    ("service", "code"), [("dynamodb", "ThrottlingException"), ("dynamodb", "AccessDeniedException")]
)
def test_refresh_idle_answers_an_error_and_never_raises(api, service, code):
    with failing(service, code):
        answer = invoke("refresh_idle", {}, api.context)
    assert answer["error"]["code"] in ("service_unavailable", "misconfigured")


def test_an_aws_call_is_not_started_past_the_invocations_deadline(api, aws_env):
    class AlmostOut:
        aws_request_id = "req-1"
        function_name = "get-token"

        def get_remaining_time_in_millis(self) -> int:
            return 600  # less the 0.5 s kept to answer: under one attempt's floor

    sent: list[str] = []
    events = clients.client("dynamodb").meta.events
    events.register_last("before-send", lambda **_: sent.append("sent"))
    answer = invoke("get_token", {"org_id": "org-1", "provider": "gitlab"}, AlmostOut())
    assert answer["error"]["code"] == "service_unavailable"
    assert sent == []  # refused before the request left, not after a timed-out attempt


def test_an_unhandled_http_error_is_a_500_with_a_fixed_message(api, monkeypatch):
    def broken(*_: Any) -> Any:
        raise KeyError("a bug that names secret-detail")

    list_function = load_function("list_integrations")
    monkeypatch.setattr(list_function, "list_view", broken)
    event = http_event("GET", "/integrations", claims=api.claims("org-1"))
    response = list_function.lambda_handler(event, api.context)
    assert response["statusCode"] == 500
    assert error_of(response) == {"code": "internal_error", "message": "Something went wrong on our side."}
