"""DELETE /integrations/{provider} and DELETE /integrations/{provider}/tokens, through the handler."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from byoc import settings as byoc_settings
from byoc.aws.store import Store
from byoc.errors import IntegrationNotConfigured
from byoc.usecases.tokens import get_token
from tests.helpers import body_of, http_event, load_function
from tests.support.api import form_of, location_query

GITLAB = {"client_id": "gl-client-123456", "client_secret": "gl-secret-VERY-SECRET"}
ZENDESK = {"client_id": "zd-client-1234", "client_secret": "zd-secret-VERY-SECRET", "subdomain": "acme"}
BITBUCKET = {"client_id": "bb-client-1234", "client_secret": "bb-secret-VERY-SECRET"}
GITHUB = {"client_id": "Iv1.gh-client-1234", "client_secret": "gh-secret-VERY-SECRET"}
REVOKE_URL = "https://gitlab.com/oauth/revoke"


def delete(
    api: Any,
    provider: str,
    *,
    tokens_only: bool = False,
    org: str = "org-1",
    claims: dict[str, Any] | None = None,
) -> dict[str, Any]:
    suffix = "/tokens" if tokens_only else ""
    event = http_event(
        "DELETE",
        f"/integrations/{provider}{suffix}",
        route=f"DELETE /integrations/{{provider}}{suffix}",
        path_params={"provider": provider},
        claims=api.claims(org) if claims is None else claims,
    )
    return load_function("disconnect").lambda_handler(event, api.context)


def revocations(provider_mock: Any) -> list[dict[str, str]]:
    return [form_of(r) for r in provider_mock.requests if str(r.url) == REVOKE_URL]


def stored(aws_env: Any, org: str = "org-1", provider: str = "gitlab") -> Any:
    return Store(aws_env.table_name).get_connection(org, provider)


@pytest.fixture
def connected(api: Any, provider_mock: Any) -> None:
    api.save("gitlab", GITLAB)
    assert location_query(api.connect("gitlab"))["status"] == ["active"]


# DELETE /integrations/{provider} -------------------------------------------------------


def test_disconnect_answers_204_and_the_provider_lists_as_never_configured(api, connected, aws_env):
    # When the admin disconnects GitLab
    response = delete(api, "gitlab")
    # Then 204, and the list shows GitLab as never configured
    assert response["statusCode"] == 204 and response["body"] == ""
    assert api.integration("gitlab") is None
    assert stored(aws_env) is None


def test_disconnect_revokes_the_refresh_and_access_tokens_at_the_provider(api, connected, provider_mock):
    delete(api, "gitlab")
    forms = revocations(provider_mock)
    assert [(f["token"], f["token_type_hint"]) for f in forms] == [
        ("rt-456", "refresh_token"),
        ("at-123", "access_token"),
    ]
    assert all(f["client_id"] == "gl-client-123456" for f in forms)
    assert all(f["client_secret"] == "gl-secret-VERY-SECRET" for f in forms)


def test_disconnect_deletes_the_connection_even_when_revocation_fails(api, connected, provider_mock, aws_env):
    # Given a revocation endpoint that is down
    def down(request: httpx.Request) -> httpx.Response:
        if str(request.url) == REVOKE_URL:
            raise httpx.ConnectError("down")
        return httpx.Response(500)

    provider_mock.responder = down
    # When the admin disconnects
    response = delete(api, "gitlab")
    # Then it is disconnected all the same
    assert response["statusCode"] == 204
    assert stored(aws_env) is None


def test_disconnecting_a_provider_without_revocation_calls_no_provider(api, provider_mock, aws_env):
    # Given Bitbucket, whose entry says revocation "none" (with its reason)
    api.save("bitbucket", BITBUCKET)
    api.connect("bitbucket")
    calls_before = len(provider_mock.requests)
    assert delete(api, "bitbucket")["statusCode"] == 204
    assert len(provider_mock.requests) == calls_before
    assert stored(aws_env, provider="bitbucket") is None


def test_disconnecting_zendesk_deletes_the_current_token_with_it_as_bearer(api, provider_mock, aws_env):
    api.save("zendesk", ZENDESK)
    api.connect("zendesk")
    calls_before = len(provider_mock.requests)
    assert delete(api, "zendesk")["statusCode"] == 204
    sent = provider_mock.requests[calls_before:]
    # One request: the access token revokes itself (Zendesk has no refresh-token revocation)
    assert [(r.method, str(r.url)) for r in sent] == [
        ("DELETE", "https://acme.zendesk.com/api/v2/oauth/tokens/current.json")
    ]
    assert sent[0].headers["authorization"] == "Bearer at-123"
    assert sent[0].content == b""
    assert b"zd-secret" not in sent[0].content and "zd-secret" not in str(sent[0].headers)


def test_disconnecting_github_deletes_the_app_token_with_basic_auth_and_a_json_body(api, provider_mock):
    api.save("github", GITHUB)
    api.connect("github")
    calls_before = len(provider_mock.requests)
    assert delete(api, "github")["statusCode"] == 204
    sent = provider_mock.requests[calls_before:]
    assert [(r.method, str(r.url)) for r in sent] == [
        ("DELETE", "https://api.github.com/applications/Iv1.gh-client-1234/token")
    ]
    pair = base64.b64decode(sent[0].headers["authorization"].removeprefix("Basic ")).decode()
    assert pair == "Iv1.gh-client-1234:gh-secret-VERY-SECRET"
    assert json.loads(sent[0].content) == {"access_token": "at-123"}


def test_disconnecting_quickbooks_revokes_with_a_json_body_and_basic_auth(api, provider_mock):
    api.save("quickbooks", {"client_id": "qb-client-1234", "client_secret": "qb-secret-VERY-SECRET"})
    api.connect("quickbooks")
    calls_before = len(provider_mock.requests)
    assert delete(api, "quickbooks")["statusCode"] == 204
    sent = provider_mock.requests[calls_before:]
    url = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
    assert [(r.method, str(r.url)) for r in sent] == [("POST", url), ("POST", url)]
    pair = base64.b64decode(sent[0].headers["authorization"].removeprefix("Basic ")).decode()
    assert pair == "qb-client-1234:qb-secret-VERY-SECRET"
    assert sent[0].headers["content-type"] == "application/json"
    assert [json.loads(r.content) for r in sent] == [{"token": "rt-456"}, {"token": "at-123"}]


def test_disconnecting_saved_credentials_never_connected_deletes_them(api, provider_mock, aws_env):
    api.save("gitlab", GITLAB)
    assert delete(api, "gitlab")["statusCode"] == 204
    assert stored(aws_env) is None
    assert revocations(provider_mock) == []


def test_disconnecting_what_is_not_there_is_404_integration_not_configured(api):
    response = delete(api, "gitlab")
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "integration_not_configured"


def test_disconnecting_an_unknown_provider_is_404_unknown_provider(api):
    response = delete(api, "no-such-provider")
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "unknown_provider"


def test_one_org_cannot_disconnect_another_orgs_integration(api, connected, aws_env):
    response = delete(api, "gitlab", org="org-2")
    assert response["statusCode"] == 404
    assert stored(aws_env).status == "active"


def test_disconnect_without_an_organization_claim_is_401(api, connected, aws_env):
    response = delete(api, "gitlab", claims={"sub": "user-1"})
    assert response["statusCode"] == 401
    assert stored(aws_env).status == "active"


def test_only_an_admin_may_disconnect(api, connected, aws_env, monkeypatch):
    # Given a deployment where admins carry org_role=admin
    monkeypatch.setenv("ADMIN_CLAIM", "org_role=admin")
    byoc_settings.get_settings.cache_clear()
    # When a member disconnects, then an admin does
    member = delete(api, "gitlab", claims=api.claims("org-1", org_role="member"))
    assert member["statusCode"] == 403
    assert stored(aws_env).status == "active"
    admin = delete(api, "gitlab", claims=api.claims("org-1", org_role="admin"))
    assert admin["statusCode"] == 204


# DELETE /integrations/{provider}/tokens ------------------------------------------------


def test_dropping_tokens_keeps_the_credentials_and_returns_to_pending_setup(api, connected, aws_env):
    # When the admin drops the tokens
    response = delete(api, "gitlab", tokens_only=True)
    # Then 204, the saved app is still there, and the connection waits to be connected again
    assert response["statusCode"] == 204
    entry = api.integration("gitlab")
    assert entry["status"] == "pending_setup" and entry["connected"] is False
    assert entry["client_id_masked"] == "gl…456"
    record = stored(aws_env)
    assert record.tokens is None and record.secrets is not None and not record.has_refresh_token


def test_dropping_tokens_revokes_them(api, connected, provider_mock):
    delete(api, "gitlab", tokens_only=True)
    assert {f["token"] for f in revocations(provider_mock)} == {"rt-456", "at-123"}


def test_after_dropping_tokens_no_token_is_handed_out(api, connected):
    delete(api, "gitlab", tokens_only=True)
    with pytest.raises(IntegrationNotConfigured):
        get_token("org-1", "gitlab")


def test_after_dropping_tokens_the_org_reconnects_without_saving_again(api, connected):
    delete(api, "gitlab", tokens_only=True)
    assert location_query(api.connect("gitlab"))["status"] == ["active"]
    assert get_token("org-1", "gitlab")["access_token"] == "at-123"


def test_dropping_tokens_of_an_unconfigured_integration_is_404(api):
    response = delete(api, "gitlab", tokens_only=True)
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "integration_not_configured"


def test_dropping_tokens_of_an_api_key_provider_is_an_invalid_request(api):
    response = delete(api, "sendgrid", tokens_only=True)
    assert response["statusCode"] == 400
    assert body_of(response)["error"]["code"] == "invalid_request"


# Tokens dropped by a save --------------------------------------------------------------


def test_saving_a_different_client_id_revokes_the_old_tokens(api, connected, provider_mock):
    api.save("gitlab", {**GITLAB, "client_id": "gl-another-client"})
    forms = revocations(provider_mock)
    assert {f["token"] for f in forms} == {"rt-456", "at-123"}
    assert all(f["client_id"] == "gl-client-123456" for f in forms)


def test_reconnecting_over_an_active_connection_revokes_the_replaced_tokens(api, connected, provider_mock):
    provider_mock.responder = lambda request: (
        httpx.Response(200, json={"access_token": "at-new", "refresh_token": "rt-new", "expires_in": 3600})
        if str(request.url) != REVOKE_URL
        else httpx.Response(200)
    )
    assert location_query(api.connect("gitlab"))["status"] == ["active"]
    assert [(f["token"], f["token_type_hint"]) for f in revocations(provider_mock)] == [
        ("rt-456", "refresh_token"),
        ("at-123", "access_token"),
    ]


# generic_oidc: the revocation endpoint from RFC 8414 metadata, or the org's field -------------

OIDC_ISSUER = "https://idp.example.com/o"


def _oidc_issuer(metadata: dict[str, Any] | None) -> Any:
    document = {
        "issuer": OIDC_ISSUER,
        "authorization_endpoint": "https://idp.example.com/o/authorize/",
        "token_endpoint": "https://idp.example.com/o/token/",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/o/.well-known/openid-configuration":
            return httpx.Response(200, json=document)
        if request.url.path == "/.well-known/oauth-authorization-server/o":
            return httpx.Response(200, json=metadata) if metadata else httpx.Response(404)
        if request.url.path == "/o/token/":
            return httpx.Response(
                200, json={"access_token": "at-o", "refresh_token": "rt-o", "expires_in": 60}
            )
        return httpx.Response(200)

    return answer


def _oidc_revocations(api: Any, provider_mock: Any, credentials: dict[str, str]) -> list[tuple[str, str]]:
    assert (
        api.save("generic_oidc", {"client_id": "c-1", "client_secret": "s-1", **credentials})["statusCode"]
        == 200
    )
    assert location_query(api.connect("generic_oidc"))["status"] == ["active"]
    before = len(provider_mock.requests)
    assert delete(api, "generic_oidc")["statusCode"] == 204
    return [(str(r.url), form_of(r)["token"]) for r in provider_mock.requests[before:]]


def test_generic_oidc_revokes_at_the_endpoint_its_rfc_8414_metadata_names(api, provider_mock):
    # Given an issuer (as django-oauth-toolkit) naming its revocation endpoint only in RFC 8414 metadata
    metadata = {"issuer": OIDC_ISSUER, "revocation_endpoint": "https://idp.example.com/o/revoke_token/"}
    provider_mock.responder = _oidc_issuer(metadata)
    sent = _oidc_revocations(api, provider_mock, {"issuer": OIDC_ISSUER})
    assert sent == [
        ("https://idp.example.com/o/revoke_token/", "rt-o"),
        ("https://idp.example.com/o/revoke_token/", "at-o"),
    ]


def test_generic_oidc_revokes_at_the_orgs_endpoint_when_the_issuer_names_none(api, provider_mock):
    provider_mock.responder = _oidc_issuer(None)
    credentials = {"issuer": OIDC_ISSUER, "revocation_endpoint": "https://idp.example.com/o/revoke/"}
    sent = _oidc_revocations(api, provider_mock, credentials)
    assert [url for url, _ in sent] == ["https://idp.example.com/o/revoke/"] * 2


def test_generic_oidc_refuses_an_unsafe_revocation_endpoint_field(api, provider_mock):
    provider_mock.responder = _oidc_issuer(None)
    credentials = {"client_id": "c-1", "client_secret": "s-1", "issuer": OIDC_ISSUER}
    response = api.save(
        "generic_oidc", credentials | {"revocation_endpoint": "https://169.254.169.254/revoke"}
    )
    assert response["statusCode"] == 422
    assert "revocation_endpoint" in body_of(response)["error"]["details"]["fields"]
