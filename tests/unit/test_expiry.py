"""Expiry variants: ``expires_in`` (the default), an absolute ``expires_at_field``, and RFC 7662
introspection where the answer gives none (Salesforce), each bounded and optional."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from byoc.oauth import answers
from byoc.oauth import protocol as oauth
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.registry import Provider, get_registry
from byoc.outbound import OutboundClient
from tests.support.registry import entry_from_source

NOW = 1_700_000_000
DAY = 86400
SALESFORCE_ANSWER = {
    "access_token": "00D!x",
    "refresh_token": "5Aep",
    "instance_url": "https://acme.my.salesforce.com",
    "id": "https://login.salesforce.com/id/00D/005",
    "token_type": "Bearer",
    "issued_at": "1700000000000",
}
INTROSPECT_URL = "https://acme.my.salesforce.com/services/oauth2/introspect"
TOKEN_URL = "https://acme.my.salesforce.com/services/oauth2/token"


class SalesforceMock:
    """Salesforce's token and introspection endpoints, recording what they were sent."""

    def __init__(self, introspection: Any) -> None:
        self.introspection = introspection
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if str(request.url) == INTROSPECT_URL:
            answer = self.introspection
            return answer(request) if callable(answer) else httpx.Response(200, json=answer)
        return httpx.Response(200, json=SALESFORCE_ANSWER)


def connect(introspection: Any, *, refresh: bool = False) -> tuple[oauth.TokenSet, list[httpx.Request]]:
    recorder = SalesforceMock(introspection)
    client = TokenEndpointClient(
        OutboundClient(transport=httpx.MockTransport(recorder)), allow_local_http=False
    )
    app = App(
        get_registry().get("salesforce"), "sf-client", "sf-secret", {"hostname": "acme.my.salesforce.com"}
    )
    if refresh:
        return client.refresh(app, refresh_token="5Aep", metadata={}, now=NOW), recorder.requests
    tokens = client.exchange(
        app,
        token_url=TOKEN_URL,
        code="code-1",
        redirect_uri="https://api.example.com/oauth/callback/salesforce",
        code_verifier="v" * 64,
        callback_params={},
        now=NOW,
    )
    return tokens, recorder.requests


def test_salesforce_reads_the_expiry_from_introspection_after_the_exchange() -> None:
    tokens, sent = connect({"active": True, "exp": NOW + 7200, "token_type": "access_token"})
    assert tokens.expires_at == NOW + 7200
    assert [str(r.url) for r in sent] == [TOKEN_URL, INTROSPECT_URL]
    introspect = sent[1]
    assert introspect.method == "POST"
    assert parse_qs(introspect.content.decode()) == {
        "token": ["00D!x"],
        "token_type_hint": ["access_token"],
        "client_id": ["sf-client"],
        "client_secret": ["sf-secret"],
    }
    assert tokens.metadata["instance_url"] == "https://acme.my.salesforce.com"


def test_salesforce_reads_the_expiry_from_introspection_after_a_refresh() -> None:
    tokens, sent = connect({"active": True, "exp": NOW + 900}, refresh=True)
    assert tokens.expires_at == NOW + 900
    assert [str(r.url) for r in sent] == [TOKEN_URL, INTROSPECT_URL]


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("down", request=request)


@pytest.mark.parametrize(
    "introspection",
    [
        {"active": False, "exp": NOW + 7200},
        {"active": True},
        {"active": True, "exp": NOW - 1},  # in the past
        {"active": True, "exp": (NOW + 7200) * 1000},  # milliseconds
        {"active": True, "exp": NOW + 400 * DAY},  # beyond the ceiling
        {"active": True, "exp": "soon"},
        {"active": True, "exp": True},
        {"active": "true", "exp": NOW + 7200},
        [1, 2],
        lambda request: httpx.Response(500),
        lambda request: httpx.Response(401, json={"error": "invalid_client"}),
        lambda request: httpx.Response(200, content=b"<html>"),
        _down,
    ],
)
def test_a_failed_or_unbelievable_introspection_leaves_the_default_lifetime(introspection: Any) -> None:
    tokens, sent = connect(introspection)
    assert tokens.expires_at is None and tokens.access_token == "00D!x"  # connected all the same
    assert len(sent) == 2


