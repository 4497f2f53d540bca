"""The revocation queue: tokens that cannot be revoked inside a request wait, sealed, and the
consumer (functions/revoke_tokens) revokes them later; nothing is dropped, nothing leaks."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from byoc.aws.crypto import DATA_KEY_CACHE
from tests.helpers import http_event, load_function
from tests.integration.test_disconnect import GITLAB, REVOKE_URL, delete, revocations
from tests.security.test_aws_faults import failing
from tests.support.api import location_query


class Remaining:
    """A Lambda context with a fixed amount of time left."""

    aws_request_id = "req-queue"
    function_name = "disconnect"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


@pytest.fixture
def connected(api: Any) -> None:
    api.save("gitlab", GITLAB)
    assert location_query(api.connect("gitlab"))["status"] == ["active"]


def revocation_items(aws_env: Any) -> list[dict[str, Any]]:
    items = aws_env.dynamodb.scan(TableName=aws_env.table_name)["Items"]
    return [item for item in items if item["sk"]["S"].startswith("REVOKE#")]


def provider_down(provider_mock: Any) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if str(request.url) == REVOKE_URL:
            return httpx.Response(503)
        return httpx.Response(
            200, json={"access_token": "at-123", "refresh_token": "rt-456", "expires_in": 3600}
        )

    provider_mock.responder = answer


def consume(aws_env: Any) -> dict[str, Any]:
    """Deliver the queued messages to the consumer, as Lambda's event source mapping does."""
    messages = aws_env.queued()
    event = {
        "Records": [
            {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]}
            for m in messages
        ]
    }
    return load_function("revoke_tokens").lambda_handler(event, Remaining(30))


def test_a_revocation_the_provider_cannot_take_now_waits_and_the_consumer_finishes_it(
    api, connected, provider_mock, aws_env
):
    # Given a provider whose revocation endpoint is down
    provider_down(provider_mock)
    # When the admin disconnects
    assert delete(api, "gitlab")["statusCode"] == 204
    # Then the record is gone, and the tokens wait in one sealed REVOKE# item named by one message
    [item] = revocation_items(aws_env)
    [message] = aws_env.queued()
    body = json.loads(message["Body"])
    assert set(body) == {"org_id", "provider", "revocation_id"}
    assert body["org_id"] == "org-1" and body["provider"] == "gitlab"
    assert item["sk"]["S"] == f"REVOKE#{body['revocation_id']}"
    assert abs(int(item["ttl"]["N"]) - (time.time() + 7 * 86400)) < 60
    raw = json.dumps(item, default=str)
    assert "rt-456" not in raw and "at-123" not in raw and "gl-secret" not in raw
    # When the provider is back and the consumer runs
    provider_mock.responder = None
    before = len(revocations(provider_mock))
    answer = consume(aws_env)
    # Then both tokens are revoked and the item is gone
    assert answer == {"batchItemFailures": []}
    assert {f["token"] for f in revocations(provider_mock)[before:]} == {"rt-456", "at-123"}
    assert revocation_items(aws_env) == []


def test_a_consumer_that_still_cannot_revoke_reports_the_message_for_another_delivery(
    api, connected, provider_mock, aws_env
):
    provider_down(provider_mock)
    delete(api, "gitlab")
    answer = consume(aws_env)
    [failure] = answer["batchItemFailures"]
    assert failure["itemIdentifier"]
    assert len(revocation_items(aws_env)) == 1  # still waiting: SQS delivers it again, then the DLQ


def test_without_time_left_for_the_provider_the_revocation_is_queued_at_once(
    api, connected, provider_mock, aws_env
):
    # Given an invocation with 4 s left (under the inline budget plus the reserve to queue)
    before = len(provider_mock.requests)
    request = http_event(
        "DELETE",
        "/integrations/gitlab",
        route="DELETE /integrations/{provider}",
        path_params={"provider": "gitlab"},
        claims=api.claims("org-1"),
    )
    response = load_function("disconnect").lambda_handler(request, Remaining(4))
    # Then the request made no provider call, and the tokens wait for the consumer
    assert response["statusCode"] == 204
    assert len(provider_mock.requests) == before
    assert len(revocation_items(aws_env)) == 1
    consume(aws_env)
    assert {f["token"] for f in revocations(provider_mock)} == {"rt-456", "at-123"}


def test_kms_unavailable_at_disconnect_queues_the_sealed_tokens_as_they_are(
    api, connected, provider_mock, aws_env
):
    DATA_KEY_CACHE.clear()
    with failing("kms", "KMSInternalException"):
        assert delete(api, "gitlab")["statusCode"] == 204
    assert revocations(provider_mock) == []
    assert len(revocation_items(aws_env)) == 1
    consume(aws_env)
    assert {f["token"] for f in revocations(provider_mock)} == {"rt-456", "at-123"}


