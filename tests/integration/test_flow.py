"""The whole flow in process: save, list, start, callback, list; replay and failures."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import httpx

from tests.helpers import body_of
from tests.support.api import form_of, location_query

ZENDESK = {"client_id": "zd-client-1234", "client_secret": "zd-secret-VERY-SECRET", "subdomain": "acme"}


def test_save_list_start_callback_list_connects_the_integration(api, provider_mock):
    # Given saved credentials
    saved = api.save("zendesk", ZENDESK)
    assert saved["statusCode"] == 200
    assert body_of(saved)["status"] == "pending_setup"
    assert api.integration("zendesk")["status"] == "pending_setup"
    assert api.integration("zendesk")["connected"] is False
    # When the user goes through the provider and comes back
    url, query = api.authorize("zendesk", return_to="/settings/integrations")
    assert urlsplit(url).netloc == "acme.zendesk.com"
    response = api.callback("zendesk", urlencode({"code": "the-code", "state": query["state"][0]}))
    # Then the browser lands on the frontend and the integration is connected
    assert response["statusCode"] == 302
    assert response["headers"]["Location"].startswith("https://app.example.com/settings/integrations?")
    assert location_query(response) == {"integration": ["zendesk"], "status": ["active"]}
    entry = api.integration("zendesk")
    assert entry["connected"] is True and entry["status"] == "active"
    assert entry["client_id_masked"] == "zd…34"


def test_token_request_carries_code_verifier_redirect_uri_and_client_credentials(api, provider_mock):
    api.save("zendesk", ZENDESK)
    url, query = api.authorize("zendesk")
    api.callback("zendesk", urlencode({"code": "the-code", "state": query["state"][0]}))
    (request,) = provider_mock.token_requests()
    form = form_of(request)
    assert str(request.url) == "https://acme.zendesk.com/oauth/tokens"
    assert form["grant_type"] == "authorization_code"
    assert form["code"] == "the-code"
    assert (
        form["redirect_uri"] == query["redirect_uri"][0] == "https://api.example.com/oauth/callback/zendesk"
    )
    assert form["client_id"] == "zd-client-1234" and form["client_secret"] == "zd-secret-VERY-SECRET"
    assert 43 <= len(form["code_verifier"]) <= 128
    assert form["expires_in"] == "1800"


def test_replayed_callback_is_rejected_and_makes_no_second_exchange(api, provider_mock):
    api.save("zendesk", ZENDESK)
    _, query = api.authorize("zendesk")
    callback = urlencode({"code": "the-code", "state": query["state"][0]})
    assert api.callback("zendesk", callback)["statusCode"] == 302
    replay = api.callback("zendesk", callback)
    assert replay["statusCode"] == 400
    assert body_of(replay)["error"]["code"] == "invalid_state"
    assert len(provider_mock.token_requests()) == 1


def test_failed_exchange_sets_error_with_the_provider_reason(api, provider_mock):
    provider_mock.responder = lambda request: httpx.Response(401, json={"error": "invalid_client"})
    api.save("zendesk", ZENDESK)
    response = api.connect("zendesk")
    assert location_query(response)["status"] == ["error"]
    assert location_query(response)["error"] == ["invalid_client"]
    entry = api.integration("zendesk")
    assert entry["status"] == "error" and entry["status_reason"] == "invalid_client"
    assert entry["connected"] is False


def test_failed_reconnect_keeps_a_working_connection_active(api, provider_mock):
    api.save("zendesk", ZENDESK)
    api.connect("zendesk")
    provider_mock.responder = lambda request: httpx.Response(400, json={"error": "invalid_grant"})
    response = api.connect("zendesk")
    assert location_query(response)["error"] == ["invalid_grant"]
    assert api.integration("zendesk")["status"] == "active"


def test_user_denying_consent_sets_error_access_denied_without_exchange(api, provider_mock):
    api.save("zendesk", ZENDESK)
    _, query = api.authorize("zendesk")
    response = api.callback("zendesk", urlencode({"error": "access_denied", "state": query["state"][0]}))
    assert location_query(response)["error"] == ["access_denied"]
    assert api.integration("zendesk")["status_reason"] == "access_denied"
    assert provider_mock.token_requests() == []


def test_start_without_saved_credentials_is_integration_not_configured(api):
    response = api.start("github")
    assert response["statusCode"] == 404
    assert body_of(response)["error"]["code"] == "integration_not_configured"
    assert "save" in body_of(response)["error"]["message"].lower()


def test_start_redirects_when_the_client_does_not_ask_for_json(api):
    api.save("github", {"client_id": "gh-id-123456", "client_secret": "gh-secret"})
    response = api.start("github", accept_json=False)
    assert response["statusCode"] == 302
    assert response["headers"]["Location"].startswith("https://github.com/login/oauth/authorize?")
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["Referrer-Policy"] == "no-referrer"


def test_saving_the_same_client_id_keeps_tokens_and_status(api, provider_mock):
    api.save("zendesk", ZENDESK)
    api.connect("zendesk")
    rotated = api.save("zendesk", {**ZENDESK, "client_secret": "a-rotated-secret"})
    assert body_of(rotated)["status"] == "active"


def test_saving_a_different_client_id_returns_to_pending_setup(api, provider_mock):
    api.save("zendesk", ZENDESK)
    api.connect("zendesk")
    changed = api.save("zendesk", {**ZENDESK, "client_id": "another-client"})
    assert body_of(changed)["status"] == "pending_setup"
    assert api.integration("zendesk")["connected"] is False


def test_api_key_provider_is_active_once_saved(api):
    response = api.save("freshdesk", {"subdomain": "acme", "api_key": "fd-key-SECRET"})
    assert response["statusCode"] == 200
    assert body_of(response)["status"] == "active"
    assert "fd-key-SECRET" not in response["body"]


def test_the_catalogue_shows_every_provider_with_fields_and_redirect_uri(api):
    entries = body_of(api.providers())["providers"]
    by_id = {e["id"]: e for e in entries}
    assert {"github", "google", "slack", "notion", "zendesk", "shopify", "freshdesk", "generic_oidc"} <= set(
        by_id
    )
    zendesk = by_id["zendesk"]
    assert zendesk["redirect_uri"] == "https://api.example.com/oauth/callback/zendesk"
    assert [f["name"] for f in zendesk["fields"]] == ["client_id", "client_secret", "subdomain", "scopes"]
    assert zendesk["fields"][-1]["type"] == "scopes" and zendesk["fields"][-1]["default"] == ["read"]
    assert "status" not in zendesk  # the catalogue holds nothing of any org
    assert by_id["freshdesk"]["redirect_uri"] is None


def test_the_list_holds_only_this_orgs_connections(api):
    assert body_of(api.list())["integrations"] == []
    api.save("zendesk", ZENDESK)
    api.save("zendesk", ZENDESK, org="org-2")
    [only] = body_of(api.list())["integrations"]
    assert (only["provider"], only["status"], only["scopes"]) == ("zendesk", "pending_setup", ["read"])


def test_include_catalog_answers_the_previous_shape_for_one_release(api):
    api.save("zendesk", ZENDESK)
    entries = body_of(api.list(query="include=catalog"))["integrations"]
    by_id = {e["id"]: e for e in entries}
    assert len(entries) == len(body_of(api.providers())["providers"])
    assert by_id["zendesk"]["status"] == "pending_setup" and by_id["github"]["status"] is None
    assert api.list(query="include=everything")["statusCode"] == 400


def test_a_failed_connection_carries_a_message_beside_its_reason(api, provider_mock):
    from byoc.model import REASONS

    api.save("zendesk", ZENDESK)
    _, query = api.authorize("zendesk")
    api.callback("zendesk", urlencode({"error": "access_denied", "state": query["state"][0]}))
    entry = api.integration("zendesk")
    assert (entry["status"], entry["status_reason"]) == ("error", "access_denied")
    assert entry["status_message"] == REASONS["access_denied"].message
