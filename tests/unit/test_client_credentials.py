"""Every client-credentials entry (``oauth2_cc``) through httpx.MockTransport: the token request it
sends (exact URL, client authentication, body format, grant type and parameters), checked against the
reference facts (tests/data/reference_facts.json) or, for hand-written entries, against expectations
written from the provider's page; and what the grant keeps and refuses.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote_plus

import httpx
import pytest

from byoc.errors import NotInteractive, ProviderError
from byoc.model import Connection, Status
from byoc.oauth import protocol
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.grants.base import grant_for
from byoc.oauth.registry import Provider, get_registry
from byoc.outbound import OutboundClient
from tests.support.samples import fact_text, facts_config, org_values, render_fact

REGISTRY = get_registry()
CC = [p for p in REGISTRY if p.auth_type == "oauth2_cc"]
FACTS = {
    f["id"]: f
    for f in json.loads((Path(__file__).parents[1] / "data" / "reference_facts.json").read_text())[
        "providers"
    ]
}
CLIENT_ID = "client id/+&é"
CLIENT_SECRET = "s3cr3t:+/="
NOW = 1_700_000_000
FACTS_AUTH = {"basic": "basic", "body": "post"}

# Hand-written entries without facts: (token URL, auth, body, the sample org, the form without client auth).
BY_HAND = {
    # developer.paypal.com/api/rest/authentication: Basic client id:secret, grant_type=client_credentials
    "paypal-cc": (
        "https://api-m.paypal.com/v1/oauth2/token",
        "basic",
        "form",
        {},
        {"grant_type": "client_credentials"},
    ),
    "paypal-sandbox-cc": (
        "https://api-m.sandbox.paypal.com/v1/oauth2/token",
        "basic",
        "form",
        {},
        {"grant_type": "client_credentials"},
    ),
    "generic_client_credentials": (
        "https://auth.example.com/oauth2/token",
        "basic",
        "form",
        {"token_endpoint": "https://auth.example.com/oauth2/token"},
        {"grant_type": "client_credentials"},
    ),
}


class Recorder:
    def __init__(self, answer: httpx.Response | None = None):
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer or httpx.Response(
            200, json={"access_token": "cc-1", "token_type": "bearer", "expires_in": 3600}
        )

    def client(self) -> TokenEndpointClient:
        return TokenEndpointClient(
            OutboundClient(transport=httpx.MockTransport(self)), allow_local_http=False
        )


def expected(p: Provider) -> tuple[str, str, str, dict[str, str], dict[str, str]]:
    """(token URL, auth, body, our sample org, the body without client auth) for ``p``."""
    if p.id in BY_HAND:
        return BY_HAND[p.id]
    fact = FACTS[p.id]
    ours = org_values(p)
    theirs = facts_config(fact, ours)
    params = {k: render_fact(fact_text(v), theirs) for k, v in (fact["token_params"] or {}).items()}
    params.setdefault("grant_type", "client_credentials")
    if p.oauth and p.oauth.scopes.default:  # the entry's default scopes, as the page it cites says
        params["scope"] = p.oauth.scope_separator.join(p.oauth.scopes.default)
    url = render_fact(fact["token_url"], theirs)
    return url, FACTS_AUTH[fact["token_auth_method"]], fact["body_format"] or "form", ours, params


def app_of(p: Provider, org: dict[str, str]) -> App:
    return App(provider=p, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, config=org)


def body_of(request: httpx.Request) -> tuple[str, dict[str, Any]]:
    if request.headers["content-type"].startswith("application/json"):
        return "json", json.loads(request.content)
    return "form", {k: v[0] for k, v in parse_qs(request.content.decode(), strict_parsing=True).items()}


def test_the_named_client_credentials_entries_are_there() -> None:
    ids = {p.id for p in CC}
    assert {
        "zoom-cc",
        "microsoft-oauth2-cc",
        "salesforce-cc",
        "personio-v2",
        "paypal-cc",
        "generic_client_credentials",
    } <= ids


@pytest.mark.parametrize("p", CC, ids=[p.id for p in CC])
def test_the_token_request(p: Provider) -> None:
    url, auth, body_format, org, params = expected(p)
    recorder = Recorder()
    tokens = recorder.client().client_credentials(app_of(p, org), now=NOW)
    assert tokens.access_token == "cc-1" and tokens.expires_at == NOW + 3600
    [request] = recorder.requests
    assert (request.method, str(request.url)) == ("POST", url)
    kind, body = body_of(request)
    assert kind == body_format
    if auth == "basic":
        pair = f"{quote_plus(CLIENT_ID)}:{quote_plus(CLIENT_SECRET)}".encode()
        assert request.headers["authorization"] == "Basic " + base64.b64encode(pair).decode()
        assert body == params
    else:
        assert "authorization" not in request.headers
        assert body == {**params, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


@pytest.mark.parametrize("p", CC, ids=[p.id for p in CC])
def test_there_is_no_browser_step_and_tokens_are_always_renewable(p: Provider) -> None:
    assert not p.interactive and p.oauth is not None and p.oauth.authorize_url is None
    grant = grant_for(p)
    assert grant.name == "client_credentials" and not grant.interactive
    assert grant.renewable(Connection(org_id="o", provider=p.id, status=Status.ACTIVE, credentials_id="c"))


def test_the_orgs_scope_choice_replaces_the_default() -> None:
    p = REGISTRY.get("microsoft-oauth2-cc")
    params = protocol.client_credentials_params(p, {"scopes": "https://management.azure.com/.default"})
    assert params == {"grant_type": "client_credentials", "scope": "https://management.azure.com/.default"}


def test_a_refusal_is_a_provider_error_with_the_reason() -> None:
    recorder = Recorder(httpx.Response(401, json={"error": "invalid_client"}))
    with pytest.raises(ProviderError) as caught:
        recorder.client().client_credentials(app_of(REGISTRY.get("zoom-cc"), {"account_id": "A1"}), now=NOW)
    assert caught.value.reason == "invalid_client" and not caught.value.transient
    assert CLIENT_SECRET not in str(caught.value)


def test_a_hostile_token_host_is_refused_before_any_request() -> None:
    recorder = Recorder()
    org = {"token_endpoint": "https://169.254.169.254/latest/meta-data"}
    with pytest.raises(Exception) as caught:
        recorder.client().client_credentials(app_of(REGISTRY.get("generic_client_credentials"), org), now=NOW)
    assert type(caught.value).__name__ == "UnsafeUrl"
    assert recorder.requests == []


def test_a_minted_token_replaces_the_old_one_whole() -> None:
    grant = grant_for(REGISTRY.get("zoom-cc"))
    recorder = Recorder()
    fresh = recorder.client().client_credentials(
        app_of(REGISTRY.get("zoom-cc"), {"account_id": "A1"}), now=NOW
    )
    kept = grant.kept_tokens({"access_token": "old", "token_type": "bearer", "refresh_token": "x"}, fresh)
    assert kept == {"access_token": "cc-1", "token_type": "Bearer"}  # no refresh token carried over


def test_not_interactive_is_an_invalid_request_saying_why() -> None:
    error = NotInteractive()
    assert error.status == 400 and error.code == "invalid_request" and "saved" in error.message
