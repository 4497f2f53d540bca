"""A provider's answer is untrusted input: whatever it sends, the outcome is a documented one.

Each case below crashed the function before the parsing boundary (``byoc.oauth.answers``):
RecursionError, OverflowError and TypeError became 500s, or reached the token function's callers.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from byoc.errors import DiscoveryFailed, ProviderError, UnsafeUrl
from byoc.oauth import answers, discovery
from byoc.oauth.protocol import parse_token_response
from byoc.oauth.registry import get_registry
from byoc.outbound import OutboundClient
from tests.helpers import body_of
from tests.support.api import location_query

NOW = 1_800_000_000
JSON = {"content-type": "application/json"}
DEEP = b"[" * 60_000 + b"]" * 60_000
# Deep enough for RecursionError, small enough to pass the outbound size caps.
DEEP_SMALL = b"[" * 5_000 + b"]" * 5_000
ZENDESK = {"client_id": "zd-client-1234", "client_secret": "zd-secret-VERY-SECRET", "subdomain": "acme"}


def parse(body: bytes | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_token_response(get_registry().get("gitlab"), status, headers or JSON, raw, now=NOW)


def test_a_deeply_nested_token_answer_is_an_invalid_token_response():
    with pytest.raises(ProviderError) as caught:
        parse(b'{"access_token": ' + DEEP + b"}")
    assert caught.value.reason == "invalid_token_response"


def test_an_infinite_or_huge_expires_in_is_ignored_and_the_default_lifetime_applies():
    assert parse(b'{"access_token": "x", "expires_in": 1e999}').expires_at is None
    assert parse({"access_token": "x", "expires_in": int("9" * 60)}).expires_at is None
    assert parse({"access_token": "x", "expires_in": "9" * 60}).expires_at is None
    assert parse({"access_token": "x", "expires_in": -5}).expires_at is None
    assert parse({"access_token": "x", "expires_in": True}).expires_at is None
    assert parse({"access_token": "x", "expires_in": "3600"}).expires_at == NOW + 3600
    assert parse({"access_token": "x", "expires_in": 3600.0}).expires_at == NOW + 3600


@pytest.mark.parametrize("token", ["at\r\nX-Injected: 1", "at with space", 7, ["at"], {"a": 1}, "", "é"])
def test_an_access_token_that_is_not_a_token_string_is_refused(token):
    with pytest.raises(ProviderError) as caught:
        parse({"access_token": token})
    assert caught.value.reason == "invalid_token_response"


def test_token_type_bearer_is_normalised_and_other_types_are_refused():
    assert parse({"access_token": "x", "token_type": "bearer"}).token_type == "Bearer"
    assert parse({"access_token": "x"}).token_type == "Bearer"
    assert parse({"access_token": "x", "token_type": "bot"}).token_type == "Bearer"  # Slack's names
    for kind in ("mac", "DPoP", "Bearer\r\n", 1, "x" * 40):
        with pytest.raises(ProviderError):
            parse({"access_token": "x", "token_type": kind})


def test_a_refresh_token_or_scope_with_control_characters_is_dropped():
    tokens = parse({"access_token": "x", "refresh_token": "rt\n1", "scope": "read\x00write"})
    assert tokens.refresh_token is None and tokens.scope is None


def test_metadata_from_the_callback_is_kept_only_when_printable_and_short():
    quickbooks = get_registry().get("quickbooks")
    body = json.dumps({"access_token": "x"}).encode()
    bad = parse_token_response(
        quickbooks, 200, JSON, body, now=NOW, callback_params={"realmId": "../..\r\nx"}
    )
    good = parse_token_response(quickbooks, 200, JSON, body, now=NOW, callback_params={"realmId": "1234"})
    assert "realm_id" not in bad.metadata and good.metadata["realm_id"] == "1234"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
token_keys = st.sampled_from(["access_token", "token_type", "expires_in", "refresh_token", "scope", "error"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.integers(100, 599),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "text/html", "", "application/x-www-form-urlencoded"]
    ),
    body=st.one_of(
        st.binary(max_size=200),
        st.dictionaries(token_keys, json_values, max_size=6).map(lambda d: json.dumps(d).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
    ),
)
def test_any_token_answer_is_a_token_set_or_a_provider_error(status, content_type, body):
    try:
        tokens = parse(body, status, {"content-type": content_type})
    except ProviderError as exc:
        assert exc.reason in answers_reasons()
        return
    assert answers.token(tokens.access_token) == tokens.access_token
    assert tokens.token_type == "Bearer"
    assert tokens.expires_at is None or NOW < tokens.expires_at <= NOW + answers.MAX_EXPIRES_IN_SECONDS


def answers_reasons() -> set[str]:
    from byoc.model import REASONS

    return set(REASONS)


def discover_with(document: bytes) -> Any:
    client = OutboundClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=document))
    )
    return discovery.discover(client, "https://idp.example.com", allow_local_http=False)


@pytest.mark.parametrize(
    "document",
    [
        json.dumps(
            {
                "issuer": "https://idp.example.com",
                "authorization_endpoint": "https://idp.example.com/a",
                "token_endpoint": "https://idp.example.com/t",
                "token_endpoint_auth_methods_supported": 1,
            }
        ).encode(),
        b'{"issuer": ' + DEEP + b"}",
        b"[1, 2]",
        b"\xff\xfe",
    ],
)
def test_a_malformed_discovery_document_is_a_discovery_failure(document):
    with pytest.raises(DiscoveryFailed):
        discover_with(document)


def test_the_issuer_mismatch_message_names_the_issuer_the_document_gives():
    document = json.dumps({"issuer": "https://evil.example.com"}).encode()
    with pytest.raises(DiscoveryFailed) as caught:
        discover_with(document)
    assert "https://evil.example.com" in caught.value.message


# Through the handlers --------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b'{"access_token": ' + DEEP_SMALL + b"}",
        b'{"access_token": "x\\r\\ny"}',
        b'{"access_token": "x", "token_type": "mac"}',
    ],
)
def test_a_hostile_token_answer_at_the_callback_redirects_with_an_error(api, provider_mock, content):
    api.save("zendesk", ZENDESK)
    provider_mock.responder = lambda request: httpx.Response(200, content=content, headers=JSON)
    _, query = api.authorize("zendesk")
    response = api.callback("zendesk", urlencode({"code": "the-code", "state": query["state"][0]}))
    assert response["statusCode"] == 302
    assert location_query(response)["error"] == ["invalid_token_response"]
    assert api.integration("zendesk")["status"] == "error"


def test_a_hostile_discovery_document_at_save_is_a_422_naming_the_issuer(api, provider_mock):
    provider_mock.responder = lambda request: httpx.Response(200, content=b'{"issuer": ' + DEEP_SMALL + b"}")
    response = api.save(
        "generic_oidc",
        {"client_id": "c-1", "client_secret": "s-1", "issuer": "https://idp.example.com"},
    )
    assert response["statusCode"] == 422
    assert "issuer" in body_of(response)["error"]["details"]["fields"]


def _raise_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


def _raise_unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


@pytest.mark.parametrize(
    "responder",
    [
        lambda request: httpx.Response(503),
        lambda request: httpx.Response(429, headers={"Retry-After": "soon"}),
        _raise_timeout,
        _raise_unreachable,
    ],
    ids=["503", "429", "timeout", "unreachable"],
)
def test_an_issuer_down_at_save_is_424_provider_unavailable_and_nothing_is_stored(
    api, provider_mock, aws_env, responder
):
    provider_mock.responder = responder
    response = api.save(
        "generic_oidc",
        {"client_id": "c-1", "client_secret": "s-1", "issuer": "https://idp.example.com"},
    )
    assert response["statusCode"] == 424
    error = body_of(response)["error"]
    assert error["code"] == "provider_unavailable" and error["details"]["step"] == "discovery"
    assert aws_env.dynamodb.scan(TableName=aws_env.table_name)["Items"] == []


# Logging ---------------------------------------------------------------------------


def test_debug_at_the_root_logs_no_library_detail_and_no_secret(api, provider_mock, caplog):
    caplog.set_level(logging.DEBUG)  # what AWS_LAMBDA_LOG_LEVEL=DEBUG does to the root logger
    api.save("zendesk", ZENDESK)
    api.connect("zendesk")
    noisy = [
        r
        for r in caplog.records
        if r.name.split(".")[0] in ("botocore", "boto3", "urllib3", "httpx", "httpcore")
    ]
    assert [r for r in noisy if r.levelno < logging.WARNING] == []
    assert "zd-secret-VERY-SECRET" not in caplog.text and "Plaintext" not in caplog.text


def test_a_token_host_refused_at_callback_time_redirects_with_an_error(api, provider_mock):
    # The host passed every check when saved; its address is refused now (its DNS moved).
    api.save("zendesk", ZENDESK)
    _, query = api.authorize("zendesk")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise UnsafeUrl()

    provider_mock.responder = refuse
    response = api.callback("zendesk", urlencode({"code": "the-code", "state": query["state"][0]}))
    assert response["statusCode"] == 302
    assert location_query(response)["error"] == ["unsafe_url"]
    entry = api.integration("zendesk")
    assert (entry["status"], entry["status_reason"]) == ("error", "unsafe_url")


# Revocation answers ----------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    status=st.integers(100, 599),
    headers=st.dictionaries(
        st.sampled_from(["content-type", "retry-after", "www-authenticate", "x-anything"]),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
        max_size=3,
    ),
    body=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())),
)
def test_any_revocation_answer_leaves_at_most_the_tokens_worth_retrying(status, headers, body):
    from byoc.oauth.client import App, TokenEndpointClient

    outbound = OutboundClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(status, headers=headers, content=body))
    )
    client = TokenEndpointClient(outbound, allow_local_http=False)
    app = App(provider=get_registry().get("gitlab"), client_id="c-1", client_secret="s-1", config={})
    tokens = {"access_token": "at-1", "refresh_token": "rt-1"}
    left = client.revoke(app, tokens)  # never raises, whatever the provider sends
    retryable = status >= 500 or status == 429
    assert left == (tokens if retryable and status != 200 else {})
