"""The requests the bench measures, run against moto: AWS calls per request next to the budget.

Each scenario prepares a fresh moto account (the table and key made from
template.yaml, as the tests do), brings the org to the state it needs through the
real handlers, then makes one measured request with a ``Recorder`` attached. The
budget is the performance guide's (warm container); "primary" scenarios are
replayed by the CPU and memory benchmarks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.environment import AWS_ENV, REGION, ROOT, function_names
from bench.recording import Call, Recorder, Recording, counts

ORG = "org-1"
GITLAB = {"client_id": "gl-client-123456", "client_secret": "gl-secret-VERY-SECRET"}
ZENDESK = {"client_id": "zd-client-1234", "client_secret": "zd-secret-VERY-SECRET", "subdomain": "acme"}
SENDGRID = {"api_key": "SG.bench-key-0123456789"}
SETTINGS_ENV = {
    "FRONTEND_URL": "https://app.example.com",
    "PUBLIC_API_URL": "",
    "ORG_CLAIM": "org_id",
    "ADMIN_CLAIM": "org_role=admin",
    "BROWSER_BINDING": "false",
    "ALLOW_LOCAL_HTTP": "false",
    "POWERTOOLS_SERVICE_NAME": "byoc",
    "POWERTOOLS_METRICS_NAMESPACE": "Byoc",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}
CLIENTS = ("dynamodb", "kms", "events")


@dataclass
class Result:
    scenario: str
    function: str
    counts: dict[str, int]
    budget: dict[str, int] | None
    budget_source: str
    recording: Recording
    primary: bool

    @property
    def within_budget(self) -> bool | None:
        return None if self.budget is None else self.counts == self.budget


class Harness:
    """The handlers under moto, with the calls of the byoc clients recorded on demand."""

    def __init__(self, env: dict[str, str]) -> None:
        from byoc.aws import clients as aws
        from tests.helpers import FakeLambdaContext, load_function
        from tests.support.api import Api

        self.env = env
        self.api = Api()
        self.context = FakeLambdaContext()
        self.load = load_function
        self.recorder = Recorder()
        for name in CLIENTS:
            self.recorder.attach(aws.client(name))

    def env_table_items(self) -> list[dict[str, Any]]:
        from byoc.aws import clients as aws

        return aws.client("dynamodb").scan(TableName=self.env["TABLE_NAME"])["Items"]

    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        return self.load(function).lambda_handler(event, self.context)

    def measure(self, function: str, event: dict[str, Any]) -> tuple[Any, list[Call]]:
        self.recorder.take()
        self.recorder.active = True
        try:
            answer = self.invoke(function, event)
        finally:
            self.recorder.active = False
        return answer, self.recorder.take()


@contextmanager
def moto_account() -> Iterator[dict[str, str]]:
    """A fresh moto account with the stack's table, key and bus; yields the functions' settings env."""
    import boto3
    from moto import mock_aws

    from byoc import container
    from devserver.resources import create_event_bus, create_resources
    from devserver.template import load_template
    from tests.conftest import reset_caches
    from tests.support.api import ProviderMock

    saved = dict(os.environ)
    outbound = container.outbound
    try:
        for name in ("AWS_ENDPOINT_URL", "BYOC_LOCAL", "AWS_SAM_LOCAL", "AWS_PROFILE"):
            os.environ.pop(name, None)
        os.environ.update({**AWS_ENV, **SETTINGS_ENV})
        with mock_aws():
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            kms = boto3.client("kms", region_name=REGION)
            events = boto3.client("events", region_name=REGION)
            table, key = create_resources(load_template(ROOT / "template.yaml"), dynamodb, kms, "byoc-bench")
            bus = create_event_bus(events, "byoc-bench-bus")
            env = {**SETTINGS_ENV, "TABLE_NAME": table, "KMS_KEY_ID": key, "EVENT_BUS_NAME": bus}
            os.environ.update(env)
            reset_caches()
            client = _provider_client(ProviderMock())
            container.outbound = lambda: client  # type: ignore[assignment]
            yield env
    finally:
        container.outbound = outbound  # type: ignore[assignment]
        reset_caches()
        os.environ.clear()
        os.environ.update(saved)


def _provider_client(mock: Any) -> Any:
    import httpx

    from byoc.outbound import OutboundClient

    return OutboundClient(transport=httpx.MockTransport(mock))


# Events ---------------------------------------------------------------------------------


def claims(org: str = ORG) -> dict[str, str]:
    return {"org_id": org, "sub": "user-1", "org_role": "admin"}


def list_event() -> dict[str, Any]:
    from tests.helpers import http_event

    return http_event("GET", "/integrations", claims=claims())


def providers_event(**headers: str) -> dict[str, Any]:
    from tests.helpers import http_event

    return http_event("GET", "/providers", headers=headers)


def save_event(provider: str, credentials: dict[str, str]) -> dict[str, Any]:
    from tests.helpers import http_event

    body = {"provider": provider, "credentials": credentials}
    return http_event("POST", "/integrations", body=body, claims=claims())


def start_event(provider: str) -> dict[str, Any]:
    from tests.helpers import http_event

    query = urlencode({"provider": provider})
    return http_event(
        "GET", "/oauth/start", query=query, headers={"accept": "application/json"}, claims=claims()
    )


def callback_event(h: Harness, provider: str) -> dict[str, Any]:
    from tests.helpers import http_event

    _, query = h.api.authorize(provider)
    return http_event(
        "GET",
        f"/oauth/callback/{provider}",
        route="GET /oauth/callback/{provider}",
        query=urlencode({"code": "the-code", "state": query["state"][0]}),
        path_params={"provider": provider},
    )


def complete_event(completion: str) -> dict[str, Any]:
    from tests.helpers import http_event

    body = {"completion": completion}
    return http_event("POST", "/oauth/complete", route="POST /oauth/complete", body=body, claims=claims())


def disconnect_event(provider: str) -> dict[str, Any]:
    from tests.helpers import http_event

    return http_event(
        "DELETE",
        f"/integrations/{provider}",
        route="DELETE /integrations/{provider}",
        path_params={"provider": provider},
        claims=claims(),
    )


def token_event(provider: str) -> dict[str, Any]:
    return {"org_id": ORG, "provider": provider}


def _connected(h: Harness, provider: str = "gitlab", credentials: dict[str, str] = GITLAB) -> None:
    assert h.api.save(provider, credentials)["statusCode"] == 200
    assert h.api.connect(provider)["statusCode"] == 302


def _forget_data_keys() -> None:
    """A new container of another function: nothing cached yet."""
    from byoc.aws import crypto

    crypto.DATA_KEY_CACHE.clear()


# Scenarios ------------------------------------------------------------------------------

GUIDE = "performance guide"
CATALOGUE = "byoc.api.catalog docstring (no AWS call)"
# The parked code and the record read, the code consumed, one Decrypt, the tokens written.
COMPLETE = {"dynamodb.DeleteItem": 1, "dynamodb.GetItem": 2, "dynamodb.PutItem": 1, "kms.Decrypt": 1}


@dataclass(frozen=True)
class Scenario:
    name: str
    function: str
    budget: dict[str, int] | None
    budget_source: str
    run: Callable[[Harness], Recording]
    primary: bool = False


def _record(h: Harness, scenario: str, function: str, event: dict[str, Any], **kw: Any) -> Recording:
    answer, calls = h.measure(function, event)
    status = answer.get("statusCode") if isinstance(answer, dict) else None
    failed = isinstance(answer, dict) and ("error" in answer or answer.get("batchItemFailures"))
    if status is not None and status >= 400 or failed:
        raise RuntimeError(f"{scenario}: the measured request failed: {answer}")
    return Recording(scenario=scenario, function=function, event=event, env=h.env, calls=calls, **kw)


def _list(h: Harness) -> Recording:
    _connected(h)
    h.api.save("zendesk", ZENDESK)
    h.api.save("sendgrid", SENDGRID)
    return _record(h, "GET /integrations", "list_integrations", list_event())


def _providers(h: Harness, scenario: str, **headers: str) -> Recording:
    """The catalogue, against the floor of the cheapest request that reads DynamoDB: the warm
    token read's one GetItem (GET /providers itself makes no AWS call)."""
    _connected(h)
    h.measure("get_token", token_event("gitlab"))  # caches the data key: the next read is one GetItem
    _, floor_calls = h.measure("get_token", token_event("gitlab"))
    recording = _record(h, scenario, "list_providers", providers_event(**headers))
    recording.floor_calls = floor_calls
    return recording


