"""Revocation variants as data (byoc.oauth.revocation): the exact request each kind sends, through
``TokenEndpointClient.revoke`` and an ``httpx.MockTransport`` (method, URL, headers, body), which answers
count as done, refused or worth retrying, the host rules, and the registry's checks of the block."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from byoc.oauth import revocation
from byoc.oauth.client import App, TokenEndpointClient
from byoc.oauth.registry import Provider, get_registry
from byoc.outbound import OutboundClient
from tests.support.registry import entry_from_source

TOKENS = {"access_token": "at-1/+=", "refresh_token": "rt-1/+="}
CLIENT_ID = "client id/+&"
SECRET = "s3cr3t:+/="


class Recorder:
    def __init__(self, answer: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or (lambda request: httpx.Response(200))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def revoke(provider: Provider | str, config: dict[str, str] | None = None, answer: Any = None, tokens=TOKENS):
    recorder = Recorder(answer)
    client = TokenEndpointClient(
        OutboundClient(transport=httpx.MockTransport(recorder)), allow_local_http=False
    )
    entry = get_registry().get(provider) if isinstance(provider, str) else provider
    app = App(provider=entry, client_id=CLIENT_ID, client_secret=SECRET, config=config or {})
    return client.revoke(app, tokens), recorder.requests


def basic(request: httpx.Request) -> str:
    return base64.b64decode(request.headers["authorization"].removeprefix("Basic ")).decode()


def form(request: httpx.Request) -> dict[str, list[str]]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    return parse_qs(request.content.decode(), keep_blank_values=True)


def entry(block: dict[str, Any], **oauth: Any) -> Provider:
    raw = {
        "id": "x",
        "name": "X",
        "auth_type": "oauth2",
        "oauth": {
            "authorize_url": "https://auth.example.com/authorize",
            "token_url": "https://auth.example.com/token",
            "allowed_host_suffixes": ["example.com"],
            "revocation": block,
            **oauth,
        },
    }
    return entry_from_source(raw)


# The exact request of each kind ------------------------------------------------------------


def test_rfc7009_posts_each_token_with_its_hint_and_the_entrys_client_auth_in_the_form() -> None:
    left, sent = revoke("gitlab")
    assert left == {}
    assert [(r.method, str(r.url)) for r in sent] == [("POST", "https://gitlab.com/oauth/revoke")] * 2
    assert [form(r) for r in sent] == [
        {
            "token": ["rt-1/+="],
            "token_type_hint": ["refresh_token"],
            "client_id": [CLIENT_ID],
            "client_secret": [SECRET],
        },
        {
            "token": ["at-1/+="],
            "token_type_hint": ["access_token"],
            "client_id": [CLIENT_ID],
            "client_secret": [SECRET],
        },
    ]
    assert all("authorization" not in r.headers for r in sent)


def test_rfc7009_with_basic_auth_sends_the_client_in_the_header_only() -> None:
    _, sent = revoke("zoom")  # its token requests post the secret; its revoke endpoint takes Basic
    assert [str(r.url) for r in sent] == ["https://zoom.us/oauth/revoke"] * 2
    assert basic(sent[0]) == "client+id%2F%2B%26:s3cr3t%3A%2B%2F%3D"  # RFC 6749 §2.3.1 form-encoding
    assert form(sent[0]) == {"token": ["rt-1/+="], "token_type_hint": ["refresh_token"]}


def test_rfc7009_for_a_generic_entry_follows_the_orgs_client_auth_choice() -> None:
    config = {
        "revocation_endpoint": "https://idp.example.org/revoke",
        "client_auth_method": "client_secret_basic",
    }
    config |= {
        "authorization_endpoint": "https://idp.example.org/a",
        "token_endpoint": "https://idp.example.org/t",
    }
    _, sent = revoke("generic_oauth2", config)
    assert [str(r.url) for r in sent] == ["https://idp.example.org/revoke"] * 2
    assert basic(sent[1]) == "client+id%2F%2B%26:s3cr3t%3A%2B%2F%3D"
    assert form(sent[1]) == {"token": ["at-1/+="], "token_type_hint": ["access_token"]}


def test_a_generic_entry_without_a_revocation_endpoint_sends_nothing() -> None:
    config = {
        "authorization_endpoint": "https://idp.example.org/a",
        "token_endpoint": "https://idp.example.org/t",
    }
    assert revoke("generic_oauth2", config) == ({}, [])


def test_bearer_post_sends_the_access_token_as_bearer_and_no_body() -> None:
    left, sent = revoke("dropbox")
    assert left == {}
    assert [(r.method, str(r.url)) for r in sent] == [
        ("POST", "https://api.dropboxapi.com/2/auth/token/revoke")
    ]
    assert sent[0].headers["authorization"] == "Bearer at-1/+="
    assert sent[0].content == b"" and "content-type" not in sent[0].headers
    assert SECRET not in str(sent[0].headers)


def test_bearer_post_for_slack_is_auth_revoke() -> None:
    _, sent = revoke("slack")
    assert [(r.method, str(r.url), r.headers["authorization"]) for r in sent] == [
        ("POST", "https://slack.com/api/auth.revoke", "Bearer at-1/+=")
    ]


def test_a_fixed_body_goes_with_a_bearer_post() -> None:
    provider = entry(
        {"kind": "bearer_post", "url": "https://api.example.com/revoke", "body": {"all": "true"}}
    )
    _, sent = revoke(provider, tokens={"access_token": "at-9"})
    assert form(sent[0]) == {"all": ["true"]}
    assert sent[0].headers["authorization"] == "Bearer at-9"


def test_delete_fills_the_client_id_in_the_path_and_sends_the_token_as_json_with_basic_auth() -> None:
    left, sent = revoke("github")
    assert left == {}
    assert [(r.method, str(r.url)) for r in sent] == [
        ("DELETE", "https://api.github.com/applications/client%20id%2F%2B%26/token")
    ]
    assert basic(sent[0]) == "client+id%2F%2B%26:s3cr3t%3A%2B%2F%3D"
    assert sent[0].headers["content-type"] == "application/json"
    assert json.loads(sent[0].content) == {"access_token": "at-1/+="}  # the access token only


def test_delete_with_the_token_as_bearer_on_the_orgs_subdomain() -> None:
    _, sent = revoke("zendesk", {"subdomain": "acme"})
    assert [(r.method, str(r.url)) for r in sent] == [
        ("DELETE", "https://acme.zendesk.com/api/v2/oauth/tokens/current.json")
    ]
    assert sent[0].headers["authorization"] == "Bearer at-1/+="
    assert sent[0].content == b""


def test_delete_with_the_token_in_the_path_percent_encodes_it_whole() -> None:
    provider = entry({"kind": "delete", "url": "https://api.example.com/tokens/{token}", "tokens": "refresh"})
    _, sent = revoke(provider)
    assert [(r.method, r.url.raw_path) for r in sent] == [("DELETE", b"/tokens/rt-1%2F%2B%3D")]
    assert basic(sent[0]) == "client+id%2F%2B%26:s3cr3t%3A%2B%2F%3D"


def test_json_body_posts_the_token_as_json_with_basic_auth_and_the_entrys_headers() -> None:
    _, sent = revoke("notion")
    assert [(r.method, str(r.url)) for r in sent] == [("POST", "https://api.notion.com/v1/oauth/revoke")] * 2
    assert [json.loads(r.content) for r in sent] == [{"token": "rt-1/+="}, {"token": "at-1/+="}]
    assert basic(sent[0]) == "client+id%2F%2B%26:s3cr3t%3A%2B%2F%3D"
    assert sent[0].headers["notion-version"]  # token_headers go on revocation too


def test_json_body_with_the_client_in_the_body_and_the_providers_key() -> None:
    block = {"kind": "json_body", "url": "https://api.example.com/revoke", "auth": "client_post"}
    provider = entry(block | {"token_key": "access_token", "tokens": "access"})
    _, sent = revoke(provider)
    assert json.loads(sent[0].content) == {
        "access_token": "at-1/+=",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
    }
    assert "authorization" not in sent[0].headers


def test_query_puts_only_the_refresh_token_in_the_query_string_of_the_orgs_region() -> None:
    left, sent = revoke("zoho", {"region": "eu"})
    assert left == {}
    assert [(r.method, str(r.url)) for r in sent] == [
        ("POST", "https://accounts.zoho.eu/oauth/v2/token/revoke?token=rt-1%2F%2B%3D")
    ]
    assert sent[0].content == b"" and "authorization" not in sent[0].headers


def test_kind_none_sends_nothing() -> None:
    assert revoke("stripe") == ({}, [])
    assert get_registry().get("stripe").oauth.revocation.reason  # type: ignore[union-attr]


# Answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 204, 400, 401, 404, 302])
def test_an_accepted_or_refused_token_is_not_retried(status: int) -> None:
    left, sent = revoke("gitlab", answer=lambda request: httpx.Response(status))
    assert left == {} and len(sent) == 2


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_provider_unavailable_leaves_the_tokens_to_retry(status: int) -> None:
    left, _ = revoke("github", answer=lambda request: httpx.Response(status))
    assert left == {"access_token": "at-1/+="}


def test_no_answer_leaves_the_token_to_retry() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    assert revoke("zoho", {"region": "com"}, answer=down)[0] == {"refresh_token": "rt-1/+="}


def test_outcomes_keep_the_semantics_of_rfc_7009_answers() -> None:
    assert [revocation.outcome(s) for s in (200, 204, 400, 401, 302, 429, 500, 503)] == [
        "done", "done", "refused", "refused", "refused", "retry", "retry", "retry"
    ]  # fmt: skip


def test_the_token_and_a_url_holding_it_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    revoke("zoho", {"region": "eu"}, answer=lambda request: httpx.Response(503))
    revoke("github", answer=lambda request: httpx.Response(401))
    assert [r.getMessage() for r in caplog.records] == ["revocation refused"] * 2
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "status_code" in logged
    assert "rt-1" not in logged and "at-1" not in logged and "s3cr3t" not in logged
    assert "token/revoke" not in logged and "applications" not in logged


# Host rules --------------------------------------------------------------------------------


def test_a_revocation_url_outside_the_allowed_hosts_is_never_called() -> None:
    # The schema refuses such an entry (tests/unit/test_registry_schema.py); the runtime holds too.
    from dataclasses import replace

    from byoc.oauth import revocation

    provider = entry({"kind": "bearer_post", "url": "https://a.example.com/revoke"})
    assert provider.oauth is not None
    hostile = revocation.parse({"kind": "bearer_post", "url": "https://evil.example.net/revoke"})
    provider = replace(provider, oauth=replace(provider.oauth, revocation=hostile))
    assert revoke(provider) == ({}, [])  # nothing sent, nothing to retry (our rule)


def test_a_templated_revocation_host_that_leaves_the_provider_is_never_called() -> None:
    assert revoke("zendesk", {"subdomain": "acme.evil.com/x?"}) == ({}, [])


# The registry's checks of the block --------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ({"kind": "rfc7009x", "url": "https://a.example.com/r"}, "kind must be one of"),
        ({"kind": "none"}, "takes a reason"),
        ({"kind": "none", "reason": "x", "url": "https://a.example.com/r"}, "takes a reason"),
        ({"kind": "rfc7009"}, "url must be"),
        ({"kind": "rfc7009", "url": "http://a.example.com/r"}, "url must be"),
        ({"kind": "query", "url": "https://{token}.example.com/r"}, "may not shape the host"),
        ({"kind": "delete", "url": "https://{client_id}.example.com/{token}"}, "may not shape the host"),
        ({"kind": "query", "url": "https://a.example.com/r"}, "{token} belongs in the url"),
        ({"kind": "rfc7009", "url": "https://a.example.com/r?t={token}"}, "{token} belongs in the url"),
        ({"kind": "bearer_post", "url": "https://a.example.com/r", "auth": "client_basic"}, "Authorization"),
        ({"kind": "rfc7009", "url": "https://a.example.com/r", "method": "GET"}, "method must be"),
        ({"kind": "rfc7009", "url": "https://a.example.com/r", "tokens": "id"}, "tokens must be"),
        ({"kind": "json_body", "url": "https://a.example.com/r", "token_key": "a b"}, "plain names"),
        ({"kind": "json_body", "url": "https://a.example.com/r", "body": {"x": 1}}, "plain names"),
        ({"kind": "rfc7009", "url": "https://a.example.com/r", "verb": "POST"}, "unknown keys"),
    ],
)
def test_the_registry_refuses_a_block_that_is_not_one_of_the_variants(
    block: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match="revocation") as caught:
        revocation.parse(block)
    assert problem in str(caught.value)


def test_a_kind_sets_the_defaults_an_entry_may_override() -> None:
    spec = revocation.parse({"kind": "query", "url": "https://a.example.com/r?t={token}", "method": "DELETE"})
    assert (spec.method, spec.token_in, spec.auth, spec.tokens) == ("DELETE", "url", "none", "both")
    assert spec.hints == ("refresh_token", "access_token")
    assert revocation.parse({"kind": "none", "reason": "r"}).hints == ()


def test_every_oauth_entry_says_how_it_revokes_or_why_it_cannot() -> None:
    for provider in get_registry():
        if provider.oauth is None:
            continue
        spec = provider.oauth.revocation
        assert spec.url if spec.enabled else spec.reason, provider.id
