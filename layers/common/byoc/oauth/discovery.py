"""OpenID Connect discovery (OpenID Connect Discovery 1.0 §4) for entries whose org names its issuer.

An OpenID document without ``revocation_endpoint`` is common (django-oauth-toolkit names it
only in its OAuth metadata): the issuer's RFC 8414 authorization server metadata is then
read for that one endpoint, under the same issuer and address checks, and its absence or
any failure there only means no revocation, never a failed save.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from byoc.errors import DiscoveryFailed, ProviderStepFailed, UnsafeUrl
from byoc.oauth import answers
from byoc.observability import logger
from byoc.outbound import DISCOVERY_MAX_BYTES, OutboundClient, check_url


@dataclass(frozen=True, slots=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str | None
    auth_methods: tuple[str, ...]
    iss_parameter_supported: bool


def discover(client: OutboundClient, issuer: str, *, allow_local_http: bool) -> Discovery:
    """OpenID Connect discovery (§4): the issuer must match exactly and every endpoint pass the checks.

    Raises ``DiscoveryFailed`` with a field-level reason.
    """
    check_url(issuer, allow_local_http=allow_local_http)
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    response = client.request(
        "GET", url, headers={"Accept": "application/json"}, max_bytes=DISCOVERY_MAX_BYTES
    )
    if response.status_code >= 500 or response.status_code == 429:  # down for now, not misconfigured
        raise ProviderStepFailed("discovery", "provider_unavailable")
    if response.status_code != 200:
        raise DiscoveryFailed("the issuer's discovery document could not be read")
    document = _document_of(response.body, issuer)
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint"):
        value = document.get(name)
        if not isinstance(value, str):
            raise DiscoveryFailed(f"the discovery document has no {name}")
        endpoints[name] = check_url(value, allow_local_http=allow_local_http)
    revocation = document.get("revocation_endpoint")
    if not isinstance(revocation, str):
        revocation = _rfc8414_revocation_endpoint(client, issuer, allow_local_http=allow_local_http)
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if not isinstance(methods, list):
        raise DiscoveryFailed("the discovery document's token_endpoint_auth_methods_supported is not a list")
    return Discovery(
        issuer=issuer,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        revocation_endpoint=(
            check_url(revocation, allow_local_http=allow_local_http) if isinstance(revocation, str) else None
        ),
        auth_methods=tuple(m for m in methods if isinstance(m, str)),
        iss_parameter_supported=document.get("authorization_response_iss_parameter_supported") is True,
    )


def _document_of(body: bytes, issuer: str) -> dict[str, Any]:
    """The document, which must be a JSON object naming exactly ``issuer``."""
    document = answers.json_object(body)
    if document is None:
        raise DiscoveryFailed("the issuer's discovery document is not a JSON object")
    if document.get("issuer") != issuer:
        named = answers.text(document.get("issuer"), 256)
        found = f"another issuer ({named})" if named else "no issuer"
        raise DiscoveryFailed(f"the discovery document names {found}")
    return document


def rfc8414_url(issuer: str) -> str:
    """RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.

    ``https://as.example.com/tenant/1`` reads ``https://as.example.com/.well-known/oauth-authorization-server/tenant/1``.
    """
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, "/.well-known/oauth-authorization-server" + path, "", ""))


def _rfc8414_revocation_endpoint(
    client: OutboundClient, issuer: str, *, allow_local_http: bool
) -> str | None:
    """The metadata's ``revocation_endpoint`` when it names exactly ``issuer`` (§3.3) and passes the
    address checks; else None (an unsafe one is dropped here rather than failing the save)."""
    try:
        response = client.request(
            "GET", rfc8414_url(issuer), headers={"Accept": "application/json"}, max_bytes=DISCOVERY_MAX_BYTES
        )
    except Exception as exc:  # optional: the OpenID document already gave every required endpoint
        logger.info("authorization server metadata unread", extra={"error_type": type(exc).__name__})
        return None
    metadata = answers.json_object(response.body) if response.status_code == 200 else None
    if metadata is None or metadata.get("issuer") != issuer:
        return None
    value = metadata.get("revocation_endpoint")
    try:
        return check_url(value, allow_local_http=allow_local_http) if isinstance(value, str) else None
    except UnsafeUrl:
        logger.warning("authorization server metadata names an unsafe revocation endpoint")
        return None