def test_an_answer_with_expires_in_is_not_introspected() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**SALESFORCE_ANSWER, "expires_in": 3600})

    client = TokenEndpointClient(
        OutboundClient(transport=httpx.MockTransport(answer)), allow_local_http=False
    )
    app = App(
        get_registry().get("salesforce"), "sf-client", "sf-secret", {"hostname": "acme.my.salesforce.com"}
    )
    assert client.refresh(app, refresh_token="5Aep", metadata={}, now=NOW).expires_at == NOW + 3600


def test_the_introspection_url_is_templated_and_host_checked_like_the_token_url() -> None:
    salesforce = get_registry().get("salesforce")
    config = {"hostname": "acme.my.salesforce.com"}
    assert (
        oauth.resolve_endpoints(salesforce, config, allow_local_http=False).introspection_url
        == INTROSPECT_URL
    )
    assert (
        oauth.resolve_endpoints(get_registry().get("gitlab"), {}, allow_local_http=False).introspection_url
        is None
    )


# An absolute expires_at ----------------------------------------------------------------------


def _entry(**oauth_keys: Any) -> Provider:
    raw = {
        "id": "x",
        "name": "X",
        "auth_type": "oauth2",
        "oauth": {
            "authorize_url": "https://www.example.com/oauth/authorize",
            "token_url": "https://www.example.com/oauth/token",
            "allowed_host_suffixes": ["example.com"],
            "revocation": {"kind": "none", "reason": "test entry"},
            **oauth_keys,
        },
    }
    return entry_from_source(raw)


def parse(provider: Provider, body: dict[str, Any]) -> oauth.TokenSet:
    headers = {"content-type": "application/json"}
    content = json.dumps(body, allow_nan=True).encode()  # Infinity too: Python's parser reads it
    return oauth.parse_token_response(provider, 200, headers, content, now=NOW)


def test_an_absolute_expires_at_is_read_when_the_entry_names_it() -> None:
    strava_like = _entry(expires_at_field="expires_at")
    assert parse(strava_like, {"access_token": "a", "expires_at": NOW + 21600}).expires_at == NOW + 21600
    assert parse(strava_like, {"access_token": "a", "expires_at": str(NOW + 60)}).expires_at == NOW + 60
    # expires_in wins when both come
    assert (
        parse(strava_like, {"access_token": "a", "expires_in": 60, "expires_at": NOW + 9}).expires_at
        == NOW + 60
    )
    # Not named by the entry: not read
    assert parse(_entry(), {"access_token": "a", "expires_at": NOW + 21600}).expires_at is None


@pytest.mark.parametrize(
    "value", [NOW, NOW - 60, (NOW + 60) * 1000, NOW + 367 * DAY, -1, 0, "x", True, None, 1e309, [NOW + 60]]
)
def test_an_unbelievable_expires_at_leaves_the_default_lifetime(value: Any) -> None:
    assert (
        parse(_entry(expires_at_field="expires_at"), {"access_token": "a", "expires_at": value}).expires_at
        is None
    )


def test_expiry_epoch_bounds() -> None:
    assert answers.expiry_epoch(NOW + 1, NOW) == NOW + 1
    assert (
        answers.expiry_epoch(NOW + answers.MAX_EXPIRES_IN_SECONDS, NOW)
        == NOW + answers.MAX_EXPIRES_IN_SECONDS
    )
    assert answers.expiry_epoch(NOW + answers.MAX_EXPIRES_IN_SECONDS + 1, NOW) is None
    assert answers.expiry_epoch(float(NOW + 30), NOW) == NOW + 30
    assert answers.introspected_expiry(b'{"active": true, "exp": 1700000100}', NOW) == NOW + 100
    assert answers.introspected_expiry(b'{"active": false, "exp": 1700000100}', NOW) is None
