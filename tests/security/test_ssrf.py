"""Security guide item 10: no SSRF through tenant-supplied hosts, proven at the API.

Saving refuses a subdomain that is not one DNS label, and an issuer or endpoint URL that is not
a public https host name, with ``422`` and no outbound request. A host name that resolves to a
private address is refused before any connection. The local-development allowance for
``http://127.0.0.1`` is off in every deployed stack: see
``tests/unit/test_template.py::test_deployed_stacks_refuse_local_http_issuers``. The URL and
address rules themselves (IPv4-mapped IPv6, NAT64, numeric hosts, DNS rebinding, redirects) are
unit-tested in ``tests/unit/test_outbound.py``.
"""

from __future__ import annotations

import httpcore
import httpx
import pytest

from byoc import container, outbound
from byoc.outbound import OutboundClient
from tests.helpers import body_of
from tests.security.conftest import connection_items

ISSUER = "https://idp.example.com"
SUBDOMAIN_TRICKS = [
    "evil.com#",
    "evil.com/",
    "evil.com?",
    "a@evil",
    "acme.evil.com",
    "acme:443",
    "169.254.169.254",
    "ACME",
    "-acme",
    "acme-",
    "acme%2eevil",
    "acme\\evil",
    "ac me",
    "a" * 64,
]
HOSTILE_ISSUERS = [
    "http://idp.example.com",
    "https://169.254.169.254",
    "https://[::ffff:127.0.0.1]",
    "https://[::1]",
    "https://localhost",
    "https://a@evil.com",
    "https://user:pass@idp.example.com",
    "https://127.1",
    "https://2130706433",
    "https://0x7f000001",
    "https://idp.example.com#",
    "https://idp.example.com.",
    "http://127.0.0.1:9000",
    "file:///etc/passwd",
    "gopher://idp.example.com",
]


def _oidc(issuer: str) -> dict[str, str]:
    return {"client_id": "oidc-client", "client_secret": "oidc-secret", "issuer": issuer}


def _validation_fields(response: dict) -> set[str]:
    assert response["statusCode"] == 422, response["body"]
    error = body_of(response)["error"]
    assert error["code"] == "validation_error"
    return set(error["details"]["fields"])


@pytest.mark.parametrize("subdomain", SUBDOMAIN_TRICKS)
def test_a_subdomain_that_is_not_one_dns_label_is_refused_with_no_request(
    api, aws_env, provider_mock, subdomain
):
    credentials = {"client_id": "zd-client", "client_secret": "zd-secret", "subdomain": subdomain}
    response = api.save("zendesk", credentials)
    assert _validation_fields(response) == {"subdomain"}
    assert provider_mock.requests == []
    assert connection_items(aws_env) == []


@pytest.mark.parametrize("issuer", HOSTILE_ISSUERS)
def test_a_hostile_issuer_is_refused_with_no_request(api, aws_env, provider_mock, issuer):
    response = api.save("generic_oidc", _oidc(issuer))
    assert _validation_fields(response) == {"issuer"}
    assert provider_mock.requests == []
    assert connection_items(aws_env) == []


@pytest.mark.parametrize("endpoint", ["token_endpoint", "authorization_endpoint"])
@pytest.mark.parametrize("url", ["http://idp.example.com/token", "https://169.254.169.254/token"])
def test_a_hostile_endpoint_of_a_generic_provider_is_refused_with_no_request(
    api, aws_env, provider_mock, endpoint, url
):
    credentials = {
        "client_id": "c",
        "client_secret": "s",
        "authorization_endpoint": "https://idp.example.com/authorize",
        "token_endpoint": "https://idp.example.com/token",
        endpoint: url,
    }
    response = api.save("generic_oauth2", credentials)
    assert _validation_fields(response) == {endpoint}
    assert provider_mock.requests == []
    assert connection_items(aws_env) == []


def _discovery(**overrides: str) -> dict[str, str]:
    return {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorize",
        "token_endpoint": f"{ISSUER}/token",
        **overrides,
    }


@pytest.mark.parametrize(
    "document",
    [
        _discovery(token_endpoint="https://169.254.169.254/token"),
        _discovery(token_endpoint="http://idp.example.com/token"),
        _discovery(authorization_endpoint="https://a@evil.com/authorize"),
        _discovery(issuer="https://other.example.com"),
    ],
)
def test_a_hostile_discovery_document_is_refused_after_the_one_discovery_request(
    api, aws_env, provider_mock, document
):
    # Given an issuer whose discovery document names an endpoint we must not call
    provider_mock.responder = lambda request: httpx.Response(200, json=document)
    # When an admin saves it
    response = api.save("generic_oidc", _oidc(ISSUER))
    # Then the save is refused, and the only request made was the discovery document's
    assert _validation_fields(response) == {"issuer"}
    assert [str(r.url) for r in provider_mock.requests] == [f"{ISSUER}/.well-known/openid-configuration"]
    assert connection_items(aws_env) == []


def test_an_issuer_resolving_to_a_private_address_is_refused_before_any_connection(api, aws_env, monkeypatch):
    # Given the real outbound client, whose resolver says the issuer's host is 10.0.0.1
    dialled: list[str] = []

    def connect(ip: str, *args: object) -> httpcore.NetworkStream:
        dialled.append(ip)
        raise httpcore.ConnectError("no network in tests")

    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["10.0.0.1"]

    client = OutboundClient(resolver=resolver)
    monkeypatch.setattr(container, "outbound", lambda: client)
    monkeypatch.setattr(outbound, "_connect_ip", connect)
    # When an admin saves it
    response = api.save("generic_oidc", _oidc("https://idp.internal.example.com"))
    # Then the save is refused, and no connection was attempted to any address
    assert _validation_fields(response) == {"issuer"}
    assert asked == ["idp.internal.example.com"]
    assert dialled == []
    assert connection_items(aws_env) == []
