"""Connection events on EventBridge (moto: a rule on the bus delivers to an SQS queue) and the
operator metrics Powertools prints as CloudWatch EMF (captured from stdout)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import boto3
import httpx
import pytest

from byoc import settings as byoc_settings
from byoc.aws.events import SOURCE
from byoc.errors import ProviderUnavailable, ReconnectRequired
from devserver.template import load_template
from tests.helpers import ROOT, http_event, load_function
from tests.support.api import location_query
from tests.support.tokens import (
    GITLAB,
    TokenEndpoint,
    after_expiry,
    aws_calls,
    service,
    soon_expiring,
)

DETAIL_FIELDS = {"org_id", "provider", "status", "reason", "time"}


@pytest.fixture
def endpoint(provider_mock: Any) -> TokenEndpoint:
    token_endpoint = TokenEndpoint()
    provider_mock.responder = token_endpoint
    return token_endpoint


@pytest.fixture
def bus(aws_env: Any) -> Callable[[], list[dict[str, Any]]]:
    """Every event put on the stack's bus since the fixture started, read from an SQS queue."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="connection-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    aws_env.events.put_rule(
        Name="all-connection-events",
        EventBusName=aws_env.bus_name,
        EventPattern=json.dumps({"source": [SOURCE]}),
    )
    aws_env.events.put_targets(
        Rule="all-connection-events",
        EventBusName=aws_env.bus_name,
        Targets=[{"Id": "queue", "Arn": queue_arn}],
    )
    seen: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        while True:
            batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return list(seen)
            for message in batch:
                seen.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    return read


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [event["detail-type"] for event in events]


def delete(api: Any, provider: str, tokens_only: bool = False) -> dict[str, Any]:
    suffix = "/tokens" if tokens_only else ""
    event = http_event(
        "DELETE",
        f"/integrations/{provider}{suffix}",
        route=f"DELETE /integrations/{{provider}}{suffix}",
        path_params={"provider": provider},
        claims=api.claims("org-1"),
    )
    return load_function("disconnect").lambda_handler(event, api.context)


def connect(api: Any) -> float:
    api.save("gitlab", GITLAB)
    connected_at = time.time()
    assert location_query(api.connect("gitlab"))["status"] == ["active"]
    return connected_at


def invalid_grant(number: int) -> httpx.Response:
    return httpx.Response(400, json={"error": "invalid_grant"})


# Events ----------------------------------------------------------------------------


def test_saving_credentials_publishes_connection_pending_setup(api, endpoint, bus):
    api.save("gitlab", GITLAB)
    [event] = bus()
    assert event["source"] == "byoc.connections"
    assert event["detail-type"] == "connection.pending_setup"
    assert event["detail"]["org_id"] == "org-1" and event["detail"]["provider"] == "gitlab"
    assert event["detail"]["status"] == "pending_setup"


def test_connecting_publishes_connection_active(api, endpoint, bus):
    connect(api)
    assert kinds(bus()) == ["connection.pending_setup", "connection.active"]


def test_a_failed_exchange_publishes_connection_error_with_the_reason(api, endpoint, bus):
    endpoint.exchange = {"error": "invalid_client"}
    api.save("gitlab", GITLAB)
    api.connect("gitlab")
    last = bus()[-1]
    assert last["detail-type"] == "connection.error"
    assert (last["detail"]["status"], last["detail"]["reason"]) == ("error", "invalid_client")


def test_a_refresh_publishes_connection_refreshed(api, endpoint, bus):
    connected = connect(api)
    service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    last = bus()[-1]
    assert last["detail-type"] == "connection.refreshed"
    assert last["detail"]["status"] == "active"


def test_a_revoked_grant_on_refresh_publishes_connection_error_with_the_reason(api, endpoint, bus):
    connected = connect(api)
    endpoint.refresh_answers = [invalid_grant]
    with pytest.raises(ReconnectRequired):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    last = bus()[-1]
    assert last["detail-type"] == "connection.error"
    assert (last["detail"]["status"], last["detail"]["reason"]) == ("error", "invalid_grant")


def test_a_transient_refresh_failure_publishes_nothing(api, endpoint, bus):
    connected = connect(api)
    before = bus()
    endpoint.refresh_answers = [lambda n: httpx.Response(503)]
    with pytest.raises(ProviderUnavailable):
        service(at=after_expiry(connected)).get_token("org-1", "gitlab")
    assert bus() == before


def test_disconnecting_publishes_connection_disconnected(api, endpoint, bus):
    connect(api)
    delete(api, "gitlab")
    last = bus()[-1]
    assert last["detail-type"] == "connection.disconnected"
    assert last["detail"]["status"] is None and last["detail"]["provider"] == "gitlab"


def test_dropping_tokens_publishes_connection_pending_setup(api, endpoint, bus):
    connect(api)
    delete(api, "gitlab", tokens_only=True)
    assert kinds(bus())[-1] == "connection.pending_setup"


def test_events_carry_org_provider_status_reason_and_time_and_never_a_secret(api, endpoint, bus):
    # Given a whole lifecycle: save, connect, refresh, revoked grant, disconnect
    connected = connect(api)
    service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    endpoint.refresh_answers = [invalid_grant]
    with pytest.raises(ReconnectRequired):
        service(at=soon_expiring(connected) + 3600).get_token("org-1", "gitlab")
    delete(api, "gitlab")
    # When its events are read
    events = bus()
    # Then each carries exactly the listed fields, and no secret, code or token anywhere
    assert kinds(events) == [
        "connection.pending_setup",
        "connection.active",
        "connection.refreshed",
        "connection.error",
        "connection.disconnected",
    ]
    assert all(set(event["detail"]) == DETAIL_FIELDS for event in events)
    text = json.dumps(events)
    for secret in (GITLAB["client_secret"], "the-code", "at-0", "rt-0", "at-1", "rt-1"):
        assert secret not in text