def _providers_gzip(h: Harness) -> Recording:
    return _providers(h, "GET /providers (gzip)", **{"accept-encoding": "gzip, deflate, br"})


def _providers_plain(h: Harness) -> Recording:
    return _providers(h, "GET /providers (identity)")


def _providers_not_modified(h: Harness) -> Recording:
    etag = h.invoke("list_providers", providers_event())["headers"]["ETag"]
    return _providers(h, "GET /providers (If-None-Match: 304)", **{"if-none-match": etag})


def _save_new(h: Harness) -> Recording:
    return _record(
        h, "POST /integrations (new)", "save_credentials", save_event("gitlab", GITLAB), vary_org=True
    )


def _save_rotated_secret(h: Harness) -> Recording:
    _connected(h)
    rotated = {**GITLAB, "client_secret": "gl-secret-ROTATED"}
    return _record(
        h, "POST /integrations (new secret, status kept)", "save_credentials", save_event("gitlab", rotated)
    )


def _start(h: Harness) -> Recording:
    h.api.save("gitlab", GITLAB)
    return _record(h, "GET /oauth/start", "oauth_start", start_event("gitlab"))


def _callback_parks(h: Harness) -> Recording:
    h.api.save("gitlab", GITLAB)
    event = callback_event(h, "gitlab")
    _forget_data_keys()
    return _record(h, "GET /oauth/callback/{provider} (parks the code)", "oauth_callback", event)


