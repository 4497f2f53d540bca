"""OpenID discovery completed from RFC 8414 metadata: an OpenID document without
``revocation_endpoint`` (django-oauth-toolkit) reads the issuer's
``/.well-known/oauth-authorization-server`` for it, with §3.1's path rule and §3.3's issuer check."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from byoc.oauth import discovery
from byoc.outbound import OutboundClient


def openid_document(issuer: str, **extra: Any) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": "https://idp.example.com/o/authorize/",
        "token_endpoint": "https://idp.example.com/o/token/",
        **extra,
    }


class Issuer:
    """An issuer serving its OpenID document and, maybe, RFC 8414 metadata; records the URLs asked."""

    def __init__(self, issuer: str, metadata: Any = None, **openid_extra: Any) -> None:
        self.issuer = issuer
        self.metadata = metadata
        self.openid = openid_document(issuer, **openid_extra)
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(str(request.url))
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json=self.openid)
        if "/.well-known/oauth-authorization-server" in request.url.path:
            answer = self.metadata
            if answer is None:
                return httpx.Response(404)
            return answer(request) if callable(answer) else httpx.Response(200, json=answer)
        return httpx.Response(404)


def discover(issuer: Issuer) -> discovery.Discovery:
    client = OutboundClient(transport=httpx.MockTransport(issuer))
    return discovery.discover(client, issuer.issuer, allow_local_http=False)


def test_the_revocation_endpoint_comes_from_rfc_8414_metadata_when_the_openid_document_has_none() -> None:
    issuer = Issuer(
        "https://idp.example.com/o",
        metadata={
            "issuer": "https://idp.example.com/o",
            "revocation_endpoint": "https://idp.example.com/o/revoke_token/",
        },
    )
    found = discover(issuer)
    assert found.revocation_endpoint == "https://idp.example.com/o/revoke_token/"
    # §3.1: the well-known segment goes before the issuer's path
    assert issuer.asked == [
        "https://idp.example.com/o/.well-known/openid-configuration",
        "https://idp.example.com/.well-known/oauth-authorization-server/o",
    ]


@pytest.mark.parametrize(
    ("issuer", "url"),
    [
        ("https://idp.example.com", "https://idp.example.com/.well-known/oauth-authorization-server"),
        ("https://idp.example.com/", "https://idp.example.com/.well-known/oauth-authorization-server"),
        ("https://idp.example.com/t/1", "https://idp.example.com/.well-known/oauth-authorization-server/t/1"),
        (
            "https://idp.example.com:8443/t/",
            "https://idp.example.com:8443/.well-known/oauth-authorization-server/t",
        ),
    ],
)
def test_the_metadata_url_follows_rfc_8414_section_3_1(issuer: str, url: str) -> None:
    assert discovery.rfc8414_url(issuer) == url


def test_an_openid_document_naming_the_endpoint_needs_no_second_request() -> None:
    issuer = Issuer("https://idp.example.com", revocation_endpoint="https://idp.example.com/revoke")
    assert discover(issuer).revocation_endpoint == "https://idp.example.com/revoke"
    assert len(issuer.asked) == 1


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("down", request=request)


@pytest.mark.parametrize(
    "metadata",
    [
        None,  # 404
        {"issuer": "https://evil.example.com", "revocation_endpoint": "https://idp.example.com/revoke"},
        {"revocation_endpoint": "https://idp.example.com/revoke"},  # no issuer
        {"issuer": "https://idp.example.com"},  # no endpoint
        {"issuer": "https://idp.example.com", "revocation_endpoint": 7},
        {"issuer": "https://idp.example.com", "revocation_endpoint": "http://idp.example.com/revoke"},
        {"issuer": "https://idp.example.com", "revocation_endpoint": "https://127.0.0.1/revoke"},
        [1, 2],
        lambda request: httpx.Response(500),
        lambda request: httpx.Response(200, content=b"not json"),
        _down,
    ],
)
def test_metadata_that_is_missing_foreign_or_unsafe_means_no_revocation_not_a_failed_save(
    metadata: Any,
) -> None:
    found = discover(Issuer("https://idp.example.com", metadata=metadata))
    assert found.revocation_endpoint is None
    assert found.token_endpoint == "https://idp.example.com/o/token/"