def test_a_status_change_costs_one_put_events_call(api, endpoint, aws_env):
    connected = connect(api)
    endpoint.refresh_answers = [invalid_grant]
    with aws_calls() as calls, pytest.raises(ReconnectRequired):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    assert calls.count("events:PutEvents") == 1


def test_a_failed_publish_never_fails_the_request_and_is_logged(api, endpoint, monkeypatch, caplog):
    # Given a bus that does not exist
    monkeypatch.setenv("EVENT_BUS_NAME", "no-such-bus")
    byoc_settings.get_settings.cache_clear()
    # When credentials are saved (a status change)
    response = api.save("gitlab", GITLAB)
    # Then the request succeeds and the failure is logged
    assert response["statusCode"] == 200
    assert any(record.getMessage() == "event not published" for record in caplog.records)


# Metrics ---------------------------------------------------------------------------


def log_records(out: str) -> list[dict[str, Any]]:
    records = []
    for line in out.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            records.append(value)
    return records


def emitted(capsys: pytest.CaptureFixture[str], name: str) -> list[dict[str, Any]]:
    """EMF records of metric ``name`` printed so far."""
    found = []
    for record in log_records(capsys.readouterr().out):
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            if any(metric["Name"] == name for metric in directive["Metrics"]):
                found.append(
                    {"namespace": directive["Namespace"], "dimensions": directive["Dimensions"], **record}
                )
    return found


def test_saving_credentials_emits_credentials_saved_by_provider_and_in_aggregate(api, endpoint, capsys):
    api.save("gitlab", GITLAB)
    [record] = emitted(capsys, "CredentialsSaved")
    assert record["namespace"] == "Byoc"
    assert record["dimensions"] == [["service"], ["service", "provider"]]
    assert (record["service"], record["provider"], record["CredentialsSaved"]) == ("byoc", "gitlab", [1.0])


def test_connecting_emits_connection_activated(api, endpoint, capsys):
    connect(api)
    [record] = emitted(capsys, "ConnectionActivated")
    assert record["provider"] == "gitlab" and record["ConnectionActivated"] == [1.0]


def test_a_failed_exchange_emits_exchange_failed_with_provider_and_reason(api, endpoint, capsys):
    endpoint.exchange = {"error": "invalid_client"}
    api.save("gitlab", GITLAB)
    api.connect("gitlab")
    [record] = emitted(capsys, "ExchangeFailed")
    assert record["dimensions"] == [["service"], ["service", "provider", "reason"]]
    assert (record["provider"], record["reason"]) == ("gitlab", "invalid_client")


def test_a_revoked_grant_emits_refresh_failed_with_provider_and_reason(api, endpoint, capsys):
    connected = connect(api)
    endpoint.refresh_answers = [invalid_grant]
    with pytest.raises(ReconnectRequired):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    [record] = emitted(capsys, "RefreshFailed")
    assert record["dimensions"] == [["service"], ["service", "provider", "reason"]]
    assert (record["provider"], record["reason"], record["RefreshFailed"]) == (
        "gitlab",
        "invalid_grant",
        [1.0],
    )


def test_a_provider_outage_emits_refresh_failed_with_its_reason(api, endpoint, capsys):
    connected = connect(api)
    endpoint.refresh_answers = [lambda n: httpx.Response(503)]
    with pytest.raises(ProviderUnavailable):
        service(at=after_expiry(connected)).get_token("org-1", "gitlab")
    [record] = emitted(capsys, "RefreshFailed")
    assert record["reason"] == "provider_unavailable"


def test_a_refresh_emits_its_latency_in_milliseconds(api, endpoint, capsys):
    connected = connect(api)
    service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    [record] = emitted(capsys, "RefreshLatency")
    [[definition]] = [d["Metrics"] for d in record["_aws"]["CloudWatchMetrics"]]
    assert definition == {"Name": "RefreshLatency", "Unit": "Milliseconds"}
    assert record["provider"] == "gitlab" and record["RefreshLatency"][0] >= 0


def test_refresh_failures_reach_the_metric_and_namespace_the_alarm_queries(api, endpoint, capsys):
    # Given the alarm's Metrics Insights query in the template:
    # SELECT SUM(<metric>) FROM SCHEMA(<namespace>, service), i.e. the [service]-only set

    template = load_template(ROOT / "template.yaml")
    [query] = template["Resources"]["RefreshFailedAlarm"]["Properties"]["Metrics"]
    match = re.fullmatch(r"SELECT SUM\((\w+)\) FROM SCHEMA\((\w+), service\)", query["Expression"])
    assert match is not None, query["Expression"]
    metric, namespace = match.groups()
    # When a refresh fails
    connected = connect(api)
    endpoint.refresh_answers = [invalid_grant]
    with pytest.raises(ReconnectRequired):
        service(at=soon_expiring(connected)).get_token("org-1", "gitlab")
    # Then that metric is emitted in that namespace, with the aggregate (service only) set
    [record] = emitted(capsys, metric)
    assert record["namespace"] == namespace
    assert ["service"] in record["dimensions"]