def _complete(h: Harness, scenario: str) -> Recording:
    """The signed-in user completes the parked code, in another container than the callback's."""
    from urllib.parse import parse_qs, urlsplit

    parked = h.invoke("oauth_callback", callback_event(h, "gitlab"))
    completion = parse_qs(urlsplit(parked["headers"]["Location"]).query)["completion"][0]
    _outlive_the_run(h)
    _forget_data_keys()
    return _record(h, scenario, "oauth_callback", complete_event(completion), clear_key_cache=True)


def _outlive_the_run(h: Harness) -> None:
    """The parked code lives 5 minutes; the replays of its recorded answer run for longer."""
    import time

    from byoc.aws import clients as aws

    later = {"N": str(int(time.time()) + 86400)}
    for item in h.env_table_items():
        if item["pk"]["S"].startswith("COMPLETION#"):
            aws.client("dynamodb").put_item(
                TableName=h.env["TABLE_NAME"], Item={**item, "expires_at": later, "ttl": later}
            )


def _complete_connects(h: Harness) -> Recording:
    h.api.save("gitlab", GITLAB)
    return _complete(h, "POST /oauth/complete (connects)")


def _complete_reconnects(h: Harness) -> Recording:
    _connected(h)
    return _complete(h, "POST /oauth/complete (already active)")


def _token_warm(h: Harness) -> Recording:
    _connected(h)
    _forget_data_keys()
    _, prime_calls = h.measure("get_token", token_event("gitlab"))
    recording = _record(h, "get_token (warm read)", "get_token", token_event("gitlab"))
    recording.prime_event = token_event("gitlab")
    recording.prime_calls = prime_calls
    return recording


def _token_first(h: Harness) -> Recording:
    _connected(h)
    _forget_data_keys()
    return _record(h, "get_token (first read in a container)", "get_token", token_event("gitlab"))


def _disconnect(h: Harness) -> Recording:
    _connected(h)
    _forget_data_keys()
    return _record(
        h, "DELETE /integrations/{provider}", "disconnect", disconnect_event("gitlab"), clear_key_cache=True
    )


def _revoke_waiting(h: Harness) -> Recording:
    """The queue's consumer with one waiting revocation (the request that queued it is not measured)."""
    import json

    from byoc import container

    _connected(h)
    connection = container.store().get_connection(ORG, "gitlab")
    assert connection is not None
    container.revocations()._enqueue(connection, None, None)  # the record's sealed tokens, as they are
    items = h.env_table_items()
    [revocation_id] = [
        i["sk"]["S"].removeprefix("REVOKE#") for i in items if i["sk"]["S"].startswith("REVOKE#")
    ]
    _forget_data_keys()
    body = json.dumps({"org_id": ORG, "provider": "gitlab", "revocation_id": revocation_id})
    event = {"Records": [{"messageId": "m-1", "receiptHandle": "r-1", "body": body}]}
    return _record(h, "revoke_tokens (one waiting revocation)", "revoke_tokens", event, clear_key_cache=True)


def _refresh_idle_nothing_due(h: Harness) -> Recording:
    _connected(h)
    return _record(h, "refresh_idle (nothing idle)", "refresh_idle", {})