def test_reconnecting_while_the_provider_cannot_revoke_queues_the_replaced_tokens(
    api, connected, provider_mock, aws_env
):
    provider_down(provider_mock)
    assert location_query(api.connect("gitlab"))["status"] == ["active"]
    [item] = revocation_items(aws_env)
    assert item["provider"]["S"] == "gitlab"


def test_a_waiting_item_opens_only_for_its_own_org(api, connected, provider_mock, aws_env):
    provider_down(provider_mock)
    delete(api, "gitlab")
    [item] = revocation_items(aws_env)
    # Copy the sealed item under another org's key: the consumer must not open it
    forged = {**item, "pk": {"S": "ORG#org-2"}, "org_id": {"S": "org-2"}}
    aws_env.dynamodb.put_item(TableName=aws_env.table_name, Item=forged)
    revocation_id = item["sk"]["S"].removeprefix("REVOKE#")
    provider_mock.responder = None
    before = len(revocations(provider_mock))
    message = {"org_id": "org-2", "provider": "gitlab", "revocation_id": revocation_id}
    event = {"Records": [{"messageId": "m-1", "receiptHandle": "r", "body": json.dumps(message)}]}
    answer = load_function("revoke_tokens").lambda_handler(event, Remaining(30))
    # Then nothing is revoked, and the forged item, which can never open, is dropped
    assert answer == {"batchItemFailures": []}
    assert len(revocations(provider_mock)) == before
    assert [i["pk"]["S"] for i in revocation_items(aws_env)] == ["ORG#org-1"]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"org_id": "org-1", "provider": "gitlab"}),
        json.dumps({"org_id": "org-1", "provider": "gitlab", "revocation_id": "../../x"}),
        json.dumps({"org_id": "org 1", "provider": "gitlab", "revocation_id": "a" * 32}),
        json.dumps({"org_id": "org-1", "provider": "gitlab", "revocation_id": "a" * 32, "token": "x"}),
    ],
)
def test_a_malformed_message_is_dropped_not_retried(api, body):
    event = {"Records": [{"messageId": "m-1", "receiptHandle": "r", "body": body}]}
    assert load_function("revoke_tokens").lambda_handler(event, Remaining(30)) == {"batchItemFailures": []}


def test_a_message_whose_item_is_gone_is_done(api):
    message = {"org_id": "org-1", "provider": "gitlab", "revocation_id": "b" * 32}
    event = {"Records": [{"messageId": "m-1", "receiptHandle": "r", "body": json.dumps(message)}]}
    assert load_function("revoke_tokens").lambda_handler(event, Remaining(30)) == {"batchItemFailures": []}


def test_one_failing_record_never_fails_its_neighbours(api, connected, provider_mock, aws_env):
    provider_down(provider_mock)
    delete(api, "gitlab")
    [message] = aws_env.queued()
    provider_mock.responder = None
    event = {
        "Records": [
            {"messageId": "bad", "receiptHandle": "r", "body": "{"},
            {"messageId": "good", "receiptHandle": "r", "body": message["Body"]},
        ]
    }
    with failing("dynamodb", "ThrottlingException", "DeleteItem"):
        answer = load_function("revoke_tokens").lambda_handler(event, Remaining(30))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "good"}]}


def test_a_zoho_refresh_token_the_provider_cannot_take_now_is_revoked_later_in_the_query(
    api, provider_mock, aws_env
):
    # Given Zoho (kind query: the refresh token in the URL), whose revoke endpoint is down
    revoke_url = "https://accounts.zoho.eu/oauth/v2/token/revoke?token=rt-456"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/token/revoke":
            return httpx.Response(503)
        return httpx.Response(
            200, json={"access_token": "at-123", "refresh_token": "rt-456", "expires_in": 3600}
        )

    provider_mock.responder = answer
    api.save(
        "zoho", {"client_id": "zo-client-1234", "client_secret": "zo-secret-VERY-SECRET", "region": "eu"}
    )
    assert location_query(api.connect("zoho"))["status"] == ["active"]
    # When the admin disconnects
    before = len(provider_mock.requests)
    assert delete(api, "zoho")["statusCode"] == 204
    assert [str(r.url) for r in provider_mock.requests[before:]] == [revoke_url]
    # Then the refresh token waits (the access token is not Zoho's to revoke), sealed
    [item] = revocation_items(aws_env)
    assert "rt-456" not in json.dumps(item, default=str)
    # When Zoho is back and the consumer runs, the same request goes and the item is gone
    provider_mock.responder = None
    before = len(provider_mock.requests)
    assert consume(aws_env) == {"batchItemFailures": []}
    sent = provider_mock.requests[before:]
    assert [(r.method, str(r.url), r.content) for r in sent] == [("POST", revoke_url, b"")]
    assert revocation_items(aws_env) == []