SCENARIOS = (
    Scenario("GET /integrations", "list_integrations", {"dynamodb.Query": 1}, GUIDE, _list, primary=True),
    Scenario("GET /providers (gzip)", "list_providers", {}, CATALOGUE, _providers_gzip, primary=True),
    Scenario("GET /providers (identity)", "list_providers", {}, CATALOGUE, _providers_plain),
    Scenario("GET /providers (If-None-Match: 304)", "list_providers", {}, CATALOGUE, _providers_not_modified),
    Scenario(
        "POST /integrations (new)",
        "save_credentials",
        {"dynamodb.GetItem": 1, "dynamodb.PutItem": 1, "events.PutEvents": 1, "kms.GenerateDataKey": 1},
        GUIDE + " (+1 PutEvents: status change)",
        _save_new,
        primary=True,
    ),
    Scenario(
        "POST /integrations (new secret, status kept)",
        "save_credentials",
        {"dynamodb.GetItem": 1, "dynamodb.PutItem": 1, "kms.GenerateDataKey": 1},
        GUIDE,
        _save_rotated_secret,
    ),
    Scenario(
        "GET /oauth/start", "oauth_start", {"dynamodb.GetItem": 1, "dynamodb.PutItem": 1}, GUIDE, _start, True
    ),
    Scenario(
        "GET /oauth/callback/{provider} (parks the code)",
        "oauth_callback",
        {"dynamodb.DeleteItem": 1, "dynamodb.GetItem": 1, "dynamodb.PutItem": 1, "kms.Decrypt": 1},
        GUIDE + " (unbound, the default: no exchange, no event)",
        _callback_parks,
    ),
    Scenario(
        "POST /oauth/complete (connects)",
        "oauth_callback",
        {**COMPLETE, "events.PutEvents": 1},
        GUIDE + " (+1 PutEvents: status change)",
        _complete_connects,
        primary=True,
    ),
    Scenario(
        "POST /oauth/complete (already active)", "oauth_callback", COMPLETE, GUIDE, _complete_reconnects
    ),
    Scenario("get_token (warm read)", "get_token", {"dynamodb.GetItem": 1}, GUIDE, _token_warm, True),
    Scenario(
        "get_token (first read in a container)",
        "get_token",
        {"dynamodb.GetItem": 1, "kms.Decrypt": 1},
        "byoc.tokens docstring",
        _token_first,
    ),
    Scenario(
        "DELETE /integrations/{provider}",
        "disconnect",
        {"dynamodb.DeleteItem": 1, "events.PutEvents": 1, "kms.Decrypt": 1},
        "byoc.disconnect docstring",
        _disconnect,
        primary=True,
    ),
    Scenario(
        "revoke_tokens (one waiting revocation)",
        "revoke_tokens",
        {"dynamodb.GetItem": 1, "dynamodb.DeleteItem": 1, "kms.Decrypt": 1},
        "byoc.usecases.revocation docstring",
        _revoke_waiting,
    ),
    Scenario(
        "refresh_idle (nothing idle)",
        "refresh_idle",
        {"dynamodb.Query": 2},
        "RefreshQueueIndex design (+1 Query of the old IdleIndex, this release only)",
        _refresh_idle_nothing_due,
        True,
    ),
)


def run_all() -> list[Result]:
    """Every scenario whose function exists, each in a fresh moto account."""
    present = set(function_names())
    results = []
    for scenario in SCENARIOS:
        if scenario.function not in present:
            continue
        with moto_account() as env:
            recording = scenario.run(Harness(env))
        results.append(
            Result(
                scenario=scenario.name,
                function=scenario.function,
                counts=counts(recording.calls),
                budget=scenario.budget,
                budget_source=scenario.budget_source,
                recording=recording,
                primary=scenario.primary,
            )
        )
    return results


def main(workdir: str) -> None:
    """Run every scenario; write calls.json and each primary recording (a pickle) into ``workdir``."""
    import json
    import pickle
    from pathlib import Path

    from bench.cost import request_cost

    out = Path(workdir)
    rows = []
    for result in run_all():
        row: dict[str, Any] = {
            "scenario": result.scenario,
            "function": result.function,
            "counts": result.counts,
            "budget": result.budget,
            "budget_source": result.budget_source,
            "within_budget": result.within_budget,
        }
        row["cost"] = request_cost(result.recording.calls)
        if result.primary:
            (out / f"{result.function}.pkl").write_bytes(pickle.dumps(result.recording))
            row["recording"] = f"{result.function}.pkl"
        rows.append(row)
    (out / "calls.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    import sys

    main(sys.argv[1])
